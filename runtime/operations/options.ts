import { ContainerStore } from '../state/store';

/** The global flags every operation sees. */
export interface GlobalOptions {
  root: string;
  systemdCgroup: boolean;
  rootless: string;
}

export function storeOf(global: GlobalOptions): ContainerStore {
  return new ContainerStore(global.root);
}
