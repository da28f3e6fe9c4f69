// The two ways a container's init comes to life in its namespaces. Without a user namespace the
// runtime's main thread enters them and spawns the init helper inside; with one, only the helper
// can make it, and it makes every other namespace inside it (see startInUserNamespace).
import fs = require('node:fs');
import { CLONE } from '../../native/libc';
import type { CgroupManager } from '../cgroups/types';
import { RuntimeError } from '../errors';
import type { Linux, Namespace, NamespaceType, RuntimeConfig } from '../spec/types';
import { InitProcess } from './init-process';
import {
  enterNamespaces,
  enterNamespacesOf,
  HostNamespaces,
  hostRestorable,
  NAMESPACES,
  type NamespacePlan,
  openNamespace,
} from './namespaces';
import { hostIdOf, readIdMap, writeIdMaps } from './userns';

export interface StartedInit {
  init: InitProcess;
  /** Where the main thread returns to; it is inside the container's namespaces meanwhile. */
  host: HostNamespaces;
}

/**
 * Without a user namespace: the main thread enters (or creates) the namespaces and the helper is
 * spawned into them. A new cgroup namespace must be rooted at the container's cgroup, so the
 * helper unshares that one itself once it has been moved in. Otherwise, with `joinInBackground`,
 * the move into the cgroup runs on worker threads while the caller sets up the root filesystem
 * (the caller calls cgroup.finishAddProcess() before the container may run anything).
 */
export function startInNamespaces(
  plan: NamespacePlan,
  namespaces: readonly Namespace[],
  cgroup: CgroupManager,
  spawnInit: () => InitProcess,
  joinInBackground: boolean,
): StartedInit {
  const newCgroupNamespace = (plan.unshareFlags & CLONE.NEWCGROUP) !== 0;
  const host = enterNamespaces({ ...plan, unshareFlags: plan.unshareFlags & ~CLONE.NEWCGROUP }, namespaces);
  let init: InitProcess | undefined;
  try {
    init = spawnInit();
    host.restoreForChildren();
    if (joinInBackground && !newCgroupNamespace) cgroup.startAddProcess(init.pid);
    else cgroup.addProcess(init.pid);
    if (newCgroupNamespace) init.unshare(CLONE.NEWCGROUP);
    return { init, host };
  } catch (err) {
    abandon(init, host);
    throw err;
  }
}

/**
 * With a user namespace: the helper, spawned in our namespaces and moved into the cgroup, makes
 * (or joins) the user namespace, becomes its root once we wrote the id maps, then makes or joins
 * every other namespace inside it, and forks the PID 1 of a new PID namespace. The main thread
 * then joins those namespaces (never the user one) to set up the rootfs.
 */
export function startInUserNamespace(plan: NamespacePlan, config: RuntimeConfig, cgroup: CgroupManager, spawnInit: () => InitProcess): StartedInit {
  const host = new HostNamespaces(hostRestorable(plan));
  let init: InitProcess | undefined;
  try {
    init = spawnInit();
    cgroup.addProcess(init.pid);
    const user = plan.user!;
    if (user.path) {
      joinByPath(init, 'user', user.path, user.field);
    } else {
      init.unshare(CLONE.NEWUSER);
      writeIdMaps(init.pid, config.linux?.uidMappings, config.linux?.gidMappings);
    }
    // Become the namespace's root (if it has one) before making anything inside it, so that what
    // the helper mounts belongs to a mapped owner.
    if (hostIdOf(readIdMap(init.pid, 'uid_map'), 0) !== undefined && hostIdOf(readIdMap(init.pid, 'gid_map'), 0) !== undefined) init.setIds(0, 0);
    for (const join of plan.joins) joinByPath(init, join.type, join.path, `linux.namespaces (${join.type})`);
    if (plan.unshareFlags) init.unshare(plan.unshareFlags);
    if (plan.unshareFlags & CLONE.NEWPID) init.fork();
    enterNamespacesOf(init.pid, hostRestorable(plan).filter((t) => t !== 'pid'));
    return { init, host };
  } catch (err) {
    abandon(init, host);
    throw err;
  }
}

function joinByPath(init: InitProcess, type: NamespaceType, nsPath: string, field: string): void {
  const fd = openNamespace(type, nsPath, field);
  try {
    init.joinNamespace(fd, NAMESPACES[type].flag);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The helper joins a time namespace by path, or unshares a new one; the new one's clock offsets
 * are written before any process is in it (time_namespaces(7)) and the program enters it at execve.
 */
export function enterTimeNamespace(init: InitProcess, time: NonNullable<NamespacePlan['time']>, offsets: Linux['timeOffsets']): void {
  if (time.path) {
    const fd = openNamespace('time', time.path, time.field);
    try {
      init.joinNamespace(fd, CLONE.NEWTIME);
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  init.unshare(CLONE.NEWTIME);
  const lines = Object.entries(offsets ?? {}).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}`);
  if (lines.length === 0) return;
  const file = `/proc/${init.pid}/timens_offsets`;
  try {
    fs.writeFileSync(file, lines.join('\n'));
  } catch (err) {
    throw new RuntimeError(`linux.timeOffsets: writing ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

/** A start that failed half way: the helper goes, the main thread returns to our namespaces. */
function abandon(init: InitProcess | undefined, host: HostNamespaces): void {
  init?.destroy();
  host.restore();
  host.close();
}
