// /dev inside the container: the default device nodes every container gets, the devices the
// config names, /dev/ptmx pointing at the container's own devpts, and the /dev/fd links.
import fs = require('node:fs');
import path = require('node:path');
import { makedev, mknod } from '../../native/libc';
import { ConfigError } from '../errors';
import type { Device } from '../spec/types';
import { secureJoin } from './secure-join';

export const DEFAULT_DEVICES: Device[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
];

const TYPE_BITS: Record<string, number> = {
  c: fs.constants.S_IFCHR,
  u: fs.constants.S_IFCHR,
  b: fs.constants.S_IFBLK,
  p: fs.constants.S_IFIFO,
};

/**
 * The directories of the rootfs that devices go into, resolved (secureJoin) and made once for a
 * whole /dev: by container path, their host path.
 */
export type DeviceDirs = Map<string, string>;

/** Where a device goes on the host, and what is there now. */
function locateDevice(rootfs: string, devicePath: string, field: string, dirs: DeviceDirs): { target: string; existing?: fs.Stats } {
  const clean = path.posix.normalize(`/${devicePath}`);
  if (clean === '/') throw new ConfigError(`${field}.path: "${devicePath}" is not a path to a file`);
  const parent = path.posix.dirname(clean);
  let dir = dirs.get(parent);
  if (dir === undefined) {
    dir = secureJoin(rootfs, parent);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    dirs.set(parent, dir);
  }
  let target = path.join(dir, path.posix.basename(clean));
  let existing = fs.lstatSync(target, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink()) {
    // a link at the device's own path is followed inside the rootfs, as every path is
    target = secureJoin(rootfs, clean);
    existing = fs.lstatSync(target, { throwIfNoEntry: false });
  }
  return { target, existing };
}

/**
 * `replace`: for the default devices, whatever the image left at the path is replaced; a
 * device the config asks for must not collide with a different file (config-linux.md#devices).
 */
export function createDevice(rootfs: string, device: Device, field: string, replace = false, dirs: DeviceDirs = new Map()): void {
  const typeBits = TYPE_BITS[device.type];
  if (typeBits === undefined) throw new ConfigError(`${field}.type: "${device.type}" is not one of c, b, u, p`);
  if (device.type !== 'p' && (device.major === undefined || device.minor === undefined)) {
    throw new ConfigError(`${field}: major and minor are required for a "${device.type}" device`);
  }
  const { target, existing: found } = locateDevice(rootfs, device.path, field, dirs);
  let existing = found;
  const mode = device.fileMode ?? 0o666;
  const dev = device.type === 'p' ? 0n : makedev(device.major!, device.minor!);
  if (existing && replace) {
    fs.rmSync(target, { force: true, recursive: existing.isDirectory() });
    existing = undefined;
  }
  if (existing) {
    // config-linux.md#devices: a different file already at the path is an error.
    const sameType = (existing.mode & fs.constants.S_IFMT) === typeBits;
    if (!sameType || (device.type !== 'p' && BigInt(existing.rdev) !== dev)) {
      throw new ConfigError(`${field}: ${device.path} already exists in the rootfs and is not the requested device`);
    }
  } else {
    mknod(target, typeBits | (mode & 0o7777), dev);
  }
  fs.chmodSync(target, mode & 0o7777); // mknod applies the umask
  fs.chownSync(target, device.uid ?? 0, device.gid ?? 0);
}

/** /dev/ptmx -> pts/ptmx and the std* links, as runc makes them. */
export function createDevLinks(rootfs: string, dirs: DeviceDirs = new Map()): void {
  const dev = dirs.get('/dev') ?? secureJoin(rootfs, '/dev');
  const ptmx = path.join(dev, 'ptmx');
  try {
    fs.unlinkSync(ptmx);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.symlinkSync('pts/ptmx', ptmx);
  const links: [string, string][] = [
    ['/proc/self/fd', 'fd'],
    ['/proc/self/fd/0', 'stdin'],
    ['/proc/self/fd/1', 'stdout'],
    ['/proc/self/fd/2', 'stderr'],
  ];
  for (const [target, name] of links) {
    try {
      fs.symlinkSync(target, path.join(dev, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
