// Where a container's cgroup lives: linux.cgroupsPath as runc reads it. An absolute path is
// taken from the hierarchy's root, a relative one from the runtime's own cgroup in that
// hierarchy; without one, every container gets /mydocker-runtime/<id> (the same id always maps
// to the same place, whoever calls us).
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError } from '../errors';
import { DEFAULT_PARENT } from './fsutil';

export interface CgroupPathSpec {
  /** Normalised, without a trailing slash. */
  path: string;
  relative: boolean;
}

export function cgroupPathSpec(cgroupsPath: string | undefined, id: string): CgroupPathSpec {
  if (!cgroupsPath) return { path: `/${DEFAULT_PARENT}/${id}`, relative: false };
  if (/^[^/]+:[^:]*:[^:]+$/.test(cgroupsPath) && !cgroupsPath.includes('/')) {
    throw new RuntimeError(`linux.cgroupsPath: "${cgroupsPath}" is a systemd slice:prefix:name path; pass --systemd-cgroup (not available here) or use a path`);
  }
  const normalised = path.posix.normalize(cgroupsPath).replace(/\/+$/, '');
  if (normalised.split('/').includes('..')) throw new RuntimeError(`linux.cgroupsPath: "${cgroupsPath}" may not climb with ".."`);
  return { path: normalised === '' ? '/' : normalised, relative: !cgroupsPath.startsWith('/') };
}

/** The calling process' cgroup path per hierarchy key ("memory", "cpu,cpuacct", "name=systemd", "" for v2). */
export function ownCgroups(procSelfCgroup = fs.readFileSync('/proc/self/cgroup', 'utf8')): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of procSelfCgroup.trim().split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    own.set(line.slice(first + 1, second), line.slice(second + 1));
  }
  return own;
}
