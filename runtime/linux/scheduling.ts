// process.scheduler, process.ioPriority and process.execCPUAffinity (runtime-spec 1.2), applied
// to the container's process before it execs.
import fs = require('node:fs');
import { ioprioSet, schedSetattr, setAffinity } from '../../native/sched';
import { ConfigError } from '../errors';
import type { Process } from '../spec/types';

const POLICIES: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
const FLAGS: Record<string, bigint> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01n, SCHED_FLAG_RECLAIM: 0x02n, SCHED_FLAG_DL_OVERRUN: 0x04n, SCHED_FLAG_KEEP_POLICY: 0x08n,
  SCHED_FLAG_KEEP_PARAMS: 0x10n, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20n, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40n,
};
const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };

interface Scheduler {
  policy: string;
  nice?: number;
  priority?: number;
  flags?: string[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

/** "0-3,7" -> [0, 1, 2, 3, 7] */
export function parseCpuList(text: string, field: string): number[] {
  const cpus: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new ConfigError(`${field}: "${text}" is not a CPU list like 0-3,7`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to >= 1024) throw new ConfigError(`${field}: "${part}" is not a valid CPU range`);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

export interface SchedulingPlan {
  /** scheduler and ioPriority. */
  attributes?: (pid: number) => void;
  /** execCPUAffinity.initial: for an exec'd process, before it joins the container's cgroup. */
  initialAffinity?: (pid: number) => void;
  /** execCPUAffinity.final: after it joined (the cgroup's cpuset resets the affinity otherwise). */
  finalAffinity?: (pid: number) => void;
}

/** Validates before anything is created; returns what applies it to a pid, step by step. */
export function planScheduling(proc: Process): SchedulingPlan {
  const plan: SchedulingPlan = {};
  const steps: ((pid: number) => void)[] = [];
  const scheduler = proc.scheduler as Scheduler | undefined;
  if (scheduler) {
    const policy = POLICIES[scheduler.policy];
    if (policy === undefined) throw new ConfigError(`process.scheduler.policy: "${scheduler.policy}" is not supported by Linux`);
    let flags = 0n;
    for (const [i, flag] of (scheduler.flags ?? []).entries()) {
      const bit = FLAGS[flag];
      if (bit === undefined) throw new ConfigError(`process.scheduler.flags[${i}]: unknown flag "${flag}"`);
      flags |= bit;
    }
    const attr = {
      policy,
      flags,
      nice: scheduler.nice ?? 0,
      priority: scheduler.priority ?? 0,
      runtime: BigInt(scheduler.runtime ?? 0),
      deadline: BigInt(scheduler.deadline ?? 0),
      period: BigInt(scheduler.period ?? 0),
    };
    steps.push((pid) => wrap('process.scheduler', () => schedSetattr(pid, attr)));
  }
  if (proc.ioPriority) {
    const ioClass = IOPRIO_CLASSES[proc.ioPriority.class];
    if (ioClass === undefined) throw new ConfigError(`process.ioPriority.class: unknown class "${proc.ioPriority.class}"`);
    const level = proc.ioPriority.priority ?? 0;
    if (level < 0 || level > 7) throw new ConfigError(`process.ioPriority.priority: ${level} is not between 0 and 7`);
    steps.push((pid) => wrap('process.ioPriority', () => ioprioSet(pid, ioClass, level)));
  }
  if (steps.length) plan.attributes = (pid) => steps.forEach((step) => step(pid));
  const affinity = proc.execCPUAffinity;
  if (affinity?.initial !== undefined) {
    const cpus = parseCpuList(affinity.initial, 'process.execCPUAffinity.initial');
    plan.initialAffinity = (pid) => wrap('process.execCPUAffinity.initial', () => setAffinity(pid, cpus));
  }
  if (affinity?.final !== undefined) {
    const cpus = parseCpuList(affinity.final, 'process.execCPUAffinity.final');
    plan.finalAffinity = (pid) => wrap('process.execCPUAffinity.final', () => setAffinity(pid, cpus));
  }
  return plan;
}

/** The CPUs a process may run on (Cpus_allowed_list in /proc/PID/status). */
export function allowedCpus(pid: number): number[] {
  const m = /^Cpus_allowed_list:\s+(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? parseCpuList(m[1]!, `/proc/${pid}/status`) : [];
}

function wrap(field: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw new ConfigError(`${field}: ${(err as Error).message}`);
  }
}
