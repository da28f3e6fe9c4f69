// The operations on existing containers: stop, kill, restart, rm, wait, ps, inspect (with
// create, start and the exit command's clean-up re-exported: the CLI's one entry point).
import { parseSignal } from '../../runtime/signals';
import type { Context } from '../context';
import { ConflictError, ManagerError, messageOf, NotFoundError, UsageError } from '../errors';
import { shortId } from './ids';
import { tryDirLock } from './lock';
import { readExitFile } from './monitor';
import { processAlive, signalProcess, sleep } from './procs';
import { containerAlive, isActive, monitorAlive, needsReconcile, reconcile, reconcileLocked, removeLocked } from './reconcile';
import { callRuntime, check, isNotRunning } from './runtime-client';
import { startContainer } from './start';
import { type ContainerStore, storeOf } from './store';
import type { ContainerRecord, LifecycleOptions } from './types';

export { createContainer, type CreateOptions } from './create';
export { cleanupContainer, containerAlive, containerPid, reconcile } from './reconcile';
export { startContainer } from './start';

/** Waits until the container's process is gone (or its monitor recorded the exit); false on time-out. */
export async function waitForExit(record: ContainerRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!containerAlive(record) || readExitFile(record.bundle)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
  }
}

/** A foreground run records its own exit: wait (a little) for it to have done so. */
async function awaitRecordedExit(store: ContainerStore, id: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let record: ContainerRecord;
    try {
      record = store.read(id);
    } catch {
      return;
    }
    if (!isActive(record) || record.monitor?.kind !== 'foreground' || !monitorAlive(record)) return;
    await sleep(20);
  }
}

function signalArg(signal: string, flag: string): string {
  try {
    parseSignal(signal);
  } catch (err) {
    throw new UsageError(`${flag}: ${messageOf(err)}`);
  }
  return signal.toUpperCase();
}

/**
 * Signals the container's process: straight through a pidfd when we know its pid and start
 * time (no runtime start-up: a stop is one Node start-up shorter), else through `<runtime> kill`.
 */
async function sendSignal(ctx: Context, record: ContainerRecord, signal: string): Promise<boolean> {
  if (record.state.pid > 0 && record.state.pidStartTime !== undefined) {
    const sent = signalProcess(record.state.pid, record.state.pidStartTime, parseSignal(signal));
    if (sent !== undefined) return sent;
  }
  const result = await callRuntime(ctx, ['kill', record.id, signal]);
  if (result.code === 0) return true;
  if (isNotRunning(result)) return false;
  check(result, `sending ${signal} to container ${record.name}`);
  return false;
}

export interface StopOptions extends LifecycleOptions {
  /** seconds before SIGKILL (default: the container's stopTimeout) */
  timeout?: number;
}

/** Kills the container's process and waits for its end (lock not held: the monitor may need it). */
async function killAndAwait(ctx: Context, record: ContainerRecord): Promise<void> {
  await sendSignal(ctx, record, 'KILL');
  if (!(await waitForExit(record, 30_000))) throw new ManagerError(`container ${record.name} did not exit within 30 s of SIGKILL`);
}

/**
 * docker stop: the stop signal, then SIGKILL after the timeout; returns once the exit is
 * recorded (and the container removed, with --rm). A container that is not running is left as is.
 */
export async function stopContainer(ctx: Context, ref: string, options: StopOptions = {}): Promise<void> {
  const store = storeOf(ctx);
  const record = await reconcile(ctx, ref, options);
  if (!isActive(record)) return;
  const timeout = options.timeout ?? record.stopTimeout;
  if (!Number.isInteger(timeout) || timeout < -1) throw new UsageError(`--time: "${timeout}" is not a whole number of seconds`);
  await sendSignal(ctx, record, record.stopSignal);
  if (!(await waitForExit(record, timeout < 0 ? 2 ** 31 - 1 : timeout * 1000))) await killAndAwait(ctx, record);
  await awaitRecordedExit(store, record.id);
  try {
    await reconcile(ctx, record.id, options);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err; // removed by --rm
  }
}

/** docker kill: sends a signal (default SIGKILL) to a running container; does not wait. */
export async function killContainer(ctx: Context, ref: string, signal = 'KILL', lc: LifecycleOptions = {}): Promise<void> {
  const sig = signalArg(signal, '--signal');
  const record = await reconcile(ctx, ref, lc);
  if (!isActive(record) || !(await sendSignal(ctx, record, sig))) {
    throw new ConflictError(`Cannot kill container: ${ref}: container ${record.name} is not running`, 1);
  }
}

/** docker restart: stop (with the timeout) then start. */
export async function restartContainer(ctx: Context, ref: string, options: StopOptions = {}): Promise<ContainerRecord> {
  const id = storeOf(ctx).resolve(ref);
  await stopContainer(ctx, id, options);
  return startContainer(ctx, id, options);
}

export interface RemoveOptions extends LifecycleOptions {
  /** -f: kill a running container first */
  force?: boolean;
}

/** Waits (a little) for a conmon to finish: after the container's end it runs the exit command. */
async function awaitMonitorEnd(monitor: ContainerRecord['monitor'], timeoutMs = 10_000): Promise<void> {
  if (!monitor || monitor.kind !== 'conmon') return;
  const deadline = Date.now() + timeoutMs;
  while (processAlive(monitor.pid, monitor.startTime) && Date.now() < deadline) await sleep(20);
}

/** docker rm: a running container only with force. Returns once its monitor has finished too. */
export async function removeContainer(ctx: Context, ref: string, options: RemoveOptions = {}): Promise<void> {
  const store = storeOf(ctx);
  const id = store.resolve(ref);
  let record = await store.locked(id, async () => reconcileLocked(ctx, store, store.read(id), options));
  const monitor = record.monitor;
  if (isActive(record)) {
    if (!options.force) {
      throw new ConflictError(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    }
    await killAndAwait(ctx, record);
    await awaitRecordedExit(store, id);
  }
  try {
    await store.locked(id, async () => {
      record = await reconcileLocked(ctx, store, store.read(id), options);
      if (isActive(record)) throw new ManagerError(`container ${record.name} is still running`);
      await removeLocked(ctx, store, record, options);
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err; // removed meanwhile (--rm)
  }
  await awaitMonitorEnd(monitor);
}

/**
 * docker wait: blocks until the container is not running; resolves to its exit status (also
 * when --rm removed it meanwhile).
 */
export async function waitContainer(ctx: Context, ref: string, lc: LifecycleOptions = {}): Promise<number> {
  const store = storeOf(ctx);
  const id = store.resolve(ref);
  let last: ContainerRecord | undefined;
  let exitSeen: number | undefined;
  for (;;) {
    try {
      last = await reconcile(ctx, id, lc);
    } catch (err) {
      if (err instanceof NotFoundError && (exitSeen !== undefined || last)) return exitSeen ?? last!.state.exitCode;
      throw err;
    }
    if (!isActive(last)) return last.state.exitCode;
    await waitForExit(last, 1000);
    exitSeen = readExitFile(last.bundle)?.code ?? exitSeen;
  }
}

/** The records of every container, reconciled (a container another command holds is shown as is). */
export async function listContainers(ctx: Context, options: { all?: boolean } & LifecycleOptions = {}): Promise<ContainerRecord[]> {
  const store = storeOf(ctx);
  store.sweep();
  const records: ContainerRecord[] = [];
  for (const id of store.ids()) {
    let record: ContainerRecord;
    try {
      record = store.read(id);
      if (needsReconcile(ctx, record)) {
        const fresh = await tryDirLock(store.containerDir(id), async () => (store.exists(id) ? reconcileLocked(ctx, store, store.read(id), options) : undefined));
        if (!store.exists(id)) continue; // removed meanwhile (--rm)
        record = fresh ?? record; // busy: shown as it is
      }
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      ctx.err(`mydocker: warning: container ${shortId(id)}: ${messageOf(err)}\n`);
      continue;
    }
    if (options.all || isActive(record)) records.push(record);
  }
  return records.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
}

/** The reconciled record of one container (inspect). */
export async function inspectContainer(ctx: Context, ref: string, lc: LifecycleOptions = {}): Promise<ContainerRecord> {
  return reconcile(ctx, ref, lc);
}

/** The record of a running container, or a one-line error naming it. */
export async function runningContainer(ctx: Context, ref: string, lc: LifecycleOptions = {}): Promise<ContainerRecord> {
  const record = await reconcile(ctx, ref, lc);
  if (!isActive(record)) throw new ConflictError(`container ${record.name} is not running`, 1);
  return record;
}
