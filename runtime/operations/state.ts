import { checkId } from '../ids';
import type { State } from '../spec/types';
import { statusOf } from '../state/status';
import type { ContainerStore, StoredState } from '../state/store';
import { type GlobalOptions, storeOf } from './options';

/** What `state` and `list --format json` print: runc's fields, pid 0 once stopped. */
export function publicState(store: ContainerStore, stored: StoredState): State {
  const status = statusOf(store, stored);
  return {
    ociVersion: stored.ociVersion,
    id: stored.id,
    pid: status === 'stopped' ? 0 : stored.pid,
    status,
    bundle: stored.bundle,
    rootfs: stored.rootfs,
    created: stored.created,
    owner: stored.owner,
    ...(stored.annotations ? { annotations: stored.annotations } : {}),
  };
}

export function state(global: GlobalOptions, id: string): State {
  checkId(id);
  const store = storeOf(global);
  return publicState(store, store.read(id));
}
