// Starts a container's init: namespaces, the init helper, the root filesystem, and the
// process' identity; returns with the init blocked on the exec fifo. Runs on the main thread,
// which spends the middle of this function inside the container's namespaces (only sync
// calls there: async fs work would run on threads still in the host's mount namespace).
import fs = require('node:fs');
import { CLONE, joinSessionKeyring } from '../../native/libc';
import type { ChildFd } from '../../native/spawn';
import { RuntimeError } from '../errors';
import type { NamespaceType } from '../spec/types';
import type { Bundle } from '../bundle';
import { currentHierarchies } from './cgroup-mount';
import { setUpConsole } from './console';
import { capabilityMasks, capLastCap } from './capabilities';
import { InitProcess } from './init-process';
import { lookPath } from './lookpath';
import { hasHooks, hookState, runHooks } from './hooks';
import { enterNamespaces, enterNamespacesOf, type HostNamespaces, planNamespaces } from './namespaces';
import { applyRlimits, callerNofile, resolveRlimits } from './rlimits';
import { enterRootfs, finishRootfs, prepareRootfs } from './rootfs';

export interface LaunchOptions {
  id: string;
  /** The exec fifo, already created; the init gets it opened read-write. */
  fifoPath: string;
  preserveFds: number;
  noPivot: boolean;
  noNewKeyring: boolean;
}

export interface Launched {
  init: InitProcess;
  ownPidNamespace: boolean;
  /** With process.terminal: the pty master (the caller passes it on or proxies it). */
  consoleMaster?: number;
}

/** fds the caller handed us for systemd socket activation (LISTEN_PID must be us, as runc checks). */
function socketActivationFds(): number {
  if (process.env.LISTEN_PID !== String(process.pid)) return 0;
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
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

function setOomScoreAdj(pid: number, value: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
  } catch (err) {
    throw new RuntimeError(`process.oomScoreAdj: cannot set ${value}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

function stdioFd(fd: number): ChildFd {
  try {
    fs.fstatSync(fd);
    return fd;
  } catch {
    return 'devnull';
  }
}

export function launch(bundle: Bundle, options: LaunchOptions): Launched {
  const { config } = bundle;
  const proc = config.process;
  if (!proc) throw new RuntimeError('config.json: /process: required to create a container');
  if (!proc.args?.length) throw new RuntimeError('config.json: /process/args: at least one argument is required');
  const namespaces = config.linux?.namespaces ?? [];
  const plan = planNamespaces(namespaces);
  const lastCap = capLastCap();
  const capabilities = capabilityMasks(proc.capabilities, lastCap);
  const listenFds = socketActivationFds();
  const preserved = Array.from({ length: listenFds + options.preserveFds }, (_, i) => 3 + i);
  for (const fd of preserved) {
    try {
      fs.fstatSync(fd);
    } catch {
      throw new RuntimeError(`--preserve-fds: fd ${fd} is not open`);
    }
  }
  const env = [...(proc.env ?? [])];
  if (listenFds > 0) env.push(`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1');
  const rlimits = resolveRlimits(proc.rlimits);
  const nofile = callerNofile();
  if (nofile && !rlimits.some((r) => r.type === 'RLIMIT_NOFILE')) rlimits.unshift(nofile);
  const originalCwd = process.cwd();
  const cgroups = currentHierarchies();

  if (!options.noNewKeyring) joinSessionKeyring(`_ses.${options.id}`);
  const fifoFd = fs.openSync(options.fifoPath, fs.constants.O_RDWR);
  const host = enterNamespaces(plan, namespaces);
  let init: InitProcess | undefined;
  try {
    init = InitProcess.spawn({ stdio: [stdioFd(0), stdioFd(1), stdioFd(2)], preservedFds: preserved, fifoFd });
    host.restoreForChildren();
    applyRlimits(init.pid, rlimits);
    if (proc.oomScoreAdj !== undefined) setOomScoreAdj(init.pid, proc.oomScoreAdj);
    const ctx = {
      rootfs: bundle.rootfs,
      bundle: bundle.dir,
      config,
      init,
      noPivot: options.noPivot,
      ownNetwork: (plan.unshareFlags & CLONE.NEWNET) !== 0,
      cgroups,
    };
    prepareRootfs(ctx);
    runCreateHooks(bundle, options.id, init.pid, plan.types, host);
    enterRootfs(ctx);
    finishRootfs(config, plan.types.has('uts'));
    const consoleMaster = proc.terminal ? setUpConsole(init, proc.consoleSize) : undefined;
    const cwd = proc.cwd;
    const program = lookPath(proc.args[0]!, env, cwd);
    init.exec({
      uid: proc.user.uid,
      gid: proc.user.gid,
      groups: proc.user.additionalGids ?? [],
      umask: proc.user.umask,
      cwd,
      noNewPrivileges: proc.noNewPrivileges ?? false,
      capabilities,
      chrootDot: options.noPivot,
      capLastCap: lastCap,
      path: program,
      args: proc.args,
      env,
    });
    init.close();
    return { init, ownPidNamespace: (plan.unshareFlags & CLONE.NEWPID) !== 0, consoleMaster };
  } catch (err) {
    init?.destroy();
    throw err;
  } finally {
    host.restore();
    host.close();
    fs.closeSync(fifoFd);
    process.chdir(originalCwd);
  }
}
