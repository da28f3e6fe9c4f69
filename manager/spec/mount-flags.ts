// -v/--volume and --tmpfs values, parsed the way docker's Linux volume parser reads them.
import path = require('node:path');
import { invalidFlag } from './units';

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
const PROPAGATIONS = new Set<string>(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** A host directory (or file) bound into the container. Docker creates a missing source directory for -v. */
export interface BindFlag {
  kind: 'bind';
  /** absolute, normalized host path */
  source: string;
  target: string;
  readonly: boolean;
  propagation?: Propagation;
}

/** A named volume; the caller creates it if needed and resolves it to a host path. */
export interface NamedVolumeFlag {
  kind: 'volume';
  name: string;
  target: string;
  readonly: boolean;
  /** "nocopy": do not copy the image's content at target into a new volume */
  nocopy: boolean;
}

/** `-v /data`: a new anonymous volume. */
export interface AnonymousVolumeFlag {
  kind: 'anonymous';
  target: string;
  readonly: boolean;
}

export type BindOrVolume = BindFlag | NamedVolumeFlag | AnonymousVolumeFlag;

/** Docker's rule for local volume names. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const VOLUME_FLAG = '-v, --volume';

/** A container path: absolute, not "/", normalized. */
function containerPath(flag: string, raw: string, target: string): string {
  if (target === '') throw invalidFlag(flag, raw, 'the container path is empty');
  if (!target.startsWith('/')) throw invalidFlag(flag, raw, `invalid mount path: '${target}' mount path must be absolute`);
  const clean = path.posix.normalize(target).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw invalidFlag(flag, raw, "invalid specification: destination can't be '/'");
  return clean;
}

interface Modes {
  readonly: boolean;
  propagation?: Propagation;
  nocopy: boolean;
}

function parseModes(raw: string, mode: string): Modes {
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  const modes: Modes = { readonly: false, nocopy: false };
  for (const m of mode.split(',')) {
    if (m === 'ro' || m === 'rw') {
      counts.rw++;
      modes.readonly = m === 'ro';
    } else if (m === 'z' || m === 'Z') counts.label++; // SELinux relabelling: nothing to do without SELinux
    else if (PROPAGATIONS.has(m)) {
      counts.propagation++;
      modes.propagation = m as Propagation;
    } else if (m === 'nocopy') {
      counts.copy++;
      modes.nocopy = true;
    } else if (m === 'consistent' || m === 'cached' || m === 'delegated') counts.consistency++; // macOS-only hints
    else throw invalidFlag(VOLUME_FLAG, raw, `invalid mode: ${mode}`);
  }
  if (Object.values(counts).some((n) => n > 1)) throw invalidFlag(VOLUME_FLAG, raw, `invalid mode: ${mode}`);
  return modes;
}

/** `-v [SOURCE:]TARGET[:MODES]`: a bind mount (absolute SOURCE), a named volume, or an anonymous one. */
export function parseVolumeFlag(value: string): BindOrVolume {
  const parts = value.split(':');
  if (value === '' || parts.length > 3) throw invalidFlag(VOLUME_FLAG, value, `invalid volume specification: '${value}'`);
  let source = '';
  let target: string;
  let mode = '';
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2) {
    // "/data:ro" is not a volume: an anonymous volume takes no modes
    if (isModeList(parts[1]!)) throw invalidFlag(VOLUME_FLAG, value, `invalid volume specification: '${value}'`);
    [source, target] = parts as [string, string];
  } else [source, target, mode] = parts as [string, string, string];
  if (parts.length === 3 && mode === '') throw invalidFlag(VOLUME_FLAG, value, 'invalid mode: (empty)');
  const modes = mode === '' ? { readonly: false, nocopy: false } : parseModes(value, mode);
  const dest = containerPath(VOLUME_FLAG, value, target);
  if (source === '') {
    if (parts.length > 1) throw invalidFlag(VOLUME_FLAG, value, `invalid volume specification: '${value}'`);
    return { kind: 'anonymous', target: dest, readonly: false };
  }
  if (source.startsWith('/')) {
    if (modes.nocopy) throw invalidFlag(VOLUME_FLAG, value, "'nocopy' applies to volumes only");
    const bind: BindFlag = { kind: 'bind', source: path.normalize(source).replace(/(.)\/+$/, '$1'), target: dest, readonly: modes.readonly };
    if (modes.propagation) bind.propagation = modes.propagation;
    return bind;
  }
  if (!VOLUME_NAME.test(source)) {
    throw invalidFlag(
      VOLUME_FLAG,
      value,
      `"${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed; to bind a host directory, give its absolute path`,
    );
  }
  if (modes.propagation) throw invalidFlag(VOLUME_FLAG, value, 'propagation modes apply to bind mounts only');
  return { kind: 'volume', name: source, target: dest, readonly: modes.readonly, nocopy: modes.nocopy };
}

function isModeList(text: string): boolean {
  return text.split(',').every((m) => ['ro', 'rw', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated'].includes(m) || PROPAGATIONS.has(m));
}

// ---------------------------------------------------------------- --tmpfs

export interface TmpfsFlag {
  target: string;
  /** mount options as given (flags and size=, mode=, ...), checked */
  options: string[];
}

/** Flags with their opposites: the later of a pair wins when options are merged. */
const FLAG_PAIRS: Array<[string, string]> = [
  ['ro', 'rw'], ['noexec', 'exec'], ['nosuid', 'suid'], ['nodev', 'dev'], ['sync', 'async'], ['mand', 'nomand'],
  ['noatime', 'atime'], ['nodiratime', 'diratime'], ['relatime', 'norelatime'], ['strictatime', 'nostrictatime'],
];
const OPPOSITE = new Map<string, string>(FLAG_PAIRS.flatMap(([a, b]) => [[a, b], [b, a]]));
const LONE_FLAGS = new Set(['dirsync', 'lazytime', 'nolazytime']);
const DATA_OPTIONS: Record<string, RegExp> = {
  size: /^\d+[kmg%]?$/i,
  nr_blocks: /^\d+[kmg]?$/i,
  nr_inodes: /^\d+[kmg]?$/i,
  mode: /^[0-7]{1,4}$/,
  uid: /^\d+$/,
  gid: /^\d+$/,
  huge: /^(never|always|within_size|advise|deny|force)$/,
  mpol: /^(default|prefer|bind|interleave|local)(:[0-9,-]+)?$/,
};

/** Options merged left to right: a flag removes its opposite, key=value replaces an earlier key. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const out: string[] = [];
  for (const option of options) {
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq + 1);
    const opposite = OPPOSITE.get(option);
    const at = out.findIndex((o) => (eq < 0 ? o === option || o === opposite : o.startsWith(key)));
    if (at >= 0) out.splice(at, 1);
    out.push(option);
  }
  return out;
}

/** `--tmpfs TARGET[:OPTIONS]` with OPTIONS like rw,noexec,size=64m,mode=1777. */
export function parseTmpfsFlag(value: string): TmpfsFlag {
  const flag = '--tmpfs';
  const colon = value.indexOf(':');
  const target = containerPath(flag, value, colon < 0 ? value : value.slice(0, colon));
  const options = colon < 0 || value.slice(colon + 1) === '' ? [] : value.slice(colon + 1).split(',');
  for (const option of options) {
    const eq = option.indexOf('=');
    if (eq < 0) {
      if (!OPPOSITE.has(option) && !LONE_FLAGS.has(option)) throw invalidFlag(flag, value, `invalid tmpfs option "${option}"`);
      continue;
    }
    const pattern = DATA_OPTIONS[option.slice(0, eq)];
    if (!pattern) throw invalidFlag(flag, value, `invalid tmpfs option "${option}"`);
    if (!pattern.test(option.slice(eq + 1))) throw invalidFlag(flag, value, `invalid value in tmpfs option "${option}"`);
  }
  return { target, options };
}
