import { kill as killPid } from '../../native/libc';
import { StateError } from '../errors';
import { checkId } from '../ids';
import { parseSignal } from '../signals';
import { cgroupManager } from '../cgroups/manager';
import { openInit, sendSignal } from '../state/processes';
import { statusOf } from '../state/status';
import { type GlobalOptions, storeOf } from './options';
import fs = require('node:fs');

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
    if (all) for (const pid of cgroupManager(state.cgroupPaths).pids()) if (pid !== state.pid) killPid(pid, signal);
    if (!sendSignal(pidfd, signal)) notRunning();
  } finally {
    fs.closeSync(pidfd);
  }
}
