// koffi bindings to libseccomp (Debian's libseccomp2: libseccomp.so.2), used to compile an OCI
// seccomp profile into a classic-BPF program that the init helper loads with seccomp(2).
// Loading this module loads the library: require it only when a config has a seccomp profile
// (runtime/linux/seccomp.ts does so lazily, so start-up without seccomp pays nothing).
//
// libseccomp reports errors as negative errno values; they become a SeccompError naming the
// call and what it acted on (the syscall, the architecture, the attribute).
import fs = require('node:fs');
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';
import { memfdCreate, readFromStart, SyscallError } from './libc';
import { ERRNO } from './linux-constants';

const lib = koffi.load('libseccomp.so.2');
const libc = koffi.load('libc.so.6');

/** A libseccomp call that failed: names the call, what it acted on, and the errno. */
export class SeccompError extends SyscallError {
  constructor(call: string, errno: number, target: string) {
    super(call, errno, target);
    this.name = 'SeccompError';
  }
}

// --- constants from <seccomp.h> (stable ABI values)

/** Rule and default actions (the filter's 32-bit return values). */
export const ACT = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  NOTIFY: 0x7fc00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
export function actErrno(errno: number): number {
  return (0x00050000 | (errno & 0xffff)) >>> 0;
}
export function actTrace(value: number): number {
  return (0x7ff00000 | (value & 0xffff)) >>> 0;
}

/** enum scmp_compare */
export const CMP = { NE: 1, LT: 2, LE: 3, EQ: 4, GE: 5, GT: 6, MASKED_EQ: 7 } as const;

/** enum scmp_filter_attr */
export const ATTR = {
  ACT_DEFAULT: 1,
  ACT_BADARCH: 2,
  CTL_NNP: 3,
  CTL_TSYNC: 4,
  API_TSKIP: 5,
  CTL_LOG: 6,
  CTL_SSB: 7,
  CTL_OPTIMIZE: 8,
  API_SYSRAWRC: 9,
} as const;

/** __NR_SCMP_ERROR: what the resolve functions return for a name they do not know. */
export const NR_SCMP_ERROR = -1;

/** One argument comparison (struct scmp_arg_cmp). */
export interface ArgCmp {
  arg: number;
  op: number;
  datumA: bigint;
  datumB: bigint;
}

// --- bindings
const seccompInit = lazyFunc(lib, 'void *seccomp_init(uint32_t def_action)');
const seccompRelease = lazyFunc(lib, 'void seccomp_release(void *ctx)');
const seccompArchAdd = lazyFunc(lib, 'int seccomp_arch_add(void *ctx, uint32_t arch_token)');
const seccompArchRemove = lazyFunc(lib, 'int seccomp_arch_remove(void *ctx, uint32_t arch_token)');
const seccompArchNative = lazyFunc(lib, 'uint32_t seccomp_arch_native(void)');
const seccompArchResolveName = lazyFunc(lib, 'uint32_t seccomp_arch_resolve_name(const char *arch_name)');
const seccompSyscallResolveName = lazyFunc(lib, 'int seccomp_syscall_resolve_name(const char *name)');
const seccompSyscallResolveNameArch = lazyFunc(lib, 'int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)');
// struct scmp_arg_cmp[] is passed as a Buffer we lay out ourselves (see argBuffer)
const seccompRuleAddArray = lazyFunc(
  lib,
  'int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const uint8_t *arg_array)',
);
const seccompAttrSet = lazyFunc(lib, 'int seccomp_attr_set(void *ctx, int attr, uint32_t value)');
const seccompExportBpf = lazyFunc(lib, 'int seccomp_export_bpf(void *ctx, int fd)');
const seccompApiGet = lazyFunc(lib, 'unsigned int seccomp_api_get(void)');
const ScmpVersion = koffi.struct('scmp_version', { major: 'unsigned int', minor: 'unsigned int', micro: 'unsigned int' });
const seccompVersion = lazyFunc(lib, 'const scmp_version *seccomp_version(void)');
const seccompSyscall = lazyFunc(libc, 'long syscall(long nr, unsigned int op, unsigned int flags, void *args)');
const SYS_SECCOMP: Record<string, number> = { x64: 317, arm64: 277, riscv64: 277, ppc64: 358, s390x: 348 };
const SECCOMP_SET_MODE_FILTER = 1;

function check(ret: number, call: string, target: string): number {
  if (ret < 0) throw new SeccompError(call, -ret, target);
  return ret;
}

/** The native architecture's token (an AUDIT_ARCH_* value). */
export function archNative(): number {
  return seccompArchNative() as number;
}

/** libseccomp's token for an architecture name ("x86_64", "aarch64", ...), or 0 if unknown. */
export function archResolveName(name: string): number {
  return seccompArchResolveName(name) as number;
}

/**
 * The syscall number of `name` (for `arch`, default the native one), NR_SCMP_ERROR if libseccomp
 * does not know it; a negative pseudo-number for a syscall that exists on other architectures only.
 */
export function syscallResolveName(name: string, arch?: number): number {
  return (arch === undefined ? seccompSyscallResolveName(name) : seccompSyscallResolveNameArch(arch, name)) as number;
}

/**
 * Whether the kernel takes these SECCOMP_FILTER_FLAG_* bits with SECCOMP_SET_MODE_FILTER, probed
 * as libseccomp does: with no program, EFAULT means the flags passed the kernel's checks.
 */
export function filterFlagsSupported(flags: number): boolean {
  const nr = SYS_SECCOMP[process.arch];
  if (nr === undefined) return false;
  const ret = Number(seccompSyscall(nr, SECCOMP_SET_MODE_FILTER, flags >>> 0, null));
  return ret < 0 && koffi.errno() === ERRNO.EFAULT;
}

/** libseccomp's API level (1..6+): 5 = SCMP_ACT_NOTIFY supported, 6 = plus TSYNC with NOTIFY. */
export function apiLevel(): number {
  return seccompApiGet() as number;
}

/** The library's version (seccomp_version), e.g. "2.5.4". */
export function version(): string {
  const v = koffi.decode(seccompVersion(), ScmpVersion) as { major: number; minor: number; micro: number };
  return `${v.major}.${v.minor}.${v.micro}`;
}

const SIZEOF_ARG_CMP = 24; // unsigned int arg; int op; uint64 datum_a; uint64 datum_b
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function argBuffer(args: readonly ArgCmp[]): Buffer | null {
  if (args.length === 0) return null;
  const buf = Buffer.alloc(SIZEOF_ARG_CMP * args.length);
  args.forEach((a, i) => {
    const off = i * SIZEOF_ARG_CMP;
    if (LE) {
      buf.writeUInt32LE(a.arg, off);
      buf.writeInt32LE(a.op, off + 4);
      buf.writeBigUInt64LE(a.datumA, off + 8);
      buf.writeBigUInt64LE(a.datumB, off + 16);
    } else {
      buf.writeUInt32BE(a.arg, off);
      buf.writeInt32BE(a.op, off + 4);
      buf.writeBigUInt64BE(a.datumA, off + 8);
      buf.writeBigUInt64BE(a.datumB, off + 16);
    }
  });
  return buf;
}

/** A libseccomp filter context. Call release() when done (compile() does). */
export class Filter {
  private ctx: unknown;

  private constructor(ctx: unknown) {
    this.ctx = ctx;
  }

  /** seccomp_init; throws EINVAL when the kernel or libseccomp does not support the action. */
  static create(defaultAction: number, what: string): Filter {
    const ctx = seccompInit(defaultAction >>> 0);
    if (!ctx) throw new SeccompError('seccomp_init', ERRNO.EINVAL, what);
    return new Filter(ctx);
  }

  private get handle(): unknown {
    if (this.ctx === null) throw new Error('libseccomp filter used after release');
    return this.ctx;
  }

  /** seccomp_arch_add; returns false when the architecture is already in the filter. */
  addArch(token: number, what: string): boolean {
    const ret = seccompArchAdd(this.handle, token >>> 0) as number;
    if (ret === -ERRNO.EEXIST) return false;
    check(ret, 'seccomp_arch_add', what);
    return true;
  }

  removeArch(token: number, what: string): void {
    check(seccompArchRemove(this.handle, token >>> 0) as number, 'seccomp_arch_remove', what);
  }

  setAttr(attr: number, value: number, what: string): void {
    check(seccompAttrSet(this.handle, attr, value >>> 0) as number, 'seccomp_attr_set', what);
  }

  /** seccomp_attr_set, returning the errno instead of throwing (to probe for support). */
  trySetAttr(attr: number, value: number): number {
    const ret = seccompAttrSet(this.handle, attr, value >>> 0) as number;
    return ret < 0 ? -ret : 0;
  }

  /** seccomp_rule_add_array: the conditions are ANDed (at most one per argument index). */
  addRule(action: number, syscall: number, args: readonly ArgCmp[], what: string): void {
    const ret = seccompRuleAddArray(this.handle, action >>> 0, syscall, args.length, argBuffer(args)) as number;
    check(ret, 'seccomp_rule_add', what);
  }

  /** The filter as a raw struct sock_filter[] (host byte order), through a memfd. */
  exportBpf(): Buffer {
    const fd = memfdCreate('seccomp-bpf');
    try {
      check(seccompExportBpf(this.handle, fd) as number, 'seccomp_export_bpf', 'filter');
      return readFromStart(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  release(): void {
    if (this.ctx !== null) seccompRelease(this.ctx);
    this.ctx = null;
  }
}
