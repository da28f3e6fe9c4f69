import { becomeSubreaper, kill as killPid } from '../../native/libc';
import { SIGNALS } from '../../native/linux-constants';
import { RuntimeError } from '../errors';
import { proxyConsole } from '../linux/console';
import { log } from '../log';
import { type CreateOptions, create } from './create';
import { destroy, killAndWait } from './delete';
import { type GlobalOptions, storeOf } from './options';
import { start } from './start';
import type { StoredState } from '../state/store';

export interface RunOptions extends CreateOptions {
  detach: boolean;
  /** Library callers (foreground): the container's process runs (signals are forwarded from now on). */
  started?(state: StoredState): void;
  /** Library callers (foreground): the process has exited; the cgroup is still there (e.g. its OOM count). */
  beforeDestroy?(state: StoredState): void;
  /**
   * Library callers: awaited between create and start, e.g. a network being attached while the
   * container was created. A rejection ends the run as a failed start (nothing left behind).
   */
  beforeStart?(): Promise<void>;
}

/** Signals a foreground `run` passes on to the container, as runc does. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** run: create + start; in the foreground waits and returns the container's exit status. */
export async function run(global: GlobalOptions, options: RunOptions): Promise<number> {
  // With a new user and PID namespace the init is forked by the helper, which then exits: as a
  // subreaper we still become its parent and can wait for it (runc does the same).
  if (!options.detach) becomeSubreaper();
  const created = create(global, { ...options, keepConsole: !options.detach && !options.consoleSocket });
  const store = storeOf(global);
  // Watch for the exit before start: the program may finish at once. Detached, the init is the
  // caller's to reap.
  const exited = options.detach ? undefined : created.init.waitExit();
  // The proxy gives the pty our window size: before start, so the program sees it at once.
  const stopProxy = !options.detach && created.consoleMaster !== undefined ? proxyConsole(created.consoleMaster) : undefined;
  try {
    await options.beforeStart?.();
    start(global, options.id);
  } catch (err) {
    stopProxy?.();
    killAndWait(created.state);
    destroy(store, created.state);
    throw err;
  }
  if (options.detach) return 0;
  const forward = (signal: NodeJS.Signals) => {
    killPid(created.init.pid, SIGNALS[signal]!);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  let status: number;
  try {
    options.started?.(created.state);
    status = await exited!;
  } finally {
    // Whatever happened while waiting, the container goes: no state, cgroup or process is left.
    stopProxy?.();
    for (const signal of FORWARDED) process.off(signal, forward);
    try {
      options.beforeDestroy?.(created.state);
    } catch (err) {
      log('warn', `before cleaning up after the container: ${(err as Error).message}`);
    }
    const lock = store.lock(options.id);
    try {
      killAndWait(created.state);
      destroy(store, created.state);
    } catch (err) {
      log('warn', `cleaning up after the container: ${(err as Error).message}`);
      throw err instanceof RuntimeError ? err : new RuntimeError((err as Error).message);
    } finally {
      lock.release();
    }
  }
  return status;
}
