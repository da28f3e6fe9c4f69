// What docker puts in every container's config.json before the run flags are applied.
import fs = require('node:fs');
import type { Mount } from '../../runtime/spec/types';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** /dev/shm's size when --shm-size is not given: 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

const NO_SUID_EXEC_DEV = ['nosuid', 'noexec', 'nodev'];

/** The kernel filesystems a container gets, in docker's order. */
export function defaultMounts(shmSize = DEFAULT_SHM_SIZE): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: [...NO_SUID_EXEC_DEV] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...NO_SUID_EXEC_DEV, 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', ...NO_SUID_EXEC_DEV] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: [...NO_SUID_EXEC_DEV] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: [...NO_SUID_EXEC_DEV, 'mode=1777', `size=${shmSize}`] },
  ];
}

/** Paths hidden from the container (an empty tmpfs or /dev/null over them). */
export const MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Paths the container sees read-only. */
export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface DeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access: string;
}

/**
 * The device cgroup rules docker 20.10 writes: deny everything, allow the standard character
 * devices (null, zero, full, random, urandom, tty, console) and keep /dev/fuse (10:229) denied.
 * The runtime adds the rules for /dev/pts and /dev/ptmx it always needs.
 */
export function defaultDeviceRules(): DeviceRule[] {
  const allow = (major: number, minor: number): DeviceRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5),
    allow(1, 3),
    allow(1, 9),
    allow(1, 8),
    allow(5, 0),
    allow(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}

/**
 * Sysctls docker sets in a container's own network namespace: any user may bind ports below
 * 1024 and send ICMP echo ("ping") without CAP_NET_RAW.
 */
export function defaultNetworkSysctls(): Record<string, string> {
  return { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' };
}

let unified: boolean | undefined;

/** True on a cgroup v2 (unified) host, where docker gives containers a private cgroup namespace. */
export function isCgroupV2Host(): boolean {
  unified ??= fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  return unified;
}

let swapLimit: boolean | undefined;

/**
 * Whether the memory cgroup can limit swap (cgroup v1 needs swap accounting: memory.memsw.*).
 * Without it docker limits memory only, and so do we.
 */
export function swapLimitSupported(): boolean {
  swapLimit ??= isCgroupV2Host() || fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
  return swapLimit;
}
