// What `ps` prints, as docker prints it: durations ("5 seconds ago"), statuses ("Up 3
// seconds", "Exited (0) 2 seconds ago"), the quoted and shortened command, the table layout,
// and --format (table, json, or a Go-template subset: {{.Field}}, {{json .}}, {{json .Field}}).
// Pure functions: `now` is a parameter.
import { UsageError } from '../errors';
import { humanDuration } from '../images/human';
import { shortId } from './ids';
import type { ContainerRecord } from './types';

/** docker's HumanDuration (go-units): one wording for images and containers. */
export { humanDuration };

function since(time: string | undefined, now: number): number {
  return time ? Math.max(0, now - Date.parse(time)) : 0;
}

/** The STATUS column. */
export function statusText(record: ContainerRecord, now: number): string {
  const s = record.state;
  switch (s.status) {
    case 'running':
      return `Up ${humanDuration(since(s.startedAt, now))}`;
    case 'paused':
      return `Up ${humanDuration(since(s.startedAt, now))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(since(s.finishedAt, now))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      if (!s.startedAt && !s.finishedAt) return 'Created';
      return `Exited (${s.exitCode}) ${humanDuration(since(s.finishedAt, now))} ago`;
  }
}

/** docker's Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return chars.slice(0, max).join('');
  return `${chars.slice(0, max - 1).join('')}…`;
}

export function commandLine(record: ContainerRecord): string {
  return [record.path, ...record.args].join(' ');
}

/** Go's time.String() in UTC: 2006-01-02 15:04:05 +0000 UTC */
export function goTime(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} +0000 UTC`;
}

/** The published ports, as the network hook recorded them (network.ports: ["0.0.0.0:8080->80/tcp"]). */
export function portsText(record: ContainerRecord): string {
  const ports = record.network?.ports;
  if (record.state.status !== 'running' || !Array.isArray(ports)) return '';
  return ports.filter((p): p is string => typeof p === 'string').join(', ');
}

/** One container as docker's ps formatter sees it (the fields of --format). */
export interface PsFields {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  State: string;
  Status: string;
  Size: string;
  Names: string;
  Labels: string;
  Mounts: string;
  Networks: string;
  LocalVolumes: string;
}

export const HEADERS: Record<keyof PsFields, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
};

export function psFields(record: ContainerRecord, now: number, options: { noTrunc?: boolean } = {}): PsFields {
  const command = commandLine(record);
  const networks = record.network?.networks;
  return {
    ID: options.noTrunc ? record.id : shortId(record.id),
    Image: record.image.ref,
    Command: JSON.stringify(options.noTrunc ? command : ellipsis(command, 20)),
    CreatedAt: goTime(record.created),
    RunningFor: `${humanDuration(since(record.created, now))} ago`,
    Ports: portsText(record),
    State: record.state.status,
    Status: statusText(record, now),
    Size: '0B',
    Names: record.name,
    Labels: Object.entries(record.config.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Mounts: '',
    Networks: Array.isArray(networks) ? networks.join(',') : '',
    LocalVolumes: '0',
  };
}

/** text/tabwriter as docker's tables use it (minimum width 10, padding 3): all but the last column padded. */
export function tabulate(rows: string[][]): string {
  const width = (s: string) => [...s].length;
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) widths[c] = Math.max(10, ...rows.map((r) => (c < r.length - 1 ? width(r[c]!) + 3 : 0)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => (c < row.length - 1 ? cell + ' '.repeat(widths[c]! - width(cell)) : cell))
        .join('')
        .replace(/\s+$/, ''),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export const DEFAULT_PS_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

type Piece = { text: string } | { field: keyof PsFields | '.'; json: boolean };

/** Parses the Go-template subset; an unknown field or action is a UsageError naming --format. */
export function parseTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  const source = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const action = /\{\{\s*(.*?)\s*\}\}/g;
  let last = 0;
  for (let m = action.exec(source); m; m = action.exec(source)) {
    if (m.index > last) pieces.push({ text: source.slice(last, m.index) });
    last = m.index + m[0].length;
    const body = m[1]!;
    const parsed = /^(json\s+)?\.([A-Za-z]*)$/.exec(body);
    if (!parsed) throw new UsageError(`--format: template: unsupported action "{{${body}}}" (use {{.Field}}, {{json .}} or {{json .Field}})`);
    const name = parsed[2]!;
    if (name !== '' && !(name in HEADERS)) {
      throw new UsageError(`--format: template: can't evaluate field ${name} (fields: ${Object.keys(HEADERS).join(', ')})`);
    }
    if (name === '' && !parsed[1]) throw new UsageError('--format: template: {{.}} prints nothing useful: use {{json .}}');
    pieces.push({ field: name === '' ? '.' : (name as keyof PsFields), json: Boolean(parsed[1]) });
  }
  if (last < source.length) pieces.push({ text: source.slice(last) });
  return pieces;
}

function render(pieces: Piece[], fields: PsFields): string {
  return pieces
    .map((p) => {
      if ('text' in p) return p.text;
      const value = p.field === '.' ? fields : fields[p.field];
      return p.json ? JSON.stringify(value) : String(value);
    })
    .join('');
}

export interface PsOptions {
  quiet?: boolean;
  noTrunc?: boolean;
  /** "table", "json", "table TEMPLATE" or a TEMPLATE */
  format?: string;
}

/** The whole output of `ps`. */
export function formatPs(records: ContainerRecord[], now: number, options: PsOptions = {}): string {
  const all = records.map((r) => psFields(r, now, options));
  if (options.quiet) return all.map((f) => `${f.ID}\n`).join('');
  let format = options.format ?? 'table';
  if (format === 'table') format = DEFAULT_PS_FORMAT;
  if (format === 'json') format = '{{json .}}';
  if (format.startsWith('table')) {
    const pieces = parseTemplate(format.slice('table'.length).replace(/^\s+/, ''));
    const header = pieces.map((p) => ('text' in p ? p.text : p.field === '.' ? '' : HEADERS[p.field])).join('');
    const lines = [header, ...all.map((f) => render(pieces, f))];
    return tabulate(lines.map((l) => l.split('\t')));
  }
  const pieces = parseTemplate(format);
  return all.map((f) => `${render(pieces, f)}\n`).join('');
}
