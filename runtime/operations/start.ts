import fs = require('node:fs');
import { RuntimeError, StateError } from '../errors';
import { hasHooks, HookError, hookState, runHooks } from '../linux/hooks';
import { enterNamespacesOf, HostNamespaces } from '../linux/namespaces';
import type { NamespaceType } from '../spec/types';
import type { StoredState } from '../state/store';
import { killAndWait } from './delete';
import { type GlobalOptions, withLockedContainer } from './options';

/** start: releases the init blocked on the exec fifo, which then execs the user program. */
export function start(global: GlobalOptions, id: string): void {
  withLockedContainer(global, id, ({ store, state, status }) => {
    if (status === 'stopped') throw new StateError('cannot start a container that has stopped');
    if (status !== 'created') throw new StateError(`cannot start an already ${status} container`);
    // runtime.md: a failing startContainer hook stops the container (delete then runs poststop).
    stopOnHookFailure(state, () => runStartContainerHooks(state));
    const fifo = store.fifoPath(id);
    let fd: number;
    try {
      // Non-blocking: if the init died in between there is no reader, and this fails at once.
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch {
      throw new StateError('cannot start a container that has stopped');
    }
    try {
      fs.writeSync(fd, '0');
    } catch (err) {
      throw new RuntimeError(`cannot start the container: writing the exec fifo: ${(err as Error).message}`);
    } finally {
      fs.closeSync(fd);
    }
    // unlink, not fs.rmSync: rmSync loads Node's rimraf module at its first call (about 2 ms)
    try {
      fs.unlinkSync(fifo);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // runtime-spec (main): a failing poststart hook is an error, and the container is stopped.
    stopOnHookFailure(state, () => runHooks('poststart', state.hooks, hookState(state, 'running')));
  });
}

function stopOnHookFailure(state: StoredState, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (err instanceof HookError) killAndWait(state);
    throw err;
  }
}

/** startContainer hooks: in the container's namespaces, before its program runs. */
function runStartContainerHooks(state: StoredState): void {
  if (!hasHooks(state.hooks, 'startContainer')) return;
  const types: NamespaceType[] = ['pid', 'network', 'ipc', 'uts', 'cgroup', 'mount'];
  const host = new HostNamespaces(types);
  try {
    enterNamespacesOf(state.pid, types);
    runHooks('startContainer', state.hooks, hookState(state, 'created'));
  } finally {
    host.restore();
    host.close();
    process.chdir(process.cwd());
  }
}
