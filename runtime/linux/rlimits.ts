// process.rlimits, applied to the init from outside with prlimit before it execs.
import { prlimit, RLIM_INFINITY } from '../../native/libc';
import { ConfigError } from '../errors';
import type { Rlimit } from '../spec/types';

export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

export interface ResolvedRlimit {
  resource: number;
  type: string;
  soft: bigint;
  hard: bigint;
}

/** JSON numbers lose the last bits of 2^64-1 ("unlimited"): anything that large is RLIM_INFINITY. */
function limitValue(n: number): bigint {
  return n >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(n);
}

export function resolveRlimits(list: readonly Rlimit[] = []): ResolvedRlimit[] {
  const seen = new Set<string>();
  return list.map((r, i) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new ConfigError(`process.rlimits[${i}].type: unknown rlimit "${r.type}"`);
    if (seen.has(r.type)) throw new ConfigError(`process.rlimits[${i}]: duplicate "${r.type}"`);
    seen.add(r.type);
    const soft = limitValue(r.soft);
    const hard = limitValue(r.hard);
    if (soft > hard) throw new ConfigError(`process.rlimits[${i}]: soft limit ${r.soft} is above hard limit ${r.hard}`);
    return { resource, type: r.type, soft, hard };
  });
}

/**
 * Node raises its soft RLIMIT_NOFILE to the hard limit before any JavaScript runs; the
 * container must get what our caller had. The launcher (native/launcher.c) records it.
 */
export function callerNofile(): ResolvedRlimit | undefined {
  const m = /^(\d+):(\d+)$/.exec(process.env.MYDOCKER_CALLER_NOFILE ?? '');
  if (!m) return undefined;
  return { resource: RLIMITS.RLIMIT_NOFILE!, type: 'RLIMIT_NOFILE', soft: BigInt(m[1]!), hard: BigInt(m[2]!) };
}

export function applyRlimits(pid: number, limits: readonly ResolvedRlimit[]): void {
  for (const limit of limits) {
    try {
      prlimit(pid, limit.resource, limit.soft, limit.hard, limit.type);
    } catch (err) {
      throw new ConfigError(`process.rlimits: cannot set ${limit.type} to ${limit.soft}:${limit.hard}: ${(err as Error).message.replace(/^prlimit \S+: /, '')}`);
    }
  }
}
