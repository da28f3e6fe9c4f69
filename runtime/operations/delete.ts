import fs = require('node:fs');
import { RuntimeError, StateError } from '../errors';
import { checkId } from '../ids';
import { hookState, runHooksWarning } from '../linux/hooks';
import { log } from '../log';
import { cgroupManager } from '../cgroups/manager';
import { openInit, sendSignal, waitForExit } from '../state/processes';
import { statusOf } from '../state/status';
import type { ContainerStore, StoredState } from '../state/store';
import { type GlobalOptions, storeOf } from './options';

const EXIT_WAIT_MS = 10_000;

/**
 * SIGKILLs every process of the container, waits for the init to be gone, and removes the
 * container's cgroup (which kills whatever is still in it first).
 */
export function killAndWait(state: StoredState): void {
  const pidfd = openInit(state);
  try {
    if (pidfd !== undefined) sendSignal(pidfd, 9);
    cgroupManager(state.cgroupPaths).destroy();
    if (pidfd !== undefined && !waitForExit(pidfd, EXIT_WAIT_MS)) {
      throw new RuntimeError(`container init (pid ${state.pid}) did not exit within ${EXIT_WAIT_MS / 1000}s of SIGKILL`);
    }
  } finally {
    if (pidfd !== undefined) fs.closeSync(pidfd);
  }
}

/**
 * Removes what the container left: its state directory (namespaces and mounts died with the
 * init); then the poststop hooks, whose failures are only warnings (runtime.md, step 12).
 */
export function destroy(store: ContainerStore, state: StoredState): void {
  store.remove(state.id);
  log('debug', `container ${state.id} deleted`);
  runHooksWarning('poststop', state.hooks, hookState(state, 'stopped'));
}

/** delete: a stopped or created container goes; a running one only with --force. */
export function deleteContainer(global: GlobalOptions, id: string, force: boolean): void {
  checkId(id);
  const store = storeOf(global);
  if (force && !store.exists(id)) return; // runc: delete --force of an unknown id succeeds
  const lock = store.lock(id);
  try {
    const state = store.read(id);
    const status = statusOf(store, state);
    if ((status === 'running' || status === 'paused') && !force) {
      throw new StateError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    killAndWait(state);
    destroy(store, state);
  } finally {
    lock.release();
  }
}
