// linux.resources.devices on cgroup v2: there is no devices.allow/deny file; the kernel asks a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup about every open and mknod of a
// device node. This file compiles the OCI rule list into such a program and attaches it.
//
// Semantics (what runc gives, as cgroup v1 did): the rules apply in order and the last one that
// matches decides, separately for each access (r, w, m) the process asks for: an access is
// granted when the last rule matching the device and naming that access allows it; a request
// is granted when every access it asks for is. A device no rule matches is refused (the
// starting state runc gives a container; docker's list starts with an explicit deny-all
// anyway). A rule without `type` (or "a") matches every device, whatever its major/minor; a
// missing or null major/minor, or -1, matches any number; a rule with an empty access matches
// no access at all (runc does the same).
//
// The program (struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, with
// access_type = access << 16 | type, type 1 block / 2 char, access 1 mknod / 2 read / 4 write)
// walks the rules from the last to the first with the accesses still undecided in r3:
//   a matching deny rule that names an undecided access   -> return 0
//   a matching allow rule clears the accesses it names;   -> return 1 once none is left
// and returns 0 when it runs out of rules. Rules before the last one that matches every device
// with every access cannot decide anything and are left out; that rule becomes the fallback.
import fs = require('node:fs');
import {
  BPF_CGROUP_DEVICE,
  BPF_F_ALLOW_MULTI,
  BPF_PROG_TYPE_CGROUP_DEVICE,
  BpfError,
  bpfProgAttach,
  bpfProgDetach,
  bpfProgGetFdById,
  bpfProgLoad,
  bpfProgQuery,
} from '../../native/bpf';
import { ConfigError } from '../errors';
import type { LinuxResources } from './types';

export type DeviceRule = NonNullable<LinuxResources['devices']>[number];

/** Attaches the device filter for a rule list to a cgroup directory (replaceable in tests). */
export interface DeviceProgramLoader {
  /** Makes a program for `rules` the cgroup's only BPF_CGROUP_DEVICE program. */
  apply(cgroupDir: string, rules: DeviceRule[], field: string): void;
}

export const ACCESS_MKNOD = 1;
export const ACCESS_READ = 2;
export const ACCESS_WRITE = 4;
export const DEV_BLOCK = 1;
export const DEV_CHAR = 2;
const ALL_ACCESS = ACCESS_MKNOD | ACCESS_READ | ACCESS_WRITE;

/** A rule in the program's terms: undefined type/major/minor match anything. */
export interface CompiledRule {
  allow: boolean;
  type?: number;
  major?: number;
  minor?: number;
  access: number;
}

/** Checks and converts the OCI rules; errors name the rule (`field[i].access`). */
export function normalizeDeviceRules(rules: DeviceRule[], field = 'linux.resources.devices'): CompiledRule[] {
  if (!Array.isArray(rules)) throw new ConfigError(`${field}: must be a list of rules`);
  return rules.map((rule, i) => {
    const at = `${field}[${i}]`;
    if (rule === null || typeof rule !== 'object') throw new ConfigError(`${at}: must be an object`);
    if (typeof rule.allow !== 'boolean') throw new ConfigError(`${at}.allow: must be true or false`);
    let type: number | undefined;
    switch (rule.type ?? 'a') {
      case 'a':
        type = undefined;
        break;
      case 'c':
        type = DEV_CHAR;
        break;
      case 'b':
        type = DEV_BLOCK;
        break;
      default:
        throw new ConfigError(`${at}.type: "${String(rule.type)}" is not one of a, b, c`);
    }
    let access = 0;
    for (const ch of rule.access ?? '') {
      if (ch === 'r') access |= ACCESS_READ;
      else if (ch === 'w') access |= ACCESS_WRITE;
      else if (ch === 'm') access |= ACCESS_MKNOD;
      else throw new ConfigError(`${at}.access: "${rule.access}" may only contain r, w and m`);
    }
    const number = (value: number | null | undefined, name: string): number | undefined => {
      if (value === undefined || value === null || value === -1) return undefined;
      if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
        throw new ConfigError(`${at}.${name}: ${String(value)} is not a device number (0 to 2147483647, or -1 for any)`);
      }
      return value;
    };
    const compiled: CompiledRule = { allow: rule.allow, access };
    if (type !== undefined) {
      compiled.type = type;
      const major = number(rule.major, 'major');
      const minor = number(rule.minor, 'minor');
      if (major !== undefined) compiled.major = major;
      if (minor !== undefined) compiled.minor = minor;
    }
    return compiled;
  });
}

/** The decision the program makes, computed directly from the rules (the reference semantics). */
export function deviceAccessAllowed(rules: CompiledRule[], type: number, major: number, minor: number, access: number): boolean {
  let pending = access;
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (r.access === 0) continue; // names no access: decides nothing
    if (r.type !== undefined && r.type !== type) continue;
    if (r.major !== undefined && r.major !== major) continue;
    if (r.minor !== undefined && r.minor !== minor) continue;
    if (!r.allow) {
      if (pending & r.access) return false;
    } else {
      pending &= ~r.access;
      if (pending === 0) return true;
    }
  }
  return false;
}

// --- instruction encoding (struct bpf_insn: u8 code; u8 dst:4, src:4; s16 off; s32 imm)
const R0 = 0;
const R1 = 1;
const R2 = 2;
const R3 = 3;
const R4 = 4;
const R5 = 5;

const BPF_LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const BPF_ALU32_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const BPF_ALU32_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const BPF_ALU32_MOV_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const BPF_JMP_JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const BPF_JMP_JSET_K = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const BPF_JMP_JA = 0x05; // BPF_JMP | BPF_JA
const BPF_EXIT = 0x95; // BPF_JMP | BPF_EXIT

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

function insn(code: number, dst: number, src: number, off: number, imm: number): Insn {
  return { code, dst, src, off, imm };
}

/** The program's instructions for a rule list (see the top of this file). */
export function compileDeviceFilter(rules: CompiledRule[]): Insn[] {
  // the last rule that decides every request on its own: everything before it is dead
  let start = 0;
  let fallback = false;
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (r.type === undefined && r.access === ALL_ACCESS) {
      start = i + 1;
      fallback = r.allow;
      break;
    }
  }
  const prog: Insn[] = [
    insn(BPF_LDX_MEM_W, R2, R1, 0, 0), // r2 = ctx->access_type
    insn(BPF_ALU32_AND_K, R2, 0, 0, 0xffff), // r2 &= 0xffff: the device type
    insn(BPF_LDX_MEM_W, R3, R1, 0, 0), // r3 = ctx->access_type
    insn(BPF_ALU32_RSH_K, R3, 0, 0, 16), // r3 >>= 16: the accesses asked for, still undecided
    insn(BPF_LDX_MEM_W, R4, R1, 4, 0), // r4 = ctx->major
    insn(BPF_LDX_MEM_W, R5, R1, 8, 0), // r5 = ctx->minor
  ];
  for (let i = rules.length - 1; i >= start; i--) {
    const r = rules[i]!;
    if (r.access === 0) continue; // decides nothing
    const block: Insn[] = [];
    const skips: number[] = []; // indexes of jumps to the next rule
    const skipUnless = (reg: number, value: number): void => {
      skips.push(block.length);
      block.push(insn(BPF_JMP_JNE_K, reg, 0, 0, value));
    };
    if (r.type !== undefined) skipUnless(R2, r.type);
    if (r.major !== undefined) skipUnless(R4, r.major);
    if (r.minor !== undefined) skipUnless(R5, r.minor);
    if (!r.allow) {
      // if (r3 & access) return 0
      block.push(insn(BPF_JMP_JSET_K, R3, 0, 1, r.access));
      skips.push(block.length);
      block.push(insn(BPF_JMP_JA, 0, 0, 0, 0));
      block.push(insn(BPF_ALU32_MOV_K, R0, 0, 0, 0));
      block.push(insn(BPF_EXIT, 0, 0, 0, 0));
    } else {
      // r3 &= ~access; if (r3 == 0) return 1
      block.push(insn(BPF_ALU32_AND_K, R3, 0, 0, ~r.access));
      skips.push(block.length);
      block.push(insn(BPF_JMP_JNE_K, R3, 0, 0, 0));
      block.push(insn(BPF_ALU32_MOV_K, R0, 0, 0, 1));
      block.push(insn(BPF_EXIT, 0, 0, 0, 0));
    }
    for (const at of skips) block[at]!.off = block.length - at - 1;
    prog.push(...block);
  }
  prog.push(insn(BPF_ALU32_MOV_K, R0, 0, 0, fallback ? 1 : 0));
  prog.push(insn(BPF_EXIT, 0, 0, 0, 0));
  return prog;
}

/** struct bpf_insn[] as the kernel reads it (little-endian hosts: x86_64, aarch64). */
export function encodeInsns(prog: Insn[]): Buffer {
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((ins, i) => {
    buf.writeUInt8(ins.code, i * 8);
    buf.writeUInt8(((ins.src & 0xf) << 4) | (ins.dst & 0xf), i * 8 + 1);
    buf.writeInt16LE(ins.off, i * 8 + 2);
    buf.writeInt32LE(ins.imm | 0, i * 8 + 4);
  });
  return buf;
}

const PROGRAM_NAME = 'mydocker_dev';

/** Loads the filter for `rules` into the kernel (through the verifier); returns its fd. */
export function loadDeviceFilter(rules: DeviceRule[], field = 'linux.resources.devices'): number {
  const insns = encodeInsns(compileDeviceFilter(normalizeDeviceRules(rules, field)));
  try {
    return bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns, license: 'GPL', name: PROGRAM_NAME });
  } catch (err) {
    if (err instanceof BpfError) throw new BpfError(5, err.errno, `${field}: device filter program`, err.log);
    throw err;
  }
}

/** The ids of the BPF_CGROUP_DEVICE programs attached to the cgroup directory itself. */
export function attachedDeviceFilters(cgroupDir: string): number[] {
  const dirFd = fs.openSync(cgroupDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    return bpfProgQuery(dirFd, BPF_CGROUP_DEVICE, cgroupDir).progIds;
  } finally {
    fs.closeSync(dirFd);
  }
}

/**
 * The real loader: loads the new program, attaches it with BPF_F_ALLOW_MULTI next to whatever
 * is attached already (so there is no moment without a filter), then detaches every other
 * device program of this cgroup (our previous one, on `update`). Programs attached to parent
 * cgroups are not ours and keep applying, as the kernel wants.
 */
export const ebpfDeviceLoader: DeviceProgramLoader = {
  apply(cgroupDir: string, rules: DeviceRule[], field: string): void {
    const progFd = loadDeviceFilter(rules, field);
    let dirFd = -1;
    try {
      dirFd = fs.openSync(cgroupDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      const old = bpfProgQuery(dirFd, BPF_CGROUP_DEVICE, cgroupDir).progIds;
      bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, `${field}: ${cgroupDir}`);
      for (const id of old) {
        let oldFd: number;
        try {
          oldFd = bpfProgGetFdById(id);
        } catch (err) {
          if (err instanceof BpfError && err.code === 'ENOENT') continue; // gone meanwhile
          throw err;
        }
        try {
          bpfProgDetach(dirFd, oldFd, BPF_CGROUP_DEVICE, `${field}: old program ${id} of ${cgroupDir}`);
        } catch (err) {
          if (!(err instanceof BpfError && err.code === 'ENOENT')) throw err;
        } finally {
          fs.closeSync(oldFd);
        }
      }
    } finally {
      if (dirFd >= 0) fs.closeSync(dirFd);
      fs.closeSync(progFd); // the attachment holds its own reference
    }
  },
};
