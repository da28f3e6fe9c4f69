// A "cgroup" mount in config.mounts: the container sees its own cgroups under the destination.
// cgroup v1 (and hybrid hosts): a tmpfs with one bind mount per hierarchy, of the container's
// own directory in it; cgroup v2: the container's directory of the unified hierarchy.
import fs = require('node:fs');
import path = require('node:path');
import { mount, MS } from '../../native/libc';

export interface Hierarchy {
  /** Where the host mounts it, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** The container's path inside it. */
  cgroupPath: string;
}

/** The calling process' cgroup hierarchies (read before entering any cgroup namespace). */
export function currentHierarchies(): Hierarchy[] {
  const byController = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers, cgroupPath] = line.split(':');
    byController.set(controllers ?? '', cgroupPath ?? '/');
  }
  const hierarchies: Hierarchy[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    const fstype = fields[sep + 1];
    const mountPoint = fields[4]!;
    if (fstype === 'cgroup2') {
      hierarchies.push({ mountPoint, cgroupPath: byController.get('') ?? '/' });
    } else if (fstype === 'cgroup') {
      const superOptions = (fields[sep + 3] ?? '').split(',');
      const key = [...byController.keys()].find((k) => k !== '' && k.split(',').every((c) => superOptions.includes(c)));
      if (key !== undefined) hierarchies.push({ mountPoint, cgroupPath: byController.get(key)! });
    }
  }
  return hierarchies;
}

export function mountCgroups(hierarchies: readonly Hierarchy[], target: string, flags: number): void {
  fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  const unifiedOnly = hierarchies.length === 1 && hierarchies[0]!.mountPoint === '/sys/fs/cgroup';
  if (unifiedOnly) {
    bindCgroup(hierarchies[0]!, target, flags);
    return;
  }
  mount('tmpfs', target, 'tmpfs', (flags & ~MS.RDONLY) | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755');
  for (const h of hierarchies) {
    if (!h.mountPoint.startsWith('/sys/fs/cgroup/')) continue;
    const sub = path.join(target, path.relative('/sys/fs/cgroup', h.mountPoint));
    fs.mkdirSync(sub, { recursive: true, mode: 0o755 });
    bindCgroup(h, sub, flags);
  }
  if (flags & MS.RDONLY) mount(null, target, null, MS.REMOUNT | flags | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755');
}

function bindCgroup(h: Hierarchy, target: string, flags: number): void {
  mount(path.join(h.mountPoint, h.cgroupPath), target, null, MS.BIND, null);
  mount(null, target, null, MS.BIND | MS.REMOUNT | flags, null);
}
