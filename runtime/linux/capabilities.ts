// Capability names to the bit masks the init helper applies.
import fs = require('node:fs');
import { log } from '../log';
import type { Capabilities as CapabilityNames } from '../spec/types';
import type { Capabilities } from './init-process';

/** Linux capability numbers, in order (include/uapi/linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export function capLastCap(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return CAPABILITY_NAMES.length - 1;
  }
}

/**
 * runtime-spec (config.md, capabilities): a name that cannot be mapped to the kernel's
 * capabilities is logged as a warning, and the runtime goes on without it.
 */
function maskOf(names: readonly string[] | undefined, set: string, lastCap: number): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const bit = (CAPABILITY_NAMES as readonly string[]).indexOf(name);
    if (bit < 0 || bit > lastCap) {
      log('warn', `process.capabilities.${set}: unknown or unsupported capability "${name}" ignored`);
      continue;
    }
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** Without process.capabilities the process gets none (as runc does), not the runtime's full set. */
export function capabilityMasks(caps: CapabilityNames | undefined, lastCap: number): Capabilities {
  if (!caps) return { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n };
  const masks: Capabilities = {
    bounding: maskOf(caps.bounding, 'bounding', lastCap),
    effective: maskOf(caps.effective, 'effective', lastCap),
    permitted: maskOf(caps.permitted, 'permitted', lastCap),
    inheritable: maskOf(caps.inheritable, 'inheritable', lastCap),
    ambient: maskOf(caps.ambient, 'ambient', lastCap),
  };
  // The kernel raises an ambient capability only if it is permitted and inheritable. runc
  // ignores the refusal silently (`runc spec` asks for such ambient caps); we say so.
  const raisable = masks.permitted & masks.inheritable;
  const refused = masks.ambient & ~raisable;
  if (refused) {
    const names = CAPABILITY_NAMES.filter((_, bit) => refused & (1n << BigInt(bit)));
    log('debug', `process.capabilities.ambient: ${names.join(', ')} not both permitted and inheritable: not raised`);
    masks.ambient &= raisable;
  }
  return masks;
}
