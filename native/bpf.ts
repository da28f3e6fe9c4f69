// The bpf(2) system call, for the cgroup v2 device filter: load a program, attach it to a
// cgroup, detach it, list what is attached. `union bpf_attr` is laid out by hand in a zeroed
// Buffer (every command reads its own fields at fixed offsets of the union, and the kernel
// requires the bytes it does not know to be zero); pointers inside it are the addresses of
// Buffers that stay referenced until the call returns.
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';
import { SyscallError } from './libc';

const libc = koffi.load('libc.so.6');
const syscallBpf = lazyFunc(libc, 'long syscall(long nr, int cmd, void *attr, uint size)');

const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280 };

/** bpf(2) commands (include/uapi/linux/bpf.h, enum bpf_cmd). */
export const BPF_CMD = {
  PROG_LOAD: 5,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_GET_FD_BY_ID: 13,
  PROG_QUERY: 16,
} as const;

/** enum bpf_prog_type */
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
/** enum bpf_attach_type */
export const BPF_CGROUP_DEVICE = 6;
/** attach flags */
export const BPF_F_ALLOW_OVERRIDE = 1;
export const BPF_F_ALLOW_MULTI = 2;
export const BPF_F_REPLACE = 4;

/** sizeof(union bpf_attr) we pass: larger than every field we write, all zero but them. */
const ATTR_SIZE = 160;

const CMD_NAMES: Record<number, string> = {
  5: 'BPF_PROG_LOAD',
  8: 'BPF_PROG_ATTACH',
  9: 'BPF_PROG_DETACH',
  13: 'BPF_PROG_GET_FD_BY_ID',
  16: 'BPF_PROG_QUERY',
};

/** A failed bpf(2) call; `log` holds the verifier's output when BPF_PROG_LOAD failed. */
export class BpfError extends SyscallError {
  constructor(
    cmd: number,
    errno: number,
    target: string,
    readonly log = '',
  ) {
    super(`bpf(${CMD_NAMES[cmd] ?? cmd})`, errno, target);
    this.name = 'BpfError';
    if (log) {
      const tail = log.trimEnd().split('\n').slice(-6).join(' | ');
      this.message += ` (verifier: ${tail})`;
    }
  }
}

function bpf(cmd: number, attr: Buffer, target: string, keepAlive: unknown[] = [], log = (): string => ''): number {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new Error(`bpf: unsupported architecture ${process.arch}`);
  const ret = Number(syscallBpf(nr, cmd, attr, attr.length));
  void keepAlive; // the Buffers whose addresses attr carries must outlive the call
  if (ret < 0) {
    const errno = koffi.errno();
    throw new BpfError(cmd, errno, target, log());
  }
  return ret;
}

function address(buf: Buffer): bigint {
  return koffi.address(buf);
}

export interface ProgLoadOptions {
  type: number;
  /** The instructions, 8 bytes each (struct bpf_insn). */
  insns: Buffer;
  license: string;
  /** prog_name: up to 15 characters of [A-Za-z0-9_.] */
  name?: string;
  expectedAttachType?: number;
  /** Bytes of verifier log to collect when the load fails (default 64 KiB). */
  logSize?: number;
}

/**
 * BPF_PROG_LOAD; returns the program's fd (close-on-exec, as the kernel always makes it).
 * Loads without a log first (the log costs verifier time); when that fails, loads again
 * with log_level 1 so the error carries the verifier's explanation.
 */
export function bpfProgLoad(opts: ProgLoadOptions): number {
  if (opts.insns.length === 0 || opts.insns.length % 8 !== 0) {
    throw new Error(`bpf program: ${opts.insns.length} bytes is not a whole number of 8-byte instructions`);
  }
  const license = Buffer.from(`${opts.license}\0`);
  const attempt = (logBuf: Buffer | null): number => {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(opts.type, 0); // prog_type
    attr.writeUInt32LE(opts.insns.length / 8, 4); // insn_cnt
    attr.writeBigUInt64LE(address(opts.insns), 8); // insns
    attr.writeBigUInt64LE(address(license), 16); // license
    if (logBuf) {
      attr.writeUInt32LE(1, 24); // log_level
      attr.writeUInt32LE(logBuf.length, 28); // log_size
      attr.writeBigUInt64LE(address(logBuf), 32); // log_buf
    }
    // kern_version (40) and prog_flags (44) stay 0
    if (opts.name) attr.write(opts.name.slice(0, 15), 48, 'latin1'); // prog_name[16]
    // prog_ifindex (64) stays 0
    attr.writeUInt32LE(opts.expectedAttachType ?? 0, 68); // expected_attach_type
    const log = (): string => (logBuf ? logBuf.toString('latin1', 0, Math.max(0, logBuf.indexOf(0))) : '');
    return bpf(BPF_CMD.PROG_LOAD, attr, opts.name ?? 'program', [opts.insns, license, logBuf], log);
  };
  try {
    return attempt(null);
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    const logBuf = Buffer.alloc(opts.logSize ?? 64 * 1024);
    return attempt(logBuf); // fails again, now with the verifier's words (or succeeds: a transient error)
  }
}

/** BPF_PROG_ATTACH: attach progFd to the cgroup open at targetFd. */
export function bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, target: string, replaceFd = 0): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(targetFd, 0); // target_fd
  attr.writeUInt32LE(progFd, 4); // attach_bpf_fd
  attr.writeUInt32LE(attachType, 8); // attach_type
  attr.writeUInt32LE(flags, 12); // attach_flags
  attr.writeUInt32LE(replaceFd, 16); // replace_bpf_fd
  bpf(BPF_CMD.PROG_ATTACH, attr, target);
}

/** BPF_PROG_DETACH: detach progFd (a multi-attached program must be named) from the cgroup. */
export function bpfProgDetach(targetFd: number, progFd: number, attachType: number, target: string): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(targetFd, 0); // target_fd
  attr.writeUInt32LE(progFd, 4); // attach_bpf_fd
  attr.writeUInt32LE(attachType, 8); // attach_type
  bpf(BPF_CMD.PROG_DETACH, attr, target);
}

export interface ProgQueryResult {
  /** The flags the programs were attached with (BPF_F_ALLOW_MULTI, ...). */
  attachFlags: number;
  /** Ids of the programs attached to this cgroup itself (not inherited ones). */
  progIds: number[];
}

/** BPF_PROG_QUERY: the programs of one attach type attached directly to the cgroup. */
export function bpfProgQuery(targetFd: number, attachType: number, target: string): ProgQueryResult {
  let capacity = 64; // the kernel allows 64 programs per cgroup and attach type
  for (let tries = 0; tries < 4; tries++) {
    const ids = Buffer.alloc(capacity * 4);
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(targetFd, 0); // target_fd
    attr.writeUInt32LE(attachType, 4); // attach_type
    // query_flags (8) stays 0
    attr.writeBigUInt64LE(address(ids), 16); // prog_ids
    attr.writeUInt32LE(capacity, 24); // prog_cnt (in: room, out: count)
    try {
      bpf(BPF_CMD.PROG_QUERY, attr, target, [ids]);
    } catch (err) {
      // ENOSPC: more programs than room; prog_cnt now says how many
      if (err instanceof BpfError && err.code === 'ENOSPC') {
        capacity = Math.max(capacity * 2, attr.readUInt32LE(24));
        continue;
      }
      throw err;
    }
    const count = attr.readUInt32LE(24);
    const progIds: number[] = [];
    for (let i = 0; i < count; i++) progIds.push(ids.readUInt32LE(i * 4));
    return { attachFlags: attr.readUInt32LE(12), progIds };
  }
  throw new Error(`bpf(BPF_PROG_QUERY) ${target}: the list of programs kept growing`);
}

/** BPF_PROG_GET_FD_BY_ID: an fd for an attached program (to detach it by fd). */
export function bpfProgGetFdById(id: number): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0); // prog_id
  return bpf(BPF_CMD.PROG_GET_FD_BY_ID, attr, `program id ${id}`);
}
