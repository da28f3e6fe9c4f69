// What a container's cgroup says about it: OOM kills (read before the runtime deletes the
// cgroup) and the one-shot figures of `stats`. Works on cgroup v1 (one directory per
// hierarchy) and v2 (one unified directory); the paths come from the runtime's planner, so a
// test can point them at a fake tree.
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { type CgroupPaths, planCgroups } from '../../runtime/cgroups/manager';

export type { CgroupPaths };

export function containerCgroups(cgroupsPath: string, id: string): CgroupPaths {
  return planCgroups(cgroupsPath, id, false);
}

/** The directory of the hierarchy holding `controller` (v1), or the unified directory (v2). */
export function controllerDir(paths: CgroupPaths, controller: string): string | undefined {
  if (paths.version === 2) return path.join(paths.root, paths.path);
  const key = Object.keys(paths.dirs).find((k) => k.split(',').includes(controller));
  return key === undefined ? undefined : paths.dirs[key];
}

function read(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** "key value" lines (memory.stat, memory.events, cpu.stat, memory.oom_control) as a map. */
export function keyValues(text: string | undefined): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) map.set(key, Number(value));
  }
  return map;
}

function file(paths: CgroupPaths, controller: string, name: string): string | undefined {
  const dir = controllerDir(paths, controller);
  return dir === undefined ? undefined : path.join(dir, name);
}

/** How many processes the kernel's OOM killer killed in the cgroup (0 when unknown). */
export function oomKillCount(paths: CgroupPaths): number {
  const name = paths.version === 2 ? 'memory.events' : 'memory.oom_control';
  return keyValues(read(file(paths, 'memory', name))).get('oom_kill') ?? 0;
}

export interface CgroupFigures {
  /** total CPU time, nanoseconds */
  cpuNanos: number;
  /** memory in use, without the inactive page cache (docker's figure) */
  memoryUsage: number;
  /** the limit; the host's memory when there is none */
  memoryLimit: number;
  pids: number;
  blockRead: number;
  blockWrite: number;
}

const UNLIMITED_V1 = 2 ** 62; // v1 reports "no limit" as a page-rounded 2^63-1

function limitOrHost(value: number | undefined): number {
  const host = os.totalmem();
  return value === undefined || value >= UNLIMITED_V1 || value > host ? host : value;
}

function number(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/** v1 blkio.throttle.io_service_bytes: "MAJ:MIN Read N" lines. */
function blkioV1(text: string | undefined): [number, number] {
  let r = 0;
  let w = 0;
  for (const line of (text ?? '').split('\n')) {
    const [, op, value] = line.trim().split(/\s+/);
    if (op === 'Read') r += Number(value);
    else if (op === 'Write') w += Number(value);
  }
  return [r, w];
}

/** v2 io.stat: "MAJ:MIN rbytes=N wbytes=N ..." lines. */
function ioStatV2(text: string | undefined): [number, number] {
  let r = 0;
  let w = 0;
  for (const line of (text ?? '').split('\n')) {
    for (const field of line.trim().split(/\s+/).slice(1)) {
      const [key, value] = field.split('=');
      if (key === 'rbytes') r += Number(value);
      else if (key === 'wbytes') w += Number(value);
    }
  }
  return [r, w];
}

export function readCgroupFigures(paths: CgroupPaths): CgroupFigures {
  if (paths.version === 2) {
    const stat = keyValues(read(file(paths, 'memory', 'memory.stat')));
    const current = number(read(file(paths, 'memory', 'memory.current'))) ?? 0;
    const [blockRead, blockWrite] = ioStatV2(read(file(paths, 'io', 'io.stat')));
    return {
      cpuNanos: (keyValues(read(file(paths, 'cpu', 'cpu.stat'))).get('usage_usec') ?? 0) * 1000,
      memoryUsage: Math.max(0, current - (stat.get('inactive_file') ?? 0)),
      memoryLimit: limitOrHost(number(read(file(paths, 'memory', 'memory.max')))),
      pids: number(read(file(paths, 'pids', 'pids.current'))) ?? 0,
      blockRead,
      blockWrite,
    };
  }
  const stat = keyValues(read(file(paths, 'memory', 'memory.stat')));
  const usage = number(read(file(paths, 'memory', 'memory.usage_in_bytes'))) ?? 0;
  const [blockRead, blockWrite] = blkioV1(read(file(paths, 'blkio', 'blkio.throttle.io_service_bytes')));
  return {
    cpuNanos: number(read(file(paths, 'cpuacct', 'cpuacct.usage'))) ?? 0,
    memoryUsage: Math.max(0, usage - (stat.get('total_inactive_file') ?? 0)),
    memoryLimit: limitOrHost(number(read(file(paths, 'memory', 'memory.limit_in_bytes')))),
    pids: number(read(file(paths, 'pids', 'pids.current'))) ?? 0,
    blockRead,
    blockWrite,
  };
}

/** Bytes received and sent on the container's interfaces (not lo), from /proc/PID/net/dev. */
export function networkBytes(pid: number, procRoot = '/proc'): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of (read(path.join(procRoot, String(pid), 'net', 'dev')) ?? '').split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    rx += fields[0] ?? 0;
    tx += fields[8] ?? 0;
  }
  return { rx, tx };
}
