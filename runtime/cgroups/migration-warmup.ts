// Moving a process into a cgroup (a write to cgroup.procs) takes the kernel's global
// cgroup_threadgroup_rwsem for writing, with cgroup_mutex held. The first writer after a quiet
// spell waits for an RCU grace period (rcu_sync_enter); writers within about one grace period of
// the last one skip that wait. Measured here: the init's first cgroup.procs write took 6-32 ms,
// the next ones ~0.01 ms; it was the longest single step of a `run` (runc pays it too, while its
// `runc init` starts). So create (once its cgroup directories exist: mkdir needs cgroup_mutex)
// and exec begin a no-op migration, this process into the cgroup it is already in, on a libuv
// worker thread: the grace period passes while the main thread goes on, and the real move (in
// create also on the workers, CgroupManager.startAddProcess) finds the fast path or waits less.
// Best effort: any failure (read-only cgroupfs, no cgroups mounted) only forgoes the gain.
// Started through the native launcher, create, run and exec usually find the grace period paid
// already: the launcher's keeper (migration-keeper.ts) began it before Node started. This warm-up
// remains for a runtime started without the launcher (`node dist/mydocker-runtime.js`, the
// manager's in-process create) and as what starts libuv's worker threads (below).
import fs = require('node:fs');
import { writeInBackground } from './fsutil';
import { hostMountinfo } from './mountinfo';
import { ownCgroups } from './paths';
import { cgroupMounts } from './v1';

/** One cgroup.procs file of this process' own cgroup (`own`: see ownCgroups), if one is mounted. */
export function ownProcsFile(mountinfo: string, own: Map<string, string>): string | undefined {
  // Only a mount of a hierarchy's root maps /proc/self/cgroup paths one to one.
  const mount = cgroupMounts(mountinfo).find((m) => m.root === '/' && own.has(m.key));
  if (!mount) return undefined;
  const ownPath = own.get(mount.key)!;
  return `${mount.mountPoint}${ownPath === '/' ? '' : ownPath}/cgroup.procs`;
}

/**
 * Starts the no-op migration on a worker thread and returns at once. It is also what starts
 * libuv's worker threads (CgroupManager.startAddProcess uses them later): they must be made while
 * the main thread is still in the runtime's namespaces, as a new thread shares the namespaces and
 * fs_struct of the thread that makes it.
 */
export function startMigrationWarmup(): void {
  let file: string | undefined;
  try {
    file = ownProcsFile(hostMountinfo(), ownCgroups());
  } catch {
    /* no gain, nothing lost */
  }
  if (file === undefined || !writeInBackground(file, String(process.pid))) fs.stat('/', () => {});
}
