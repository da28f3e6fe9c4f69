// A container's network namespace lives before and after its processes: it is made first
// (the CNI plugins configure it), bound to a file `<runRoot>/netns/<containerId>` that keeps it
// alive, joined by the OCI runtime through that path (linux.namespaces [{type: network, path}])
// and removed after the CNI DEL.
//
// How it is made: unshare(CLONE_NEWNET) on Node's main thread (it moves only that thread),
// a bind mount of /proc/thread-self/ns/net onto the file, and setns back. Measured here (2
// loaded cores): about 2 ms, against about 29 ms for spawning util-linux's
// `unshare --net=FILE true` from Node (test/network-netns.test.mjs prints both).
//
// `ip netns` also makes its directory a shared mount, so that an unmount reaches the copies
// that mount namespaces made in the meantime hold. Not needed here: unlinking a mount point
// detaches the mounts on it in every mount namespace (Linux 3.18 and later), and removeNetns
// unlinks the file (the test checks it with a process in a mount namespace of its own).
import fs = require('node:fs');
import path = require('node:path');
import { CLONE, MNT_DETACH, MS, SyscallError, interfaceUp, mount, setns, umount2, unshare } from '../../native/libc';
import { ManagerError } from '../errors';
import type { ManagerPaths } from '../paths';

export function netnsDir(paths: ManagerPaths): string {
  return path.join(paths.runRoot, 'netns');
}

export function netnsPath(paths: ManagerPaths, containerId: string): string {
  return path.join(netnsDir(paths), containerId);
}

export interface NetnsOptions {
  /**
   * Bring `lo` up (--network none: docker and podman give the container a working loopback; a
   * new namespace has it down). On the bridge network the loopback plugin does it.
   */
  loopbackUp?: boolean;
}

/** Creates the container's network namespace and returns the path that holds it. */
export function createNetns(paths: ManagerPaths, containerId: string, options: NetnsOptions = {}): string {
  fs.mkdirSync(netnsDir(paths), { recursive: true, mode: 0o700 });
  const file = netnsPath(paths, containerId);
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o444));
  } catch (err) {
    throw new ManagerError(`network namespace ${file}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'already exists' : (err as Error).message}`);
  }
  try {
    bindNewNetns(file, options);
  } catch (err) {
    fs.rmSync(file, { force: true });
    throw new ManagerError(`cannot create the network namespace ${file}: ${(err as Error).message}`);
  }
  return file;
}

function bindNewNetns(file: string, options: NetnsOptions): void {
  const own = fs.openSync('/proc/thread-self/ns/net', fs.constants.O_RDONLY);
  try {
    unshare(CLONE.NEWNET);
    try {
      // in the new namespace: an ioctl here costs microseconds, `nsenter ip link set lo up` ~20 ms
      if (options.loopbackUp) interfaceUp('lo');
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
