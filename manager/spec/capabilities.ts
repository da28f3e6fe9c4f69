// Capabilities the way docker computes them: its default set of 14, --cap-add/--cap-drop on top
// (with ALL), and every capability for --privileged.
import fs = require('node:fs');
import { CAPABILITY_NAMES } from '../../runtime/linux/capabilities';
import { invalidFlag } from './units';

/** Docker's default capabilities, in docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const KNOWN = new Set<string>(CAPABILITY_NAMES);

/** "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "all" -> "ALL"; unknown -> UsageError. */
export function normalizeCapability(flag: string, value: string): string {
  const upper = value.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!KNOWN.has(name)) throw invalidFlag(flag, value, `unknown capability: "${name}"`);
  return name;
}

export interface CapabilityChanges {
  add: string[];
  drop: string[];
}

/** --cap-add and --cap-drop values, normalized and deduplicated. */
export function parseCapabilities(add: readonly string[], drop: readonly string[]): CapabilityChanges {
  const norm = (flag: string, list: readonly string[]) => [...new Set(list.map((v) => normalizeCapability(flag, v)))];
  return { add: norm('--cap-add', add), drop: norm('--cap-drop', drop) };
}

/**
 * The capabilities this process holds in its bounding set: what a --privileged container can
 * get (a container cannot be given a capability its parent lacks).
 */
export function hostCapabilities(): string[] {
  let mask = 0n;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) mask = BigInt(`0x${m[1]}`);
  } catch {
    /* no /proc: fall back to every known capability */
    return [...CAPABILITY_NAMES];
  }
  return CAPABILITY_NAMES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The container's capability set (bounding = effective = permitted, as docker sets it). */
export function containerCapabilities(
  changes: CapabilityChanges,
  privileged: boolean,
  all: readonly string[],
  defaults: readonly string[] = DEFAULT_CAPABILITIES,
): string[] {
  if (privileged) return [...all];
  const { add, drop } = changes;
  let caps: string[];
  if (add.includes('ALL')) caps = all.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add.filter((c) => c !== 'ALL');
  else caps = [...defaults.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps)];
}
