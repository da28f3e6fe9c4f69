import fs = require('node:fs');
import { kill as killPid } from '../../native/libc';
import { cgroupManager } from '../cgroups/manager';
import type { CgroupManager } from '../cgroups/types';
import { StateError } from '../errors';
import { checkId } from '../ids';
import { log } from '../log';
import { parseSignal } from '../signals';
import { openInit, sendSignal } from '../state/processes';
import { statusOf } from '../state/status';
import { type GlobalOptions, storeOf } from './options';

/**
 * --all: every process of the cgroup gets the signal while the cgroup is frozen, so that none
 * can react to another's death before its own signal arrives (a shell whose `wait` returns would
 * otherwise exit 0 instead of dying of SIGKILL), as runc does.
 */
function signalAll(cgroup: CgroupManager, initPidfd: number, initPid: number, signal: number): void {
  let froze = false;
  if (!cgroup.isFrozen()) {
    try {
      cgroup.freeze();
      froze = true;
    } catch (err) {
      log('debug', `kill --all without freezing: ${(err as Error).message}`);
    }
  }
  try {
    sendSignal(initPidfd, signal);
    for (const pid of cgroup.pids()) if (pid !== initPid) killPid(pid, signal);
  } finally {
    if (froze) cgroup.thaw();
  }
}

/** kill: sends a signal to the init (and with --all to every process of the container). */
export function kill(global: GlobalOptions, id: string, signalText: string | undefined, all: boolean): void {
  checkId(id);
  const signal = parseSignal(signalText ?? 'SIGTERM');
  const store = storeOf(global);
  const state = store.read(id);
  const notRunning = () => {
    // runc: `kill --all` of a stopped container is not an error.
    if (!all) throw new StateError('container not running');
  };
  if (statusOf(store, state) === 'stopped') return notRunning();
  const pidfd = openInit(state);
  if (pidfd === undefined) return notRunning();
  try {
    if (all) signalAll(cgroupManager(state.cgroupPaths), pidfd, state.pid, signal);
    else if (!sendSignal(pidfd, signal)) notRunning();
  } finally {
    fs.closeSync(pidfd);
  }
}
