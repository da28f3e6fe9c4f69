// -u/--user and the image's USER resolved to numeric ids, the way runc's user lookup does it for
// docker: names come from the image's /etc/passwd and /etc/group, read inside the root
// filesystem (symlinks are followed as the container would see them, never out of the rootfs).
import fs = require('node:fs');
import { ManagerError, UsageError } from '../errors';
import { secureJoin } from '../../runtime/linux/secure-join';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** the primary gid first (docker passes it), then the groups that list the user as a member */
  additionalGids: number[];
  /** the passwd entry's home directory ("/" without one), for a default HOME */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;
/** Files bigger than this are not an /etc/passwd anyone means. */
const MAX_FILE = 16 * 1024 * 1024;

const numeric = (text: string): number | undefined => (/^\d+$/.test(text) ? Number(text) : undefined);

/**
 * The text of `file` (an absolute path in the container), or undefined when it does not exist,
 * is not a regular file or sits behind a symlink loop. The last component is opened without
 * following a symlink, and without blocking on a FIFO an image might put there.
 */
export function readImageFile(rootfs: string, file: string): string | undefined {
  let hostPath: string;
  try {
    hostPath = secureJoin(rootfs, file);
  } catch {
    return undefined; // a symlink loop: the container could not open it either
  }
  let fd: number;
  try {
    fd = fs.openSync(hostPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw new ManagerError(`cannot read ${file} in the image: ${code}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return undefined;
    if (stat.size > MAX_FILE) throw new ManagerError(`cannot read ${file} in the image: larger than ${MAX_FILE} bytes`);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function lines(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return lines(text).flatMap(([name = '', , uid = '', gid = '', , home = '']) => {
    const u = numeric(uid);
    const g = numeric(gid);
    return u === undefined || g === undefined ? [] : [{ name, uid: u, gid: g, home }];
  });
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return lines(text).flatMap(([name = '', , gid = '', list = '']) => {
    const g = numeric(gid);
    return g === undefined ? [] : [{ name, gid: g, members: list.split(',').filter(Boolean) }];
  });
}

function checkRange(id: number, what: string): number {
  if (id > MAX_ID) throw new UsageError(`${what} ${id}: uids and gids must be in range 0-${MAX_ID}`);
  return id;
}

/**
 * USER (from -u or the image): NAME|UID[:GROUP|GID] -> ids. No user means root (uid 0), still
 * looked up for its groups. A numeric user without a passwd entry is fine; an unknown name is
 * not: "unable to find user NAME: no matching entries in passwd file", as docker says.
 */
export function resolveUser(rootfs: string, user: string | undefined): ResolvedUser {
  const spec = user ?? '';
  const colon = spec.indexOf(':');
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? '' : spec.slice(colon + 1);

  const passwd = parsePasswd(readImageFile(rootfs, '/etc/passwd'));
  const wantedUid = userArg === '' ? 0 : numeric(userArg);
  const entry = passwd.find((p) => (wantedUid !== undefined ? p.uid === wantedUid : p.name === userArg));
  let uid: number;
  let gid = 0;
  let home = '/';
  if (entry) {
    ({ uid, gid, home } = entry);
    home ||= '/';
  } else if (wantedUid !== undefined) {
    uid = checkRange(wantedUid, 'user');
  } else {
    throw new UsageError(`unable to find user ${userArg}: no matching entries in passwd file`);
  }

  const supplementary: number[] = [];
  if (groupArg !== '' || entry) {
    const groups = parseGroup(readImageFile(rootfs, '/etc/group'));
    if (groupArg !== '') {
      const wantedGid = numeric(groupArg);
      const group = groups.find((g) => (wantedGid !== undefined ? g.gid === wantedGid : g.name === groupArg));
      if (group) gid = group.gid;
      else if (wantedGid !== undefined) gid = checkRange(wantedGid, 'group');
      else throw new UsageError(`unable to find group ${groupArg}: no matching entries in group file`);
    } else {
      for (const g of groups) if (g.members.includes(entry!.name)) supplementary.push(g.gid);
    }
  }
  return { uid, gid, additionalGids: [...new Set([gid, ...supplementary])], home };
}
