// The runtime's log: runc-compatible lines in --log FILE (or stderr), through pino.
// json: {"level":"error","msg":"...","time":"<RFC3339>"} one object per line (containerd
// decodes the whole file as a JSON stream); text: time="..." level=error msg="...".
// pino is loaded only when a line is actually written: most runs write none, and loading
// it costs more than the rest of a `state` call.
import fs = require('node:fs');
import { rfc3339 } from './state/timestamp';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LogSettings {
  file?: string;
  format: LogFormat;
  debug: boolean;
}

let settings: LogSettings = { format: 'text', debug: false };
type PinoLogger = { [L in Level]: (msg: string) => void };
let logger: PinoLogger | undefined;

export function configureLog(next: LogSettings): void {
  settings = next;
  logger = undefined;
}

/** runc writes "warning" where pino says "warn". */
const RUNC_LEVEL: Record<string, string> = { warn: 'warning' };

function textLine(json: string): string {
  const entry = JSON.parse(json) as { level: string; msg: string; time: string };
  return `time="${entry.time}" level=${entry.level} msg=${JSON.stringify(entry.msg)}\n`;
}

function openLogger(): PinoLogger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = require('pino') as typeof import('pino');
  const fd = settings.file ? fs.openSync(settings.file, 'a', 0o644) : 2;
  const write = (line: string) => fs.writeSync(fd, settings.format === 'json' ? line : textLine(line));
  return pino(
    {
      level: settings.debug ? 'debug' : 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"time":"${rfc3339()}"`,
      formatters: { level: (label: string) => ({ level: RUNC_LEVEL[label] ?? label }) },
    },
    { write },
  ) as unknown as PinoLogger;
}

/**
 * While the runtime's main thread is inside a container's namespaces, neither pino (a module to
 * load) nor the --log file (a host path) can be reached: lines wait until flushLogs().
 */
let deferred: [Level, string][] | undefined;

export function deferLogs(): void {
  deferred ??= [];
}

export function flushLogs(): void {
  const pending = deferred ?? [];
  deferred = undefined;
  for (const [level, msg] of pending) log(level, msg);
}

export function log(level: Level, msg: string): void {
  if (level === 'debug' && !settings.debug) return;
  if (deferred) {
    deferred.push([level, msg]);
    return;
  }
  logger ??= openLogger();
  logger[level](msg);
}
