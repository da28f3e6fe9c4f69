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
