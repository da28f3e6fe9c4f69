// Parsers for the values of docker's `run` flags. Each throws a UsageError whose one line names
// the flag and the value. The bigger ones live in modules of their own and are re-exported here.
import fs = require('node:fs');
import os = require('node:os');
import { UsageError } from '../errors';
import { loadSeccompProfile, type DockerSeccompProfile } from './seccomp';
import { invalidFlag } from './units';

export { parseMemory, parseMemorySwap, invalidFlag } from './units';
export { parseEnvList, parseEnvFlag, readEnvFile } from './env';
export { parseVolumeFlag, parseTmpfsFlag, type BindOrVolume, type TmpfsFlag } from './mount-flags';
export { parsePublish, type PortMapping } from './ports';
export { parseCapabilities, type CapabilityChanges } from './capabilities';

/** The CFS period docker uses for --cpus. */
export const CPU_PERIOD = 100000;

/**
 * --cpus N (a decimal like 1.5): a CFS quota per 100 ms period. `0` means no limit (quota -1).
 * More CPUs than the machine has, or fewer than 0.01, is an error, as in docker.
 */
export function parseCpus(value: string, hostCpus = os.availableParallelism()): { quota: number; period: number } {
  const flag = '--cpus';
  const m = /^(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw invalidFlag(flag, value, `failed to parse ${value} as a rational number`);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 9) throw invalidFlag(flag, value, 'value is too precise');
  const nano = BigInt(m[1] || '0') * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
  if (nano === 0n) return { quota: -1, period: CPU_PERIOD };
  const quota = (nano * BigInt(CPU_PERIOD)) / 1_000_000_000n;
  if (quota < 1000n || nano > BigInt(hostCpus) * 1_000_000_000n) {
    throw invalidFlag(flag, value, `range of CPUs is from 0.01 to ${hostCpus}.00, as there are only ${hostCpus} CPUs available`);
  }
  return { quota: Number(quota), period: CPU_PERIOD };
}

function parseInteger(flag: string, value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw invalidFlag(flag, value, 'not an integer');
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw invalidFlag(flag, value, 'value out of range');
  return n;
}

/** -c/--cpu-shares: a relative weight; 0 means the default. The daemon clamps it to 2..262144. */
export function parseCpuShares(value: string): number {
  const n = parseInteger('-c, --cpu-shares', value);
  if (n < 0) throw invalidFlag('-c, --cpu-shares', value, 'must not be negative');
  return n;
}

/** --pids-limit: a number of processes; 0 or -1 mean unlimited (returned as 0). */
export function parsePidsLimit(value: string): number {
  const n = parseInteger('--pids-limit', value);
  return n <= 0 ? 0 : n;
}

/** "0-2,5" -> [0, 1, 2, 5]; undefined when the text is not a CPU list. */
export function cpuList(text: string): number[] | undefined {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) return undefined;
  const cpus = new Set<number>();
  for (const part of text.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    if (b! < a || b! - a > 8192) return undefined;
    for (let c = a; c <= b!; c++) cpus.add(c);
  }
  return [...cpus].sort((x, y) => x - y);
}

/** The host's online CPUs (/sys/devices/system/cpu/online). */
export function onlineCpus(): number[] {
  try {
    const list = cpuList(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim());
    if (list) return list;
  } catch {
    /* fall through */
  }
  return Array.from({ length: os.availableParallelism() }, (_, i) => i);
}

/** --cpuset-cpus "0-1,3": checked against the CPUs the host has online. */
export function parseCpuset(value: string, available: readonly number[] = onlineCpus()): string {
  const flag = '--cpuset-cpus';
  const cpus = cpuList(value.trim());
  if (!cpus) throw invalidFlag(flag, value, 'invalid format: expected a list like 0-2,4');
  const missing = cpus.filter((c) => !available.includes(c));
  if (missing.length > 0) {
    throw invalidFlag(flag, value, `requested CPUs are not available: ${missing.join(',')} (online: ${available.join(',')})`);
  }
  return value.trim();
}

/** -u/--user: NAME|UID[:GROUP|GID], resolved later against the image's /etc/passwd and /etc/group. */
export function parseUser(value: string): { user: string; group?: string } {
  const parts = value.split(':');
  if (parts.length > 2 || parts[0] === '' || parts[1] === '' || /\s/.test(value)) {
    throw invalidFlag('-u, --user', value, 'expected NAME|UID[:GROUP|GID]');
  }
  return parts.length === 2 ? { user: parts[0]!, group: parts[1]! } : { user: parts[0]! };
}

/** -w/--workdir: an absolute path in the container. */
export function parseWorkdir(value: string): string {
  if (!value.startsWith('/')) throw invalidFlag('-w, --workdir', value, `the working directory '${value}' is invalid, it needs to be an absolute path`);
  return value;
}

export type NetworkMode = 'bridge' | 'none' | 'host';

/** --network: bridge (the default), none or host. */
export function parseNetworkMode(value: string): NetworkMode {
  if (value === 'bridge' || value === 'default') return 'bridge';
  if (value === 'none' || value === 'host') return value;
  throw invalidFlag('--network', value, 'supported networks are bridge, none and host');
}

export type SeccompChoice = 'default' | 'unconfined' | DockerSeccompProfile;

export interface SecurityOptions {
  /** undefined: not given (the default profile; none for --privileged) */
  seccomp?: SeccompChoice;
  noNewPrivileges?: boolean;
}

/**
 * --security-opt values: seccomp=unconfined|builtin|FILE (the file is read here, like docker's
 * CLI does), no-new-privileges[=true|false]. label=disable and apparmor=unconfined are accepted
 * and do nothing (this host has neither SELinux nor AppArmor); anything else is an error.
 */
export function parseSecurityOpt(values: readonly string[]): SecurityOptions {
  const flag = '--security-opt';
  const out: SecurityOptions = {};
  for (const value of values) {
    const sep = value.search(/[=:]/);
    const key = sep < 0 ? value : value.slice(0, sep);
    const arg = sep < 0 ? undefined : value.slice(sep + 1);
    if (key === 'seccomp') {
      if (!arg) throw invalidFlag(flag, value, 'seccomp needs a value: unconfined or a profile file');
      out.seccomp = arg === 'unconfined' ? 'unconfined' : arg === 'builtin' ? 'default' : loadSeccompProfile(arg);
    } else if (key === 'no-new-privileges') {
      if (arg !== undefined && arg !== 'true' && arg !== 'false') throw invalidFlag(flag, value, 'no-new-privileges takes true or false');
      out.noNewPrivileges = arg !== 'false';
    } else if ((key === 'label' && arg === 'disable') || (key === 'apparmor' && arg === 'unconfined')) {
      continue;
    } else if (key === 'label' || key === 'apparmor') {
      throw invalidFlag(flag, value, `${key} is not supported on this host`);
    } else {
      throw new UsageError(`invalid argument ${JSON.stringify(value)} for "${flag}" flag: unknown option "${key}"`);
    }
  }
  return out;
}
