// What the container's init (create) and an exec'd process share: the fds they get, their
// limits, and the identity the init helper takes on before execve.
import fs = require('node:fs');
import type { ChildFd } from '../../native/spawn';
import { RuntimeError } from '../errors';
import type { Process } from '../spec/types';
import { capabilityMasks } from './capabilities';
import type { ExecPlan } from './init-process';
import { lookPath } from './lookpath';
import { applyRlimits, callerNofile, type ResolvedRlimit, resolveRlimits } from './rlimits';

/** fds the caller handed us for systemd socket activation (LISTEN_PID must be us, as runc checks). */
function socketActivationFds(): number {
  if (process.env.LISTEN_PID !== String(process.pid)) return 0;
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export interface PassedFds {
  /** Our fds 3, 4, ... that the process gets at the same numbers. */
  fds: number[];
  /** Added to the process' environment (LISTEN_FDS, LISTEN_PID). */
  env: string[];
}

/** LISTEN_FDS socket activation first, then --preserve-fds, as runc orders them. */
export function passedFds(preserveFds: number): PassedFds {
  const listenFds = socketActivationFds();
  const fds = Array.from({ length: listenFds + preserveFds }, (_, i) => 3 + i);
  for (const fd of fds) {
    try {
      fs.fstatSync(fd);
    } catch {
      throw new RuntimeError(`--preserve-fds: fd ${fd} is not open`);
    }
  }
  return { fds, env: listenFds > 0 ? [`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1'] : [] };
}

/** Our stdio as the process' stdio; a closed one becomes /dev/null. */
export function stdio(): [ChildFd, ChildFd, ChildFd] {
  const one = (fd: number): ChildFd => {
    try {
      fs.fstatSync(fd);
      return fd;
    } catch {
      return 'devnull';
    }
  };
  return [one(0), one(1), one(2)];
}

/** process.rlimits, plus the caller's RLIMIT_NOFILE when the config does not set it. */
export function processRlimits(proc: Process): ResolvedRlimit[] {
  const rlimits = resolveRlimits(proc.rlimits);
  const nofile = callerNofile();
  if (nofile && !rlimits.some((r) => r.type === 'RLIMIT_NOFILE')) rlimits.unshift(nofile);
  return rlimits;
}

/** Limits the runtime sets on the process from outside, before it execs. */
export function applyProcessLimits(pid: number, proc: Process, rlimits: readonly ResolvedRlimit[]): void {
  applyRlimits(pid, rlimits);
  if (proc.oomScoreAdj !== undefined) {
    try {
      fs.writeFileSync(`/proc/${pid}/oom_score_adj`, String(proc.oomScoreAdj));
    } catch (err) {
      throw new RuntimeError(`process.oomScoreAdj: cannot set ${proc.oomScoreAdj}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
}

/**
 * HOME for the process when its environment has none: the user's home directory from the
 * container's /etc/passwd, or "/" (runc does the same; the spec is silent). Called inside the
 * container's root.
 */
export function withHome(env: string[], uid: number): string[] {
  if (env.some((e) => e.startsWith('HOME='))) return env;
  let home = '/';
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields.length >= 6 && fields[2] === String(uid) && fields[5]) {
        home = fields[5];
        break;
      }
    }
  } catch {
    /* no passwd file: "/" */
  }
  return [...env, `HOME=${home}`];
}

/**
 * The identity the helper takes on. Called inside the container's root: the program is looked
 * up there, with the process' own PATH.
 */
export function execPlanFor(
  proc: Process,
  env: string[],
  lastCap: number,
  mode: { chrootDot: boolean; waitForStart: boolean },
): ExecPlan {
  if (!proc.args?.length) throw new RuntimeError('process.args: at least one argument is required');
  env = withHome(env, proc.user.uid);
  return {
    uid: proc.user.uid,
    gid: proc.user.gid,
    groups: proc.user.additionalGids ?? [],
    umask: proc.user.umask,
    cwd: proc.cwd,
    noNewPrivileges: proc.noNewPrivileges ?? false,
    capabilities: capabilityMasks(proc.capabilities, lastCap),
    chrootDot: mode.chrootDot,
    waitForStart: mode.waitForStart,
    capLastCap: lastCap,
    path: lookPath(proc.args[0]!, env, proc.cwd),
    args: proc.args,
    env,
  };
}
