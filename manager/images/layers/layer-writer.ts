// Applies the entries of one layer tar to an empty directory of its own (the layer's `diff`),
// in archive order, converting OCI whiteouts to overlayfs form.
//
// Path safety. No entry may write outside the layer directory:
// - a name or hardlink target that is absolute or has a ".." component is refused;
// - an entry whose parent (within this layer) is a symlink or not a directory is refused: we
//   never resolve a path through a symlink, so an absolute symlink such as `a -> /tmp/outside`
//   is kept as written but `a/evil` cannot be created through it (containerd resolves such a
//   path inside the root instead; a tar made from a real tree never has entries under a
//   symlink, so refusing is the simple safe choice);
// - a hardlink must name an entry created earlier in this same layer;
// - a file is created with O_EXCL|O_NOFOLLOW after removing what stood at its name.
// The directory is private to this unpack (a fresh temporary directory), so the map of what we
// created (`kinds`) is the truth about it: parents are checked without a syscall per component.
//
// Whiteouts (OCI image-spec layer.md) become what overlayfs reads:
// - `.wh.NAME` -> a character device 0/0 called NAME (unless this layer has its own NAME: a
//   whiteout only hides lower layers);
// - `.wh..wh..opq` -> xattr trusted.overlay.opaque=y on its directory;
// - a directory created in place of this layer's own whiteout is made opaque (a deleted and
//   re-created directory must not show the lower one's contents).
//
// Metadata: owner, mode (setuid/setgid/sticky included), xattrs, then times; directories get
// their times at the end, after their contents stopped changing them. A chown or chmod that
// would not change what the kernel already gave (our own owner, a mode created as is because the
// umask clears none of its bits) is left out: with thousands of entries every syscall counts.
import fs = require('node:fs');
import { lsetxattr, makedev, mknod } from '../../../native/libc';
import type { TarEntry } from './tar-reader';
import { EntryError, displayName, fsPath, isAscii, relativePath } from './entry-paths';

export { EntryError } from './entry-paths';

type Kind = 'dir' | 'symlink' | 'whiteout' | 'other';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const S_ISGID = 0o2000;
const SPECIAL_BITS = 0o7000;
const O_CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** The umask, read without changing it (process.umask() with no argument is deprecated). */
function currentUmask(): number {
  try {
    const line = /^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'latin1'));
    if (line) return parseInt(line[1]!, 8);
  } catch {
    /* no procfs */
  }
  return 0o777; // unknown: every mode is then set explicitly
}

export interface OpenFile {
  fd: number;
  path: string;
  entry: TarEntry;
  /** the owner the kernel gave is not the entry's */
  chown: boolean;
  /** the mode it was created with is not the entry's */
  chmod: boolean;
}

export class LayerWriter {
  /** what this unpack created, by path relative to the root */
  private readonly kinds = new Map<string, Kind>([['', 'dir']]);
  /** directory times, applied by finish() */
  private readonly dirTimes = new Map<string, TarEntry>();
  /** setgid directories (new entries in them get the directory's group), by relative path */
  private readonly setgidGroups = new Map<string, number>();
  private readonly root: string;
  private readonly uid = process.geteuid?.() ?? 0;
  private readonly gid = process.getegid?.() ?? 0;
  private readonly umask = currentUmask();
  private lastParent = '';
  private openFile: OpenFile | null = null;
  entries = 0;

  constructor(root: string) {
    this.root = Buffer.from(root).toString('latin1');
    const st = fs.statSync(root);
    if (st.mode & S_ISGID) this.setgidGroups.set('', st.gid);
  }

  /** Whether a new entry in `parent` needs a chown to get the entry's owner. */
  private needsChown(parent: string, entry: TarEntry): boolean {
    const group = this.setgidGroups.size === 0 ? this.gid : (this.setgidGroups.get(parent) ?? this.gid);
    return entry.uid !== this.uid || entry.gid !== group;
  }

  /** Whether creating with `mode` gives exactly `mode`: no special bits, none the umask clears. */
  private createsExactly(mode: number): boolean {
    return (mode & SPECIAL_BITS) === 0 && (mode & this.umask) === 0;
  }

  private full(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** Applies entry; for a regular file returns the open file its content goes to (then closeFile). */
  apply(entry: TarEntry): OpenFile | null {
    this.entries++;
    const rel = relativePath(entry.name, entry.name, 'name');
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    const base = slash < 0 ? rel : rel.slice(slash + 1);
    this.ensureParent(parent, entry.name);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      this.whiteout(parent, base, entry);
      return null;
    }
    switch (entry.type) {
      case 'file':
      case 'contiguous-file':
        return this.createFile(rel, parent, entry);
      case 'directory':
        this.directory(rel, parent, entry);
        return null;
      case 'symlink':
        this.symlink(rel, parent, entry);
        return null;
      case 'link':
        this.hardlink(rel, entry);
        return null;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        this.node(rel, entry);
        return null;
      default:
        throw new EntryError(entry.name, `unsupported entry type ${entry.type}`);
    }
  }

  /** Every directory on the way to rel's parent exists in this layer and is a real directory. */
  private ensureParent(parent: string, entryName: string): void {
    if (parent === this.lastParent) return;
    let at = 0;
    for (;;) {
      const next = parent.indexOf('/', at);
      const prefix = next < 0 ? parent : parent.slice(0, next);
      const kind = this.kinds.get(prefix);
      if (kind === undefined) {
        // the archive did not list this directory before its contents: make it like tar does
        const full = fsPath(this.full(prefix));
        fs.mkdirSync(full, 0o755);
        // in a setgid directory it inherited the bit (and the group: kept, as tar does)
        if (!this.createsExactly(0o755) || this.setgidGroups.size > 0) fs.chmodSync(full, 0o755);
        this.kinds.set(prefix, 'dir');
      } else if (kind === 'symlink') {
        throw new EntryError(entryName, `parent ${displayName(prefix)} is a symbolic link (entries are never written through symlinks)`);
      } else if (kind !== 'dir') {
        throw new EntryError(entryName, `parent ${displayName(prefix)} is not a directory`);
      }
      if (next < 0) break;
      at = next + 1;
    }
    this.lastParent = parent;
  }

  /** Removes what this layer has at rel (a later entry replaces an earlier one); returns what it was. */
  private replace(rel: string, keepDirectory: boolean, entryName: string): Kind | undefined {
    const existing = this.kinds.get(rel);
    if (existing === undefined || (existing === 'dir' && keepDirectory)) return existing;
    if (rel === '') throw new EntryError(entryName, 'the layer root can only be a directory');
    const full = fsPath(this.full(rel));
    if (existing === 'dir') {
      fs.rmSync(full, { recursive: true });
      const prefix = `${rel}/`;
      for (const key of this.kinds.keys()) if (key.startsWith(prefix)) this.kinds.delete(key);
      for (const key of this.dirTimes.keys()) if (key.startsWith(prefix)) this.dirTimes.delete(key);
      for (const key of this.setgidGroups.keys()) if (key.startsWith(prefix)) this.setgidGroups.delete(key);
      this.dirTimes.delete(rel);
      this.setgidGroups.delete(rel);
    } else {
      fs.unlinkSync(full);
    }
    this.kinds.delete(rel);
    this.lastParent = '\0'; // the parent cache may name what was just removed
    return existing;
  }

  private createFile(rel: string, parent: string, entry: TarEntry): OpenFile {
    this.replace(rel, false, entry.name);
    const path = this.full(rel);
    const mode = entry.mode & 0o7777;
    const exact = this.createsExactly(mode);
    // in a private directory: created with its final mode when the umask allows, else 0600 until closeFile
    const fd = fs.openSync(fsPath(path), O_CREATE_NEW, exact ? mode : 0o600);
    this.kinds.set(rel, 'other');
    this.openFile = { fd, path, entry, chown: this.needsChown(parent, entry), chmod: !exact };
    return this.openFile;
  }

  /** Content written: owner, mode, xattrs, times (in that order: chown clears setuid bits). */
  closeFile(file: OpenFile): void {
    const { fd, entry } = file;
    try {
      if (file.chown) fs.fchownSync(fd, entry.uid, entry.gid);
      if (file.chmod) fs.fchmodSync(fd, entry.mode & 0o7777);
      this.setXattrs(file.path, entry);
      fs.futimesSync(fd, entry.atime, entry.mtime);
    } finally {
      this.openFile = null;
      fs.closeSync(fd);
    }
  }

  private directory(rel: string, parent: string, entry: TarEntry): void {
    const path = fsPath(this.full(rel));
    const previous = this.replace(rel, true, entry.name);
    const mode = entry.mode & 0o7777;
    if (previous !== 'dir') {
      // made in a setgid directory, it inherits the bit: then the chmod below is needed
      const exact = this.createsExactly(mode) && !this.setgidGroups.has(parent);
      fs.mkdirSync(path, exact ? mode : 0o700);
      this.kinds.set(rel, 'dir');
      // re-created in place of this layer's own whiteout: the lower directory's contents stay hidden
      if (previous === 'whiteout') lsetxattr(path, OPAQUE_XATTR, Buffer.from('y'));
      if (this.needsChown(parent, entry)) fs.chownSync(path, entry.uid, entry.gid);
      if (!exact) fs.chmodSync(path, mode);
    } else {
      fs.chownSync(path, entry.uid, entry.gid);
      fs.chmodSync(path, mode);
    }
    if (mode & S_ISGID) this.setgidGroups.set(rel, entry.gid);
    else this.setgidGroups.delete(rel);
    this.setXattrs(this.full(rel), entry);
    this.dirTimes.set(rel, entry);
  }

  private symlink(rel: string, parent: string, entry: TarEntry): void {
    this.replace(rel, false, entry.name);
    const path = fsPath(this.full(rel));
    fs.symlinkSync(fsPath(entry.linkname), path); // kept as written, absolute targets included
    this.kinds.set(rel, 'symlink');
    if (this.needsChown(parent, entry)) fs.lchownSync(path, entry.uid, entry.gid);
    this.setXattrs(this.full(rel), entry);
    fs.lutimesSync(path, entry.atime, entry.mtime);
  }

  private hardlink(rel: string, entry: TarEntry): void {
    const target = relativePath(entry.linkname, entry.name, 'hardlink target');
    const kind = this.kinds.get(target);
    if (kind === undefined) throw new EntryError(entry.name, `hardlink target ${displayName(entry.linkname)} is not an earlier entry of this layer`);
    if (kind === 'dir') throw new EntryError(entry.name, `hardlink target ${displayName(entry.linkname)} is a directory`);
    if (target === rel) return; // a link to itself: already there
    this.replace(rel, false, entry.name);
    fs.linkSync(fsPath(this.full(target)), fsPath(this.full(rel)));
    this.kinds.set(rel, kind);
  }

  private node(rel: string, entry: TarEntry): void {
    this.replace(rel, false, entry.name);
    const type = entry.type === 'character-device' ? S_IFCHR : entry.type === 'block-device' ? S_IFBLK : S_IFIFO;
    const dev = type === S_IFIFO ? 0n : makedev(entry.devmajor, entry.devminor);
    this.makeNode(rel, type | (entry.mode & 0o7777), dev);
    this.kinds.set(rel, 'other');
    const path = fsPath(this.full(rel));
    fs.lchownSync(path, entry.uid, entry.gid);
    fs.chmodSync(path, entry.mode & 0o7777); // mknod applied the umask
    this.setXattrs(this.full(rel), entry);
    fs.lutimesSync(path, entry.atime, entry.mtime);
  }

  /** mknod takes a C string: a name that is not ASCII is made under a temporary name, then renamed. */
  private makeNode(rel: string, mode: number, dev: bigint): void {
    const path = this.full(rel);
    if (isAscii(path)) {
      mknod(path, mode, dev);
      return;
    }
    const temporary = `${this.root}/.mknod-${process.pid}-${this.entries}`;
    mknod(temporary, mode, dev);
    fs.renameSync(temporary, fsPath(path));
  }

  private whiteout(parent: string, base: string, entry: TarEntry): void {
    if (base === OPAQUE_MARKER) {
      lsetxattr(fsPath(this.full(parent)), OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs bookkeeping (.wh..wh.plnk...): nothing to apply
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '.' || name === '..') throw new EntryError(entry.name, 'whiteout of "." or ".."');
    const rel = parent === '' ? name : `${parent}/${name}`;
    if (this.kinds.has(rel)) return; // this layer's own entry already hides the lower one
    this.makeNode(rel, S_IFCHR, 0n);
    this.kinds.set(rel, 'whiteout');
    fs.lchownSync(fsPath(this.full(rel)), entry.uid, entry.gid);
  }

  private setXattrs(path: string, entry: TarEntry): void {
    if (entry.xattrs === null) return;
    for (const [name, value] of entry.xattrs) {
      // overlay's own markers come only from whiteouts: from a tar they could forge opaque
      // directories or redirects into other layers
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) continue;
      try {
        lsetxattr(fsPath(path), name, value);
      } catch (err) {
        const code = (err as { code?: string }).code;
        // a namespace this filesystem does not store (e.g. security.selinux without SELinux)
        if (code === 'EOPNOTSUPP' || code === 'ENOTSUP') continue;
        // the kernel allows user.* only on regular files and directories (GNU tar skips them too)
        if (code === 'EPERM' && name.startsWith('user.') && entry.type !== 'file' && entry.type !== 'directory') continue;
        throw err;
      }
    }
  }

  /** Sets the directories' times (their contents are complete). */
  finish(): void {
    for (const [rel, entry] of this.dirTimes) fs.utimesSync(fsPath(this.full(rel)), entry.atime, entry.mtime);
  }

  /** Closes a file left open by a failed unpack. */
  abort(): void {
    if (this.openFile) {
      fs.closeSync(this.openFile.fd);
      this.openFile = null;
    }
  }
}
