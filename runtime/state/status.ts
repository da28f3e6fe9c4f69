// A container's status is derived from the live system, never stored: the init process
// (checked against its start time, so a reused pid is not mistaken for it) and the exec fifo.
import fs = require('node:fs');
import { cgroupManager } from '../cgroups/manager';
import type { Status } from '../spec/types';
import type { ContainerStore, StoredState } from './store';

export interface ProcStat {
  state: string;
  ppid: number;
  startTime: number;
}

/** Parses /proc/PID/stat; undefined when the process does not exist. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '?', ppid: Number(rest[1]), startTime: Number(rest[19]) };
}

/** True when pid is still the container's init and has not exited. */
export function initAlive(state: StoredState): boolean {
  const stat = readProcStat(state.pid);
  return stat !== undefined && stat.startTime === state.initStartTime && stat.state !== 'Z' && stat.state !== 'X';
}

export function statusOf(store: ContainerStore, state: StoredState): Status {
  if (!initAlive(state)) return 'stopped';
  if (fs.existsSync(store.fifoPath(state.id))) return 'created';
  if (cgroupManager(state.cgroupPaths).isFrozen()) return 'paused';
  return 'running';
}
