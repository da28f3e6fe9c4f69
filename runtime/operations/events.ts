import fs = require('node:fs');
import { cgroupManager } from '../cgroups/manager';
import type { CgroupStats } from '../cgroups/types';
import { RuntimeError } from '../errors';
import { checkId } from '../ids';
import { statusOf } from '../state/status';
import { type GlobalOptions, storeOf } from './options';

/** A runc-shaped stats event: {"type":"stats","id":...,"data":{cpu, memory, pids}}. */
export function statsEvent(id: string, stats: CgroupStats): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (stats.cpu) {
    data.cpu = {
      usage: { total: stats.cpu.usageNanoseconds, user: stats.cpu.userNanoseconds ?? 0, kernel: stats.cpu.systemNanoseconds ?? 0 },
      throttling: { throttledPeriods: stats.cpu.throttledPeriods ?? 0 },
    };
  }
  if (stats.memory) {
    data.memory = {
      usage: { usage: stats.memory.usage, limit: stats.memory.limit ?? 0, max: stats.memory.maxUsage ?? 0, failcnt: stats.memory.failcnt ?? 0 },
      oomKills: stats.memory.oomKills ?? 0,
    };
  }
  if (stats.pids) data.pids = { current: stats.pids.current, limit: stats.pids.limit ?? 0 };
  return { type: 'stats', id, data };
}

/**
 * events --stats: one stats event and exit. events: a stats event every interval, and an "oom"
 * event when the OOM killer struck, until the container stops.
 */
export async function events(global: GlobalOptions, id: string, once: boolean, intervalText: string): Promise<void> {
  checkId(id);
  const interval = parseDuration(intervalText);
  const store = storeOf(global);
  const state = store.read(id);
  const cgroup = cgroupManager(state.cgroupPaths);
  const print = (event: Record<string, unknown>) => fs.writeSync(1, `${JSON.stringify(event)}\n`);
  if (statusOf(store, state) === 'stopped') throw new RuntimeError('container not running');
  let ooms = cgroup.stats().memory?.oomKills ?? 0;
  const reportOom = () => {
    const kills = cgroup.exists() ? (cgroup.stats().memory?.oomKills ?? 0) : 0;
    if (kills > ooms) print({ type: 'oom', id });
    ooms = Math.max(ooms, kills);
  };
  for (;;) {
    print(statsEvent(id, cgroup.stats()));
    if (once) return;
    reportOom();
    await new Promise((resolve) => setTimeout(resolve, interval));
    if (!store.exists(id) || statusOf(store, store.read(id)) === 'stopped') {
      reportOom(); // the kill that stopped it
      return;
    }
  }
}

/** "5s", "500ms", "1m", or a number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new RuntimeError(`--interval: "${text}" is not a duration (like 5s or 500ms)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * factor;
  if (ms <= 0) throw new RuntimeError(`--interval: must be above zero`);
  return ms;
}
