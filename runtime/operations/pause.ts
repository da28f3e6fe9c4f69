import { cgroupManager } from '../cgroups/manager';
import { StateError } from '../errors';
import { type GlobalOptions, withLockedContainer } from './options';

/** pause: freezes every process of a running container (the freezer cgroup). */
export function pause(global: GlobalOptions, id: string): void {
  withLockedContainer(global, id, ({ state, status }) => {
    if (status !== 'running') throw new StateError(`container not running: cannot pause a ${status} container`);
    cgroupManager(state.cgroupPaths).freeze();
  });
}

/** resume: thaws a paused container. */
export function resume(global: GlobalOptions, id: string): void {
  withLockedContainer(global, id, ({ state, status }) => {
    if (status !== 'paused') throw new StateError(`container not paused: cannot resume a ${status} container`);
    cgroupManager(state.cgroupPaths).thaw();
  });
}
