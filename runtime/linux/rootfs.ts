// The container's root filesystem, set up by the runtime's main thread inside the new mount
// namespace: propagation, the rootfs bind mount, config.mounts in order, /dev, then
// pivot_root (or MS_MOVE + chroot with --no-pivot), and after it read-only, masked and
// read-only paths. proc is mounted by the init helper, which is inside the PID namespace.
import fs = require('node:fs');
import path = require('node:path');
import { CLONE, chdir, chroot, fchdir, withFsIds, MNT_DETACH, mount, MS, strerror, pivotRoot, setdomainname, sethostname, SyscallError, umount2 } from '../../native/libc';
import { ConfigError, RuntimeError } from '../errors';
import type { Device, Mount, RuntimeConfig } from '../spec/types';
import type { CgroupPaths } from '../cgroups/manager';
import { mountCgroups } from './cgroup-mount';
import { createDevice, createDevLinks, DEFAULT_DEVICES, type DeviceDirs } from './devices';
import { idmappedBind } from '../../native/mount-api';
import { reap } from '../../native/spawn';
import { InitProcess } from './init-process';
import { writeIdMaps } from './userns';
import { type ParsedMountOptions, parseMountOptions, PROPAGATION } from './mount-options';
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
  /**
   * With a user namespace: its root's host ids. Filesystems are then mounted by the init helper
   * (inside the user namespace, so that they belong to it), what we create is given to the
   * container's root, and devices are bind-mounted from the host (mknod is not allowed there).
   */
  containerRoot?: { uid: number; gid: number };
  /** Whether the container has a user namespace (containerRoot may still be unset without a root mapping). */
  userns?: boolean;
  /** Where device nodes for a user namespace container are made on the host (its state directory). */
  deviceDir?: string;
}

/** tmpfs, proc, sysfs, devpts, mqueue...: from inside the user namespace when there is one. */
export function mountFilesystem(ctx: RootfsContext, source: string, target: string, fstype: string, flags: number, data: string): void {
  if (ctx.userns || fstype === 'proc') ctx.init.mount(source, target, fstype, flags, data);
  else mount(source, target, fstype, flags, data || null);
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
    const devices: [Device, string, boolean][] = [
      ...DEFAULT_DEVICES.map((d, i): [Device, string, boolean] => [d, `default device ${i}`, true]),
      ...(ctx.config.linux?.devices ?? []).map((d, i): [Device, string, boolean] => [d, `linux.devices[${i}]`, false]),
    ];
    const dirs: DeviceDirs = new Map();
    for (const [device, field, isDefault] of devices) {
      if (ctx.userns) bindDevice(ctx, device, field, isDefault);
      else createDevice(ctx.rootfs, device, field, isDefault, dirs);
    }
    createInRootfs(ctx, () => createDevLinks(ctx.rootfs, dirs));
  }
}

/**
 * The user namespace whose mapping an idmapped mount uses: the mount's own uidMappings and
 * gidMappings (a throwaway init helper makes a user namespace with them), or else the
 * container's user namespace.
 */
function idmapUserNamespace(ctx: RootfsContext, m: Mount, field: string): number {
  if (m.uidMappings?.length || m.gidMappings?.length) {
    if (!m.uidMappings?.length || !m.gidMappings?.length) throw new ConfigError(`${field}: uidMappings and gidMappings go together`);
    const holder = InitProcess.spawn({ stdio: ['devnull', 'devnull', 'devnull'], preservedFds: [] });
    try {
      holder.unshare(CLONE.NEWUSER);
      writeIdMaps(holder.pid, m.uidMappings, m.gidMappings, field);
      return fs.openSync(`/proc/${holder.pid}/ns/user`, fs.constants.O_RDONLY);
    } finally {
      holder.destroy();
      reap(holder.pid);
    }
  }
  if (!ctx.userns) throw new ConfigError(`${field}: "idmap" needs uidMappings/gidMappings on the mount or a user namespace`);
  return fs.openSync(`/proc/${ctx.init.pid}/ns/user`, fs.constants.O_RDONLY);
}

/**
 * In a user namespace no device can be made inside the container: the default devices are the
 * host's nodes bind-mounted (as runc does); a device of linux.devices is made on the host, in the
 * container's state directory, exactly as asked (numbers, mode, owner), and bind-mounted.
 */
function bindDevice(ctx: RootfsContext, device: Device, field: string, isDefault: boolean): void {
  let source = device.path;
  if (!isDefault) {
    if (!ctx.deviceDir) throw new ConfigError(`${field}: no place to make the device for a user namespace container`);
    source = path.join(ctx.deviceDir, `dev-${device.path.replace(/\//g, '_')}`);
    createDevice('/', { ...device, path: source }, field, true);
  } else if (!fs.existsSync(source)) {
    throw new ConfigError(`${field}: ${device.path} does not exist on the host to bind into a user namespace container`);
  }
  const target = secureJoin(ctx.rootfs, device.path);
  ensureTarget(ctx, target, true);
  mount(source, target, null, MS.BIND, null);
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

/**
 * Creates something in the rootfs. Inside a filesystem that the container's user namespace owns
 * (a tmpfs its init mounted) our root is not mapped and the kernel refuses (EOVERFLOW, or EACCES
 * when the namespace was joined): there it is created as the container's root.
 */
export function createInRootfs<T>(ctx: Pick<RootfsContext, 'containerRoot'>, create: () => T): T {
  try {
    return create();
  } catch (err) {
    const owner = ctx.containerRoot;
    const code = (err as NodeJS.ErrnoException).code;
    if (!owner || (code !== 'EOVERFLOW' && code !== 'EACCES')) throw err;
    return withFsIds(owner.uid, owner.gid, create);
  }
}

/** Creates a mount target and its missing parents, one level at a time (see createInRootfs). */
export function ensureTarget(ctx: Pick<RootfsContext, 'containerRoot'>, target: string, asFile: boolean): void {
  const dir = asFile ? path.dirname(target) : target;
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) createInRootfs(ctx, () => fs.mkdirSync(d, { mode: 0o755 }));
  if (asFile && !fs.existsSync(target)) createInRootfs(ctx, () => fs.closeSync(fs.openSync(target, 'a', 0o644)));
}

function mountEntry(ctx: RootfsContext, m: Mount, index: number): void {
  const field = `mounts[${index}]`;
  const options = parseMountOptions(m.options, m.type);
  const target = secureJoin(ctx.rootfs, m.destination);
  try {
    if (options.bind || options.idmap) bindMount(ctx, m, target, options, field);
    else if (!m.type) throw new ConfigError(`${field}.type: required unless options include "bind" or "rbind"`);
    else if (m.type === 'cgroup' || m.type === 'cgroup2') {
      mountCgroups(ctx.cgroups, target, options.flags, {
        mountFs: (source, to, fstype, flags, data) => mountFilesystem(ctx, source, to, fstype, flags, data),
        create: (fn) => createInRootfs(ctx, fn),
      });
    } else {
      ensureTarget(ctx, target, false);
      try {
        mountFilesystem(ctx, m.source ?? m.type, target, m.type, options.flags, options.data);
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

function bindMount(ctx: RootfsContext, m: Mount, target: string, options: ParsedMountOptions, field: string): void {
  const { flags, recursive } = options;
  if (!m.source) throw new ConfigError(`${field}.source: a bind mount needs a source`);
  const source = path.resolve(ctx.bundle, m.source);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new ConfigError(`${field}.source: bind source "${source}" does not exist`);
  }
  ensureTarget(ctx, target, !stat.isDirectory());
  if (options.idmap || m.uidMappings?.length || m.gidMappings?.length) {
    const usernsFd = idmapUserNamespace(ctx, m, field);
    try {
      idmappedBind(source, target, usernsFd, recursive || options.idmap === 'ridmap');
    } catch (err) {
      throw new RuntimeError(`${field}: idmapped mounts of ${source} are not possible here: ${(err as Error).message}`);
    } finally {
      fs.closeSync(usernsFd);
    }
  } else {
    mount(source, target, null, MS.BIND | (recursive ? MS.REC : 0), null);
  }
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
    const file = path.join('/proc/sys', key.includes('/') ? key : key.replace(/\./g, '/'));
    try {
      fs.writeFileSync(file, value);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ConfigError(`linux.sysctl["${key}"]: cannot set it to "${value}": ${file}: ${e.errno ? strerror(-e.errno) : e.code}`);
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
