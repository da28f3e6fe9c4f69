// The container's log in conmon's k8s-file format, one line per chunk of output:
//   <RFC3339Nano time> stdout|stderr F|P <text>
// F ends a line, P is part of a line continued by the next entry. conmon writes it for a
// detached container; a foreground run writes the same format itself (LogWriter).
import fs = require('node:fs');
import { UsageError } from '../errors';

export type Stream = 'stdout' | 'stderr';

export interface LogEntry {
  /** as written, e.g. 2026-01-02T03:04:05.123456789+00:00 */
  time: string;
  stream: Stream;
  /** P: the line goes on in the next entry */
  partial: boolean;
  text: string;
}

/** Parses one k8s-file line (without its newline); undefined for anything else. */
export function parseLogLine(line: string): LogEntry | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  if (a <= 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const c = line.indexOf(' ', b + 1);
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { time: line.slice(0, a), stream, partial: tag.split(':').includes('P'), text: c < 0 ? '' : line.slice(c + 1) };
}

export function parseLog(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const entry = parseLogLine(line);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** docker's timestamps: RFC 3339 with nanoseconds, in UTC with a Z. */
export function dockerTime(time: string): string {
  return time.replace(/\+00:00$/, 'Z');
}

/** The entries of the last `lines` lines (a line may span several partial entries). */
export function tailEntries(entries: LogEntry[], lines: number | undefined): LogEntry[] {
  if (lines === undefined) return entries;
  if (lines <= 0) return [];
  let ends = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const endsLine = !entries[i]!.partial || i === entries.length - 1;
    if (endsLine && ++ends > lines) return entries.slice(i + 1);
  }
  return entries;
}

/** What `logs` prints for one entry. */
export function renderEntry(entry: LogEntry, timestamps: boolean): string {
  return `${timestamps ? `${dockerTime(entry.time)} ` : ''}${entry.text}${entry.partial ? '' : '\n'}`;
}

/** --tail: "all" or a number of lines. */
export function parseTail(text: string | undefined): number | undefined {
  if (text === undefined || text === 'all' || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--tail: "${text}" is not a number of lines or "all"`);
  return Number(text);
}

/** The current time as conmon writes it (RFC 3339, nanosecond field, +00:00). */
export function logTime(ms = performance.timeOrigin + performance.now()): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // 2026-01-02T03:04:05.123Z
  const nanos = Math.round((ms - whole) * 1e6)
    .toString()
    .padStart(6, '0')
    .slice(0, 6);
  return `${iso.slice(0, 23)}${nanos}+00:00`;
}

/** Appends output to a k8s-file log, entry by entry (a foreground run tees into it). */
export class LogWriter {
  private fd: number;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'a', 0o600);
  }

  write(stream: Stream, chunk: Buffer | string): void {
    if (this.fd < 0) return;
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const time = logTime();
    const lines = text.split('\n');
    let out = '';
    lines.forEach((line, i) => {
      const last = i === lines.length - 1;
      if (last && line === '') return;
      out += `${time} ${stream} ${last ? 'P' : 'F'} ${line}\n`;
    });
    if (out) fs.writeSync(this.fd, out);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export interface LogReadOptions {
  tail?: number;
  timestamps?: boolean;
  /** keep reading until isDone() says the writer has finished */
  follow?: boolean;
  isDone?: () => boolean | Promise<boolean>;
  /** how often a followed log is checked (ms) */
  pollMs?: number;
  write(stream: Stream, text: string): void;
}

function readFrom(file: string, offset: number): { text: string; next: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { text: '', next: offset };
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return { text: '', next: size < offset ? 0 : offset };
    const buffer = Buffer.alloc(size - offset);
    const n = fs.readSync(fd, buffer, 0, buffer.length, offset);
    const text = buffer.subarray(0, n).toString('utf8');
    // only whole lines: the rest is read next time
    const end = text.lastIndexOf('\n') + 1;
    return { text: text.slice(0, end), next: offset + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Prints a log file (its last `tail` lines) and, with follow, what is appended until isDone(). */
export async function readLog(file: string, options: LogReadOptions): Promise<void> {
  const emit = (entries: LogEntry[]) => {
    for (const entry of entries) options.write(entry.stream, renderEntry(entry, options.timestamps ?? false));
  };
  let { text, next } = readFrom(file, 0);
  emit(tailEntries(parseLog(text), options.tail));
  if (!options.follow) return;
  for (;;) {
    const done = options.isDone ? await options.isDone() : true;
    ({ text, next } = readFrom(file, next));
    emit(parseLog(text));
    if (done) return;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}
