// Resource flags (--memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit)
// become linux.resources, with the checks and defaults docker's daemon applies.
import { UsageError } from '../errors';

export interface RunResources {
  /** bytes; --memory */
  memory?: number;
  /** bytes of memory plus swap, -1 for unlimited swap; --memory-swap */
  memorySwap?: number;
  /** --cpus, already a CFS quota/period (parseCpus); quota -1: no limit */
  cpus?: { quota: number; period: number };
  /** --cpu-shares; 0: the default */
  cpuShares?: number;
  /** --cpuset-cpus, e.g. "0-1" */
  cpusetCpus?: string;
  /** --pids-limit; 0: unlimited */
  pidsLimit?: number;
}

/** Docker's smallest --memory: 6 MiB. */
export const MIN_MEMORY = 6 * 1024 * 1024;
const MIN_CPU_SHARES = 2;
const MAX_CPU_SHARES = 262144;

/** The combinations docker's daemon refuses; throws a UsageError naming the flags. */
export function checkResources(r: RunResources): void {
  if (r.memory !== undefined && r.memory > 0 && r.memory < MIN_MEMORY) {
    throw new UsageError(`--memory ${r.memory}: the minimum memory limit allowed is 6MB`);
  }
  if (r.memorySwap !== undefined && r.memorySwap !== 0) {
    if (!r.memory) throw new UsageError('--memory-swap: you should always set the memory limit (--memory) when using a memoryswap limit');
    if (r.memorySwap !== -1 && r.memorySwap < r.memory) {
      throw new UsageError('--memory-swap: the minimum memoryswap limit should be larger than the memory limit (--memory)');
    }
  }
}

type Json = Record<string, unknown>;

/**
 * linux.resources without devices (see defaults.ts): memory, cpu, pids. `swapLimit`: whether the
 * host can limit swap; without it only memory is limited, as docker does.
 */
export function linuxResources(r: RunResources, swapLimit = true): Json {
  checkResources(r);
  const out: Json = {};
  if (r.memory) {
    // Without --memory-swap docker allows as much swap as memory (memory+swap = twice the memory).
    const swap = r.memorySwap ? r.memorySwap : r.memory * 2;
    out.memory = swapLimit ? { limit: r.memory, swap } : { limit: r.memory };
  }
  const cpu: Json = {};
  if (r.cpuShares) cpu.shares = Math.min(Math.max(r.cpuShares, MIN_CPU_SHARES), MAX_CPU_SHARES);
  if (r.cpus && r.cpus.quota > 0) {
    cpu.quota = r.cpus.quota;
    cpu.period = r.cpus.period;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  return out;
}
