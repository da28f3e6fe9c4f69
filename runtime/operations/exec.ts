// exec: runs a new process in a container, from --process FILE (what containerd and podman
// send) or from arguments on top of the container's own process in config.json (runc's way).
import fs = require('node:fs');
import path = require('node:path');
import { kill as killPid } from '../../native/libc';
import { SIGNALS } from '../../native/linux-constants';
import { RuntimeError, StateError } from '../errors';
import { readValidated } from '../json-input';
import { checkId } from '../ids';
import { proxyConsole, sendConsole } from '../linux/console';
import { cgroupManager } from '../cgroups/manager';
import { stopMigrationKeeper } from '../cgroups/migration-keeper';
import { startMigrationWarmup } from '../cgroups/migration-warmup';
import { launchExec } from '../linux/exec-launch';
import { hookState } from '../linux/hooks';
import { compileContainerSeccomp } from '../linux/seccomp-setup';
import type { Process, RuntimeConfig } from '../spec/types';
import { statusOf } from '../state/status';
import { writePidFile } from './create';
import { type GlobalOptions, storeOf } from './options';

export interface ExecOptions {
  id: string;
  /** The command and its arguments (ignored with --process). */
  command: string[];
  processFile?: string;
  detach: boolean;
  pidFile?: string;
  tty: boolean;
  consoleSocket?: string;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs: boolean;
  preserveFds: number;
}

function readProcessFile(file: string): Process {
  return readValidated<Process>(file, 'process', `--process ${file}`);
}

function parseUser(text: string): { uid: number; gid?: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!m) throw new RuntimeError(`--user: "${text}" is not UID or UID:GID (numbers)`);
  return { uid: Number(m[1]), ...(m[2] !== undefined ? { gid: Number(m[2]) } : {}) };
}

/** runc exec without --process: the container's process, with what the flags change. */
function processFromFlags(base: Process | undefined, options: ExecOptions): Process {
  if (options.command.length === 0) throw new RuntimeError('exec: give a command, or --process FILE');
  const proc: Process = structuredClone(base ?? { user: { uid: 0, gid: 0 }, cwd: '/' });
  proc.args = options.command;
  proc.terminal = options.tty;
  delete proc.consoleSize;
  if (options.cwd) proc.cwd = options.cwd;
  if (options.env.length) proc.env = [...(proc.env ?? []), ...options.env];
  if (options.user) {
    const user = parseUser(options.user);
    proc.user = { ...proc.user, uid: user.uid, gid: user.gid ?? proc.user.gid };
  }
  if (options.additionalGids.length) {
    proc.user.additionalGids = options.additionalGids.map((g) => {
      if (!/^\d+$/.test(g)) throw new RuntimeError(`--additional-gids: "${g}" is not a number`);
      return Number(g);
    });
  }
  if (options.caps.length) {
    const caps = (proc.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted', 'ambient'] as const) caps[set] = [...(caps[set] ?? []), ...options.caps];
  }
  if (options.noNewPrivs) proc.noNewPrivileges = true;
  return proc;
}

/** The container's config, as its bundle has it (exec takes the process and seccomp from it). */
function bundleConfig(bundle: string): RuntimeConfig | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as RuntimeConfig;
  } catch {
    return undefined;
  }
}

/** Returns the process' exit status (0 with --detach). */
export async function exec(global: GlobalOptions, options: ExecOptions): Promise<number> {
  checkId(options.id);
  const store = storeOf(global);
  const state = store.read(options.id);
  const status = statusOf(store, state);
  if (status !== 'running' && status !== 'created') throw new StateError(`cannot exec in a ${status} container`);
  startMigrationWarmup();
  const config = bundleConfig(state.bundle);
  const proc = options.processFile
    ? readProcessFile(path.resolve(options.processFile))
    : processFromFlags(config?.process, options);
  const seccomp = compileContainerSeccomp(config?.linux?.seccomp);
  if (options.processFile && options.tty) proc.terminal = true;
  const consoleSocket = options.consoleSocket ? path.resolve(options.consoleSocket) : undefined;
  const pidFile = options.pidFile ? path.resolve(options.pidFile) : undefined;
  if (proc.terminal && !consoleSocket && options.detach) {
    throw new RuntimeError('exec --detach with a terminal needs --console-socket to hand the pty to');
  }
  if (consoleSocket && !proc.terminal) throw new RuntimeError('--console-socket: only with --tty or "terminal": true');

  const launched = launchExec({
    initPid: state.pid,
    process: proc,
    preserveFds: options.preserveFds,
    cgroup: cgroupManager(state.cgroupPaths),
    seccomp,
    state: hookState(state, 'running'),
  });
  stopMigrationKeeper();
  if (pidFile) writePidFile(pidFile, launched.process.pid);
  if (consoleSocket && launched.consoleMaster !== undefined) {
    sendConsole(consoleSocket, launched.consoleMaster);
    fs.closeSync(launched.consoleMaster);
    delete launched.consoleMaster;
  }
  // Detached, the process is the caller's to reap (conmon and the shims wait for it as subreapers).
  if (options.detach) return 0;
  const exited = launched.process.waitExit();
  const stopProxy = launched.consoleMaster !== undefined ? proxyConsole(launched.consoleMaster) : undefined;
  const forward = (signal: NodeJS.Signals) => killPid(launched.process.pid, SIGNALS[signal]!);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  for (const signal of signals) process.on(signal, forward);
  const code = await exited;
  for (const signal of signals) process.off(signal, forward);
  stopProxy?.();
  return code;
}
