// conmon, the monitor of a detached container (Debian's, as podman uses it): it runs
// `<runtime> create` with pipes (or a pty) for the container's stdio, writes what the
// container prints to its log file (k8s-file lines), reaps it, writes its exit status to
// <persist dir>/exit (and <persist dir>/oom after an OOM kill) and then runs the exit command.
// It reports the container's pid (or the runtime's error) on the sync pipe (_OCI_SYNCPIPE) as
// one JSON line: {"data": PID} or {"data": -1, "message": "..."}.
import fs = require('node:fs');
import path = require('node:path');
import type { Readable } from 'node:stream';
import type { Context } from '../context';
import { ManagerError } from '../errors';
import { oneLine, runtimeEnv, runtimeGlobalArgs, startFailureStatus } from './runtime-client';
import { childProcess } from '../system/child-process';

export const DEFAULT_CONMON = '/usr/bin/conmon';

/** Files conmon leaves in the bundle and persist directory: they must not survive into the next start. */
export const MONITOR_FILES = ['exit', 'oom', 'ctl', 'winsz', 'attach', 'conmon.pid', 'container.pid'];

export interface ConmonLaunch {
  id: string;
  /** bundle and persist directory: config.json is read from it, exit/oom are written to it */
  dir: string;
  logPath: string;
  tty: boolean;
  stdin: boolean;
  exitCommand?: string[];
  conmon?: string;
}

export interface Launched {
  containerPid: number;
  conmonPid: number;
}

/** The exit status conmon wrote, and when (the file's mtime), or undefined. */
export function readExitFile(dir: string): { code: number; at: Date } | undefined {
  const file = path.join(dir, 'exit');
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    const code = Number(text);
    if (text === '' || !Number.isInteger(code)) return undefined;
    return { code: code < 0 ? 255 : code, at: fs.statSync(file).mtime };
  } catch {
    return undefined;
  }
}

export function conmonPath(explicit?: string): string {
  return explicit ?? process.env.MYDOCKER_CONMON ?? DEFAULT_CONMON;
}

/** The attach socket path must fit in sun_path (108 bytes): a short uuid when the id does not fit. */
function socketDirAndUuid(ctx: Context, id: string): [string, string] {
  const dir = path.join(ctx.paths.runRoot, 'conmon');
  const uuid = Buffer.byteLength(path.join(dir, id, 'attach')) < 100 ? id : id.slice(0, 12);
  return [dir, uuid];
}

export function conmonArgs(ctx: Context, launch: ConmonLaunch): string[] {
  const [socketDir, uuid] = socketDirAndUuid(ctx, launch.id);
  const args = [
    '--api-version', '1',
    '-c', launch.id,
    '-u', uuid,
    '-n', launch.id,
    '-r', ctx.runtime,
    '-b', launch.dir,
    '-p', path.join(launch.dir, 'container.pid'),
    '-P', path.join(launch.dir, 'conmon.pid'),
    '--persist-dir', launch.dir,
    '--socket-dir-path', socketDir,
    '-l', `k8s-file:${launch.logPath}`,
    '--log-level', 'error',
  ];
  for (const arg of runtimeGlobalArgs(ctx)) args.push('--runtime-arg', arg);
  if (launch.tty) args.push('-t');
  if (launch.stdin) args.push('-i');
  if (launch.exitCommand && launch.exitCommand.length > 0) {
    const [program, ...rest] = launch.exitCommand;
    args.push('--exit-command', program!);
    for (const arg of [...rest, launch.id]) args.push('--exit-command-arg', arg);
  }
  return args;
}

function readLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (value: string | undefined) => {
      stream.removeAllListeners();
      stream.on('error', () => undefined);
      stream.destroy();
      resolve(value);
    };
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) done(text.slice(0, nl));
    });
    stream.on('end', () => done(text.length > 0 ? text : undefined));
    stream.on('error', reject);
  });
}

/**
 * Starts conmon, which creates the container (its init then waits for `start`). Resolves once
 * the runtime's create has finished; a failed create is a ManagerError with docker's exit status
 * for it (125, or 126/127 when the program cannot be run) and leaves no conmon behind.
 */
export async function launchConmon(ctx: Context, launch: ConmonLaunch): Promise<Launched> {
  for (const file of MONITOR_FILES) fs.rmSync(path.join(launch.dir, file), { force: true });
  const [socketDir] = socketDirAndUuid(ctx, launch.id);
  fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const program = conmonPath(launch.conmon);
  const child = childProcess().spawn(program, conmonArgs(ctx, launch), {
    cwd: launch.dir,
    env: { ...runtimeEnv(), _OCI_SYNCPIPE: '3' },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const spawnError = new Promise<never>((_, reject) =>
    child.on('error', (err) => reject(new ManagerError(`cannot start the monitor ${program}: ${(err as NodeJS.ErrnoException).code ?? err.message}`))),
  );
  // The first conmon process forks the monitor and exits; the monitor answers on the sync pipe.
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  const line = await Promise.race([readLine(child.stdio[3] as Readable), spawnError]);
  const firstExit = await Promise.race([exited, spawnError]);
  let report: { data?: unknown; message?: unknown } = {};
  try {
    if (line !== undefined) report = JSON.parse(line) as typeof report;
  } catch {
    /* reported below */
  }
  const containerPid = typeof report.data === 'number' ? report.data : -1;
  if (containerPid <= 0) {
    const message = typeof report.message === 'string' ? oneLine(report.message) : oneLine(stderr) || `conmon exited with status ${firstExit} without reporting the container`;
    throw new ManagerError(`container create failed: ${message}`, startFailureStatus(message));
  }
  const conmonPid = Number(fs.readFileSync(path.join(launch.dir, 'conmon.pid'), 'utf8').trim());
  return { containerPid, conmonPid };
}
