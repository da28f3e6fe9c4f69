// Locks that hold across processes (flock on a directory) and across the async operations of
// one process (flock locks belong to open file descriptions: two operations in the same process
// would otherwise block each other's event loop forever).
import fs = require('node:fs');
import { flock, LOCK_EX, SyscallError } from '../../native/libc';

const LOCK_NB = 4;
const queues = new Map<string, Promise<void>>();

/** Joins the in-process queue of `dir`: resolves `turn` when it is ours; call done() after. */
function enqueue(dir: string): { turn: Promise<void>; done: () => void } {
  const previous = queues.get(dir) ?? Promise.resolve();
  let release!: () => void;
  const mine = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
  queues.set(dir, mine);
  return {
    turn: previous,
    done: () => {
      release();
      if (queues.get(dir) === mine) queues.delete(dir);
    },
  };
}

/** Opens and flocks `dir`; undefined when `wait` is false and someone holds it (or it is gone). */
function lockFd(dir: string, wait: boolean): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    if (!wait && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB, dir);
    return fd;
  } catch (err) {
    fs.closeSync(fd);
    if (!wait && err instanceof SyscallError && (err.code === 'EWOULDBLOCK' || err.code === 'EAGAIN')) return undefined;
    throw err;
  }
}

async function holding<T>(dir: string, wait: boolean, fn: () => Promise<T>): Promise<T | undefined> {
  if (!wait && queues.has(dir)) return undefined;
  const { turn, done } = enqueue(dir);
  try {
    await turn;
    const fd = lockFd(dir, wait);
    if (fd === undefined) return undefined;
    try {
      return await fn();
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    done();
  }
}

/** Runs fn while holding the lock on `dir` (which must exist: ENOENT is thrown as is). */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  return (await holding(dir, true, fn)) as T;
}

/**
 * Like withDirLock, but gives up at once when someone holds the lock (or `dir` is gone):
 * returns undefined without running fn (listings must not wait for a slow start or stop).
 */
export function tryDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T | undefined> {
  return holding(dir, false, fn);
}

/** A short synchronous critical section under the lock on `dir` (not for dirs locked by async code in this process). */
export function withDirLockSync<T>(dir: string, fn: () => T): T {
  const fd = lockFd(dir, true)!;
  try {
    return fn();
  } finally {
    fs.closeSync(fd);
  }
}
