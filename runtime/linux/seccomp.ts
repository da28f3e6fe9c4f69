// linux.seccomp -> a classic-BPF program (struct sock_filter[]) for seccomp(2), compiled by
// libseccomp (native/libseccomp.ts, loaded only when a config has a profile). The init helper
// loads the program with seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) just before execve.
//
// What runc does, and so what we do (config-linux.md#seccomp plus runc's observable behaviour):
//  - SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD; SCMP_ACT_ERRNO and SCMP_ACT_TRACE return errnoRet
//    (defaultErrnoRet for the default action), EPERM when not given; errnoRet on any other action
//    is an error (the spec's MUST);
//  - the native architecture is always in the filter; `architectures` adds to it; a syscall made
//    with an architecture not in the filter kills the thread (libseccomp's default);
//  - a syscall name libseccomp does not know is skipped (a debug line), as is a rule whose action
//    is the default action (libseccomp refuses those);
//  - conditions on different argument indexes are ANDed in one rule; when two conditions share an
//    index (libseccomp cannot AND those) every condition of the entry becomes a rule of its own;
//  - flags: SECCOMP_FILTER_FLAG_LOG and _SPEC_ALLOW are passed to seccomp(2); _TSYNC is accepted
//    and ignored (the helper is single-threaded, and TSYNC with NEW_LISTENER is EINVAL);
//    _WAIT_KILLABLE_RECV is passed (it needs an SCMP_ACT_NOTIFY rule); no `flags` at all means
//    SPEC_ALLOW when the kernel supports it (runc's default), `flags: []` means none;
//  - libseccomp's binary-tree optimisation above 32 syscalls (runc's threshold);
//  - runc's -ENOSYS stub: unless the default action is ALLOW, LOG or TRACE, a syscall numbered
//    above the highest one the profile names (per listed architecture) fails with ENOSYS instead
//    of getting the default action, so that a newer libc falls back from syscalls the profile
//    predates (clone3, fchmodat2, ...) instead of failing with EPERM.
// libseccomp needs ~10 ms for docker's default profile (three architectures); with a cacheDir
// the program is compiled once per distinct profile and read back afterwards.
import fs = require('node:fs');
import path = require('node:path');
import { ERRNO } from '../../native/linux-constants';
import type * as Libseccomp from '../../native/libseccomp';
import { ConfigError, RuntimeError } from '../errors';
import { log } from '../log';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from '../spec/types';

/** What the init helper needs: seccomp(SECCOMP_SET_MODE_FILTER, flags, {len, program}). */
export interface CompiledSeccomp {
  /** struct sock_filter[] in host byte order (8 bytes per instruction) */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* for seccomp(2), without NEW_LISTENER (see notify) */
  flags: number;
  /** a rule uses SCMP_ACT_NOTIFY: the caller adds SECCOMP_FILTER_FLAG_NEW_LISTENER and hands the fd on */
  notify: boolean;
}

/** <linux/seccomp.h> */
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

const EPERM = 1;
const ENOSYS = 38;

interface ActionDef {
  base: number;
  /** takes errnoRet (SCMP_ACT_ERRNO, SCMP_ACT_TRACE) */
  errno: boolean;
}

const ACTIONS: Record<string, ActionDef> = {
  SCMP_ACT_KILL: { base: 0x00000000, errno: false },
  SCMP_ACT_KILL_THREAD: { base: 0x00000000, errno: false },
  SCMP_ACT_KILL_PROCESS: { base: 0x80000000, errno: false },
  SCMP_ACT_TRAP: { base: 0x00030000, errno: false },
  SCMP_ACT_ERRNO: { base: 0x00050000, errno: true },
  SCMP_ACT_TRACE: { base: 0x7ff00000, errno: true },
  SCMP_ACT_NOTIFY: { base: 0x7fc00000, errno: false },
  SCMP_ACT_LOG: { base: 0x7ffc0000, errno: false },
  SCMP_ACT_ALLOW: { base: 0x7fff0000, errno: false },
};
const ACT_NOTIFY = 0x7fc00000;

/** enum scmp_compare */
const OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** OCI architecture names -> libseccomp's names (seccomp_arch_resolve_name) */
const ARCHES: Record<string, string> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_LOONGARCH64: 'loongarch64',
};

// libseccomp's architecture tokens are the kernel's AUDIT_ARCH_* values, except x32's
const AUDIT_ARCH_X86_64 = 0xc000003e;
const SCMP_ARCH_X32 = 0x4000003e;
const AUDIT_ARCH_S390 = 0x00000016;
const AUDIT_ARCH_S390X = 0x80000016;
const X32_SYSCALL_BIT = 0x40000000;

const MAX_ARGS = 6;
const UINT64_MAX = (1n << 64n) - 1n;

let libseccomp: typeof Libseccomp | undefined;
function lib(): typeof Libseccomp {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  libseccomp ??= require('../../native/libseccomp') as typeof Libseccomp;
  return libseccomp;
}

// ---------------------------------------------------------------- validation (no libseccomp)

interface Cond {
  arg: number;
  op: number;
  datumA: bigint;
  datumB: bigint;
}

interface Rule {
  field: string;
  names: string[];
  action: number;
  conds: Cond[];
}

/** table[key] for the table's own keys only (not "constructor", "__proto__", ...). */
function own<T>(table: Record<string, T>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

function actionValue(name: unknown, errnoRet: unknown, field: string, errnoField: string): number {
  const def = own(ACTIONS, name);
  if (!def) throw new ConfigError(`${field}: unknown action ${describe(name)}`);
  if (errnoRet === undefined || errnoRet === null) return def.errno ? (def.base | EPERM) >>> 0 : def.base;
  if (!def.errno) throw new ConfigError(`${errnoField}: ${String(name)} does not take an errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`);
  if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 0xffff) {
    throw new ConfigError(`${errnoField}: ${describe(errnoRet)} is not an errno value (an integer from 0 to 65535)`);
  }
  return (def.base | errnoRet) >>> 0;
}

function uint64(value: unknown, field: string): bigint {
  let v: bigint | undefined;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isInteger(value)) v = BigInt(value);
  if (v === undefined || v < 0n || v > UINT64_MAX) {
    throw new ConfigError(`${field}: ${describe(value)} is not a uint64`);
  }
  return v;
}

function condition(arg: LinuxSeccompArg, field: string): Cond {
  if (typeof arg !== 'object' || arg === null) throw new ConfigError(`${field}: not an object`);
  const { index } = arg;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_ARGS) {
    throw new ConfigError(`${field}.index: ${describe(index)} is not a syscall argument index (0 to ${MAX_ARGS - 1})`);
  }
  const op = own(OPERATORS, arg.op);
  if (op === undefined) throw new ConfigError(`${field}.op: unknown operator ${describe(arg.op)}`);
  return {
    arg: index,
    op,
    datumA: uint64(arg.value, `${field}.value`),
    datumB: arg.valueTwo === undefined || arg.valueTwo === null ? 0n : uint64(arg.valueTwo, `${field}.valueTwo`),
  };
}

function parseRules(seccomp: LinuxSeccomp): Rule[] {
  const syscalls: unknown = seccomp.syscalls ?? [];
  if (!Array.isArray(syscalls)) throw new ConfigError('linux.seccomp.syscalls: not an array');
  return (syscalls as LinuxSyscall[]).map((entry, i) => {
    const field = `linux.seccomp.syscalls[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${field}: not an object`);
    const { names } = entry;
    if (!Array.isArray(names) || names.length === 0) throw new ConfigError(`${field}.names: at least one syscall name is required`);
    names.forEach((name, j) => {
      if (typeof name !== 'string' || name === '') throw new ConfigError(`${field}.names[${j}]: ${describe(name)} is not a syscall name`);
    });
    const action = actionValue(entry.action, entry.errnoRet, `${field}.action`, `${field}.errnoRet`);
    if (action === ACT_NOTIFY && names.includes('write')) {
      // the helper reports to the runtime with write(2) after loading the filter (runc: same rule)
      throw new ConfigError(`${field}: SCMP_ACT_NOTIFY cannot be used for the write syscall`);
    }
    const args: unknown = entry.args ?? [];
    if (!Array.isArray(args)) throw new ConfigError(`${field}.args: not an array`);
    if (args.length > MAX_ARGS) throw new ConfigError(`${field}.args: ${args.length} conditions, a syscall has at most ${MAX_ARGS} arguments`);
    const conds = (args as LinuxSeccompArg[]).map((arg, k) => condition(arg, `${field}.args[${k}]`));
    return { field, names, action, conds };
  });
}

function parseArches(seccomp: LinuxSeccomp): { field: string; oci: string; name: string }[] {
  const arches: unknown = seccomp.architectures ?? [];
  if (!Array.isArray(arches)) throw new ConfigError('linux.seccomp.architectures: not an array');
  return arches.map((oci: unknown, i) => {
    const field = `linux.seccomp.architectures[${i}]`;
    const name = own(ARCHES, oci);
    if (!name) throw new ConfigError(`${field}: unknown architecture ${describe(oci)}`);
    return { field, oci: oci as string, name };
  });
}

// ---------------------------------------------------------------- the -ENOSYS stub (classic BPF)

const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JA = 0x05;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGT_K = 0x25;
const BPF_JMP_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const OFFSET_NR = 0; // struct seccomp_data
const OFFSET_ARCH = 4;

type Target = string | 0;
interface Insn {
  code: number;
  jt: Target;
  jf: Target;
  k: number;
  /** for BPF_JA: the label k jumps to */
  ja?: string;
}

class Assembler {
  readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();
  label(name: string): void {
    this.labels.set(name, this.insns.length);
  }
  emit(code: number, k: number, jt: Target = 0, jf: Target = 0): void {
    this.insns.push({ code, jt, jf, k: k >>> 0 });
  }
  jump(label: string): void {
    this.insns.push({ code: BPF_JMP_JA, jt: 0, jf: 0, k: 0, ja: label });
  }
  assemble(): Buffer {
    const out = Buffer.alloc(this.insns.length * 8);
    const le = isLittleEndian();
    const offset = (from: number, target: Target, conditional: boolean): number => {
      if (target === 0) return 0;
      const at = this.labels.get(target);
      if (at === undefined) throw new Error(`seccomp stub: no label ${target}`);
      const d = at - from - 1;
      if (d < 0 || (conditional && d > 255)) throw new Error(`seccomp stub: jump to ${target} out of range`);
      return d;
    };
    this.insns.forEach((insn, i) => {
      const k = insn.ja ? offset(i, insn.ja, false) : insn.k;
      const jt = offset(i, insn.jt, true);
      const jf = offset(i, insn.jf, true);
      const o = i * 8;
      if (le) {
        out.writeUInt16LE(insn.code, o);
        out.writeUInt32LE(k, o + 4);
      } else {
        out.writeUInt16BE(insn.code, o);
        out.writeUInt32BE(k, o + 4);
      }
      out.writeUInt8(jt, o + 2);
      out.writeUInt8(jf, o + 3);
    });
    return out;
  }
}

let littleEndian: boolean | undefined;
function isLittleEndian(): boolean {
  littleEndian ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return littleEndian;
}

/**
 * The highest syscall number the profile names, per listed architecture, grouped by the
 * kernel's AUDIT_ARCH value (x86_64 and x32 share one). Only the listed architectures, as runc.
 */
function lastSyscalls(rules: Rule[], arches: { token: number }[]): Map<number, Map<number, number>> {
  const { syscallResolveName } = lib();
  const names = new Set<string>();
  for (const rule of rules) for (const name of rule.names) names.add(name);
  const result = new Map<number, Map<number, number>>();
  for (const { token } of arches) {
    const audit = token === SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
    const group = result.get(audit) ?? new Map<number, number>();
    result.set(audit, group);
    if (group.has(token)) continue;
    let max = 0;
    for (const name of names) {
      const nr = syscallResolveName(name, token);
      if (nr > max) max = nr;
    }
    if (max > 0) group.set(token, max);
    else log('debug', `seccomp: no syscall of the profile is known on architecture 0x${token.toString(16)}`);
  }
  for (const [audit, group] of result) if (group.size === 0) result.delete(audit);
  return result;
}

function enosysStub(last: Map<number, Map<number, number>>): Buffer {
  const a = new Assembler();
  const ENOSYS_RET = (0x00050000 | ENOSYS) >>> 0;
  a.emit(BPF_LD_W_ABS, OFFSET_ARCH);
  const groups = [...last.entries()];
  groups.forEach(([audit], g) => a.emit(BPF_JMP_JEQ_K, audit, `arch${g}`, 0));
  a.jump('filter');
  groups.forEach(([audit, group], g) => {
    a.label(`arch${g}`);
    a.emit(BPF_LD_W_ABS, OFFSET_NR);
    if (audit === AUDIT_ARCH_S390 || audit === AUDIT_ARCH_S390X) {
      // s390 multiplexes syscalls it does not know through setup (0): those get ENOSYS too
      a.emit(BPF_JMP_JEQ_K, 0, 'enosys', 0);
    }
    if (audit === AUDIT_ARCH_X86_64) {
      const x64 = group.get(AUDIT_ARCH_X86_64);
      const x32 = group.get(SCMP_ARCH_X32);
      if (x64 !== undefined && x32 !== undefined) {
        a.emit(BPF_JMP_JSET_K, X32_SYSCALL_BIT, `x32_${g}`, 0);
        a.emit(BPF_JMP_JGT_K, x64, 'enosys', 'filter');
        a.label(`x32_${g}`);
        a.emit(BPF_JMP_JGT_K, x32, 'enosys', 'filter');
      } else if (x64 !== undefined) {
        // x32 syscalls are left to the filter (a bad architecture for it)
        a.emit(BPF_JMP_JSET_K, X32_SYSCALL_BIT, 'filter', 0);
        a.emit(BPF_JMP_JGT_K, x64, 'enosys', 'filter');
      } else {
        a.emit(BPF_JMP_JSET_K, X32_SYSCALL_BIT, 0, 'filter');
        a.emit(BPF_JMP_JGT_K, x32!, 'enosys', 'filter');
      }
    } else {
      const [max] = [...group.values()];
      a.emit(BPF_JMP_JGT_K, max!, 'enosys', 'filter');
    }
  });
  a.label('enosys');
  a.emit(BPF_RET_K, ENOSYS_RET);
  a.label('filter');
  return a.assemble();
}

// ---------------------------------------------------------------- compile

function flagSupported(filter: Libseccomp.Filter, attr: number): boolean {
  return filter.trySetAttr(attr, 1) === 0;
}

function waitKillableSupported(): boolean {
  // libseccomp 2.5 has no attribute for it: ask the kernel (it needs NEW_LISTENER with it)
  return lib().filterFlagsSupported(SECCOMP_FILTER_FLAG.NEW_LISTENER | SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV);
}

const KNOWN_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;

/** linux.seccomp of the features document (features-linux.md), as this build and host support it. */
export function seccompFeatures(): {
  enabled: boolean;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
} {
  const ls = lib();
  const filter = ls.Filter.create(0x7fff0000, 'SCMP_ACT_ALLOW');
  let supportedFlags: string[];
  try {
    supportedFlags = KNOWN_FLAGS.filter((flag) => {
      if (flag === 'SECCOMP_FILTER_FLAG_LOG') return flagSupported(filter, ls.ATTR.CTL_LOG);
      if (flag === 'SECCOMP_FILTER_FLAG_SPEC_ALLOW') return flagSupported(filter, ls.ATTR.CTL_SSB);
      if (flag === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') return waitKillableSupported();
      return true;
    });
  } finally {
    filter.release();
  }
  return {
    enabled: true,
    actions: Object.keys(ACTIONS).sort(),
    operators: Object.keys(OPERATORS).sort(),
    archs: Object.keys(ARCHES)
      .filter((oci) => ls.archResolveName(ARCHES[oci]!) !== 0)
      .sort(),
    knownFlags: [...KNOWN_FLAGS],
    supportedFlags,
  };
}

export interface CompileOptions {
  /**
   * A directory only root can write to (e.g. under the runtime's --root): compiled programs are
   * kept there, one file per distinct profile (with libseccomp's version, the kernel release and
   * the architecture). Best effort: a cache that cannot be read or written is skipped.
   */
  cacheDir?: string;
}

/**
 * Compiles linux.seccomp into a BPF program for seccomp(2); throws a ConfigError naming the field
 * for invalid input (the whole profile is checked, whatever is skipped).
 */
export function compileSeccomp(seccomp: LinuxSeccomp, options: CompileOptions = {}): CompiledSeccomp {
  const { cacheDir } = options;
  if (!cacheDir) return compile(seccomp);
  const key = cacheKey(seccomp);
  const file = path.join(cacheDir, fileName(key));
  const cached = readCache(file, key);
  if (cached) return cached;
  const compiled = compile(seccomp);
  writeCache(cacheDir, file, key, compiled);
  return compiled;
}

function compile(seccomp: LinuxSeccomp): CompiledSeccomp {
  if (typeof seccomp !== 'object' || seccomp === null) throw new ConfigError('linux.seccomp: not an object');
  if (seccomp.defaultAction === undefined) throw new ConfigError('linux.seccomp.defaultAction: required');
  const defaultAction = actionValue(
    seccomp.defaultAction,
    seccomp.defaultErrnoRet,
    'linux.seccomp.defaultAction',
    'linux.seccomp.defaultErrnoRet',
  );
  if (defaultAction === ACT_NOTIFY) throw new ConfigError('linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action');
  if (seccomp.listenerMetadata !== undefined && !seccomp.listenerPath) {
    throw new ConfigError('linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath');
  }
  const rules = parseRules(seccomp);
  const arches = parseArches(seccomp);
  const notify = rules.some((r) => r.action === ACT_NOTIFY);
  const flagNames: unknown = seccomp.flags;
  if (flagNames !== undefined && flagNames !== null && !Array.isArray(flagNames)) {
    throw new ConfigError('linux.seccomp.flags: not an array');
  }

  const ls = lib();
  if (notify && ls.apiLevel() < 6) {
    throw new RuntimeError(
      `linux.seccomp: SCMP_ACT_NOTIFY needs libseccomp >= 2.5.0 and Linux >= 5.7 (libseccomp ${ls.version()}, API level ${ls.apiLevel()})`,
    );
  }
  const filter = wrap('linux.seccomp.defaultAction', () => ls.Filter.create(defaultAction, String(seccomp.defaultAction)));
  try {
    // no_new_privs is the runtime's decision (process.noNewPrivileges), not the filter's
    filter.setAttr(ls.ATTR.CTL_NNP, 0, 'SCMP_FLTATR_CTL_NNP');

    const tokens = arches.map(({ field, oci, name }) => {
      const token = ls.archResolveName(name);
      if (token === 0) {
        throw new ConfigError(`${field}: architecture ${oci} is not supported by libseccomp ${ls.version()}`);
      }
      try {
        filter.addArch(token, oci);
      } catch (err) {
        // libseccomp keeps one byte order per filter (s390x, ppc64 and mips are big-endian)
        if ((err as { errno?: number }).errno === ERRNO.EDOM) {
          throw new ConfigError(`${field}: ${oci} cannot share a filter with the native architecture (another byte order)`);
        }
        throw wrapped(field, err);
      }
      return { token };
    });

    let flags = 0;
    if (flagNames === undefined || flagNames === null) {
      if (flagSupported(filter, ls.ATTR.CTL_SSB)) flags |= SECCOMP_FILTER_FLAG.SPEC_ALLOW;
    } else {
      (flagNames as unknown[]).forEach((flag, i) => {
        const field = `linux.seccomp.flags[${i}]`;
        switch (flag) {
          case 'SECCOMP_FILTER_FLAG_TSYNC':
            break;
          case 'SECCOMP_FILTER_FLAG_LOG':
            if (!flagSupported(filter, ls.ATTR.CTL_LOG)) throw new ConfigError(`${field}: ${flag} is not supported by this kernel`);
            flags |= SECCOMP_FILTER_FLAG.LOG;
            break;
          case 'SECCOMP_FILTER_FLAG_SPEC_ALLOW':
            if (!flagSupported(filter, ls.ATTR.CTL_SSB)) throw new ConfigError(`${field}: ${flag} is not supported by this kernel`);
            flags |= SECCOMP_FILTER_FLAG.SPEC_ALLOW;
            break;
          case 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV':
            if (!notify) throw new ConfigError(`${field}: ${flag} needs a syscall with the SCMP_ACT_NOTIFY action`);
            if (!waitKillableSupported()) throw new ConfigError(`${field}: ${flag} is not supported by this kernel (Linux >= 5.19)`);
            flags |= SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV;
            break;
          default:
            throw new ConfigError(`${field}: unknown flag ${describe(flag)}`);
        }
      });
    }

    let added = 0;
    for (const rule of rules) {
      if (rule.action === defaultAction) continue;
      const indexes = new Set(rule.conds.map((c) => c.arg));
      const split = indexes.size !== rule.conds.length;
      for (const name of rule.names) {
        const nr = ls.syscallResolveName(name);
        if (nr === ls.NR_SCMP_ERROR) {
          log('debug', `seccomp: unknown syscall "${name}" ignored`);
          continue;
        }
        wrap(`${rule.field} (${name})`, () => {
          if (split) for (const cond of rule.conds) filter.addRule(rule.action, nr, [cond], name);
          else filter.addRule(rule.action, nr, rule.conds, name);
        });
        added++;
      }
    }
    if (added > 32) {
      // a binary tree of syscall numbers rather than a list, as runc asks for above 32 syscalls (runc
      // counts the profile's; libseccomp <= 2.5.4 builds a broken tree with no rules at all)
      if (filter.trySetAttr(ls.ATTR.CTL_OPTIMIZE, 2) !== 0) log('debug', 'seccomp: libseccomp binary tree optimisation unavailable');
    }

    const program = wrap('linux.seccomp', () => filter.exportBpf());
    const permissive = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(seccomp.defaultAction);
    const defaultIsEnosys = defaultAction === ((0x00050000 | ENOSYS) >>> 0);
    if (permissive || defaultIsEnosys || tokens.length === 0) return { program, flags, notify };
    const last = lastSyscalls(rules, tokens);
    if (last.size === 0) return { program, flags, notify };
    return { program: Buffer.concat([enosysStub(last), program]), flags, notify };
  } finally {
    filter.release();
  }
}

/** libseccomp's errors (SeccompError) become ConfigErrors naming the field. */
function wrap<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw wrapped(field, err);
  }
}

function wrapped(field: string, err: unknown): unknown {
  if (err instanceof Error && err.name === 'SeccompError') return new ConfigError(`${field}: ${err.message}`);
  return err;
}

// ---------------------------------------------------------------- the cache
// A file per profile, named by a cheap hash of its key (the profile's JSON, libseccomp's version,
// the kernel release, the architecture); the file holds the key itself, compared byte for byte
// when read, so a hash collision is a miss, never another profile's program. (node:crypto would
// cost ~10 ms to load: more than compiling.)

const CACHE_MAGIC = 0x43534d4d; // "MMSC"
const CACHE_FORMAT = 2;
const CACHE_HEADER = 24; // magic, format, flags, notify, key length, program length (u32 LE)

/** os.release() without loading node:os (native/linux-constants.ts says why). */
function kernelRelease(): string {
  return fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
}

function cacheKey(seccomp: LinuxSeccomp): Buffer {
  const text = JSON.stringify(
    [CACHE_FORMAT, lib().version(), kernelRelease(), process.arch, seccomp],
    (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value),
  );
  return Buffer.from(text);
}

/** Two 32-bit FNV-1a hashes (different offset bases), as 16 hex digits. */
function fileName(key: Buffer): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    a = Math.imul(a ^ key[i]!, 0x01000193);
    b = Math.imul(b ^ key[i]!, 0x01000193);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}.bpf`;
}

function readCache(file: string, key: Buffer): CompiledSeccomp | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length < CACHE_HEADER || data.readUInt32LE(0) !== CACHE_MAGIC || data.readUInt32LE(4) !== CACHE_FORMAT) return undefined;
  const keyLength = data.readUInt32LE(16);
  const programLength = data.readUInt32LE(20);
  if (
    programLength === 0 ||
    programLength % 8 !== 0 ||
    data.length !== CACHE_HEADER + keyLength + programLength ||
    !data.subarray(CACHE_HEADER, CACHE_HEADER + keyLength).equals(key)
  ) {
    return undefined;
  }
  return { program: data.subarray(CACHE_HEADER + keyLength), flags: data.readUInt32LE(8), notify: data.readUInt32LE(12) === 1 };
}

function writeCache(dir: string, file: string, key: Buffer, compiled: CompiledSeccomp): void {
  const header = Buffer.alloc(CACHE_HEADER);
  header.writeUInt32LE(CACHE_MAGIC, 0);
  header.writeUInt32LE(CACHE_FORMAT, 4);
  header.writeUInt32LE(compiled.flags, 8);
  header.writeUInt32LE(compiled.notify ? 1 : 0, 12);
  header.writeUInt32LE(key.length, 16);
  header.writeUInt32LE(compiled.program.length, 20);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, Buffer.concat([header, key, compiled.program]), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (err) {
    log('debug', `seccomp: cannot cache the compiled program in ${dir}: ${(err as Error).message}`);
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* nothing to clean up */
    }
  }
}
