// `import --change`: the Dockerfile instructions docker import accepts that set the image's
// runtime config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR), in
// their JSON (exec) or shell form. ONBUILD and build instructions are refused.
import path = require('node:path');
import { UsageError } from '../errors';
import type { ImageRuntimeConfig } from './types';

const SUPPORTED = 'CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR';

/** Shell-like words: whitespace separates, "..." and '...' quote, backslash escapes. */
function words(text: string, change: string): string[] {
  const out: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`--change "${change}": unterminated ${quote} quote`);
  if (inWord) out.push(current);
  return out;
}

/** KEY=value pairs (ENV, LABEL); `KEY value with spaces` is the older one-pair form. */
function pairs(rest: string, change: string): Array<[string, string]> {
  const first = words(rest, change)[0] ?? '';
  if (!first.includes('=')) {
    const m = /^(\S+)\s+(.*)$/s.exec(rest.trim());
    if (!m) throw new UsageError(`--change "${change}": expected KEY=value or KEY value`);
    return [[m[1]!, m[2]!]];
  }
  return words(rest, change).map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(`--change "${change}": "${w}" is not KEY=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** ["a", "b"] (exec form) or a shell command line (run by /bin/sh -c). */
function commandForm(rest: string, change: string): string[] {
  const trimmed = rest.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`--change "${change}": the exec form must be a JSON list of strings`);
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
      throw new UsageError(`--change "${change}": the exec form must be a JSON list of strings`);
    }
    return parsed as string[];
  }
  if (trimmed === '') throw new UsageError(`--change "${change}": a command is needed`);
  return ['/bin/sh', '-c', trimmed];
}

function list(rest: string, change: string): string[] {
  return rest.trim().startsWith('[') ? commandForm(rest, change) : words(rest, change);
}

/** Applies each change in order to a copy of `config`. */
export function applyChanges(config: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = structuredClone(config);
  for (const change of changes) {
    const m = /^\s*([A-Za-z]+)(?:\s+(.*))?$/s.exec(change);
    if (!m) throw new UsageError(`--change "${change}": expected INSTRUCTION arguments (one of ${SUPPORTED})`);
    const instruction = m[1]!.toUpperCase();
    const rest = (m[2] ?? '').trim();
    if (rest === '') throw new UsageError(`--change "${change}": ${instruction} needs arguments`);
    switch (instruction) {
      case 'CMD':
        out.Cmd = commandForm(rest, change);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = commandForm(rest, change);
        break;
      case 'ENV': {
        const env = out.Env ?? [];
        for (const [key, value] of pairs(rest, change)) {
          const at = env.findIndex((e) => e.split('=', 1)[0] === key);
          if (at >= 0) env[at] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        out.Env = env;
        break;
      }
      case 'LABEL':
        out.Labels = { ...out.Labels, ...Object.fromEntries(pairs(rest, change)) };
        break;
      case 'EXPOSE': {
        const ports = { ...out.ExposedPorts };
        for (const port of words(rest, change)) {
          if (!/^\d{1,5}(?:-\d{1,5})?(?:\/(?:tcp|udp|sctp))?$/i.test(port)) throw new UsageError(`--change "${change}": "${port}" is not PORT[/tcp|udp|sctp]`);
          ports[port.includes('/') ? port.toLowerCase() : `${port}/tcp`] = {};
        }
        out.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const volumes = { ...out.Volumes };
        for (const v of list(rest, change)) volumes[v] = {};
        out.Volumes = volumes;
        break;
      }
      case 'WORKDIR':
        out.WorkingDir = path.posix.resolve(out.WorkingDir || '/', rest);
        break;
      case 'USER':
        out.User = rest;
        break;
      case 'STOPSIGNAL':
        out.StopSignal = rest;
        break;
      default:
        throw new UsageError(`--change "${change}": ${instruction} cannot be changed on import (supported: ${SUPPORTED})`);
    }
  }
  return out;
}
