import { cgroupManager } from '../cgroups/manager';
import type { LinuxResources } from '../cgroups/types';
import { RuntimeError, StateError } from '../errors';
import { readValidated } from '../json-input';
import { type GlobalOptions, withLockedContainer } from './options';

/** update's per-knob flags, as runc names them. */
export interface UpdateFlags {
  'blkio-weight'?: string;
  'cpu-period'?: string;
  'cpu-quota'?: string;
  'cpu-share'?: string;
  'cpu-rt-period'?: string;
  'cpu-rt-runtime'?: string;
  'cpuset-cpus'?: string;
  'cpuset-mems'?: string;
  memory?: string;
  'memory-reservation'?: string;
  'memory-swap'?: string;
  'pids-limit'?: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes from "100m", "1g", "512" or "-1" (docker's RAMInBytes). */
export function parseBytes(text: string, flag: string): number {
  if (text === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new RuntimeError(`--${flag}: "${text}" is not a size (like 512, 100m or 1g)`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

function parseInteger(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text)) throw new RuntimeError(`--${flag}: "${text}" is not an integer`);
  return Number(text);
}

/** Resources from --resources FILE (or - for stdin), then the flags on top. */
export function resourcesFrom(file: string | undefined, flags: UpdateFlags): LinuxResources {
  let resources: LinuxResources = {};
  if (file !== undefined) resources = readValidated<LinuxResources>(file, 'resources', `--resources ${file}`);
  const int = (flag: keyof UpdateFlags) => (flags[flag] === undefined ? undefined : parseInteger(flags[flag]!, flag));
  const bytes = (flag: keyof UpdateFlags) => (flags[flag] === undefined ? undefined : parseBytes(flags[flag]!, flag));
  const cpu = { ...resources.cpu };
  const set = <T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined) => {
    if (value !== undefined) obj[key] = value;
  };
  set(cpu, 'period', int('cpu-period'));
  set(cpu, 'quota', int('cpu-quota'));
  set(cpu, 'shares', int('cpu-share'));
  set(cpu, 'realtimePeriod', int('cpu-rt-period'));
  set(cpu, 'realtimeRuntime', int('cpu-rt-runtime'));
  set(cpu, 'cpus', flags['cpuset-cpus']);
  set(cpu, 'mems', flags['cpuset-mems']);
  const memory = { ...resources.memory };
  set(memory, 'limit', bytes('memory'));
  set(memory, 'reservation', bytes('memory-reservation'));
  set(memory, 'swap', bytes('memory-swap'));
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (Object.keys(memory).length) resources.memory = memory;
  const weight = int('blkio-weight');
  if (weight !== undefined) resources.blockIO = { ...resources.blockIO, weight };
  const pids = int('pids-limit');
  if (pids !== undefined) resources.pids = { limit: pids };
  return resources;
}

/** update: changes a running (or paused, or created) container's resources. */
export function update(global: GlobalOptions, id: string, resources: LinuxResources): void {
  withLockedContainer(global, id, ({ state, status }) => {
    if (status === 'stopped') throw new StateError('container not running: cannot update a stopped container');
    cgroupManager(state.cgroupPaths).update(resources);
  });
}
