// A foreground `run` through the runtime library, in this process, when the runtime is the
// bundled mydocker-runtime: no second Node start-up for `<runtime> run`. The container gets
// pipes of ours as stdout and stderr (relayed to our own and into its log), and its cgroup's
// OOM count is read after the exit, before the runtime removes the cgroup.
import net = require('node:net');
import os = require('node:os');
import path = require('node:path');
import fs = require('node:fs');
import { kill, pipe2 } from '../../native/libc';
import type { ChildFd } from '../../native/spawn';
import type { StoredState } from '../../runtime/state/store';
import type { Context } from '../context';
import { ManagerError, messageOf } from '../errors';
import { oomKillCount } from './cgroup-stats';
import { LogWriter, type Stream } from './logs';
import { startFailureStatus } from './runtime-client';
import type { ContainerRecord } from './types';

/** The runtime dist/mydocker-runtime next to the manager's bundle (what defaultRuntime() gives without MYDOCKER_RUNTIME). */
export function bundledRuntime(): string {
  return path.join(__dirname, 'mydocker-runtime');
}

/**
 * Can this container run in-process? Only with our own runtime, found where the bundle
 * expects it. A terminal without -i stays with the runtime's process: the in-process console
 * proxy would take our terminal's input, which docker leaves alone then.
 */
export function runsInProcess(ctx: Context, record: ContainerRecord): boolean {
  if (path.resolve(ctx.runtime) !== bundledRuntime() || !fs.existsSync(bundledRuntime())) return false;
  return !(record.config.tty === true && record.config.interactive !== true);
}

const noop = (): void => undefined;

/** Signals that must not end mydocker while the container runs (the runtime forwards them). */
const SHIELDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];

/**
 * Variables of ours that the runtime would read as its caller's: a runtime child gets only
 * PATH (runtimeEnv), so its container inherits the raised RLIMIT_NOFILE of a Node process and
 * no socket activation fds.
 */
const CALLER_ONLY_ENV = ['MYDOCKER_CALLER_NOFILE', 'LISTEN_PID', 'LISTEN_FDS'];

function withoutCallerEnv<T>(fn: () => T): T {
  const saved = CALLER_ONLY_ENV.map((name) => [name, process.env[name]] as const);
  for (const name of CALLER_ONLY_ENV) delete process.env[name];
  try {
    return fn();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

/** A pipe whose write end the container gets; what comes out goes to `out` and the log. */
class OutputPipe {
  readonly writeFd: number;
  private writeOpen = true;
  private socket: net.Socket;
  readonly done: Promise<void>;

  constructor(stream: Stream, out: NodeJS.WriteStream, log: LogWriter) {
    const [readFd, writeFd] = pipe2();
    this.writeFd = writeFd;
    const socket = new net.Socket({ fd: readFd, readable: true, writable: false });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      out.write(chunk);
      log.write(stream, chunk);
    });
    this.done = new Promise((resolve) => {
      socket.on('close', () => resolve());
      socket.on('error', () => undefined); // 'close' follows
    });
  }

  /** Our copy of the write end: once the container's are gone too, the reader sees the end. */
  closeWriteEnd(): void {
    if (!this.writeOpen) return;
    this.writeOpen = false;
    fs.closeSync(this.writeFd);
  }

  /** Stops reading (when the run failed: what is left is not waited for). */
  stop(): void {
    this.closeWriteEnd();
    this.socket.destroy();
  }
}

export interface InProcessExit {
  code: number;
  oomKilled: boolean;
}

export interface InProcessRun {
  pidFile: string;
  /** the runtime's warnings, as JSON lines (as `<runtime> --log` writes them) */
  runtimeLog: string;
  /** the container's process runs: record its pid (awaited before the exit is) */
  onStarted(pid: number, startTime: number): Promise<void>;
  /** awaited between the runtime's create and start (the network attached meanwhile) */
  beforeStart?(): Promise<void>;
}

/**
 * Runs the claimed container to its end in this process and returns how it ended. A
 * container that could not be started is a ManagerError with docker's status for it (125,
 * 126, 127), and the runtime has left nothing behind.
 */
export async function runInProcess(ctx: Context, record: ContainerRecord, options: InProcessRun): Promise<InProcessExit> {
  // Signals that come before the runtime forwards them are passed on once the container runs.
  const early: NodeJS.Signals[] = [];
  let state: StoredState | undefined;
  const shield = (signal: NodeJS.Signals) => {
    if (!state) early.push(signal);
  };
  for (const signal of SHIELDED) process.on(signal, shield);
  const terminal = record.config.tty === true;
  const log = terminal ? undefined : new LogWriter(record.logPath);
  const outputs = log ? [new OutputPipe('stdout', process.stdout, log), new OutputPipe('stderr', process.stderr, log)] : [];
  try {
    const [{ run }, { configureLog }] = await Promise.all([import('../../runtime/operations/run'), import('../../runtime/log')]);
    configureLog({ file: options.runtimeLog, format: 'json', debug: ctx.debug });
    const stdin: ChildFd = record.config.interactive === true ? 0 : 'devnull';
    let oomKilled = false;
    // create runs synchronously inside this call (our environment is back when it returns);
    // start follows once options.beforeStart has resolved.
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    let preparationError: unknown;
    const beforeStart = options.beforeStart
      ? () =>
          options.beforeStart!().catch((err: unknown) => {
            preparationError = err;
            throw err;
          })
      : undefined;
    const exited = withoutCallerEnv(() =>
      run(
        { root: ctx.paths.runtimeRoot, systemdCgroup: false, rootless: 'auto' },
        {
          id: record.id,
          bundle: record.bundle,
          pidFile: options.pidFile,
          preserveFds: 0,
          noPivot: false,
          noNewKeyring: false,
          detach: false,
          ...(outputs.length > 0 ? { stdio: [stdin, outputs[0]!.writeFd, outputs[1]!.writeFd] as [ChildFd, ChildFd, ChildFd] } : {}),
          started: (created) => {
            state = created;
            markStarted();
          },
          beforeDestroy: (created) => {
            oomKilled = oomKillCount(created.cgroupPaths) > 0;
          },
          ...(beforeStart ? { beforeStart } : {}),
        },
      ),
    );
    for (const output of outputs) output.closeWriteEnd();
    let code: number;
    try {
      // started, or failed before (then `exited` rejects)
      await Promise.race([started, exited.then(noop, noop)]);
      if (state) {
        for (const signal of early) kill(state.pid, os.constants.signals[signal]);
        // Without the pid in the record, `stop` still finds the process through the pid file.
        await options.onStarted(state.pid, state.initStartTime).catch((err: unknown) => ctx.err(`mydocker: warning: recording the container's pid: ${messageOf(err)}\n`));
      }
      code = await exited;
    } catch (err) {
      // the preparation's own error (e.g. a host port taken): as it is, not as a runtime failure
      if (err === preparationError) throw err;
      if (!state) {
        const message = messageOf(err);
        throw new ManagerError(`container start failed: ${message}`, startFailureStatus(message));
      }
      throw err instanceof ManagerError ? err : new ManagerError(`the container's clean-up failed: ${messageOf(err)}`);
    }
    // The runtime killed whatever was left in the cgroup: every writer is gone.
    await Promise.all(outputs.map((o) => o.done));
    return { code, oomKilled };
  } finally {
    for (const output of outputs) output.stop();
    for (const signal of SHIELDED) process.off(signal, shield);
    log?.close();
  }
}
