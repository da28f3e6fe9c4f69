// A lock over one file for a short critical section, shared by every manager process (flock)
// and by concurrent async callers in this one (a promise queue: flock locks of two descriptors
// of one process exclude each other, so a blocking flock would deadlock the event loop).
import fs = require('node:fs');
import path = require('node:path');
import { LOCK_EX, flock, type SyscallError } from '../../native/libc';

const LOCK_NB = 4;
const queues = new Map<string, Promise<unknown>>();

/** flock(LOCK_EX | LOCK_NB): true when taken, false when another descriptor holds it. */
export function tryFlock(fd: number, what: string): boolean {
  try {
    flock(fd, LOCK_EX | LOCK_NB, what);
    return true;
  } catch (err) {
    if ((err as SyscallError).code === 'EWOULDBLOCK' || (err as SyscallError).code === 'EAGAIN') return false;
    throw err;
  }
}

export async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => lockAndRun(file, fn));
  const tail = run.catch(() => undefined);
  queues.set(file, tail);
  try {
    return await run;
  } finally {
    if (queues.get(file) === tail) queues.delete(file);
  }
}

async function lockAndRun<T>(file: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    // another process holds it only for milliseconds: poll rather than block the event loop
    for (let waited = 0; !tryFlock(fd, file); waited += 5) {
      if (waited > 60_000) throw new Error(`${file}: still locked after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return await fn();
  } finally {
    fs.closeSync(fd);
  }
}
