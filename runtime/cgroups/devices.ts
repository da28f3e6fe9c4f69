// The device rules a container's cgroup gets: the config's linux.resources.devices in order,
// then what every container needs (runc's default allow list), then the devices linux.devices
// creates. Without the defaults a config that starts with "deny all" (as `runc spec` writes)
// could not even open /dev/null.
import type { Device } from '../spec/types';
import type { LinuxResources } from './types';

type DeviceRule = NonNullable<LinuxResources['devices']>[number];

export const DEFAULT_DEVICE_RULES: DeviceRule[] = [
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
];

export function containerDeviceRules(resources: LinuxResources | undefined, devices: readonly Device[] = []): DeviceRule[] {
  const created: DeviceRule[] = devices
    .filter((d) => d.type !== 'p')
    .map((d) => ({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' }));
  return [...(resources?.devices ?? []), ...DEFAULT_DEVICE_RULES, ...created];
}
