// docker exec: a new process in a running container, through `<runtime> exec`. In the
// foreground its status is returned; -d returns at once (the process is then reaped by init).
import { spawn } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import type { Context } from '../context';
import { ManagerError, UsageError } from '../errors';
import { randomHex } from '../system/random';
import { lastRuntimeError, relaySignals } from './foreground';
import { runningContainer } from './lifecycle';
import { oneLine, runtimeEnv, runtimeGlobalArgs, startFailureStatus } from './runtime-client';
import type { LifecycleOptions } from './types';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface ExecOptions {
  command: string[];
  /** -i: our stdin goes to the process (else /dev/null) */
  interactive?: boolean;
  /** -t: a pseudo-terminal (the runtime proxies it to ours) */
  tty?: boolean;
  /** -d: do not wait */
  detach?: boolean;
  /** -e KEY=VALUE (or KEY: taken from our environment when set there) */
  env?: string[];
  /** -w: absolute working directory */
  workdir?: string;
  /** -u: user[:group] (names need resolveUser) */
  user?: string;
  /** names to ids from the container's /etc/passwd and /etc/group (manager/spec/user resolveUser) */
  resolveUser?: (rootfs: string, user: string) => ResolvedUser;
}

/** -e values as the runtime takes them (KEY=VALUE). */
export function execEnv(values: readonly string[], environment: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq === 0) throw new UsageError(`--env: "${value}" has no variable name`);
    if (eq > 0) out.push(value);
    else if (environment[value] !== undefined) out.push(`${value}=${environment[value]}`);
  }
  return out;
}

/** The runtime's exec arguments after the global ones. */
export function execArgs(id: string, options: ExecOptions, user: ResolvedUser | undefined, pidFile: string): string[] {
  const args = ['exec', '--pid-file', pidFile];
  if (options.tty) args.push('--tty');
  if (options.detach) args.push('--detach');
  for (const e of execEnv(options.env ?? [])) args.push('--env', e);
  if (options.workdir) args.push('--cwd', options.workdir);
  if (user) {
    args.push('--user', `${user.uid}:${user.gid}`);
    for (const gid of user.additionalGids ?? []) args.push('--additional-gids', String(gid));
  }
  args.push(id, ...options.command);
  return args;
}

function resolveExecUser(options: ExecOptions, rootfs: string | undefined): ResolvedUser | undefined {
  const user = options.user;
  if (user === undefined || user === '') return undefined;
  const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2] ?? 0) };
  if (!options.resolveUser || !rootfs) throw new UsageError(`--user: "${user}": give a numeric uid[:gid] (names cannot be looked up here)`);
  return options.resolveUser(rootfs, user);
}

/**
 * Runs the command in the container. Resolves to its exit status (0 with detach); a container
 * that is not running, or a command that cannot be started, is a ManagerError.
 */
export async function execInContainer(ctx: Context, ref: string, options: ExecOptions, lc: LifecycleOptions = {}): Promise<number> {
  if (options.command.length === 0) throw new UsageError('exec: give the command to run');
  if (options.workdir !== undefined && !path.isAbsolute(options.workdir)) throw new UsageError(`--workdir: "${options.workdir}" is not an absolute path`);
  if (options.detach && options.tty) throw new UsageError('exec: --detach with --tty is not supported (nothing would hold the terminal); drop one of them');
  const record = await runningContainer(ctx, ref, lc);
  const user = resolveExecUser(options, record.rootfs);
  const tag = randomHex(6);
  const pidFile = path.join(record.bundle, `exec-${tag}.pid`);
  const runtimeLog = path.join(record.bundle, `exec-${tag}.log`);
  const child = spawn(ctx.runtime, [...runtimeGlobalArgs(ctx), '--log', runtimeLog, '--log-format', 'json', ...execArgs(record.id, options, user, pidFile)], {
    env: runtimeEnv(),
    // a detached process would hold a pipe open: its runtime's errors are read from the log file
    stdio: [options.interactive && !options.detach ? 'inherit' : 'ignore', options.detach ? 'ignore' : 'inherit', options.detach ? 'ignore' : 'pipe'],
  });
  // Until the process exists, stderr is the runtime's (its error): held back, reported once.
  let held = '';
  let started = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    started ||= fs.existsSync(pidFile);
    if (started && !options.tty) process.stderr.write(chunk);
    else held += chunk.toString('utf8');
  });
  const unrelay = options.detach ? () => undefined : relaySignals(child);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new ManagerError(`cannot run the OCI runtime ${ctx.runtime}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      child.on('close', (status, signal) => resolve(status ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 255)));
    });
    if (!fs.existsSync(pidFile)) {
      const message = lastRuntimeError(runtimeLog) ?? (oneLine(held) || `the runtime exited with status ${code}`);
      throw new ManagerError(`exec failed: ${message}`, startFailureStatus(message) === 125 ? 126 : startFailureStatus(message));
    }
    if (held) process.stderr.write(held.endsWith('\n') ? held : `${held}\n`);
    return code;
  } finally {
    unrelay();
    fs.rmSync(pidFile, { force: true });
    fs.rmSync(runtimeLog, { force: true });
  }
}
