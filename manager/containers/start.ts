// docker start: a created or exited container started again, detached under conmon; the
// preparation and undo that a foreground run shares.
import fs = require('node:fs');
import path = require('node:path');
import type { Context } from '../context';
import { ConflictError, ManagerError, messageOf } from '../errors';
import { launchConmon, MONITOR_FILES } from './monitor';
import { liveStartTime } from './procs';
import { deleteFromRuntime, isActive, reconcileLocked, runStopHooks } from './reconcile';
import { callRuntime, check } from './runtime-client';
import { type ContainerStore, now, storeOf } from './store';
import type { ContainerRecord, LifecycleOptions } from './types';

/**
 * Prepares a start (lock held): leftovers of the last run go, the hooks run; the record is
 * marked as having pending stop hooks. Resolves to what must be awaited before the runtime
 * starts the container (the network, attached meanwhile; it sets record.network). On failure
 * the caller undoes the hooks (failStart), once that promise has settled.
 */
export async function beginStart(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions): Promise<StartReady> {
  await deleteFromRuntime(ctx, record.id);
  for (const file of MONITOR_FILES) fs.rmSync(path.join(record.bundle, file), { force: true });
  delete record.state.error;
  record.stopHooksPending = true;
  store.write(record);
  const patch = await lc.hooks?.beforeStart?.(record, ctx);
  if (patch && patch.network) record.network = patch.network;
  const pending = patch ? patch.pendingNetwork : undefined;
  if (!pending) return { ready: Promise.resolve(), networkLater: false };
  const ready = pending.then((network) => {
    record.network = network;
  });
  ready.catch(() => undefined); // awaited later (preparationFailure): never an unhandled rejection
  return { ready, networkLater: true };
}

export interface StartReady {
  /** resolves when the container may start (record.network is set then); rejects when its preparation failed */
  ready: Promise<void>;
  /** record.network comes with `ready`, after the record was written */
  networkLater: boolean;
}

/** Undoes a failed start (lock held): the runtime's container, the hooks; the error is recorded. */
export async function failStart(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions, err: unknown): Promise<void> {
  try {
    await deleteFromRuntime(ctx, record.id);
  } catch {
    /* reported by the original error; reconcile retries */
  }
  const exitCode = err instanceof ManagerError && err.exitCode !== 125 ? err.exitCode : 125;
  record.state = {
    ...record.state,
    status: record.state.startedAt ? 'exited' : 'created',
    pid: 0,
    exitCode,
    error: messageOf(err),
  };
  delete record.state.pidFile;
  delete record.state.pidStartTime;
  store.write(record);
  await runStopHooks(ctx, store, record, lc);
}

export function checkStartable(record: ContainerRecord): void {
  if (record.state.status === 'removing' || record.state.status === 'dead') {
    throw new ConflictError(`container ${record.name} is being removed and cannot be started`);
  }
}

/** Starts a created or exited container, detached under conmon. A running one is left alone. */
export async function startContainer(ctx: Context, ref: string, lc: LifecycleOptions = {}): Promise<ContainerRecord> {
  const store = storeOf(ctx);
  const id = store.resolve(ref);
  return store.locked(id, async () => {
    const record = await reconcileLocked(ctx, store, store.read(id), lc);
    if (isActive(record)) return record;
    checkStartable(record);
    let prepared: StartReady | undefined;
    try {
      prepared = await beginStart(ctx, store, record, lc);
      // Not overlapped with the runtime's create (as the foreground run does): a failed network
      // would leave conmon and its exit command to wait for; conmon starts once it is attached.
      await prepared.ready;
      const launched = await launchConmon(ctx, {
        id,
        dir: record.bundle,
        logPath: record.logPath,
        tty: record.config.tty === true,
        stdin: record.config.interactive === true,
        ...(lc.exitCommand ? { exitCommand: lc.exitCommand } : {}),
        ...(lc.conmon ? { conmon: lc.conmon } : {}),
      });
      const pidStartTime = liveStartTime(launched.containerPid);
      const monitorStart = liveStartTime(launched.conmonPid);
      const startedAt = now();
      check(await callRuntime(ctx, ['start', id]), 'starting the container');
      record.state = {
        status: 'running',
        pid: launched.containerPid,
        ...(pidStartTime !== undefined ? { pidStartTime } : {}),
        startedAt,
        exitCode: 0,
        oomKilled: false,
      };
      record.monitor = { kind: 'conmon', pid: launched.conmonPid, startTime: monitorStart ?? 0 };
      store.write(record);
      return record;
    } catch (err) {
      // a failed preparation (e.g. a host port taken) is the cause; the runtime's create then
      // fails too, on the namespace that was removed meanwhile
      const reported = (await preparationFailure(prepared)) ?? err;
      await failStart(ctx, store, record, lc, reported);
      throw reported;
    }
  });
}

/** The error of a start's preparation once it settled; undefined when it succeeded (or never began). */
export async function preparationFailure(prepared: StartReady | undefined): Promise<unknown> {
  if (!prepared) return undefined;
  return prepared.ready.then(
    () => undefined,
    (err: unknown) => err,
  );
}

