// A comparable description of a directory tree: per path (relative, as a latin1 byte string so
// names that are not UTF-8 compare too) its type, mode, owner, size, content hash, link target,
// device number, mtime and the xattrs the layer tests care about.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { load } from './dist.mjs';

const { lgetxattr } = load('native/libc');
const XATTRS = ['security.capability', 'user.comment', 'trusted.overlay.opaque'];

function typeOf(st) {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'other';
}

/** @returns {Map<string, object>} */
export function snapshot(root, { mtimes = true, xattrs = XATTRS } = {}) {
  const out = new Map();
  const rootBuf = Buffer.from(root);
  const walk = (rel) => {
    const full = rel.length ? Buffer.concat([rootBuf, Buffer.from('/'), rel]) : rootBuf;
    const st = fs.lstatSync(full);
    const entry = { type: typeOf(st), mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
    if (mtimes && entry.type !== 'symlink') entry.mtime = Math.floor(st.mtimeMs / 1000);
    if (entry.type === 'file') entry.sha256 = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    if (entry.type === 'symlink') entry.target = fs.readlinkSync(full, { encoding: 'buffer' }).toString('latin1');
    if (entry.type === 'char' || entry.type === 'block') entry.rdev = st.rdev;
    for (const name of xattrs) {
      const value = entry.type === 'symlink' ? null : lgetxattr(full, name);
      if (value) entry[`xattr ${name}`] = value.toString('hex');
    }
    out.set(rel.toString('latin1'), entry);
    if (entry.type === 'dir') {
      for (const name of fs.readdirSync(full, { encoding: 'buffer' }).sort(Buffer.compare)) {
        walk(rel.length ? Buffer.concat([rel, Buffer.from('/'), name]) : name);
      }
    }
  };
  walk(Buffer.alloc(0));
  return out;
}

/** The snapshot's entry for a UTF-8 (or Buffer) relative path. */
export function at(snap, rel) {
  return snap.get(Buffer.from(rel).toString('latin1'));
}

export function toObject(snap) {
  return Object.fromEntries(snap);
}

export function inode(file) {
  return fs.lstatSync(file).ino;
}

