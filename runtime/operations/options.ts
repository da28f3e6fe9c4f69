import { checkId } from '../ids';
import type { Status } from '../spec/types';
import { statusOf } from '../state/status';
import { ContainerStore, type StoredState } from '../state/store';

/** The global flags every operation sees. */
export interface GlobalOptions {
  root: string;
  systemdCgroup: boolean;
  rootless: string;
}

export function storeOf(global: GlobalOptions): ContainerStore {
  return new ContainerStore(global.root);
}

export interface LockedContainer {
  store: ContainerStore;
  state: StoredState;
  status: Status;
}

/** Runs `fn` on a container while holding its lock (the operations that change it). */
export function withLockedContainer<T>(global: GlobalOptions, id: string, fn: (container: LockedContainer) => T): T {
  checkId(id);
  const store = storeOf(global);
  const lock = store.lock(id);
  try {
    const state = store.read(id);
    return fn({ store, state, status: statusOf(store, state) });
  } finally {
    lock.release();
  }
}
