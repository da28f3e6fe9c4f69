// The launcher's cgroup migration keeper (native/launcher.c, KEEPER_COMMANDS): a process forked
// before Node starts that pays the RCU grace period of the first cgroup.procs write while Node
// starts and keeps later writes on the fast path. Once this runtime has moved its process into
// the container's cgroup, the keeper has done its job: stopMigrationKeeper ends and reaps it.
import { reap } from '../../native/spawn';
import { log } from '../log';
import { readProcStat } from '../state/status';

export const KEEPER_ENV = 'MYDOCKER_MIGRATION_KEEPER';

/**
 * The keeper's pid from the launcher, if `env` names one that is `parent`'s child: the variable
 * alone proves nothing (a caller may have set it), and only our own child is ours to end.
 */
export function keeperPid(env: NodeJS.ProcessEnv, parent: number): number | undefined {
  const value = env[KEEPER_ENV];
  if (value === undefined || !/^[1-9][0-9]*$/.test(value)) return undefined;
  const pid = Number(value);
  return readProcStat(pid)?.ppid === parent ? pid : undefined;
}

/** Ends and reaps the keeper (no-op without one); the variable is not passed on to hooks. */
export function stopMigrationKeeper(): void {
  const pid = keeperPid(process.env, process.pid);
  delete process.env[KEEPER_ENV];
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
    reap(pid);
    log('debug', `cgroup migration keeper ${pid} stopped`);
  } catch (err) {
    // it dies with this process anyway (PR_SET_PDEATHSIG)
    log('debug', `cgroup migration keeper ${pid}: ${(err as Error).message}`);
  }
}
