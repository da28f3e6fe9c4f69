// docker stats --no-stream: one set of figures per container from its cgroup (CPU over a short
// sample, memory without the page cache, block I/O, pids) and its network namespace.
import type { Context } from '../context';
import { containerCgroups, networkBytes, readCgroupFigures } from './cgroup-stats';
import { shortId } from './ids';
import { containerPid, runningContainer } from './lifecycle';
import { sleep } from './procs';
import type { LifecycleOptions } from './types';

export interface ContainerStats {
  id: string;
  name: string;
  /** 100 = one CPU busy */
  cpuPercent: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

export async function statsContainer(ctx: Context, ref: string, options: { sampleMs?: number } & LifecycleOptions = {}): Promise<ContainerStats> {
  const record = await runningContainer(ctx, ref, options);
  const paths = containerCgroups(record.cgroupsPath, record.id);
  const before = readCgroupFigures(paths);
  const t0 = process.hrtime.bigint();
  await sleep(options.sampleMs ?? 500);
  const after = readCgroupFigures(paths);
  const elapsed = Number(process.hrtime.bigint() - t0);
  const net = networkBytes(containerPid(record));
  return {
    id: record.id,
    name: record.name,
    cpuPercent: elapsed > 0 ? (Math.max(0, after.cpuNanos - before.cpuNanos) / elapsed) * 100 : 0,
    memoryUsage: after.memoryUsage,
    memoryLimit: after.memoryLimit,
    memoryPercent: after.memoryLimit > 0 ? (after.memoryUsage / after.memoryLimit) * 100 : 0,
    netRx: net.rx,
    netTx: net.tx,
    blockRead: after.blockRead,
    blockWrite: after.blockWrite,
    pids: after.pids,
  };
}

/** n in the largest unit below `base`, with `digits` significant digits, as go-units prints it. */
function scaled(n: number, base: number, units: readonly string[], digits: number): string {
  let i = 0;
  while (n >= base && i < units.length - 1) {
    n /= base;
    i++;
  }
  return `${Number(n.toPrecision(digits))}${units[i]}`;
}

/** go-units BytesSize: binary units, 4 significant digits (memory). */
export function bytesSize(n: number): string {
  return scaled(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], 4);
}

/** go-units HumanSizeWithPrecision(n, 3): decimal units (network and block I/O). */
export function humanSize(n: number): string {
  return scaled(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB'], 3);
}

export const STATS_HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

export function statsRow(s: ContainerStats): string[] {
  return [
    shortId(s.id),
    s.name,
    `${s.cpuPercent.toFixed(2)}%`,
    `${bytesSize(s.memoryUsage)} / ${bytesSize(s.memoryLimit)}`,
    `${s.memoryPercent.toFixed(2)}%`,
    `${humanSize(s.netRx)} / ${humanSize(s.netTx)}`,
    `${humanSize(s.blockRead)} / ${humanSize(s.blockWrite)}`,
    String(s.pids),
  ];
}
