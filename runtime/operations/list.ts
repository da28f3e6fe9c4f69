import type { State } from '../spec/types';
import { publicState } from './state';
import { type GlobalOptions, storeOf } from './options';

export function listStates(global: GlobalOptions): State[] {
  const store = storeOf(global);
  const states: State[] = [];
  for (const id of store.list()) {
    try {
      states.push(publicState(store, store.read(id)));
    } catch {
      // deleted while we were listing
    }
  }
  return states;
}

/** Columns padded like Go's tabwriter in runc (min width 12, padding 3). */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(12, ...rows.map((r) => r[col]!.length + 3)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('')).join('\n') + '\n';
}

export function listText(states: State[], format: string, quiet: boolean): string {
  if (quiet) return states.map((s) => `${s.id}\n`).join('');
  if (format === 'json') return `${JSON.stringify(states.length ? states : null)}\n`;
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const s of states) rows.push([s.id, String(s.pid ?? 0), s.status, s.bundle, s.created ?? '', s.owner ?? '']);
  return formatTable(rows);
}
