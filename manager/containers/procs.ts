// Is a recorded process still the one we recorded? A pid plus its start time (clock ticks
// after boot) names a process for good: a reused pid has another start time.
import fs = require('node:fs');
import { pidfdOpen, pidfdSendSignal, SyscallError } from '../../native/libc';
import { readProcStat } from '../../runtime/state/status';

/** The start time of a live (not zombie) process, or undefined. */
export function liveStartTime(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  return stat.startTime;
}

export function processAlive(pid: number, startTime: number | undefined): boolean {
  const now = liveStartTime(pid);
  return now !== undefined && (startTime === undefined || now === startTime);
}

let ownStart: number | undefined;
export function ownStartTime(): number {
  ownStart ??= liveStartTime(process.pid) ?? 0;
  return ownStart;
}

/** The pid in a pid file, or undefined. */
export function readPidFile(file: string | undefined): number | undefined {
  if (!file) return undefined;
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends a signal to the process `pid` if it is still the one that started at `startTime`
 * (checked after opening a pidfd, so the pid cannot be reused in between). True when sent,
 * false when the process is gone, undefined when pidfds are not available.
 */
export function signalProcess(pid: number, startTime: number, signal: number): boolean | undefined {
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch (err) {
    if (err instanceof SyscallError && err.code === 'ESRCH') return false;
    return undefined;
  }
  try {
    if (liveStartTime(pid) !== startTime) return false;
    pidfdSendSignal(pidfd, signal);
    return true;
  } catch (err) {
    if (err instanceof SyscallError && err.code === 'ESRCH') return false;
    throw err;
  } finally {
    fs.closeSync(pidfd);
  }
}
