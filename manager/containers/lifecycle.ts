// A container's life: create (metadata + bundle), start under conmon, the exit reaped into
// the metadata (status, exit code, OOM), stop/kill/restart, removal. Every change is made
// under the container's lock and every step can be redone: a command interrupted at any point
// leaves something the next command finishes (see reconcile).
import fs = require('node:fs');
import path = require('node:path');
import type { RuntimeConfig } from '../../runtime/spec/types';
import { parseSignal } from '../../runtime/signals';
import type { Context } from '../context';
import { ConflictError, ManagerError, messageOf, NotFoundError, UsageError } from '../errors';
import { containerCgroups, oomKillCount } from './cgroup-stats';
import { newContainerId, shortId } from './ids';
import { launchConmon, MONITOR_FILES, readExitFile } from './monitor';
import { unmountAllUnder } from './mounts';
import { checkName, generateName } from './names';
import { tryDirLock } from './lock';
import { liveStartTime, processAlive, readPidFile, signalProcess, sleep } from './procs';
import { callRuntime, check, forceDelete, isNotRunning } from './runtime-client';
import { ContainerStore } from './store';
import type { ContainerRecord, LifecycleOptions, RunConfig } from './types';

export const DEFAULT_STOP_SIGNAL = 'SIGTERM';
export const DEFAULT_STOP_TIMEOUT = 10;
/** linux.cgroupsPath of a container whose spec gives none: /mydocker/<id>. */
export const CGROUP_PARENT = 'mydocker';
/** The exit status recorded when a container's exit was lost with its monitor. */
export const LOST_EXIT_STATUS = 255;

export interface CreateOptions {
  /** --name; generated (adjective_surname) when absent */
  name?: string;
  image: { ref: string; id: string };
  /** the run options as given (kept for inspect) */
  config?: RunConfig;
  /**
   * config.json for the container, built once its id and directory exist. linux.cgroupsPath
   * defaults to /mydocker/<id>. If it throws, the directory and the name are removed; it must
   * not leave mounts behind itself.
   */
  spec(container: { id: string; name: string; dir: string }): RuntimeConfig | Promise<RuntimeConfig>;
  /** the image's StopSignal or --stop-signal (default SIGTERM) */
  stopSignal?: string;
  /** seconds between the stop signal and SIGKILL (default 10) */
  stopTimeout?: number;
  /** --rm */
  autoRemove?: boolean;
}

export function now(): string {
  return new Date().toISOString();
}

export function storeOf(ctx: Context): ContainerStore {
  return new ContainerStore(ctx.paths);
}

function checkStopSignal(signal: string): string {
  try {
    parseSignal(signal);
  } catch (err) {
    throw new UsageError(`--stop-signal: ${messageOf(err)}`);
  }
  return signal.toUpperCase();
}

function writeConfig(dir: string, spec: RuntimeConfig): void {
  const target = path.join(dir, 'config.json');
  fs.writeFileSync(`${target}.tmp`, JSON.stringify(spec), { mode: 0o600 });
  fs.renameSync(`${target}.tmp`, target);
}

function reserveGeneratedName(store: ContainerStore, id: string): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = generateName(attempt);
    try {
      store.reserveName(name, id);
      return name;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new ManagerError('could not generate a free container name: give one with --name');
}

/** Creates the container's directory, name, config.json and metadata (status "created"). */
export async function createContainer(ctx: Context, options: CreateOptions): Promise<ContainerRecord> {
  if (options.name !== undefined) checkName(options.name);
  const stopSignal = checkStopSignal(options.stopSignal ?? DEFAULT_STOP_SIGNAL);
  const stopTimeout = options.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
  if (!Number.isInteger(stopTimeout) || stopTimeout < 0) throw new UsageError(`--stop-timeout: "${stopTimeout}" is not a whole number of seconds`);
  const store = storeOf(ctx);
  store.ensureDirs();
  const id = newContainerId();
  const dir = store.containerDir(id);
  fs.mkdirSync(dir, { mode: 0o711 });
  let name: string | undefined;
  try {
    if (options.name !== undefined) {
      store.reserveName(options.name, id);
      name = options.name;
    } else {
      name = reserveGeneratedName(store, id);
    }
    const spec = await options.spec({ id, name, dir });
    const args = spec.process?.args ?? [];
    if (args.length === 0) throw new UsageError('no command specified: the image has no Cmd or Entrypoint and none was given');
    spec.linux ??= {};
    spec.linux.cgroupsPath ??= `/${CGROUP_PARENT}/${id}`;
    writeConfig(dir, spec);
    const record: ContainerRecord = {
      schemaVersion: 1,
      id,
      name,
      created: now(),
      image: { ref: options.image.ref, id: options.image.id },
      path: args[0]!,
      args: args.slice(1),
      config: options.config ?? {},
      bundle: dir,
      ...(spec.root?.path ? { rootfs: path.resolve(dir, spec.root.path) } : {}),
      logPath: path.join(dir, 'container.log'),
      cgroupsPath: spec.linux.cgroupsPath,
      state: { status: 'created', pid: 0, exitCode: 0, oomKilled: false },
      stopSignal,
      stopTimeout,
      autoRemove: options.autoRemove ?? false,
      restartCount: 0,
      stopHooksPending: false,
    };
    store.write(record);
    return record;
  } catch (err) {
    unmountAllUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    if (name !== undefined) store.releaseName(name, id);
    throw err;
  }
}

function runtimeStateExists(ctx: Context, id: string): boolean {
  return fs.existsSync(path.join(ctx.paths.runtimeRoot, id));
}

/**
 * Deletes the runtime's container (state, cgroup, processes) if it has one: runc and
 * mydocker-runtime both keep <root>/<id>, and a call saved is a Node start-up saved.
 */
async function deleteFromRuntime(ctx: Context, id: string): Promise<void> {
  if (runtimeStateExists(ctx, id)) await forceDelete(ctx, id);
}

/** The container's host pid (a foreground run learns it from the runtime's pid file). */
export function containerPid(record: ContainerRecord): number {
  return record.state.pid > 0 ? record.state.pid : (readPidFile(record.state.pidFile) ?? 0);
}

/** Is the container's process still there? */
export function containerAlive(record: ContainerRecord): boolean {
  if (record.state.pid > 0) return processAlive(record.state.pid, record.state.pidStartTime);
  const pid = readPidFile(record.state.pidFile);
  if (pid === undefined) return false;
  // No recorded start time: the process must at least have started after its monitor.
  const start = liveStartTime(pid);
  return start !== undefined && start >= (record.monitor?.startTime ?? 0);
}

function monitorAlive(record: ContainerRecord): boolean {
  return record.monitor !== undefined && processAlive(record.monitor.pid, record.monitor.startTime);
}

function isActive(record: ContainerRecord): boolean {
  return record.state.status === 'running' || record.state.status === 'paused' || record.state.status === 'restarting';
}

/** Runs the afterStop hooks if beforeStart ran; failures are warnings and are retried later. */
async function runStopHooks(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions): Promise<void> {
  if (!record.stopHooksPending) return;
  try {
    await lc.hooks?.afterStop?.(record, ctx);
    record.stopHooksPending = false;
  } catch (err) {
    ctx.err(`mydocker: warning: container ${record.name}: clean-up after stop: ${messageOf(err)}\n`);
  }
  store.write(record);
}

export interface ExitInfo {
  code: number;
  at?: Date;
  oomKilled?: boolean;
  error?: string;
}

/**
 * The container has exited: record how (exit status, OOM: read from conmon's oom file or the
 * cgroup before the runtime deletes it), delete the runtime's container, run the afterStop
 * hooks, and remove it all with --rm. Returns the final record.
 */
export async function finalizeLocked(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions, exit: ExitInfo): Promise<ContainerRecord> {
  let oomKilled = exit.oomKilled ?? false;
  if (!oomKilled) oomKilled = fs.existsSync(path.join(record.bundle, 'oom'));
  if (!oomKilled) {
    try {
      oomKilled = oomKillCount(containerCgroups(record.cgroupsPath, record.id)) > 0;
    } catch {
      /* no cgroup: nothing to learn */
    }
  }
  await deleteFromRuntime(ctx, record.id);
  record.state = {
    status: 'exited',
    pid: 0,
    ...(record.state.startedAt ? { startedAt: record.state.startedAt } : {}),
    finishedAt: (exit.at ?? new Date()).toISOString(),
    exitCode: exit.code,
    oomKilled,
    ...(exit.error ? { error: exit.error } : {}),
  };
  // record.monitor stays: the last monitor, which `rm` waits for (conmon runs its exit command).
  store.write(record);
  await runStopHooks(ctx, store, record, lc);
  if (record.autoRemove) await removeLocked(ctx, store, record, lc);
  return record;
}

/** How a container whose process is gone ended, as far as its monitor recorded it. */
async function exitOf(record: ContainerRecord): Promise<ExitInfo | undefined> {
  if (record.monitor?.kind === 'foreground') {
    // The foreground mydocker records the exit itself; only a dead one lost it.
    if (monitorAlive(record)) return undefined;
    return { code: LOST_EXIT_STATUS, error: 'the foreground mydocker process ended before the container: its exit status is lost' };
  }
  // conmon writes the exit file a moment after the container's end.
  for (let i = 0; i < 100; i++) {
    const exit = readExitFile(record.bundle);
    if (exit) return { code: exit.code, at: exit.at };
    if (!monitorAlive(record)) break;
    await sleep(20);
  }
  const exit = readExitFile(record.bundle);
  if (exit) return { code: exit.code, at: exit.at };
  return { code: LOST_EXIT_STATUS, error: 'the monitor (conmon) ended without recording the exit status' };
}

/**
 * Brings the metadata in line with the system (the caller holds the lock): an exited process
 * is reaped into the record, a runtime container left by an interrupted start or removal is
 * deleted, hooks an interrupted clean-up did not finish are run. Returns the record as it now
 * is (possibly removed, with --rm).
 */
export async function reconcileLocked(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions): Promise<ContainerRecord> {
  if (isActive(record)) {
    if (containerAlive(record) && !readExitFile(record.bundle)) return record;
    const exit = await exitOf(record);
    if (!exit) return record;
    return finalizeLocked(ctx, store, record, lc, exit);
  }
  await deleteFromRuntime(ctx, record.id);
  await runStopHooks(ctx, store, record, lc);
  return record;
}

/** Does the record need reconcileLocked? (cheap: no lock, no runtime call) */
export function needsReconcile(ctx: Context, record: ContainerRecord): boolean {
  if (isActive(record)) return !containerAlive(record) || readExitFile(record.bundle) !== undefined;
  return record.stopHooksPending || runtimeStateExists(ctx, record.id);
}

/** Resolves a reference and reconciles the container; NotFoundError if it is gone. */
export async function reconcile(ctx: Context, ref: string, lc: LifecycleOptions = {}): Promise<ContainerRecord> {
  const store = storeOf(ctx);
  const id = store.resolve(ref);
  return store.locked(id, async () => reconcileLocked(ctx, store, store.read(id), lc));
}

/** For the exit command conmon runs: reap the container now. A removed container is fine. */
export async function cleanupContainer(ctx: Context, id: string, lc: LifecycleOptions = {}): Promise<void> {
  try {
    await reconcile(ctx, id, lc);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/**
 * Prepares a start (lock held): leftovers of the last run go, the hooks run. Returns the record
 * marked as having pending stop hooks; on failure the hooks are undone.
 */
export async function beginStart(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions): Promise<void> {
  await deleteFromRuntime(ctx, record.id);
  for (const file of MONITOR_FILES) fs.rmSync(path.join(record.bundle, file), { force: true });
  delete record.state.error;
  record.stopHooksPending = true;
  store.write(record);
  const patch = await lc.hooks?.beforeStart?.(record, ctx);
  if (patch && patch.network) record.network = patch.network;
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
    try {
      await beginStart(ctx, store, record, lc);
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
      await failStart(ctx, store, record, lc, err);
      throw err;
    }
  });
}

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

/** Removes everything of a container that is not running (lock held). */
async function removeLocked(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions): Promise<void> {
  record.state.status = 'removing';
  store.write(record);
  await deleteFromRuntime(ctx, record.id);
  await runStopHooks(ctx, store, record, lc);
  try {
    await lc.hooks?.beforeRemove?.(record, ctx);
  } catch (err) {
    ctx.err(`mydocker: warning: container ${record.name}: before removal: ${messageOf(err)}\n`);
  }
  unmountAllUnder(record.bundle);
  store.remove(record);
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
