// A container's metadata against the live system: is its process still there, how did it
// end (conmon's exit and oom files, the cgroup's OOM counter), and the clean-up after its end
// (the runtime's container, the afterStop hooks, removal with --rm). Everything here can be
// redone: a command interrupted at any point leaves something the next command finishes.
import fs = require('node:fs');
import path = require('node:path');
import type { Context } from '../context';
import { messageOf, NotFoundError } from '../errors';
import { containerCgroups, oomKillCount } from './cgroup-stats';
import { readExitFile } from './monitor';
import { unmountAllUnder } from './mounts';
import { liveStartTime, processAlive, readPidFile, sleep } from './procs';
import { forceDelete } from './runtime-client';
import { type ContainerStore, storeOf } from './store';
import type { ContainerRecord, LifecycleOptions } from './types';

/** The exit status recorded when a container's exit was lost with its monitor. */
export const LOST_EXIT_STATUS = 255;

export function runtimeStateExists(ctx: Context, id: string): boolean {
  return fs.existsSync(path.join(ctx.paths.runtimeRoot, id));
}

/**
 * Deletes the runtime's container (state, cgroup, processes) if it has one: runc and
 * mydocker-runtime both keep <root>/<id>, and a call saved is a Node start-up saved.
 */
export async function deleteFromRuntime(ctx: Context, id: string): Promise<void> {
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

export function monitorAlive(record: ContainerRecord): boolean {
  return record.monitor !== undefined && processAlive(record.monitor.pid, record.monitor.startTime);
}

export function isActive(record: ContainerRecord): boolean {
  return record.state.status === 'running' || record.state.status === 'paused' || record.state.status === 'restarting';
}

/** Runs the afterStop hooks if beforeStart ran; failures are warnings and are retried later. */
export async function runStopHooks(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions): Promise<void> {
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

/** Removes everything of a container that is not running (lock held). */
export async function removeLocked(ctx: Context, store: ContainerStore, record: ContainerRecord, lc: LifecycleOptions): Promise<void> {
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

