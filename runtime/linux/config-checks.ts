// Fields of config.json that this runtime checks before it creates anything: what the host
// cannot serve is refused with the field named (never silently ignored), and what needs a
// namespace the config does not give is refused as runc refuses it.
import { ConfigError } from '../errors';
import { checkMappings } from './userns';
import type { NamespaceType, RuntimeConfig } from '../spec/types';

const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** A sysctl is allowed only if it belongs to a namespace the container has of its own. */
function checkSysctl(key: string, namespaces: Set<NamespaceType>): void {
  const field = `linux.sysctl["${key}"]`;
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
    if (!namespaces.has('ipc')) throw new ConfigError(`${field}: needs an "ipc" namespace in linux.namespaces`);
  } else if (key.startsWith('net.')) {
    if (!namespaces.has('network')) throw new ConfigError(`${field}: needs a "network" namespace in linux.namespaces`);
  } else if (key === 'kernel.hostname' || key === 'kernel.domainname') {
    if (!namespaces.has('uts')) throw new ConfigError(`${field}: needs a "uts" namespace in linux.namespaces`);
  } else {
    throw new ConfigError(`${field}: not a namespaced sysctl; setting it would change the host`);
  }
}

export const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

export function checkConfig(config: RuntimeConfig, namespaces: Set<NamespaceType>): void {
  const linux = config.linux ?? {};
  for (const key of Object.keys(linux.sysctl ?? {})) checkSysctl(key.replace(/\//g, '.'), namespaces);
  const unsupported: [unknown, string][] = [
    [linux.intelRdt, 'linux.intelRdt: Intel RDT (resctrl) is not supported by this runtime'],
    [linux.netDevices && Object.keys(linux.netDevices).length ? linux.netDevices : undefined, 'linux.netDevices: moving network devices into the container is not supported by this runtime'],
    [linux.memoryPolicy, 'linux.memoryPolicy: set_mempolicy is not supported by this runtime'],
    [config.process?.apparmorProfile, 'process.apparmorProfile: AppArmor is not available on this host'],
    [config.process?.selinuxLabel, 'process.selinuxLabel: SELinux is not available on this host'],
    [linux.mountLabel, 'linux.mountLabel: SELinux is not available on this host'],
  ];
  for (const [value, message] of unsupported) if (value !== undefined && value !== '') throw new ConfigError(message);
  if (linux.personality) {
    if (PERSONALITY_DOMAINS[linux.personality.domain] === undefined) {
      throw new ConfigError(`linux.personality.domain: "${linux.personality.domain}" is not LINUX or LINUX32`);
    }
    if (linux.personality.flags?.length) throw new ConfigError('linux.personality.flags: personality flags are not supported');
  }
  if ((linux.uidMappings?.length || linux.gidMappings?.length) && !namespaces.has('user')) {
    throw new ConfigError('linux.uidMappings/gidMappings: only with a "user" namespace in linux.namespaces');
  }
  checkMappings(linux.uidMappings, 'linux.uidMappings');
  checkMappings(linux.gidMappings, 'linux.gidMappings');
  if (linux.timeOffsets && Object.keys(linux.timeOffsets).length && !namespaces.has('time')) {
    throw new ConfigError('linux.timeOffsets: only with a "time" namespace in linux.namespaces');
  }
  for (const clock of Object.keys(linux.timeOffsets ?? {})) {
    if (clock !== 'monotonic' && clock !== 'boottime') throw new ConfigError(`linux.timeOffsets.${clock}: only monotonic and boottime can be offset`);
  }
}
