// A "cgroup" mount in config.mounts: the container sees its own cgroups under the destination.
// cgroup v1 (and hybrid hosts): a tmpfs with one bind mount per hierarchy, of the container's
// own directory in it (and links for co-mounted controllers, e.g. cpu -> cpu,cpuacct);
// cgroup v2: the container's directory of the unified hierarchy.
import fs = require('node:fs');
import path = require('node:path');
import { mount, MS } from '../../native/libc';
import type { CgroupPaths } from '../cgroups/manager';
import { v1Hierarchies } from '../cgroups/v1';

/** How the rootfs set-up makes a filesystem and creates files (see rootfs.ts: user namespaces). */
export interface RootfsOps {
  mountFs(source: string, target: string, fstype: string, flags: number, data: string): void;
  create<T>(create: () => T): T;
}

export function mountCgroups(paths: CgroupPaths, target: string, flags: number, ops: RootfsOps): void {
  // One level at a time: a recursive mkdir reports the kernel's EOVERFLOW as ENOENT.
  const mkdir = (dir: string) => fs.existsSync(dir) || ops.create(() => fs.mkdirSync(dir, { mode: 0o755 }));
  mkdir(target);
  if (paths.version === 2) {
    bindCgroup(path.join(paths.root, paths.path), target, flags);
    return;
  }
  ops.mountFs('tmpfs', target, 'tmpfs', (flags & ~MS.RDONLY) | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755');
  for (const h of v1Hierarchies()) {
    const dir = paths.dirs[h.key];
    // A hybrid host's unified mount is left out, as runc does.
    if (!dir || h.key === '' || !h.mountPoint.startsWith('/sys/fs/cgroup/')) continue;
    const name = path.relative('/sys/fs/cgroup', h.mountPoint);
    const sub = path.join(target, name);
    mkdir(sub);
    bindCgroup(dir, sub, flags);
    if (name.includes(',')) {
      for (const controller of name.split(',')) ops.create(() => fs.symlinkSync(name, path.join(target, controller)));
    }
  }
  if (flags & MS.RDONLY) mount(null, target, null, MS.REMOUNT | flags | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755');
}

function bindCgroup(source: string, target: string, flags: number): void {
  mount(source, target, null, MS.BIND, null);
  mount(null, target, null, MS.BIND | MS.REMOUNT | flags, null);
}
