// Signalling a container's processes without ever hitting a reused pid: the init is opened as
// a pidfd and checked against its recorded start time before anything is sent.
import fs = require('node:fs');
import { pidfdOpen, pidfdSendSignal, pollReadable, SyscallError } from '../../native/libc';
import { readProcStat } from './status';
import type { StoredState } from './store';

/** A pidfd for the container's init, or undefined when it is gone. */
export function openInit(state: StoredState): number | undefined {
  let fd: number;
  try {
    fd = pidfdOpen(state.pid);
  } catch {
    return undefined;
  }
  const stat = readProcStat(state.pid);
  if (!stat || stat.startTime !== state.initStartTime) {
    fs.closeSync(fd);
    return undefined;
  }
  return fd;
}

/** Sends a signal through a pidfd; false if the process has gone in the meantime. */
export function sendSignal(pidfd: number, signal: number): boolean {
  try {
    pidfdSendSignal(pidfd, signal);
    return true;
  } catch (err) {
    if (err instanceof SyscallError && err.code === 'ESRCH') return false;
    throw err;
  }
}

/** Waits until the process behind the pidfd has exited; false on time-out. */
export function waitForExit(pidfd: number, timeoutMs: number): boolean {
  return pollReadable(pidfd, timeoutMs);
}

function nsOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/**
 * The host pids of the container's processes other than its init: everything in its PID
 * namespace when it has its own (cgroups will give the exact set for shared namespaces).
 */
export function otherProcesses(state: StoredState): number[] {
  if (!state.ownPidNamespace) return [];
  const ns = nsOf(state.pid);
  if (!ns) return [];
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid !== state.pid && nsOf(pid) === ns) pids.push(pid);
  }
  return pids;
}
