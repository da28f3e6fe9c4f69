import fs = require('node:fs');
import path = require('node:path');
import { mkfifo } from '../../native/libc';
import type { ChildFd } from '../../native/spawn';
import { loadBundle } from '../bundle';
import { RuntimeError } from '../errors';
import { checkId } from '../ids';
import { sendConsole } from '../linux/console';
import { cgroupManager, type CgroupPaths, planCgroups } from '../cgroups/manager';
import { stopMigrationKeeper } from '../cgroups/migration-keeper';
import { startMigrationWarmup } from '../cgroups/migration-warmup';
import { containerDeviceRules } from '../cgroups/devices';
import type { LinuxResources } from '../cgroups/types';
import { HookError, hookState, runHooksWarning } from '../linux/hooks';
import { launch, type Launched } from '../linux/launch';
import { compileContainerSeccomp } from '../linux/seccomp-setup';
import { readProcStat } from '../state/status';
import { rfc3339 } from '../state/timestamp';
import type { StoredState } from '../state/store';
import { type GlobalOptions, storeOf } from './options';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  noPivot: boolean;
  noNewKeyring: boolean;
  /** A foreground `run` proxies the terminal itself: no --console-socket needed. */
  keepConsole?: boolean;
  /** Library callers only (no CLI flag): the container's fds 0-2 instead of ours. */
  stdio?: [ChildFd, ChildFd, ChildFd];
}

export interface Created extends Launched {
  state: StoredState;
}

/** A readable name for the cgroup in messages. */
function paths(p: CgroupPaths): Record<string, string> {
  return p.version === 1 ? p.dirs : { unified: `${p.root}${p.path}` };
}

function checkGlobalFlags(global: GlobalOptions): void {
  if (global.rootless === 'true') {
    throw new RuntimeError('--rootless=true: rootless containers are not supported by this version of mydocker-runtime');
  }
}

/** Writes the pid file atomically and without a trailing newline, as runc does. */
export function writePidFile(file: string, pid: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, file);
}

/**
 * create: the container's init is left waiting on the exec fifo. On any failure nothing is
 * left behind: the init is killed (its namespaces and mounts die with it) and the state
 * directory removed.
 */
export function create(global: GlobalOptions, options: CreateOptions): Created {
  checkId(options.id);
  checkGlobalFlags(global);
  const pidFile = options.pidFile ? path.resolve(options.pidFile) : undefined;
  if (!Number.isInteger(options.preserveFds) || options.preserveFds < 0) {
    throw new RuntimeError(`--preserve-fds: "${options.preserveFds}" is not a non-negative integer`);
  }
  const bundle = loadBundle(options.bundle);
  const consoleSocket = options.consoleSocket ? path.resolve(options.consoleSocket) : undefined;
  const terminal = bundle.config.process?.terminal ?? false;
  if (consoleSocket && !terminal) throw new RuntimeError('--console-socket: only for a process with "terminal": true');
  if (terminal && !consoleSocket && !options.keepConsole) {
    throw new RuntimeError('process.terminal: a detached container with a terminal needs --console-socket to hand the pty to');
  }
  const cgroupPaths = planCgroups(bundle.config.linux?.cgroupsPath, options.id, global.systemdCgroup);
  const store = storeOf(global);
  const lock = store.reserve(options.id);
  let launched: Launched | undefined;
  const cgroup = cgroupManager(cgroupPaths);
  try {
    mkfifo(store.fifoPath(options.id), 0o622);
    if (cgroup.exists() && cgroup.pids().length > 0) {
      throw new RuntimeError(`linux.cgroupsPath: the cgroup is in use by other processes (${Object.values(paths(cgroupPaths))[0]})`);
    }
    const resources = bundle.config.linux?.resources as LinuxResources | undefined;
    cgroup.create({ ...resources, devices: containerDeviceRules(resources, bundle.config.linux?.devices) });
    // Not sooner: the warm-up holds cgroup_mutex while it waits, which cgroup mkdir needs too.
    // Before launch: it also starts libuv's worker threads, which must be made in our namespaces.
    startMigrationWarmup();
    // After the warm-up began, to overlap its wait (libseccomp is loaded and the filter built).
    const seccomp = compileContainerSeccomp(bundle.config.linux?.seccomp);
    launched = launch(bundle, {
      id: options.id,
      fifoPath: store.fifoPath(options.id),
      preserveFds: options.preserveFds,
      noPivot: options.noPivot,
      noNewKeyring: options.noNewKeyring,
      cgroup,
      cgroupPaths,
      seccomp,
      ...(options.stdio ? { stdio: options.stdio } : {}),
    });
    cgroup.finishAddProcess();
    stopMigrationKeeper();
    const stat = readProcStat(launched.init.pid);
    if (!stat) throw new RuntimeError('container init exited during create');
    const state: StoredState = {
      ociVersion: bundle.config.ociVersion,
      id: options.id,
      pid: launched.init.pid,
      bundle: bundle.dir,
      rootfs: bundle.rootfs,
      created: rfc3339(),
      owner: '',
      initStartTime: stat.startTime,
      ownPidNamespace: launched.ownPidNamespace,
      cgroupPaths,
      ...(bundle.config.annotations ? { annotations: bundle.config.annotations } : {}),
      ...(bundle.config.hooks ? { hooks: bundle.config.hooks } : {}),
    };
    store.write(state);
    if (pidFile) writePidFile(pidFile, launched.init.pid);
    if (consoleSocket && launched.consoleMaster !== undefined) {
      sendConsole(consoleSocket, launched.consoleMaster);
      fs.closeSync(launched.consoleMaster);
      delete launched.consoleMaster;
    }
    return { ...launched, state };
  } catch (err) {
    if (launched?.consoleMaster !== undefined) fs.closeSync(launched.consoleMaster);
    launched?.init.destroy();
    try {
      cgroup.destroy();
    } catch {
      /* the error that got us here matters more */
    }
    store.remove(options.id);
    // runtime.md: a failing create-time hook stops the container and the lifecycle goes on to
    // deleting it, poststop hooks included.
    if (err instanceof HookError) {
      const { config } = bundle;
      runHooksWarning('poststop', config.hooks, hookState({ ociVersion: config.ociVersion, id: options.id, bundle: bundle.dir, annotations: config.annotations }, 'stopped'));
    }
    throw err;
  } finally {
    lock.release();
  }
}
