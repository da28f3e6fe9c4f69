import { StateError } from '../errors';
import { checkId } from '../ids';
import { cgroupManager } from '../cgroups/manager';
import { statusOf } from '../state/status';
import { type GlobalOptions, storeOf } from './options';

/** pause: freezes every process of a running container (the freezer cgroup). */
export function pause(global: GlobalOptions, id: string): void {
  checkId(id);
  const store = storeOf(global);
  const lock = store.lock(id);
  try {
    const state = store.read(id);
    const status = statusOf(store, state);
    if (status !== 'running') throw new StateError(`container not running: cannot pause a ${status} container`);
    cgroupManager(state.cgroupPaths).freeze();
  } finally {
    lock.release();
  }
}

/** resume: thaws a paused container. */
export function resume(global: GlobalOptions, id: string): void {
  checkId(id);
  const store = storeOf(global);
  const lock = store.lock(id);
  try {
    const state = store.read(id);
    const status = statusOf(store, state);
    if (status !== 'paused') throw new StateError(`container not paused: cannot resume a ${status} container`);
    cgroupManager(state.cgroupPaths).thaw();
  } finally {
    lock.release();
  }
}
