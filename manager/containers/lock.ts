// Locks that hold across processes (flock on a directory) and across the async operations of
// one process (flock locks belong to open file descriptions: two operations in the same process
// would otherwise block each other's event loop forever).
import fs = require('node:fs');
import { flock, LOCK_EX, SyscallError } from '../../native/libc';

const LOCK_NB = 4;
const queues = new Map<string, Promise<void>>();

function openDir(dir: string): number {
  return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
}

/** Runs fn while holding the lock on `dir` (which must exist: ENOENT is thrown as is). */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(dir) ?? Promise.resolve();
  let release!: () => void;
  const mine = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
  queues.set(dir, mine);
  await previous;
  try {
    const fd = openDir(dir);
    try {
      flock(fd, LOCK_EX, dir);
      return await fn();
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    release();
    if (queues.get(dir) === mine) queues.delete(dir);
  }
}

/**
 * Like withDirLock, but gives up at once when someone holds the lock: returns undefined
 * without running fn (used by listings, which must not wait for a slow start or stop).
 */
export async function tryDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (queues.has(dir)) return undefined;
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  queues.set(dir, mine);
  try {
    let fd: number;
    try {
      fd = openDir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      try {
        flock(fd, LOCK_EX | LOCK_NB, dir);
      } catch (err) {
        if (err instanceof SyscallError && (err.code === 'EWOULDBLOCK' || err.code === 'EAGAIN')) return undefined;
        throw err;
      }
      return await fn();
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    release();
    if (queues.get(dir) === mine) queues.delete(dir);
  }
}

/** A short synchronous critical section under the lock on `dir`. */
export function withDirLockSync<T>(dir: string, fn: () => T): T {
  const fd = openDir(dir);
  try {
    flock(fd, LOCK_EX, dir);
    return fn();
  } finally {
    fs.closeSync(fd);
  }
}
