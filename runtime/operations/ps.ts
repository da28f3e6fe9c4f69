import { RuntimeError, StateError } from '../errors';
import { checkId } from '../ids';
import { cgroupManager } from '../cgroups/manager';
import { statusOf } from '../state/status';
import { type GlobalOptions, storeOf } from './options';

/** The host pids of the container's processes (its cgroup). */
export function containerPids(global: GlobalOptions, id: string): number[] {
  checkId(id);
  const store = storeOf(global);
  const state = store.read(id);
  if (statusOf(store, state) === 'stopped') return [];
  return cgroupManager(state.cgroupPaths).pids();
}

/**
 * ps --format table: the host's `ps` (with the given options, default -ef), keeping the header
 * and the rows of the container's processes, as runc does.
 */
export function psTable(pids: number[], psArgs: string[]): string {
  const args = psArgs.length ? psArgs : ['-ef'];
  // Loaded here only: child_process costs ~10 ms at start-up, which every other command would pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('ps', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new RuntimeError(`ps ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  const [header = '', ...rows] = r.stdout.split('\n');
  const pidColumn = header.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new StateError(`ps ${args.join(' ')}: no PID column in its output`);
  const wanted = new Set(pids);
  const kept = rows.filter((row) => wanted.has(Number(row.trim().split(/\s+/)[pidColumn])));
  return `${[header, ...kept].join('\n')}\n`;
}
