// One writer per blob download, across processes: an flock on <ingest>/<hex>.lock. Two pulls of
// the same image at once each take the lock per blob; the second waits (without blocking its
// event loop: LOCK_NB and a short sleep), then finds the blob committed and skips it. The holder
// deletes the lock file before unlocking; a waiter that locked a deleted file tries again.
import fs = require('node:fs');
import os = require('node:os');
import { flock, LOCK_EX, SyscallError } from '../../../native/libc';
import { removeFile } from '../../system/remove-file';

const LOCK_NB = 4;

export async function lockIngest(file: string, onWait?: () => void, signal?: AbortSignal): Promise<() => void> {
  let waited = false;
  for (let delay = 20; ; delay = Math.min(delay * 2, 400)) {
    signal?.throwIfAborted();
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      flock(fd, LOCK_EX | LOCK_NB, file);
    } catch (err) {
      fs.closeSync(fd);
      if (!(err instanceof SyscallError) || err.errno !== os.constants.errno.EWOULDBLOCK) throw err;
      if (!waited) onWait?.();
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, delay));
      continue;
    }
    let current: fs.Stats | undefined;
    try {
      current = fs.statSync(file);
    } catch {
      current = undefined;
    }
    if (current?.ino !== fs.fstatSync(fd).ino) {
      fs.closeSync(fd); // the previous holder removed it: lock the new one
      continue;
    }
    return () => {
      removeFile(file);
      fs.closeSync(fd);
    };
  }
}
