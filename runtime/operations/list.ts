import fs = require('node:fs');
import type { State } from '../spec/types';
import { publicState } from './state';
import { type GlobalOptions, storeOf } from './options';

/** The user name owning a path, as runc's list shows it. */
function ownerOf(file: string): string {
  const uid = fs.statSync(file).uid;
  try {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0]!;
  } catch {
    /* no passwd file */
  }
  return String(uid);
}

export function listStates(global: GlobalOptions): State[] {
  const store = storeOf(global);
  const states: State[] = [];
  for (const id of store.list()) {
    try {
      states.push({ ...publicState(store, store.read(id)), owner: ownerOf(store.dir(id)) });
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
