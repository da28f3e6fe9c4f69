// Environment variables the way docker builds them: --env-file lines first, then -e values; a bare
// KEY takes the caller's value, or, when the caller has none, unsets KEY in the image's env.
import fs = require('node:fs');
import { UsageError } from '../errors';

const WHITESPACE = /[ \t\n\v\f\r]/;

function lookup(key: string, callerEnv: NodeJS.ProcessEnv): string | undefined {
  return Object.prototype.hasOwnProperty.call(callerEnv, key) ? callerEnv[key] : undefined;
}

/** One -e value: KEY=value as given; a bare KEY becomes KEY=<caller's value>, or stays bare (an unset). */
export function parseEnvFlag(value: string, callerEnv: NodeJS.ProcessEnv = process.env): string {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key === '') throw new UsageError(`invalid argument ${JSON.stringify(value)} for "-e, --env" flag: invalid environment variable: ${value}`);
  if (eq >= 0) return value;
  const fromCaller = lookup(key, callerEnv);
  return fromCaller === undefined ? key : `${key}=${fromCaller}`;
}

/** The KEY=value lines of an --env-file (comments and blank lines skipped; a bare KEY the caller lacks is dropped). */
export function readEnvFile(file: string, callerEnv: NodeJS.ProcessEnv = process.env): string[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`--env-file ${file}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new UsageError(`--env-file ${file}: not valid UTF-8`);
  const out: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) return;
    const where = `--env-file ${file}: line ${index + 1}`;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (key === '') throw new UsageError(`${where}: no variable name in '${line}'`);
    if (WHITESPACE.test(key)) throw new UsageError(`${where}: variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else {
      const fromCaller = lookup(key, callerEnv);
      if (fromCaller !== undefined) out.push(`${key}=${fromCaller}`);
    }
  });
  return out;
}

/** -e values and --env-file files, in docker's order (files first); bare KEYs mean "unset". */
export function parseEnvList(env: readonly string[], envFiles: readonly string[], callerEnv: NodeJS.ProcessEnv = process.env): string[] {
  return [...envFiles.flatMap((f) => readEnvFile(f, callerEnv)), ...env.map((e) => parseEnvFlag(e, callerEnv))];
}

const keyOf = (entry: string): string => {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
};

/**
 * `overrides` applied to `base`: KEY=value replaces KEY in place or is appended; a bare KEY
 * removes KEY. The result has only KEY=value entries.
 */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = base.filter((e) => e.includes('='));
  for (const entry of overrides) {
    const key = keyOf(entry);
    const at = out.findIndex((e) => keyOf(e) === key);
    if (!entry.includes('=')) {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = entry;
    else out.push(entry);
  }
  return out;
}
