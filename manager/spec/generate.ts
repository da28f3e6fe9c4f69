// An image config plus `run` options -> the OCI config.json docker would hand its runtime.
// Pure apart from the host facts it reads when the caller does not pass them (RunSpecOptions.host):
// the capabilities this process holds (for --privileged and --cap-add ALL), the host's devices
// (--privileged), whether cgroups are v2 (docker's default cgroup namespace) and whether swap
// can be limited.
import os = require('node:os');
import path = require('node:path');
import type { ImageConfig } from '../images/types';
import { OCI_VERSION, type Device, type LinuxSeccomp, type Mount, type Namespace, type RuntimeConfig } from '../../runtime/spec/types';
import { containerCapabilities, hostCapabilities, parseCapabilities } from './capabilities';
import { resolveCommand } from './command';
import {
  DEFAULT_PATH,
  MASKED_PATHS,
  READONLY_PATHS,
  defaultDeviceRules,
  defaultMounts,
  defaultNetworkSysctls,
  isCgroupV2Host,
  swapLimitSupported,
} from './defaults';
import { hostDevices } from './devices';
import { mergeEnv } from './env';
import type { NetworkMode, SeccompChoice } from './flags';
import { mergeTmpfsOptions, type Propagation } from './mount-flags';
import { linuxResources, type RunResources } from './resources';
import { resolveSeccompProfile } from './seccomp';
import { defaultSeccompProfile } from './seccomp-default';

export type Spec = RuntimeConfig;

/** A host path bound into the container: a -v bind, or a volume the caller resolved to its directory. */
export interface BindMount {
  kind: 'bind';
  source: string;
  target: string;
  readonly: boolean;
  /** default rprivate */
  propagation?: Propagation;
}

/** --tmpfs TARGET[:OPTIONS] */
export interface TmpfsMount {
  kind: 'tmpfs';
  target: string;
  options: string[];
}

export type RunMount = BindMount | TmpfsMount;

export interface RunUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
  /** HOME when neither the image nor -e set one (runc sets it from passwd; we write it down) */
  home?: string;
}

export interface RunNetwork {
  mode: NetworkMode;
  /** bridge/none: join this network namespace instead of creating one */
  netnsPath?: string;
}

/** Host files the caller prepared; bound over the image's unless the run mounts something there. */
export interface NetworkFiles {
  resolvConf?: string;
  hosts?: string;
  hostname?: string;
}

export interface RunSpecOptions {
  /** root.path: absolute, or relative to the bundle directory */
  rootfs: string;
  /** arguments after the image name (replace the image's Cmd) */
  command?: readonly string[];
  /** --entrypoint: '' resets the image's Entrypoint */
  entrypoint?: string;
  /** -e/--env-file entries (parseEnvList): KEY=value, or a bare KEY that unsets KEY */
  env?: readonly string[];
  /** -w; default the image's WorkingDir, then / */
  workdir?: string;
  /** the resolved -u or image USER (resolveUser); default root */
  user?: RunUser;
  hostname?: string;
  /** -t */
  tty?: boolean;
  mounts?: readonly RunMount[];
  /** --read-only */
  readOnly?: boolean;
  /** --shm-size in bytes (default 64 MiB) */
  shmSize?: number;
  resources?: RunResources;
  privileged?: boolean;
  /** --cap-add / --cap-drop values as given (CAP_ prefix optional, ALL) */
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  /** --security-opt seccomp=...; default: docker's default profile (none for --privileged) */
  seccomp?: SeccompChoice;
  /** --security-opt no-new-privileges */
  noNewPrivileges?: boolean;
  /** default bridge */
  network?: RunNetwork;
  files?: NetworkFiles;
  cgroupsPath?: string;
  annotations?: Record<string, string>;
  /** --sysctl; merged over docker's network defaults */
  sysctls?: Record<string, string>;
  oomScoreAdj?: number;
  /** --cgroupns; default private on a cgroup v2 host, host on v1 (docker 20.10) */
  cgroupns?: 'host' | 'private';
  /** host facts, for tests and callers that already know them */
  host?: {
    /** the capabilities a container can be given (default: this process's bounding set) */
    capabilities?: readonly string[];
    /** the devices --privileged gives (default: everything under /dev) */
    devices?: readonly Device[];
    /** Go-style architecture (amd64, arm64, ...) and kernel release for seccomp rules */
    arch?: string;
    kernel?: string;
    /** whether the memory cgroup can limit swap (default: detected) */
    swapLimit?: boolean;
  };
}

const depth = (p: string) => path.posix.normalize(p).split('/').filter(Boolean).length;

function bindOptions(readonly: boolean, propagation: Propagation | undefined): string[] {
  return ['rbind', ...(readonly ? ['ro'] : []), propagation ?? 'rprivate'];
}

function userMount(m: RunMount): Mount {
  if (m.kind === 'tmpfs') {
    return {
      destination: m.target,
      type: 'tmpfs',
      source: 'tmpfs',
      options: mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...m.options]),
    };
  }
  return { destination: m.target, type: 'bind', source: m.source, options: bindOptions(m.readonly, m.propagation) };
}

const withoutRo = (m: Mount): Mount => ({ ...m, options: (m.options ?? []).filter((o) => o !== 'ro') });

/** docker's mount list: its defaults (minus what the run mounts over), then the run's, shallowest first. */
function mounts(run: RunSpecOptions): Mount[] {
  const own = (run.mounts ?? []).map(userMount);
  const taken = new Set(own.map((m) => path.posix.normalize(m.destination)));
  const files: Array<[string, string | undefined]> = [
    ['/etc/resolv.conf', run.files?.resolvConf],
    ['/etc/hostname', run.files?.hostname],
    ['/etc/hosts', run.files?.hosts],
  ];
  for (const [destination, source] of files) {
    if (source && !taken.has(destination)) {
      own.push({ destination, type: 'bind', source, options: bindOptions(!!run.readOnly, undefined) });
    }
  }
  const devTaken = taken.has('/dev');
  let defaults = defaultMounts(run.shmSize).filter((m) => !taken.has(m.destination) && !(devTaken && m.destination.startsWith('/dev/')));
  if (run.privileged) defaults = defaults.map((m) => (m.destination === '/sys' || m.type === 'cgroup' ? withoutRo(m) : m));
  const sorted = own.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i);
  return [...defaults, ...sorted.map(({ m }) => m)];
}

function namespaces(run: RunSpecOptions): Namespace[] {
  const list: Namespace[] = [{ type: 'mount' }];
  const net = run.network ?? { mode: 'bridge' };
  if (net.mode !== 'host') list.push(net.netnsPath ? { type: 'network', path: net.netnsPath } : { type: 'network' });
  list.push({ type: 'uts' }, { type: 'pid' }, { type: 'ipc' });
  if ((run.cgroupns ?? (isCgroupV2Host() ? 'private' : 'host')) === 'private') list.push({ type: 'cgroup' });
  return list;
}

function environment(image: ImageConfig, run: RunSpecOptions, hostname: string | undefined): string[] {
  const base = [`PATH=${DEFAULT_PATH}`];
  if (hostname !== undefined) base.push(`HOSTNAME=${hostname}`);
  if (run.tty) base.push('TERM=xterm');
  const env = mergeEnv(base, mergeEnv(image.config?.Env ?? [], run.env ?? []));
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${run.user?.home || '/'}`);
  return env;
}

function seccompFor(run: RunSpecOptions, capabilities: string[]): LinuxSeccomp | undefined {
  const choice = run.seccomp ?? 'default';
  if (choice === 'unconfined') return undefined;
  if (choice === 'default' && run.privileged) return undefined; // docker: --privileged runs unconfined unless a profile is given
  const profile = choice === 'default' ? defaultSeccompProfile() : choice;
  return resolveSeccompProfile(profile, { capabilities, arch: run.host?.arch, kernel: run.host?.kernel });
}

/** The config.json for `image` run with `run`; throws UsageError for flag values docker refuses. */
export function buildSpec(image: ImageConfig, run: RunSpecOptions): Spec {
  const args = resolveCommand(image.config, run);
  const net = run.network ?? { mode: 'bridge' };
  const hostname = run.hostname ?? (net.mode === 'host' ? os.hostname() : undefined);
  const all = run.host?.capabilities ?? (run.privileged || (run.capAdd ?? []).length > 0 ? hostCapabilities() : []);
  const capabilities = containerCapabilities(parseCapabilities(run.capAdd ?? [], run.capDrop ?? []), !!run.privileged, all);
  const resources = { devices: run.privileged ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules(), ...linuxResources(run.resources ?? {}, run.host?.swapLimit ?? swapLimitSupported()) };
  const user = run.user ?? { uid: 0, gid: 0, additionalGids: [0] };

  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: !!run.tty,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids?.length ? { additionalGids: [...user.additionalGids] } : {}) },
      args,
      env: environment(image, run, hostname),
      cwd: path.posix.resolve('/', run.workdir || image.config?.WorkingDir || '/'),
      capabilities: { bounding: capabilities, effective: [...capabilities], permitted: [...capabilities] },
      oomScoreAdj: run.oomScoreAdj ?? 0,
    },
    root: { path: run.rootfs, ...(run.readOnly ? { readonly: true } : {}) },
    mounts: mounts(run),
    linux: {
      namespaces: namespaces(run),
      resources,
    },
  };
  if (run.noNewPrivileges) spec.process!.noNewPrivileges = true;
  if (hostname !== undefined) spec.hostname = hostname;
  const linux = spec.linux!;
  const sysctl = { ...(net.mode === 'host' ? {} : defaultNetworkSysctls()), ...(run.sysctls ?? {}) };
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;
  if (run.cgroupsPath) linux.cgroupsPath = run.cgroupsPath;
  if (run.privileged) {
    linux.devices = [...(run.host?.devices ?? hostDevices())];
  } else {
    linux.maskedPaths = [...MASKED_PATHS];
    linux.readonlyPaths = [...READONLY_PATHS];
  }
  const seccomp = seccompFor(run, capabilities);
  if (seccomp) linux.seccomp = seccomp;
  if (run.annotations && Object.keys(run.annotations).length > 0) spec.annotations = { ...run.annotations };
  return spec;
}
