// All of `run`'s flag values checked in one place, before anything is created: a bad value is a
// UsageError naming its flag, and the caller has touched nothing yet. The result is typed input
// for buildSpec (after the caller resolves volumes to host paths and the user in the rootfs).
import { UsageError } from '../errors';
import {
  parseCapabilities,
  parseCpus,
  parseCpuset,
  parseCpuShares,
  parseEnvList,
  parseMemory,
  parseMemorySwap,
  parseNetworkMode,
  parsePidsLimit,
  parsePublish,
  parseSecurityOpt,
  parseTmpfsFlag,
  parseUser,
  parseVolumeFlag,
  parseWorkdir,
  invalidFlag,
  type BindOrVolume,
  type NetworkMode,
  type PortMapping,
  type SeccompChoice,
  type TmpfsFlag,
} from './flags';
import type { RunMount } from './generate';
import type { AnonymousVolumeFlag, NamedVolumeFlag } from './mount-flags';
import type { RunResources } from './resources';

type Value = string | number;

/** The flags as a command-line parser hands them over (repeatable flags as lists). */
export interface RawRunFlags {
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env?: Value[];
  envFile?: string[];
  workdir?: string;
  user?: Value;
  entrypoint?: string;
  hostname?: string;
  volume?: string[];
  tmpfs?: string[];
  readOnly?: boolean;
  memory?: Value;
  memorySwap?: Value;
  shmSize?: Value;
  cpus?: Value;
  cpuShares?: Value;
  cpusetCpus?: Value;
  pidsLimit?: Value;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: string[];
  network?: string;
  publish?: Value[];
}

export interface ParsedRunFlags {
  interactive: boolean;
  tty: boolean;
  rm: boolean;
  name?: string;
  /** KEY=value, or a bare KEY that unsets the image's KEY */
  env: string[];
  workdir?: string;
  /** NAME|UID[:GROUP|GID], for resolveUser */
  user?: string;
  entrypoint?: string;
  hostname?: string;
  volumes: BindOrVolume[];
  tmpfs: TmpfsFlag[];
  readOnly: boolean;
  shmSize?: number;
  resources: RunResources;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  seccomp?: SeccompChoice;
  noNewPrivileges?: boolean;
  network: NetworkMode;
  publish: PortMapping[];
}

/** Docker's container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading / is dropped). */
export function parseContainerName(value: string): string {
  const name = value.startsWith('/') ? value.slice(1) : value;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    throw new UsageError(`invalid container name (${value}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name;
}

/** --hostname: what sethostname(2) takes (at most 64 bytes), without spaces or slashes. */
export function parseHostname(value: string): string {
  if (value === '' || Buffer.byteLength(value) > 64 || /[\s/]/.test(value)) {
    throw invalidFlag('-h, --hostname', value, 'a hostname is 1 to 64 characters without spaces or slashes');
  }
  return value;
}

const str = (v: Value | undefined) => (v === undefined ? undefined : String(v));

export function parseRunFlags(raw: RawRunFlags, callerEnv: NodeJS.ProcessEnv = process.env): ParsedRunFlags {
  const caps = parseCapabilities(raw.capAdd ?? [], raw.capDrop ?? []);
  const security = parseSecurityOpt(raw.securityOpt ?? []);
  const resources: RunResources = {};
  if (raw.memory !== undefined) resources.memory = parseMemory('-m, --memory', String(raw.memory));
  if (raw.memorySwap !== undefined) resources.memorySwap = parseMemorySwap(String(raw.memorySwap));
  if (raw.cpus !== undefined) resources.cpus = parseCpus(String(raw.cpus));
  if (raw.cpuShares !== undefined) resources.cpuShares = parseCpuShares(String(raw.cpuShares));
  if (raw.cpusetCpus !== undefined) resources.cpusetCpus = parseCpuset(String(raw.cpusetCpus));
  if (raw.pidsLimit !== undefined) resources.pidsLimit = parsePidsLimit(String(raw.pidsLimit));

  const parsed: ParsedRunFlags = {
    interactive: !!raw.interactive,
    tty: !!raw.tty,
    rm: !!raw.rm,
    env: parseEnvList((raw.env ?? []).map(String), raw.envFile ?? [], callerEnv),
    volumes: (raw.volume ?? []).map(parseVolumeFlag),
    tmpfs: (raw.tmpfs ?? []).map(parseTmpfsFlag),
    readOnly: !!raw.readOnly,
    resources,
    privileged: !!raw.privileged,
    capAdd: caps.add,
    capDrop: caps.drop,
    network: parseNetworkMode(raw.network ?? 'bridge'),
    publish: (raw.publish ?? []).flatMap((p) => parsePublish(String(p))),
  };
  if (raw.name !== undefined) parsed.name = parseContainerName(raw.name);
  if (raw.workdir !== undefined && raw.workdir !== '') parsed.workdir = parseWorkdir(raw.workdir);
  const user = str(raw.user);
  if (user !== undefined && user !== '') {
    parseUser(user);
    parsed.user = user;
  }
  if (raw.entrypoint !== undefined) parsed.entrypoint = raw.entrypoint;
  if (raw.hostname !== undefined) parsed.hostname = parseHostname(raw.hostname);
  if (raw.shmSize !== undefined) parsed.shmSize = parseMemory('--shm-size', String(raw.shmSize));
  if (security.seccomp !== undefined) parsed.seccomp = security.seccomp;
  if (security.noNewPrivileges !== undefined) parsed.noNewPrivileges = security.noNewPrivileges;

  const seen = new Set<string>();
  for (const target of [...parsed.volumes, ...parsed.tmpfs].map((m) => m.target)) {
    if (seen.has(target)) throw new UsageError(`duplicate mount point: ${target}`);
    seen.add(target);
  }
  return parsed;
}

/**
 * The mounts buildSpec takes: binds as given, volumes at the host directories `volumePath`
 * gives (the caller creates named and anonymous volumes), tmpfs as given.
 */
export function runMounts(
  parsed: Pick<ParsedRunFlags, 'volumes' | 'tmpfs'>,
  volumePath: (volume: NamedVolumeFlag | AnonymousVolumeFlag) => string,
): RunMount[] {
  const mounts: RunMount[] = parsed.volumes.map((v) => {
    if (v.kind === 'bind') {
      return { kind: 'bind', source: v.source, target: v.target, readonly: v.readonly, ...(v.propagation ? { propagation: v.propagation } : {}) };
    }
    return { kind: 'bind', source: volumePath(v), target: v.target, readonly: v.readonly };
  });
  for (const t of parsed.tmpfs) mounts.push({ kind: 'tmpfs', target: t.target, options: t.options });
  return mounts;
}
