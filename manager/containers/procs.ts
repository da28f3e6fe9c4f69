// Is a recorded process still the one we recorded? A pid plus its start time (clock ticks
// after boot) names a process for good: a reused pid has another start time.
import fs = require('node:fs');
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
