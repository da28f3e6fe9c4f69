// Picks the cgroup implementation for this host and rebuilds a container's manager from what
// state.json recorded.
import fs = require('node:fs');
import { RuntimeError } from '../errors';
import { hostMountinfo } from './mountinfo';
import { cgroupPathSpec } from './paths';
import type { CgroupManager } from './types';
import { CgroupV1, v1Dirs } from './v1';

/** What state.json keeps to find a container's cgroup again. */
export type CgroupPaths = { version: 1; dirs: Record<string, string> } | { version: 2; root: string; path: string };

const UNIFIED_ROOT = '/sys/fs/cgroup';

/** A v2-only host has the unified hierarchy at /sys/fs/cgroup itself. */
export function isUnifiedHost(mountinfo = hostMountinfo()): boolean {
  return mountinfo.split('\n').some((line) => {
    const fields = line.split(' ');
    return fields[4] === UNIFIED_ROOT && fields[fields.indexOf('-') + 1] === 'cgroup2';
  });
}

export function planCgroups(cgroupsPath: string | undefined, id: string, systemd: boolean): CgroupPaths {
  if (systemd) throw new RuntimeError('--systemd-cgroup: systemd is not running on this host; use cgroupfs paths');
  const spec = cgroupPathSpec(cgroupsPath, id);
  if (isUnifiedHost()) {
    if (spec.relative) {
      const own = fs.readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)?.[1] ?? '/';
      return { version: 2, root: UNIFIED_ROOT, path: `${own.replace(/\/$/, '')}/${spec.path}` };
    }
    return { version: 2, root: UNIFIED_ROOT, path: spec.path };
  }
  return { version: 1, dirs: v1Dirs(spec) };
}

export function cgroupManager(paths: CgroupPaths): CgroupManager {
  if (paths.version === 1) return new CgroupV1(paths.dirs);
  // Loaded only on cgroup v2 hosts.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CgroupV2 } = require('./v2') as typeof import('./v2');
  return new CgroupV2(paths.root, paths.path);
}
