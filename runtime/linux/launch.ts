// Starts a container's init: namespaces, the init helper, the root filesystem, and the
// process' identity; returns with the init blocked on the exec fifo. Runs on the main thread,
// which spends the middle of this function inside the container's namespaces (only sync
// calls there: async fs work would run on threads still in the host's mount namespace).
import fs = require('node:fs');
import path = require('node:path');
import { CLONE, joinSessionKeyring } from '../../native/libc';
import type { ChildFd } from '../../native/spawn';
import { RuntimeError } from '../errors';
import { deferLogs, flushLogs } from '../log';
import type { NamespaceType } from '../spec/types';
import type { Bundle } from '../bundle';
import type { CgroupPaths } from '../cgroups/manager';
import { type ContainerSeccomp, sendSeccompListener } from './seccomp-setup';
import type { CgroupManager } from '../cgroups/types';
import { checkConfig, PERSONALITY_DOMAINS } from './config-checks';
import { setUpConsole } from './console';
import { planScheduling } from './scheduling';
import { capLastCap } from './capabilities';
import { InitProcess } from './init-process';
import { hasHooks, hookState, runHooks } from './hooks';
import { enterTimeNamespace, startInNamespaces, startInUserNamespace, type StartedInit } from './init-start';
import { enterNamespacesOf, type HostNamespaces, planNamespaces } from './namespaces';
import { hostIdOf, readIdMap } from './userns';
import { applyProcessLimits, execPlanFor, passedFds, processRlimits, stdio } from './process-setup';
import { enterRootfs, ensureTarget, finishRootfs, prepareRootfs } from './rootfs';

export interface LaunchOptions {
  id: string;
  /** The exec fifo, already created; the init gets it opened read-write. */
  fifoPath: string;
  preserveFds: number;
  noPivot: boolean;
  noNewKeyring: boolean;
  /** linux.seccomp, compiled (before any namespace is entered: libseccomp must load from the host). */
  seccomp?: ContainerSeccomp;
  /**
   * The container's cgroup, already created: the init is moved in before anything runs (maybe
   * still in the background when launch returns: the caller calls cgroup.finishAddProcess()).
   */
  cgroup: CgroupManager;
  cgroupPaths: CgroupPaths;
  /** The init's fds 0-2; ours (a closed one as /dev/null) when not given. */
  stdio?: [ChildFd, ChildFd, ChildFd];
}

export interface Launched {
  init: InitProcess;
  ownPidNamespace: boolean;
  /** With process.terminal: the pty master (the caller passes it on or proxies it). */
  consoleMaster?: number;
}

/**
 * prestart and createRuntime hooks run in the runtime's namespaces, createContainer in the
 * container's (its PID namespace included), all before pivot_root, as runc runs them.
 */
function runCreateHooks(bundle: Bundle, id: string, pid: number, types: Set<NamespaceType>, host: HostNamespaces): void {
  const { hooks } = bundle.config;
  if (!hasHooks(hooks, 'prestart', 'createRuntime', 'createContainer')) return;
  const state = hookState({ ociVersion: bundle.config.ociVersion, id, pid, bundle: bundle.dir, annotations: bundle.config.annotations }, 'creating');
  if (hasHooks(hooks, 'prestart', 'createRuntime')) {
    host.restore();
    runHooks('prestart', hooks, state);
    runHooks('createRuntime', hooks, state);
    enterNamespacesOf(pid, [...types].filter((t) => t !== 'pid' && t !== 'time'));
  }
  if (hasHooks(hooks, 'createContainer')) {
    enterNamespacesOf(pid, types.has('pid') ? ['pid'] : []);
    try {
      runHooks('createContainer', hooks, state);
    } finally {
      host.restoreForChildren();
    }
  }
}

/**
 * The host uid/gid of the container's root, who should own what the runtime creates in the
 * rootfs: from the init's id maps (the config's, or those of a user namespace joined by path).
 */
function containerRootOnHost(initPid: number): { uid: number; gid: number } | undefined {
  const uid = hostIdOf(readIdMap(initPid, 'uid_map'), 0);
  const gid = hostIdOf(readIdMap(initPid, 'gid_map'), 0);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

export function launch(bundle: Bundle, options: LaunchOptions): Launched {
  const { config } = bundle;
  const proc = config.process;
  if (!proc) throw new RuntimeError('config.json: /process: required to create a container');
  if (!proc.args?.length) throw new RuntimeError('config.json: /process/args: at least one argument is required');
  const namespaces = config.linux?.namespaces ?? [];
  const plan = planNamespaces(namespaces);
  checkConfig(config, plan.types);
  const scheduling = planScheduling(proc);
  const lastCap = capLastCap();
  const passed = passedFds(options.preserveFds);
  const env = [...(proc.env ?? []), ...passed.env];
  const rlimits = processRlimits(proc);
  const originalCwd = process.cwd();

  if (!options.noNewKeyring) joinSessionKeyring(`_ses.${options.id}`);
  const fifoFd = fs.openSync(options.fifoPath, fs.constants.O_RDWR);
  deferLogs();
  const spawnInit = () => InitProcess.spawn({ stdio: options.stdio ?? stdio(), preservedFds: passed.fds, fifoFd });
  let started: StartedInit | undefined;
  try {
    started = plan.user
      ? startInUserNamespace(plan, config, options.cgroup, spawnInit)
      : startInNamespaces(plan, namespaces, options.cgroup, spawnInit, !hasHooks(config.hooks, 'prestart', 'createRuntime', 'createContainer'));
  } catch (err) {
    flushLogs();
    fs.closeSync(fifoFd);
    throw err;
  }
  const { init, host } = started;
  try {
    if (plan.time) enterTimeNamespace(init, plan.time, config.linux?.timeOffsets);
    applyProcessLimits(init.pid, proc, rlimits);
    // execCPUAffinity is for exec'd processes only (config.md: not for the container's init).
    scheduling.attributes?.(init.pid);
    if (config.linux?.personality) init.personality(PERSONALITY_DOMAINS[config.linux.personality.domain]!);
    const ctx = {
      rootfs: bundle.rootfs,
      bundle: bundle.dir,
      config,
      init,
      noPivot: options.noPivot,
      ownNetwork: (plan.unshareFlags & CLONE.NEWNET) !== 0,
      cgroups: options.cgroupPaths,
      containerRoot: plan.user ? containerRootOnHost(init.pid) : undefined,
      userns: plan.user !== undefined,
      deviceDir: path.dirname(options.fifoPath),
    };
    prepareRootfs(ctx);
    runCreateHooks(bundle, options.id, init.pid, plan.types, host);
    enterRootfs(ctx);
    // A missing working directory is created, as runc does (before a read-only root is remounted).
    ensureTarget(ctx, proc.cwd, false);
    finishRootfs(config, plan.types.has('uts'));
    const consoleMaster = proc.terminal ? setUpConsole(init, proc.consoleSize, true) : undefined;
    if (options.seccomp) init.seccomp(options.seccomp.flags, options.seccomp.program);
    const execPlan = execPlanFor(proc, env, lastCap, { chrootDot: options.noPivot, waitForStart: true });
    const listener = init.exec({ ...execPlan, seccompListener: options.seccomp?.listenerPath !== undefined });
    if (listener !== undefined) {
      const state = hookState({ ociVersion: config.ociVersion, id: options.id, pid: init.pid, bundle: bundle.dir, annotations: config.annotations }, 'creating');
      host.restore(); // the listener path is the host's
      sendSeccompListener(options.seccomp!, listener, init.pid, state);
    }
    init.close();
    return { init, ownPidNamespace: (plan.unshareFlags & CLONE.NEWPID) !== 0, consoleMaster };
  } catch (err) {
    init.destroy();
    throw err;
  } finally {
    host.restore();
    host.close();
    flushLogs();
    fs.closeSync(fifoFd);
    process.chdir(originalCwd);
  }
}
