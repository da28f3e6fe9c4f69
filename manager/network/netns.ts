// A container's network namespace lives before and after its processes: it is made first
// (the CNI plugins configure it), bound to a file `<runRoot>/netns/<containerId>` that keeps it
// alive, joined by the OCI runtime through that path (linux.namespaces [{type: network, path}])
// and removed after the CNI DEL.
//
// How it is made: unshare(CLONE_NEWNET) on Node's main thread (it moves only that thread),
// a bind mount of /proc/thread-self/ns/net onto the file, and setns back. Measured here: about
// 0.3 ms, against about 3 ms for spawning util-linux's `unshare --net=FILE true` (both after
// koffi is loaded; see test/network-netns.test.mjs for the measurement).
//
// The directory is a shared bind mount of itself (what `ip netns` does with /run/netns), so that
// unmounting a namespace file here also unmounts the copies that mount namespaces created in
// the meantime hold (a container's, before it pivots): otherwise they keep it alive.
import fs = require('node:fs');
import path = require('node:path');
import { CLONE, LOCK_EX, MNT_DETACH, MS, SyscallError, flock, mount, setns, umount2, unshare } from '../../native/libc';
import { ManagerError } from '../errors';
import type { ManagerPaths } from '../paths';

export function netnsDir(paths: ManagerPaths): string {
  return path.join(paths.runRoot, 'netns');
}

export function netnsPath(paths: ManagerPaths, containerId: string): string {
  return path.join(netnsDir(paths), containerId);
}

/** Creates the container's network namespace and returns the path that holds it. */
export function createNetns(paths: ManagerPaths, containerId: string): string {
  const dir = netnsDir(paths);
  ensureSharedDir(dir);
  const file = netnsPath(paths, containerId);
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o444));
  } catch (err) {
    throw new ManagerError(`network namespace ${file}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'already exists' : (err as Error).message}`);
  }
  try {
    bindNewNetns(file);
  } catch (err) {
    fs.rmSync(file, { force: true });
    throw new ManagerError(`cannot create the network namespace ${file}: ${(err as Error).message}`);
  }
  return file;
}

function bindNewNetns(file: string): void {
  const own = fs.openSync('/proc/thread-self/ns/net', fs.constants.O_RDONLY);
  try {
    unshare(CLONE.NEWNET);
    try {
      mount('/proc/thread-self/ns/net', file, null, MS.BIND, null);
    } finally {
      setns(own, CLONE.NEWNET, "back to the manager's network namespace");
    }
  } finally {
    fs.closeSync(own);
  }
}

/** Unmounts and deletes a namespace file; a missing or already unmounted one is fine. */
export function removeNetns(file: string): void {
  try {
    umount2(file, MNT_DETACH);
  } catch (err) {
    const code = (err as SyscallError).code;
    // EINVAL: not a mount point (never bound, or already unmounted); ENOENT: gone
    if (code !== 'EINVAL' && code !== 'ENOENT') throw new ManagerError(`cannot remove the network namespace ${file}: ${(err as Error).message}`);
  }
  fs.rmSync(file, { force: true });
}

/** The container ids that have a namespace file (for the clean-up of what a killed manager left). */
export function listNetns(paths: ManagerPaths): string[] {
  try {
    return fs.readdirSync(netnsDir(paths)).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
}

/** Whether `file` holds a network namespace (bound and not yet removed). */
export function netnsExists(file: string): boolean {
  try {
    const ns = fs.statSync(file);
    // a bound namespace file is on nsfs: its device differs from the directory's
    return ns.dev !== fs.statSync(path.dirname(file)).dev;
  } catch {
    return false;
  }
}

/**
 * Unmounts the shared directory mount once no namespace is left in it (tests give each file
 * its own run root and remove it afterwards). Returns whether it was released.
 */
export function releaseNetnsDir(paths: ManagerPaths): boolean {
  const dir = netnsDir(paths);
  if (listNetns(paths).length > 0) return false;
  while (isMountPoint(dir)) umount2(dir, MNT_DETACH);
  return true;
}

function ensureSharedDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (isMountPoint(dir)) return;
  // two managers may get here at once: the lock keeps the bind mount single
  const fd = fs.openSync(dir, fs.constants.O_RDONLY);
  try {
    flock(fd, LOCK_EX, dir);
    if (isMountPoint(dir)) return;
    mount(dir, dir, null, MS.BIND, null);
    mount(null, dir, null, MS.SHARED, null);
  } finally {
    fs.closeSync(fd);
  }
}

function isMountPoint(dir: string): boolean {
  let target: string;
  try {
    target = fs.realpathSync(dir);
  } catch {
    return false;
  }
  const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint !== undefined && unescapeMountinfo(mountPoint) === target) return true;
  }
  return false;
}

function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
