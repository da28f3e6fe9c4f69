// Creating and joining the container's namespaces on the runtime's main thread, and leaving
// them again. The init helper is spawned from this thread afterwards and inherits them all;
// a pid namespace applies to children only, which is exactly what the init is. The time
// namespace is the init helper's business (see NamespacePlan.time).
import fs = require('node:fs');
import { CLONE, namespaceType, setns, unshare } from '../../native/libc';
import { ConfigError, RuntimeError } from '../errors';
import type { Namespace, NamespaceType } from '../spec/types';

interface NamespaceKind {
  flag: number;
  /** The name under /proc/PID/ns/. */
  proc: string;
}

export const NAMESPACES: Record<NamespaceType, NamespaceKind> = {
  user: { flag: CLONE.NEWUSER, proc: 'user' },
  ipc: { flag: CLONE.NEWIPC, proc: 'ipc' },
  uts: { flag: CLONE.NEWUTS, proc: 'uts' },
  network: { flag: CLONE.NEWNET, proc: 'net' },
  pid: { flag: CLONE.NEWPID, proc: 'pid' },
  cgroup: { flag: CLONE.NEWCGROUP, proc: 'cgroup' },
  time: { flag: CLONE.NEWTIME, proc: 'time' },
  mount: { flag: CLONE.NEWNS, proc: 'mnt' },
};

export interface NamespacePlan {
  /** Namespaces to create (a CLONE_NEW* mask). */
  unshareFlags: number;
  /** Namespaces to join by path, mount last. */
  joins: { type: NamespaceType; path: string }[];
  types: Set<NamespaceType>;
  /**
   * The time namespace is left to the init helper: setns into one needs a single-threaded
   * process, and a new one (unshared by the helper) is entered at execve, after its offsets
   * have been written.
   */
  time?: { path?: string; field: string };
  /**
   * A user namespace changes everything: a multithreaded process can neither create nor join
   * one, so the init helper makes (or joins) it first and every other namespace inside it.
   */
  user?: { path?: string; field: string };
}

export function planNamespaces(list: readonly Namespace[] = []): NamespacePlan {
  const plan: NamespacePlan = { unshareFlags: 0, joins: [], types: new Set() };
  list.forEach((ns, i) => {
    const field = `linux.namespaces[${i}]`;
    const kind = NAMESPACES[ns.type];
    if (!kind) throw new ConfigError(`${field}.type: unknown namespace type "${ns.type}"`);
    if (plan.types.has(ns.type)) throw new ConfigError(`${field}: duplicate "${ns.type}" namespace`);
    plan.types.add(ns.type);
    if (ns.type === 'time') plan.time = { ...(ns.path ? { path: ns.path } : {}), field };
    else if (ns.type === 'user') plan.user = { ...(ns.path ? { path: ns.path } : {}), field };
    else if (ns.path) plan.joins.push({ type: ns.type, path: ns.path });
    else plan.unshareFlags |= kind.flag;
  });
  if (!plan.types.has('mount')) {
    throw new ConfigError('linux.namespaces: a "mount" namespace is required (the rootfs is set up inside it)');
  }
  plan.joins.sort((a, b) => Number(a.type === 'mount') - Number(b.type === 'mount'));
  return plan;
}

/** Opens a namespace path and checks that it is the namespace type the config says. */
export function openNamespace(type: NamespaceType, nsPath: string, field: string): number {
  let fd: number;
  try {
    fd = fs.openSync(nsPath, fs.constants.O_RDONLY);
  } catch (err) {
    throw new ConfigError(`${field}.path: cannot open "${nsPath}": ${(err as NodeJS.ErrnoException).code}`);
  }
  const actual = namespaceType(fd);
  if (actual !== NAMESPACES[type].flag) {
    fs.closeSync(fd);
    const actualName = Object.entries(NAMESPACES).find(([, k]) => k.flag === actual)?.[0];
    throw new ConfigError(
      `${field}.path: "${nsPath}" is ${actualName ? `a ${actualName} namespace` : 'not a namespace'}, not a ${type} namespace`,
    );
  }
  return fd;
}

/** The runtime's own namespaces, to come back to once the container is set up. */
export class HostNamespaces {
  private fds = new Map<NamespaceType, number>();

  constructor(types: Iterable<NamespaceType>) {
    for (const type of types) {
      this.fds.set(type, fs.openSync(`/proc/self/ns/${NAMESPACES[type].proc}`, fs.constants.O_RDONLY));
    }
  }

  /** Puts the main thread (and its future children) back where the runtime started. */
  restore(): void {
    // setns into a mount namespace needs a private fs_struct (harmless when we have one already)
    unshare(CLONE.FS);
    for (const [type, fd] of this.fds) setns(fd, NAMESPACES[type].flag, `back to the runtime's ${type} namespace`);
  }

  /** The pid namespace: only future children are affected; used right after the init is spawned. */
  restoreForChildren(): void {
    for (const type of ['pid'] as const) {
      const fd = this.fds.get(type);
      if (fd !== undefined) setns(fd, NAMESPACES[type].flag, `back to the runtime's ${type} namespace`);
    }
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}

/**
 * Enters the namespaces a running process is in (those of `types`), on the main thread; the
 * pid namespace applies to children. Used to run hooks in the container and later for exec.
 */
export function enterNamespacesOf(pid: number, types: Iterable<NamespaceType>): void {
  const wanted = [...types].filter((t) => t !== 'user');
  const fds = wanted.map((type) => ({ type, fd: fs.openSync(`/proc/${pid}/ns/${NAMESPACES[type].proc}`, fs.constants.O_RDONLY) }));
  try {
    unshare(CLONE.FS);
    // mount last: the other paths were opened already, but keep the order of enterNamespaces
    fds.sort((a, b) => Number(a.type === 'mount') - Number(b.type === 'mount'));
    for (const { type, fd } of fds) setns(fd, NAMESPACES[type].flag, `the container's ${type} namespace`);
  } finally {
    for (const { fd } of fds) fs.closeSync(fd);
  }
}

/** The namespaces the main thread may leave and return to (not user or time: see NamespacePlan). */
export function hostRestorable(plan: NamespacePlan): NamespaceType[] {
  return [...plan.types].filter((t) => t !== 'time' && t !== 'user');
}

/** Enters the planned namespaces on the calling (main) thread. Returns how to get back. */
export function enterNamespaces(plan: NamespacePlan, list: readonly Namespace[]): HostNamespaces {
  const host = new HostNamespaces(hostRestorable(plan));
  const joinFds: { type: NamespaceType; fd: number }[] = [];
  try {
    for (const join of plan.joins) {
      const index = list.findIndex((ns) => ns.type === join.type);
      joinFds.push({ type: join.type, fd: openNamespace(join.type, join.path, `linux.namespaces[${index}]`) });
    }
    // setns into a mount namespace needs a private fs_struct; unshare(CLONE_NEWNS) implies it.
    unshare(CLONE.FS);
    for (const { type, fd } of joinFds) setns(fd, NAMESPACES[type].flag, `${type} namespace`);
    if (plan.unshareFlags) unshare(plan.unshareFlags);
  } catch (err) {
    try {
      host.restore();
    } catch {
      /* best effort */
    }
    host.close();
    throw err instanceof RuntimeError ? err : new RuntimeError(`entering namespaces: ${(err as Error).message}`);
  } finally {
    for (const { fd } of joinFds) fs.closeSync(fd);
  }
  return host;
}
