// Docker's --format for list and inspect commands: "table" (aligned columns, the default for
// lists), "json" (one JSON object per line), or a Go-template-like string with {{.Field}},
// {{.A.B}} and {{json .X}} actions ("table " in front adds a header row), \t and \n as in docker.
import { UsageError } from '../errors';

/** Column text aligned as docker's tabwriter does it (minimum width 10, 3 spaces of padding). */
export function alignColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(Math.max(widths[i]! + 3, 10))))
        .join('')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** How Go's fmt prints a value in a template: lists as [a b], objects as map[k:v], null as <nil>. */
function goPrint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goPrint).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goPrint(v)}`).join(' ')}]`;
  }
  return String(value);
}

function lookup(data: unknown, path: string, template: string): unknown {
  if (path === '.') return data;
  let value: unknown = data;
  for (const field of path.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, field)) {
      throw new UsageError(`--format "${template}": can't evaluate field ${field}`);
    }
    value = (value as Record<string, unknown>)[field];
  }
  return value;
}

const ACTION = /\{\{\s*(?:(json)\s+)?(\.[A-Za-z0-9_.]*)\s*\}\}/g;

/** Checks a template once (unknown actions are an error naming the action). */
function checkTemplate(template: string): void {
  const rest = template.replace(ACTION, '');
  const bad = /\{\{.*?\}\}/.exec(rest);
  if (bad) throw new UsageError(`--format "${template}": unsupported template action ${bad[0]} (supported: {{.Field}}, {{.A.B}}, {{json .}}, {{json .Field}})`);
}

/** Fills {{.Field}} and {{json .Field}} from `data`. */
export function renderTemplate(template: string, data: unknown): string {
  return template.replace(ACTION, (_, json: string | undefined, path: string) => {
    const value = lookup(data, path === '.' ? '.' : path.replace(/\.$/, ''), template);
    return json ? JSON.stringify(value ?? null) : goPrint(value);
  });
}

/**
 * Prints `rows` as --format asks. `columns` are the default table's fields and their headers;
 * `headers` names any field for a "table {{.X}}" template.
 */
export function formatRows<T extends object>(
  rows: T[],
  format: string | undefined,
  columns: Array<[keyof T & string, string]>,
  headers: Partial<Record<keyof T & string, string>>,
): string {
  if (format === undefined || format === 'table') {
    return alignColumns([columns.map(([, h]) => h), ...rows.map((r) => columns.map(([k]) => String(r[k])))]);
  }
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const isTable = format.startsWith('table');
  const template = (isTable ? format.slice('table'.length) : format).trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  checkTemplate(template);
  const lines = rows.map((r) => renderTemplate(template, r));
  if (!isTable) return lines.map((l) => `${l}\n`).join('');
  const headerLine = template.replace(ACTION, (_, _json, path: string) => headers[path.slice(1) as keyof T & string] ?? path.slice(1).toUpperCase());
  return alignColumns([headerLine, ...lines].map((l) => l.split('\t')));
}

/** One rendering of each document (inspect -f). */
export function formatDocuments(docs: unknown[], format: string): string {
  const template = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  checkTemplate(template);
  return docs.map((d) => `${renderTemplate(template, d)}\n`).join('');
}
