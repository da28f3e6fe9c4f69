// A foreground `run`: mydocker itself is the monitor. It runs `<runtime> run` (one runtime
// process: create, start, wait and delete), relays the container's output to its own and into
// the container's log (without a terminal; with one the runtime proxies the pty to our
// terminal itself: raw mode, window size), forwards signals, and records the exit status.
import type { ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { isatty } from '../../native/libc';
import type { Context } from '../context';
import { ConflictError, ManagerError, NotFoundError } from '../errors';
import { createContainer, type CreateOptions } from './create';
import { removeContainer } from './lifecycle';
import { type ExitInfo, finalizeLocked, reconcileLocked } from './reconcile';
import { runInProcess, runsInProcess } from './foreground-inproc';
import { beginStart, checkStartable, failStart, preparationFailure, type StartReady, startContainer } from './start';
import { now, storeOf } from './store';
import { LogWriter } from './logs';
import { ownStartTime } from './procs';
import { oneLine, runtimeEnv, runtimeGlobalArgs, startFailureStatus } from './runtime-client';
import type { ContainerRecord, LifecycleOptions } from './types';
import { childProcess } from '../system/child-process';

/** The last error the runtime wrote to its --log file (JSON lines), if any. */
export function lastRuntimeError(logFile: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  let message: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && typeof entry.msg === 'string') message = entry.msg;
    } catch {
      /* not a JSON line */
    }
  }
  return message;
}

/**
 * Signals passed on to the container (through the runtime, which forwards what it receives).
 * With a terminal on stdin, ^C, ^\ and hang-ups reach the runtime directly (it is in our
 * process group): forwarding those too would deliver them twice.
 */
export function forwardedSignals(stdinIsTerminal: boolean): NodeJS.Signals[] {
  return stdinIsTerminal ? ['SIGTERM', 'SIGUSR1', 'SIGUSR2'] : ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
}
const SHIELDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];

/**
 * While a runtime child runs in the foreground, the signals mydocker gets go to it (the runtime
 * passes them on to the container's process) instead of ending mydocker. Returns the undo.
 */
export function relaySignals(child: ChildProcess): () => void {
  const forward = new Set(forwardedSignals(isatty(0)));
  const onSignal = (signal: NodeJS.Signals) => {
    if (forward.has(signal) && child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of SHIELDED) process.on(signal, onSignal);
  return () => {
    for (const signal of SHIELDED) process.off(signal, onSignal);
  };
}

/**
 * Marks the container running with us as its monitor (lock held inside). Its network may still
 * be being attached: `prepared.ready` says when the container may start.
 */
async function claim(ctx: Context, id: string, pidFile: string, runtimeLog: string, lc: LifecycleOptions): Promise<{ record: ContainerRecord; prepared: StartReady }> {
  const store = storeOf(ctx);
  return store.locked(id, async () => {
    const record = await reconcileLocked(ctx, store, store.read(id), lc);
    if (record.state.status === 'running' || record.state.status === 'paused') throw new ConflictError(`container ${record.name} is already running`);
    checkStartable(record);
    let prepared: StartReady | undefined;
    try {
      prepared = await beginStart(ctx, store, record, lc);
      fs.rmSync(runtimeLog, { force: true });
      record.state = { status: 'running', pid: 0, pidFile, startedAt: now(), exitCode: 0, oomKilled: false };
      record.monitor = { kind: 'foreground', pid: process.pid, startTime: ownStartTime() };
      store.write(record);
      return { record, prepared };
    } catch (err) {
      const reported = (await preparationFailure(prepared)) ?? err;
      await failStart(ctx, store, record, lc, reported);
      throw reported;
    }
  });
}

/** Waits for the start's preparation (the network) and records the network settings it brought. */
async function preparedForStart(ctx: Context, record: ContainerRecord, prepared: StartReady): Promise<void> {
  await prepared.ready;
  if (!prepared.networkLater || !record.network) return;
  const network = record.network;
  const store = storeOf(ctx);
  await store.locked(record.id, async () => {
    const current = store.read(record.id);
    if (current.monitor?.pid !== process.pid) return;
    current.network = network;
    store.write(current);
  });
}

/** `<runtime> run` as our child (any runtime: runc too); resolves to the container's exit. */
async function runSpawned(ctx: Context, record: ContainerRecord, pidFile: string, runtimeLog: string): Promise<ExitInfo> {
  const terminal = record.config.tty === true;
  const child = childProcess().spawn(ctx.runtime, [...runtimeGlobalArgs(ctx), '--log', runtimeLog, '--log-format', 'json', 'run', '--bundle', record.bundle, '--pid-file', pidFile, record.id], {
    env: runtimeEnv(),
    stdio: [record.config.interactive === true ? 'inherit' : 'ignore', terminal ? 'inherit' : 'pipe', 'pipe'],
  });
  let started = false;
  const isStarted = () => (started ||= fs.existsSync(pidFile));
  // Without a terminal the runtime's stderr is the container's too: what comes before the
  // container exists is the runtime's own (its error, also in runtime.log), held back.
  let held = '';
  const log = terminal ? undefined : new LogWriter(record.logPath);
  child.stdout?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    log?.write('stdout', chunk);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (terminal || !isStarted()) {
      held += chunk.toString('utf8');
      return;
    }
    process.stderr.write(chunk);
    log?.write('stderr', chunk);
  });
  const unrelay = relaySignals(child);
  let code: number;
  try {
    code = await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new ManagerError(`cannot run the OCI runtime ${ctx.runtime}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      child.on('close', (status, signal) => resolve(status ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 255)));
    });
  } finally {
    unrelay();
    log?.close();
  }
  if (!isStarted()) {
    const message = lastRuntimeError(runtimeLog) ?? (oneLine(held) || `the runtime exited with status ${code}`);
    throw new ManagerError(`container start failed: ${message}`, startFailureStatus(message));
  }
  if (held) process.stderr.write(held.endsWith('\n') ? held : `${held}\n`);
  return { code };
}

/** Records the pid of the container's process, once known (unless it is gone or ended meanwhile). */
async function recordPid(ctx: Context, id: string, pid: number, pidStartTime: number): Promise<void> {
  const store = storeOf(ctx);
  try {
    await store.locked(id, async () => {
      const current = store.read(id);
      if (current.state.status !== 'running' || current.monitor?.pid !== process.pid) return;
      current.state = { ...current.state, pid, pidStartTime };
      store.write(current);
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err; // removed meanwhile (rm -f)
  }
}

/**
 * Runs a created (or exited) container in the foreground and resolves to its exit status
 * (128 + signal when a signal ended it). A container that cannot be started is a ManagerError
 * with docker's status for it (125, 126, 127); the container is then back to "created".
 * With the bundled runtime the container runs in this process (foreground-inproc.ts),
 * otherwise under `<runtime> run`.
 */
export async function runForeground(ctx: Context, ref: string, lc: LifecycleOptions = {}): Promise<number> {
  const store = storeOf(ctx);
  const id = store.resolve(ref);
  const dir = store.containerDir(id);
  const pidFile = path.join(dir, 'container.pid');
  const runtimeLog = path.join(dir, 'runtime.log');
  const { record, prepared } = await claim(ctx, id, pidFile, runtimeLog, lc);
  let exit: ExitInfo;
  try {
    if (runsInProcess(ctx, record)) {
      // the runtime creates the container while the network is attached, and starts it after
      const beforeStart = () => preparedForStart(ctx, record, prepared);
      exit = await runInProcess(ctx, record, { pidFile, runtimeLog, beforeStart, onStarted: (pid, startTime) => recordPid(ctx, id, pid, startTime) });
    } else {
      // `<runtime> run` creates and starts in one go: the network must be there before
      await preparedForStart(ctx, record, prepared);
      exit = await runSpawned(ctx, record, pidFile, runtimeLog);
    }
  } catch (err) {
    const reported = (await preparationFailure(prepared)) ?? err;
    await store.locked(id, async () => failStart(ctx, store, store.read(id), lc, reported)).catch(() => undefined);
    throw reported;
  }
  try {
    await store.locked(id, async () => {
      const current = store.read(id);
      if (current.state.status === 'running' && current.monitor?.kind === 'foreground' && current.monitor.pid === process.pid) {
        await finalizeLocked(ctx, store, current, lc, exit);
      }
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err; // removed meanwhile (rm -f)
  }
  return exit.code;
}

export interface RunOptions extends LifecycleOptions {
  /** -d: start under conmon and return */
  detach?: boolean;
}

/**
 * docker run: create, then start detached or run in the foreground. A container that could
 * not be started is removed again (nothing is left behind) and the error thrown.
 */
export async function runContainer(ctx: Context, create: CreateOptions, options: RunOptions = {}): Promise<{ record: ContainerRecord; exitCode?: number }> {
  const record = await createContainer(ctx, create);
  try {
    if (options.detach) return { record: await startContainer(ctx, record.id, options) };
    return { record, exitCode: await runForeground(ctx, record.id, options) };
  } catch (err) {
    await removeContainer(ctx, record.id, { ...options, force: true }).catch(() => undefined);
    throw err;
  }
}
