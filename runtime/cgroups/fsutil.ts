// Small synchronous helpers for cgroup files: writes that name what failed, and sleeping
// without leaving the main thread (the runtime may be inside other namespaces).
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError } from '../errors';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Writes a cgroup file; the error names the config field, the value and the file. */
export function writeCgroupFile(file: string, value: string, field: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new RuntimeError(`${field}: writing "${value}" to ${file}: ${e.code === 'ENOENT' ? 'no such file (not supported by this kernel?)' : e.code}`);
  }
}

/**
 * Opens `file` here and writes `value` to it on a libuv worker thread, closing it afterwards;
 * false if it cannot be opened. Best effort: a failed write is not reported.
 */
export function writeInBackground(file: string, value: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch {
    return false;
  }
  fs.write(fd, value, () => fs.closeSync(fd));
  return true;
}

/**
 * A head start for moving a process into a cgroup: the writes to cgroup.procs run on libuv's
 * worker threads while the caller goes on (the kernel's first migration after a quiet spell waits
 * for an RCU grace period, 6-32 ms measured here), and `finish` then makes the move synchronously.
 * That second write of the same pid is a no-op once the first is done, and waits for it (on
 * cgroup_mutex) while it is not: it is the barrier, and its errors are the ones reported. The
 * files are opened on the calling thread, so only open descriptors cross to the workers.
 */
export class JoinHeadStart {
  private pid: number | undefined;

  start(files: readonly string[], pid: number): void {
    this.pid = pid;
    const data = String(pid);
    // A file that cannot be opened is left to finish(), which reports it.
    for (const file of files) writeInBackground(file, data);
  }

  /** Moves the process synchronously if start() was called; forgets it. */
  finish(addProcess: (pid: number) => void): void {
    const pid = this.pid;
    this.pid = undefined;
    if (pid !== undefined) addProcess(pid);
  }
}

export function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function readPids(file: string): number[] {
  const text = readTrimmed(file);
  if (!text) return [];
  return text.split('\n').map(Number).filter((n) => n > 0);
}

/** rmdir with retries: the kernel keeps a cgroup busy for a moment after its last process exits. */
export function removeCgroupDir(dir: string, attempts = 50): void {
  for (let i = 0; ; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i >= attempts) throw new RuntimeError(`removing cgroup ${dir}: ${code}`);
      sleepMs(20);
    }
  }
}

/** mkdir -p, again if a concurrent delete removed a shared parent in between. */
export function makeCgroupDir(dir: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) {
        throw new RuntimeError(`creating cgroup ${dir}: ${(err as NodeJS.ErrnoException).code}`);
      }
    }
  }
}

/** The parent of containers without a cgroupsPath (see paths.ts): removed once empty. */
export const DEFAULT_PARENT = 'mydocker-runtime';

export function removeDefaultParent(dir: string): void {
  const parent = path.dirname(dir);
  if (path.basename(parent) !== DEFAULT_PARENT) return;
  try {
    fs.rmdirSync(parent);
  } catch {
    // another container still uses it (EBUSY/ENOTEMPTY), or it is gone already
  }
}
