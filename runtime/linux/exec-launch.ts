// exec: a new process in a running container. The runtime joins the container's namespaces
// on its main thread (the PID namespace for its children), spawns the init helper into them,
// hands it the container's mount namespace (the helper binary lives outside it), and sends the
// process' identity; the helper then execs at once.
import fs = require('node:fs');
import { CLONE } from '../../native/libc';
import { deferLogs, flushLogs } from '../log';
import type { CgroupManager } from '../cgroups/types';
import { type ContainerSeccomp, sendSeccompListener } from './seccomp-setup';
import type { NamespaceType, Process, State } from '../spec/types';
import { capLastCap } from './capabilities';
import { setUpConsole } from './console';
import { InitProcess } from './init-process';
import { enterNamespacesOf, HostNamespaces } from './namespaces';
import { setAffinity } from '../../native/sched';
import { allowedCpus, planScheduling } from './scheduling';
import { applyProcessLimits, execPlanFor, passedFds, processRlimits, stdio } from './process-setup';

export interface ExecLaunchOptions {
  /** The container's init, whose namespaces the process joins. */
  initPid: number;
  process: Process;
  preserveFds: number;
  /** The container's seccomp filter, compiled, for the process to load too. */
  seccomp?: ContainerSeccomp;
  /** The container's state, for a seccomp listener. */
  state: Omit<State, 'rootfs' | 'created' | 'owner'>;
  /** The container's cgroup: the process joins it before it runs. */
  cgroup: CgroupManager;
}

export interface ExecLaunched {
  process: InitProcess;
  consoleMaster?: number;
}

/**
 * Joined on our main thread: every namespace but mount and time, which the helper joins itself
 * (setns into a time namespace needs a single-threaded process), and user (not supported yet).
 */
const JOINED: NamespaceType[] = ['ipc', 'uts', 'network', 'pid', 'cgroup'];

export function launchExec(options: ExecLaunchOptions): ExecLaunched {
  const proc = options.process;
  const lastCap = capLastCap();
  const passed = passedFds(options.preserveFds);
  const env = [...(proc.env ?? []), ...passed.env];
  const rlimits = processRlimits(proc);
  const scheduling = planScheduling(proc);
  const originalCwd = process.cwd();
  const host = new HostNamespaces([...JOINED, 'mount']);
  const mountNs = fs.openSync(`/proc/${options.initPid}/ns/mnt`, fs.constants.O_RDONLY);
  const timeNs = fs.openSync(`/proc/${options.initPid}/ns/time`, fs.constants.O_RDONLY);
  let child: InitProcess | undefined;
  deferLogs();
  try {
    enterNamespacesOf(options.initPid, JOINED);
    child = InitProcess.spawn({ stdio: stdio(), preservedFds: passed.fds });
    scheduling.initialAffinity?.(child.pid);
    options.cgroup.addProcess(child.pid);
    if (scheduling.finalAffinity) scheduling.finalAffinity(child.pid);
    // Without a final affinity the process gets the container's CPUs back (those of its init).
    else if (scheduling.initialAffinity) setAffinity(child.pid, allowedCpus(options.initPid));
    child.joinNamespace(timeNs, CLONE.NEWTIME);
    child.joinNamespace(mountNs, CLONE.NEWNS);
    // The user namespace last: once in it, the helper has no privilege over the others.
    if (fs.readlinkSync(`/proc/${options.initPid}/ns/user`) !== fs.readlinkSync('/proc/self/ns/user')) {
      const userNs = fs.openSync(`/proc/${options.initPid}/ns/user`, fs.constants.O_RDONLY);
      try {
        child.joinNamespace(userNs, CLONE.NEWUSER);
      } finally {
        fs.closeSync(userNs);
      }
    }
    applyProcessLimits(child.pid, proc, rlimits);
    scheduling.attributes?.(child.pid);
    // Into the container's root ourselves: the program is looked up there, the pty comes from its devpts.
    enterNamespacesOf(options.initPid, ['mount']);
    const consoleMaster = proc.terminal ? setUpConsole(child, proc.consoleSize, false) : undefined;
    try {
      if (options.seccomp) child.seccomp(options.seccomp.flags, options.seccomp.program);
      const plan = execPlanFor(proc, env, lastCap, { chrootDot: false, waitForStart: false });
      const listener = child.exec({ ...plan, seccompListener: options.seccomp?.listenerPath !== undefined });
      if (listener !== undefined) {
        host.restore(); // the listener path is the host's
        sendSeccompListener(options.seccomp!, listener, child.pid, options.state);
      }
    } catch (err) {
      if (consoleMaster !== undefined) fs.closeSync(consoleMaster);
      throw err;
    }
    child.close();
    return { process: child, consoleMaster };
  } catch (err) {
    child?.destroy();
    throw err;
  } finally {
    fs.closeSync(mountNs);
    fs.closeSync(timeNs);
    host.restore();
    host.close();
    flushLogs();
    process.chdir(originalCwd);
  }
}
