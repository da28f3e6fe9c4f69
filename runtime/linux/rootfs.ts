// The container's root filesystem, set up by the runtime's main thread inside the new mount
// namespace: propagation, the rootfs bind mount, config.mounts in order, /dev, then
// pivot_root (or MS_MOVE + chroot with --no-pivot), and after it read-only, masked and
// read-only paths. proc is mounted by the init helper, which is inside the PID namespace.
import fs = require('node:fs');
import path = require('node:path');
import { chdir, chroot, fchdir, MNT_DETACH, mount, MS, pivotRoot, setdomainname, sethostname, SyscallError, umount2 } from '../../native/libc';
import { ConfigError, RuntimeError } from '../errors';
import type { Mount, RuntimeConfig } from '../spec/types';
import type { CgroupPaths } from '../cgroups/manager';
import { mountCgroups } from './cgroup-mount';
import { createDevice, createDevLinks, DEFAULT_DEVICES } from './devices';
import type { InitProcess } from './init-process';
import { parseMountOptions, PROPAGATION } from './mount-options';
import { secureJoin } from './secure-join';

export interface RootfsContext {
  rootfs: string;
  bundle: string;
  config: RuntimeConfig;
  init: InitProcess;
  noPivot: boolean;
  /** Whether the container has a network namespace of its own (sysfs needs one). */
  ownNetwork: boolean;
  /** The container's cgroups, for "cgroup" mounts. */
  cgroups: CgroupPaths;
}

/** Everything up to pivot_root, in host paths. */
export function prepareRootfs(ctx: RootfsContext): void {
  const propagationName = ctx.config.linux?.rootfsPropagation;
  const propagation = propagationName ? PROPAGATION[propagationName] : MS.SLAVE | MS.REC;
  if (propagation === undefined) throw new ConfigError(`linux.rootfsPropagation: unknown propagation "${propagationName}"`);
  mount(null, '/', null, propagation, null);
  makeParentMountPrivate(ctx.rootfs);
  mount(ctx.rootfs, ctx.rootfs, 'bind', MS.BIND | MS.REC, null);

  const mounts = ctx.config.mounts ?? [];
  mounts.forEach((m, i) => mountEntry(ctx, m, i));

  // A /dev bind-mounted from the host already has its devices.
  if (!mounts.some((m) => path.normalize(`/${m.destination}`) === '/dev' && parseMountOptions(m.options, m.type).bind)) {
    DEFAULT_DEVICES.forEach((d, i) => createDevice(ctx.rootfs, d, `default device ${i}`, true));
    (ctx.config.linux?.devices ?? []).forEach((d, i) => createDevice(ctx.rootfs, d, `linux.devices[${i}]`));
    createDevLinks(ctx.rootfs);
  }
}

/** pivot_root needs the mount holding the rootfs not to be shared. */
function makeParentMountPrivate(rootfs: string): void {
  let best: { point: string; shared: boolean } | undefined;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const point = fields[4];
    if (!point) continue;
    const inside = point === '/' || rootfs === point || rootfs.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.point.length)) {
      const optional = fields.slice(6, fields.indexOf('-'));
      best = { point, shared: optional.some((o) => o.startsWith('shared:')) };
    }
  }
  if (best?.shared) mount(null, best.point, null, MS.PRIVATE, null);
}

function ensureTarget(target: string, asFile: boolean): void {
  if (asFile) {
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    if (!fs.existsSync(target)) fs.closeSync(fs.openSync(target, 'a', 0o644));
  } else {
    fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  }
}

function mountEntry(ctx: RootfsContext, m: Mount, index: number): void {
  const field = `mounts[${index}]`;
  const options = parseMountOptions(m.options, m.type);
  const target = secureJoin(ctx.rootfs, m.destination);
  try {
    if (options.bind) bindMount(ctx, m, target, options.flags, options.recursive, field);
    else if (!m.type) throw new ConfigError(`${field}.type: required unless options include "bind" or "rbind"`);
    else if (m.type === 'proc') {
      ensureTarget(target, false);
      ctx.init.mount(m.source ?? 'proc', target, 'proc', options.flags, options.data);
    } else if (m.type === 'cgroup' || m.type === 'cgroup2') {
      mountCgroups(ctx.cgroups, target, options.flags);
    } else {
      ensureTarget(target, false);
      try {
        mount(m.source ?? m.type, target, m.type, options.flags, options.data || null);
      } catch (err) {
        // Without a network namespace of its own the container may not mount sysfs: bind the host's, as runc does.
        if (m.type !== 'sysfs' || ctx.ownNetwork || !(err instanceof SyscallError) || err.code !== 'EPERM') throw err;
        mount('/sys', target, null, MS.BIND | MS.REC, null);
        mount(null, target, null, MS.BIND | MS.REMOUNT | options.flags, null);
      }
    }
    for (const flag of options.propagation) mount(null, target, null, flag, null);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(`${field} (${m.destination}): ${(err as Error).message}`);
  }
}

function bindMount(ctx: RootfsContext, m: Mount, target: string, flags: number, recursive: boolean, field: string): void {
  if (!m.source) throw new ConfigError(`${field}.source: a bind mount needs a source`);
  const source = path.resolve(ctx.bundle, m.source);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new ConfigError(`${field}.source: bind source "${source}" does not exist`);
  }
  ensureTarget(target, !stat.isDirectory());
  mount(source, target, null, MS.BIND | (recursive ? MS.REC : 0), null);
  // Flags such as ro or nosuid only take effect on a bind mount through a remount.
  if (flags & ~(MS.REC | MS.REMOUNT | MS.BIND)) mount(null, target, null, flags | MS.BIND | MS.REMOUNT, null);
}

/** Makes the rootfs the root of the mount namespace. After this, paths are the container's. */
export function enterRootfs(ctx: RootfsContext): void {
  if (ctx.noPivot) {
    ctx.init.chdir(ctx.rootfs);
    chdir(ctx.rootfs);
    mount(ctx.rootfs, '/', null, MS.MOVE, null);
    chroot('.');
    chdir('/');
    return;
  }
  const oldRoot = fs.openSync('/', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    chdir(ctx.rootfs);
    pivotRoot('.', '.');
    // The old root is now stacked on "/". Make it (not the container's mounts) a slave so that
    // unmounting it cannot propagate to the host, then detach it.
    fchdir(oldRoot, 'the old root');
    mount(null, '.', null, MS.SLAVE | MS.REC, null);
    umount2('.', MNT_DETACH);
    chdir('/');
  } finally {
    fs.closeSync(oldRoot);
  }
}

/** Read-only root, hostname and domainname, sysctls, read-only and masked paths: after pivot_root, in container paths. */
export function finishRootfs(config: RuntimeConfig, ownUts: boolean): void {
  if (config.root?.readonly) mount(null, '/', null, MS.BIND | MS.REMOUNT | MS.RDONLY, null);
  if (config.hostname !== undefined || config.domainname !== undefined) {
    if (!ownUts) throw new ConfigError('hostname/domainname: setting them needs a "uts" namespace in linux.namespaces');
    if (config.hostname !== undefined) sethostname(config.hostname);
    if (config.domainname !== undefined) setdomainname(config.domainname);
  }
  for (const [key, value] of Object.entries(config.linux?.sysctl ?? {})) {
    const file = path.join('/proc/sys', key.replace(/\./g, '/'));
    try {
      fs.writeFileSync(file, value);
    } catch (err) {
      throw new ConfigError(`linux.sysctl["${key}"]: cannot set it to "${value}": ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  for (const p of config.linux?.readonlyPaths ?? []) {
    if (!fs.existsSync(p)) continue;
    mount(p, p, null, MS.BIND | MS.REC, null);
    mount(null, p, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC, null);
  }
  for (const p of config.linux?.maskedPaths ?? []) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      continue;
    }
    if (stat.isDirectory()) mount('tmpfs', p, 'tmpfs', MS.RDONLY, null);
    else mount('/dev/null', p, null, MS.BIND, null);
  }
}
