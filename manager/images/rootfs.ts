// A container's root filesystem, in its container directory:
//
//   <containerDir>/upper   the container's own changes (overlay upper directory)
//   <containerDir>/work    overlay's work directory
//   <containerDir>/rootfs  the root filesystem the bundle points at
//
// driver "overlay" (the default): rootfs is an overlay mount of the image's layer directories
// (from ensureLayers) plus upper. driver "vfs", for where overlay cannot be used (e.g. a store
// on a filesystem overlay does not accept as upper): rootfs is a full copy of the image made by
// `umoci raw unpack` from the OCI layout.
import fs = require('node:fs');
import path = require('node:path');
import { MNT_DETACH, mount, umount2 } from '../../native/libc';
import { ManagerError, UsageError } from '../errors';
import { childProcess } from '../system/child-process';

export type StorageDriver = 'overlay' | 'vfs';

export interface RootfsOptions {
  driver?: StorageDriver;
  /** the image in the OCI layout: needed by the vfs driver */
  image?: { layoutDir: string; refName: string };
  /**
   * overlay's "volatile" (Linux 5.10): no sync of the upper directory, at unmount either (a syncfs
   * of the whole host filesystem otherwise: 1-3 ms on a quiet disk, tens of ms on a busy one). For
   * --rm containers, whose changes are discarded anyway; ignored where the kernel lacks it.
   */
  volatile?: boolean;
}

/** mount(2) copies at most one page of options (the trailing NUL included). */
const MOUNT_DATA_MAX = 4095;

export function rootfsDir(containerDir: string): string {
  return path.join(containerDir, 'rootfs');
}

/** overlay's option syntax: ',' separates options and ':' lower directories; both escaped with '\'. */
function escapeOverlayPath(p: string): string {
  return p.replace(/[\\,:]/g, (c) => `\\${c}`);
}

function overlayData(lowersTopFirst: string[], upper: string, work: string, volatile: boolean): string {
  const data = `lowerdir=${lowersTopFirst.map(escapeOverlayPath).join(':')},upperdir=${escapeOverlayPath(upper)},workdir=${escapeOverlayPath(work)}`;
  return volatile ? `${data},volatile` : data;
}

/** mount(2) of an overlay; a kernel without "volatile" (EINVAL) gets the options without it. */
function mountOverlay(rootfs: string, data: (volatile: boolean) => string, volatile: boolean): void {
  try {
    mount('overlay', rootfs, 'overlay', 0, data(volatile));
  } catch (err) {
    if (!volatile || (err as { code?: string }).code !== 'EINVAL') throw err;
    mount('overlay', rootfs, 'overlay', 0, data(false));
  }
}

/** Unescapes a /proc/self/mountinfo path field (\040 for a space and so on). */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Whether something is mounted at target (an absolute path) in our mount namespace. */
export function isMounted(target: string): boolean {
  const wanted = path.resolve(target);
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint !== undefined && unescapeMountinfo(mountPoint) === wanted) return true;
  }
  return false;
}

/**
 * Makes containerDir's root filesystem from the image's layer directories (lowest first, as
 * ensureLayers returns them) and returns its path. Mounting an already mounted rootfs again is
 * a no-op (a restarted container).
 */
export async function mountRootfs(lowerDirs: string[], containerDir: string, opts: RootfsOptions = {}): Promise<string> {
  const driver = opts.driver ?? 'overlay';
  if (driver === 'vfs') {
    if (!opts.image) throw new UsageError('storage driver vfs: the image (OCI layout and reference) is needed to unpack the root filesystem');
    return vfsRootfs(opts.image.layoutDir, opts.image.refName, containerDir);
  }
  if (driver !== 'overlay') throw new UsageError(`storage driver: unknown driver ${JSON.stringify(driver)} (overlay or vfs)`);
  const rootfs = rootfsDir(containerDir);
  const upper = path.join(containerDir, 'upper');
  const work = path.join(containerDir, 'work');
  if (isMounted(rootfs)) return rootfs;
  const created = [containerDir, upper, work, rootfs].filter((dir) => !fs.existsSync(dir));
  for (const dir of created) fs.mkdirSync(dir, { recursive: true });
  let lowers = [...lowerDirs].reverse(); // overlay lists the top layer first
  if (lowers.length === 0) {
    // an image without layers: overlay needs a lower directory
    const empty = path.join(containerDir, 'empty-lower');
    if (!fs.existsSync(empty)) created.push(empty);
    fs.mkdirSync(empty, { recursive: true });
    lowers = [empty];
  }
  const volatile = opts.volatile ?? false;
  try {
    if (Buffer.byteLength(overlayData(lowers, upper, work, volatile)) <= MOUNT_DATA_MAX) {
      mountOverlay(rootfs, (v) => overlayData(lowers, upper, work, v), volatile);
    } else {
      mountWithShortPaths(lowers, containerDir, rootfs, volatile);
    }
  } catch (err) {
    for (const dir of created.reverse()) fs.rmSync(dir, { recursive: true, force: true }); // nothing left behind
    throw new ManagerError(`mounting the root filesystem (overlay, ${lowers.length} layers) on ${rootfs}: ${(err as Error).message}`);
  }
  return rootfs;
}

/**
 * Too many layers for one page of absolute paths: give each lower directory a short symlink in
 * containerDir (l/0, l/1, ...) and mount with paths relative to containerDir (overlay resolves
 * them, symlinks followed, at mount time, against our working directory). About 500 layers fit,
 * overlay's own limit. Works on every kernel (fsconfig's "lowerdir+" needs 6.8).
 */
function mountWithShortPaths(lowers: string[], containerDir: string, rootfs: string, volatile: boolean): void {
  const links = path.join(containerDir, 'l');
  fs.rmSync(links, { recursive: true, force: true });
  fs.mkdirSync(links);
  lowers.forEach((lower, i) => fs.symlinkSync(path.resolve(lower), path.join(links, String(i))));
  const data = (v: boolean) =>
    overlayData(
      lowers.map((_, i) => `l/${i}`),
      'upper',
      'work',
      v,
    );
  if (Buffer.byteLength(data(volatile)) > MOUNT_DATA_MAX) throw new Error(`too many layers for overlay (${lowers.length})`);
  const cwd = process.cwd();
  // synchronous from chdir to chdir back: no other JavaScript runs in between
  process.chdir(containerDir);
  try {
    mountOverlay(rootfs, data, volatile);
  } finally {
    process.chdir(cwd);
    fs.rmSync(links, { recursive: true, force: true });
  }
}

/** Unmounts containerDir's rootfs when it is mounted (a vfs rootfs or an unmounted one: nothing to do). */
export async function unmountRootfs(containerDir: string): Promise<void> {
  const rootfs = rootfsDir(containerDir);
  // mounted more than once (stacked): unmount until nothing is left
  for (let attempt = 0; attempt < 8 && isMounted(rootfs); attempt++) {
    try {
      umount2(rootfs, 0);
    } catch (err) {
      // still in use (a process with its cwd there, a mount on top): detach it, it goes when unused
      if ((err as { code?: string }).code !== 'EBUSY') throw new ManagerError(`unmounting ${rootfs}: ${(err as Error).message}`);
      umount2(rootfs, MNT_DETACH);
    }
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    childProcess().execFile(cmd, args, { maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const detail = String(stderr).trim().split('\n').pop() || err.message;
      reject(new ManagerError(`${cmd} ${args.slice(0, 2).join(' ')}: ${detail}`));
    });
  });
}

/**
 * The vfs driver: a full copy of the image refName from the OCI layout layoutDir, made by
 * `umoci raw unpack`, as containerDir/rootfs. Returns its path (already there: kept).
 */
export async function vfsRootfs(layoutDir: string, refName: string, containerDir: string): Promise<string> {
  const rootfs = rootfsDir(containerDir);
  fs.mkdirSync(containerDir, { recursive: true });
  if (fs.existsSync(rootfs)) {
    if (fs.readdirSync(rootfs).length > 0) return rootfs;
    fs.rmdirSync(rootfs); // an empty one (an overlay attempt made it): unpack in its place
  }
  const staging = fs.mkdtempSync(path.join(containerDir, '.rootfs-'));
  const target = path.join(staging, 'rootfs');
  try {
    await run('umoci', ['raw', 'unpack', '--image', `${layoutDir}:${refName}`, target]);
    fs.renameSync(target, rootfs);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return rootfs;
}
