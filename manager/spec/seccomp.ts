// Docker's seccomp profile format (what `--security-opt seccomp=FILE` reads, and what our default
// profile is written in) resolved into the OCI linux.seccomp a runtime loads: rules are kept or
// dropped by the container's capabilities (its bounding set), the machine's architecture and the
// running kernel's version, the way docker does it.
import fs = require('node:fs');
import os = require('node:os');
import { UsageError } from '../errors';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction, SeccompFlag, SeccompOperator } from '../../runtime/spec/types';

export interface DockerSeccompFilter {
  /** Go-style architecture names: amd64, x86, x32, arm, arm64, s390x, ppc64le, riscv64, ... */
  arches?: string[];
  /** CAP_* names; includes: all must be present, excludes: any present drops the rule */
  caps?: string[];
  /** "major.minor" */
  minKernel?: string;
}

export interface DockerSeccompRule {
  /** the older, single-name form */
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[] | null;
  comment?: string;
  includes?: DockerSeccompFilter;
  excludes?: DockerSeccompFilter;
}

export interface DockerSeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures: string[] | null }>;
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: SeccompFlag[];
  syscalls?: DockerSeccompRule[] | null;
}

/** What a profile is resolved against. */
export interface SeccompContext {
  /** the container's bounding capabilities (CAP_* names) */
  capabilities: readonly string[];
  /** Go-style architecture name (default: this machine's) */
  arch?: string;
  /** "major.minor[...]" of the kernel (default: os.release()) */
  kernel?: string;
}

const ACTIONS = new Set<string>([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const OPERATORS = new Set<string>([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);
const FLAGS = new Set<string>([
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
]);
const ARCHITECTURES = new Set<string>([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
]);

/** Node's process.arch -> [docker's architecture name, the libseccomp architecture]. */
const NATIVE: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  ia32: ['x86', 'SCMP_ARCH_X86'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  arm: ['arm', 'SCMP_ARCH_ARM'],
  ppc64: ['ppc64le', 'SCMP_ARCH_PPC64LE'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
  mips64el: ['mips64le', 'SCMP_ARCH_MIPSEL64'],
  loong64: ['loong64', 'SCMP_ARCH_LOONGARCH64'],
};
const SECCOMP_ARCH_OF: Record<string, string> = Object.fromEntries(Object.values(NATIVE));

/** This machine's architecture in docker's naming (amd64 on x86-64). */
export function nativeArch(): string {
  return NATIVE[process.arch]?.[0] ?? process.arch;
}

/** True when kernel release `release` ("6.1.0-13-amd64") is at least `min` ("4.8"). */
export function kernelAtLeast(release: string, min: string): boolean {
  const version = (text: string) => {
    const m = /^(\d+)\.(\d+)/.exec(text);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  };
  const have = version(release);
  const want = version(min);
  if (!want) throw new UsageError(`seccomp profile: minKernel "${min}" is not a major.minor kernel version`);
  if (!have) return false;
  return have[0]! > want[0]! || (have[0] === want[0] && have[1]! >= want[1]!);
}

function ruleApplies(rule: DockerSeccompRule, ctx: Required<SeccompContext>): boolean {
  const has = (cap: string) => ctx.capabilities.includes(cap);
  const ex = rule.excludes ?? {};
  if (ex.arches?.length && ex.arches.includes(ctx.arch)) return false;
  if (ex.caps?.length && ex.caps.some(has)) return false;
  if (ex.minKernel && kernelAtLeast(ctx.kernel, ex.minKernel)) return false;
  const inc = rule.includes ?? {};
  if (inc.arches?.length && !inc.arches.includes(ctx.arch)) return false;
  if (inc.caps?.length && !inc.caps.every(has)) return false;
  if (inc.minKernel && !kernelAtLeast(ctx.kernel, inc.minKernel)) return false;
  return true;
}

function architecturesOf(profile: DockerSeccompProfile, arch: string): string[] | undefined {
  if (profile.architectures?.length) return [...profile.architectures];
  if (!profile.archMap?.length) return undefined; // libseccomp takes the native one
  const native = SECCOMP_ARCH_OF[arch];
  const entry = profile.archMap.find((a) => a.architecture === native);
  return entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : undefined;
}

/** The OCI linux.seccomp docker would give a container with these capabilities. */
export function resolveSeccompProfile(profile: DockerSeccompProfile, context: SeccompContext): LinuxSeccomp {
  const ctx: Required<SeccompContext> = {
    capabilities: context.capabilities,
    arch: context.arch ?? nativeArch(),
    kernel: context.kernel ?? os.release(),
  };
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures = architecturesOf(profile, ctx.arch);
  if (architectures) out.architectures = architectures;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  const syscalls: LinuxSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (!ruleApplies(rule, ctx)) continue;
    const syscall: LinuxSyscall = { names: rule.names?.length ? [...rule.names] : [rule.name!], action: rule.action };
    if (rule.errnoRet !== undefined) syscall.errnoRet = rule.errnoRet;
    if (rule.args?.length) syscall.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(syscall);
  }
  out.syscalls = syscalls;
  return out;
}

// ---------------------------------------------------------------- reading a profile file

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

function stringList(v: unknown, what: string, known?: Set<string>): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new Error(`${what} must be a list of strings`);
  for (const s of v as string[]) if (known && !known.has(s)) throw new Error(`${what}: unknown value "${s}"`);
  return v as string[];
}

function checkFilter(v: unknown, what: string): DockerSeccompFilter {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new Error(`${what} must be an object`);
  const filter: DockerSeccompFilter = {};
  if (v.arches != null) filter.arches = stringList(v.arches, `${what}.arches`);
  if (v.caps != null) filter.caps = stringList(v.caps, `${what}.caps`);
  if (v.minKernel != null) {
    if (typeof v.minKernel !== 'string' || !/^\d+\.\d+$/.test(v.minKernel)) throw new Error(`${what}.minKernel must be "major.minor"`);
    filter.minKernel = v.minKernel;
  }
  return filter;
}

function checkArg(v: unknown, what: string): LinuxSeccompArg {
  if (!isObject(v)) throw new Error(`${what} must be an object`);
  if (!isUint(v.index, 5)) throw new Error(`${what}.index must be 0 to 5`);
  if (!isUint(v.value, Number.MAX_SAFE_INTEGER)) throw new Error(`${what}.value must be a non-negative integer`);
  if (v.valueTwo != null && !isUint(v.valueTwo, Number.MAX_SAFE_INTEGER)) throw new Error(`${what}.valueTwo must be a non-negative integer`);
  if (typeof v.op !== 'string' || !OPERATORS.has(v.op)) throw new Error(`${what}.op: unknown operator ${JSON.stringify(v.op)}`);
  const arg: LinuxSeccompArg = { index: v.index as number, value: v.value as number, op: v.op as SeccompOperator };
  if (v.valueTwo != null) arg.valueTwo = v.valueTwo as number;
  return arg;
}

function checkRule(v: unknown, what: string): DockerSeccompRule {
  if (!isObject(v)) throw new Error(`${what} must be an object`);
  const hasName = typeof v.name === 'string' && v.name !== '';
  const names = v.names == null ? [] : stringList(v.names, `${what}.names`);
  if (hasName && names.length > 0) throw new Error(`${what}: use either 'name' or 'names'`);
  if (!hasName && names.length === 0) throw new Error(`${what}: no syscall names`);
  if (typeof v.action !== 'string' || !ACTIONS.has(v.action)) throw new Error(`${what}.action: unknown action ${JSON.stringify(v.action)}`);
  const rule: DockerSeccompRule = { action: v.action as SeccompAction };
  if (hasName) rule.name = v.name as string;
  else rule.names = names;
  if (v.errnoRet != null) {
    if (!isUint(v.errnoRet, 0xffffffff)) throw new Error(`${what}.errnoRet must be a non-negative integer`);
    rule.errnoRet = v.errnoRet as number;
  }
  if (v.args != null) {
    if (!Array.isArray(v.args)) throw new Error(`${what}.args must be a list`);
    rule.args = v.args.map((a, i) => checkArg(a, `${what}.args[${i}]`));
  }
  const includes = checkFilter(v.includes, `${what}.includes`);
  const excludes = checkFilter(v.excludes, `${what}.excludes`);
  if (Object.keys(includes).length) rule.includes = includes;
  if (Object.keys(excludes).length) rule.excludes = excludes;
  return rule;
}

/** Checks a parsed docker-format profile; throws Error with the offending field. */
function checkProfile(v: unknown): DockerSeccompProfile {
  if (!isObject(v)) throw new Error('not a JSON object');
  if (typeof v.defaultAction !== 'string' || !ACTIONS.has(v.defaultAction)) {
    throw new Error(`defaultAction: ${v.defaultAction === undefined ? 'missing' : `unknown action ${JSON.stringify(v.defaultAction)}`}`);
  }
  const profile: DockerSeccompProfile = { defaultAction: v.defaultAction as SeccompAction };
  if (v.defaultErrnoRet != null) {
    if (!isUint(v.defaultErrnoRet, 0xffffffff)) throw new Error('defaultErrnoRet must be a non-negative integer');
    profile.defaultErrnoRet = v.defaultErrnoRet as number;
  }
  const architectures = v.architectures == null ? [] : stringList(v.architectures, 'architectures', ARCHITECTURES);
  const archMap = v.archMap == null ? [] : v.archMap;
  if (!Array.isArray(archMap)) throw new Error('archMap must be a list');
  if (architectures.length && archMap.length) throw new Error("use either 'architectures' or 'archMap'");
  if (architectures.length) profile.architectures = architectures;
  if (archMap.length) {
    profile.archMap = archMap.map((entry, i) => {
      if (!isObject(entry) || typeof entry.architecture !== 'string' || !ARCHITECTURES.has(entry.architecture)) {
        throw new Error(`archMap[${i}].architecture must be an SCMP_ARCH_* name`);
      }
      const sub = entry.subArchitectures == null ? [] : stringList(entry.subArchitectures, `archMap[${i}].subArchitectures`, ARCHITECTURES);
      return { architecture: entry.architecture, subArchitectures: sub };
    });
  }
  if (v.flags != null) profile.flags = stringList(v.flags, 'flags', FLAGS) as SeccompFlag[];
  if (v.listenerPath != null && v.listenerPath !== '') {
    if (typeof v.listenerPath !== 'string' || !v.listenerPath.startsWith('/')) throw new Error('listenerPath must be an absolute path');
    profile.listenerPath = v.listenerPath;
  }
  if (v.listenerMetadata != null && v.listenerMetadata !== '') {
    if (typeof v.listenerMetadata !== 'string') throw new Error('listenerMetadata must be a string');
    profile.listenerMetadata = v.listenerMetadata;
  }
  if (v.syscalls != null) {
    if (!Array.isArray(v.syscalls)) throw new Error('syscalls must be a list');
    profile.syscalls = v.syscalls.map((r, i) => checkRule(r, `syscalls[${i}]`));
  }
  return profile;
}

/** Parses the text of a docker-format profile; `source` names it in errors (the flag and file). */
export function parseSeccompProfile(text: string, source: string): DockerSeccompProfile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source}: decoding seccomp profile failed: ${(err as Error).message}`);
  }
  try {
    return checkProfile(doc);
  } catch (err) {
    throw new UsageError(`${source}: invalid seccomp profile: ${(err as Error).message}`);
  }
}

/** Reads `--security-opt seccomp=FILE`. */
export function loadSeccompProfile(file: string): DockerSeccompProfile {
  const source = `--security-opt seccomp=${file}`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${source}: opening seccomp profile failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseSeccompProfile(text, source);
}
