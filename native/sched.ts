// Scheduling attributes the runtime sets on the container's process from outside, before it
// execs: sched_setattr(2), ioprio_set(2) and sched_setaffinity(2).
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';
import { SyscallError } from './libc';

const libc = koffi.load('libc.so.6');
const syscallPtr = lazyFunc(libc, 'long syscall(long nr, int pid, void *attr, uint32_t flags)');
const syscallIoprio = lazyFunc(libc, 'long syscall(long nr, int which, int who, int ioprio)');
const setaffinityRaw = lazyFunc(libc, 'int sched_setaffinity(int pid, size_t size, void *mask)');

const NR: Record<string, { sched_setattr: number; ioprio_set: number }> = {
  x64: { sched_setattr: 314, ioprio_set: 251 },
  arm64: { sched_setattr: 274, ioprio_set: 30 },
};
function nr(): { sched_setattr: number; ioprio_set: number } {
  const n = NR[process.arch];
  if (!n) throw new Error(`unsupported architecture ${process.arch}`);
  return n;
}

export interface SchedAttr {
  policy: number;
  flags: bigint;
  nice: number;
  priority: number;
  runtime: bigint;
  deadline: bigint;
  period: bigint;
}

export function schedSetattr(pid: number, attr: SchedAttr): void {
  const buf = Buffer.alloc(48); // SCHED_ATTR_SIZE_VER0
  buf.writeUInt32LE(48, 0);
  buf.writeUInt32LE(attr.policy, 4);
  buf.writeBigUInt64LE(attr.flags, 8);
  buf.writeInt32LE(attr.nice, 16);
  buf.writeUInt32LE(attr.priority, 20);
  buf.writeBigUInt64LE(attr.runtime, 24);
  buf.writeBigUInt64LE(attr.deadline, 32);
  buf.writeBigUInt64LE(attr.period, 40);
  if (Number(syscallPtr(nr().sched_setattr, pid, buf, 0)) < 0) throw new SyscallError('sched_setattr', koffi.errno(), `pid ${pid}`);
}

const IOPRIO_WHO_PROCESS = 1;
export function ioprioSet(pid: number, ioprioClass: number, level: number): void {
  const value = (ioprioClass << 13) | level;
  if (Number(syscallIoprio(nr().ioprio_set, IOPRIO_WHO_PROCESS, pid, value)) < 0) {
    throw new SyscallError('ioprio_set', koffi.errno(), `pid ${pid}`);
  }
}

export function setAffinity(pid: number, cpus: readonly number[]): void {
  const mask = Buffer.alloc(128); // 1024 CPUs
  for (const cpu of cpus) mask[cpu >> 3]! |= 1 << (cpu & 7);
  if (setaffinityRaw(pid, mask.length, mask) < 0) throw new SyscallError('sched_setaffinity', koffi.errno(), `pid ${pid}`);
}
