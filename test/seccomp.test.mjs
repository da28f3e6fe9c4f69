// linux.seccomp -> BPF (runtime/linux/seccomp.ts through libseccomp): every client profile
// compiles; actions, operators, architectures and flags map as runc maps them; invalid input is a
// ConfigError naming the field; and the programs behave, loaded with seccomp(2) by a small C
// program (test/fixtures/seccomp-load.c) in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from './lib/dist.mjs';
import { CLIENT_CONFIGS } from './lib/fixtures.mjs';

const { compileSeccomp, seccompFeatures, SECCOMP_FILTER_FLAG } = load('runtime/linux/seccomp');
const { ConfigError } = load('runtime/errors');
const libseccomp = load('native/libseccomp');

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = CLIENT_CONFIGS;
const LOADER_SOURCE = path.join(here, 'fixtures', 'seccomp-load.c');

// syscall numbers the behaviour tests use
const NR = {
  x64: { getppid: 110, personality: 135, unshare: 272, mount: 165, keyctl: 250, clone: 56, clone3: 435 },
  arm64: { getppid: 173, personality: 92, unshare: 97, mount: 40, keyctl: 219, clone: 220, clone3: 435 },
}[process.arch];
const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWNS = 0x20000;

function fixtureProfiles() {
  const out = [];
  for (const file of fs.readdirSync(FIXTURES).sort()) {
    if (!file.endsWith('.json')) continue;
    const doc = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
    if (doc.linux?.seccomp) out.push({ file, seccomp: doc.linux.seccomp });
  }
  return out;
}

/** The program as instructions: { code, jt, jf, k } (host byte order). */
function instructions(program) {
  const le = os.endianness() === 'LE';
  const out = [];
  for (let o = 0; o < program.length; o += 8) {
    out.push({
      code: le ? program.readUInt16LE(o) : program.readUInt16BE(o),
      jt: program[o + 2],
      jf: program[o + 3],
      k: le ? program.readUInt32LE(o + 4) : program.readUInt32BE(o + 4),
    });
  }
  return out;
}

const BPF_RET_K = 0x06;
const BPF_JEQ_K = 0x15;
const BPF_ALU_AND_K = 0x54;

/** Every constant the program returns. */
function returns(program) {
  return new Set(instructions(program).filter((i) => i.code === BPF_RET_K).map((i) => i.k));
}

function constantsOf(program, code) {
  return new Set(instructions(program).filter((i) => i.code === code).map((i) => i.k));
}

const allow = (syscalls, extra = {}) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls, ...extra });

// ---------------------------------------------------------------------------------------------
// compiling

test('every client profile in the fixtures compiles, fast', () => {
  const profiles = fixtureProfiles();
  assert.ok(profiles.length >= 2, `expected docker and podman profiles in ${FIXTURES}`);
  for (const { file, seccomp } of profiles) {
    const r = compileSeccomp(seccomp);
    assert.ok(Buffer.isBuffer(r.program), file);
    assert.ok(r.program.length > 0 && r.program.length % 8 === 0, `${file}: ${r.program.length} bytes`);
    assert.ok(r.program.length / 8 <= 4096, `${file}: more than BPF_MAXINSNS instructions`);
    assert.equal(r.notify, false, file);
    // no flags in the profile: SPEC_ALLOW (runc's default) where the kernel has it
    assert.equal(r.flags & ~SECCOMP_FILTER_FLAG.SPEC_ALLOW, 0, file);
    const last = instructions(r.program).at(-1);
    assert.equal(last.code, BPF_RET_K, `${file}: the program ends with a return`);
  }
  // the docker profile, warm: libseccomp itself takes most of it (three architectures)
  const docker = profiles.find((p) => p.file === 'docker-run-config.json') ?? profiles[0];
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    compileSeccomp(docker.seccomp);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  assert.ok(times[2] < 250, `compiling ${docker.file} took ${times[2]} ms`);
});

test('actions: KILL is KILL_THREAD; ERRNO and TRACE take errnoRet, EPERM by default; NOTIFY is reported', () => {
  const cases = [
    ['SCMP_ACT_KILL', undefined, 0x00000000],
    ['SCMP_ACT_KILL_THREAD', undefined, 0x00000000],
    ['SCMP_ACT_KILL_PROCESS', undefined, 0x80000000],
    ['SCMP_ACT_TRAP', undefined, 0x00030000],
    ['SCMP_ACT_ERRNO', undefined, 0x00050000 | EPERM],
    ['SCMP_ACT_ERRNO', 38, 0x00050000 | 38],
    ['SCMP_ACT_ERRNO', 0, 0x00050000],
    ['SCMP_ACT_TRACE', undefined, 0x7ff00000 | EPERM],
    ['SCMP_ACT_TRACE', 7, 0x7ff00007],
    ['SCMP_ACT_LOG', undefined, 0x7ffc0000],
    ['SCMP_ACT_NOTIFY', undefined, 0x7fc00000],
  ];
  for (const [action, errnoRet, value] of cases) {
    const r = compileSeccomp(allow([{ names: ['getppid'], action, errnoRet }]));
    assert.ok(returns(r.program).has(value), `${action} ${errnoRet}: returns 0x${value.toString(16)}`);
    assert.equal(r.notify, action === 'SCMP_ACT_NOTIFY', action);
  }
  // default actions, defaultErrnoRet
  for (const [action, errnoRet, value] of cases) {
    if (action === 'SCMP_ACT_NOTIFY') continue;
    const r = compileSeccomp({ defaultAction: action, defaultErrnoRet: errnoRet, syscalls: [{ names: ['exit_group'], action: 'SCMP_ACT_ALLOW' }] });
    assert.ok(returns(r.program).has(value), `default ${action} ${errnoRet}: returns 0x${value.toString(16)}`);
  }
  assert.ok(returns(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }).program).has(0x7fff0000));
});

test('operators: each compiles to its comparison; MASKED_EQ masks with value and compares with valueTwo', () => {
  for (const op of ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']) {
    const r = compileSeccomp(allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x1234, valueTwo: 0x34, op }] }]));
    assert.ok(r.program.length > 0, op);
  }
  const masked = compileSeccomp(allow([{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x7e020000, valueTwo: 0x20000, op: 'SCMP_CMP_MASKED_EQ' }] }]));
  assert.ok(constantsOf(masked.program, BPF_ALU_AND_K).has(0x7e020000), 'and with the mask (value)');
  assert.ok(constantsOf(masked.program, BPF_JEQ_K).has(0x20000), 'compare with valueTwo');
});

test('architectures: the native one is always there, the listed ones are added', () => {
  const native = libseccomp.archNative();
  const archOf = (architectures) => constantsOf(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures, syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }] }).program, BPF_JEQ_K);
  assert.ok(archOf([]).has(native));
  const AUDIT = { SCMP_ARCH_X86: 0x40000003, SCMP_ARCH_X86_64: 0xc000003e, SCMP_ARCH_AARCH64: 0xc00000b7, SCMP_ARCH_ARM: 0x40000028, SCMP_ARCH_RISCV64: 0xc00000f3, SCMP_ARCH_PPC64LE: 0xc0000015 };
  for (const [name, audit] of Object.entries(AUDIT)) {
    const set = archOf([name]);
    assert.ok(set.has(audit), `${name}: 0x${audit.toString(16)} in the program`);
    assert.ok(set.has(native), `${name}: the native architecture stays`);
  }
  assert.ok(!archOf([]).has(native === 0xc000003e ? 0x40000003 : 0xc000003e), 'an architecture not listed is not in the program');
});

test('flags: LOG and SPEC_ALLOW map to seccomp(2) flags, TSYNC is accepted and ignored, none given = SPEC_ALLOW', () => {
  const base = allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }]);
  const flags = (f, extra = {}) => compileSeccomp({ ...base, ...extra, flags: f }).flags;
  assert.equal(flags(undefined), SECCOMP_FILTER_FLAG.SPEC_ALLOW);
  assert.equal(flags([]), 0);
  assert.equal(flags(['SECCOMP_FILTER_FLAG_TSYNC']), 0);
  assert.equal(flags(['SECCOMP_FILTER_FLAG_LOG']), SECCOMP_FILTER_FLAG.LOG);
  assert.equal(flags(['SECCOMP_FILTER_FLAG_SPEC_ALLOW']), SECCOMP_FILTER_FLAG.SPEC_ALLOW);
  assert.equal(flags(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC']), 2 | 4);
  const notify = { syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }] };
  if (seccompFeatures().supportedFlags.includes('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')) {
    assert.equal(flags(['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], notify), SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV);
  }
  assert.deepEqual(SECCOMP_FILTER_FLAG, { TSYNC: 1, LOG: 2, SPEC_ALLOW: 4, NEW_LISTENER: 8, TSYNC_ESRCH: 16, WAIT_KILLABLE_RECV: 32 });
});

test('seccompFeatures: what features.json can say (runtime-spec features-linux.md)', () => {
  const f = seccompFeatures();
  assert.equal(f.enabled, true);
  assert.equal(f.actions.length, 9);
  assert.deepEqual(f.operators, ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE']);
  assert.ok(f.archs.includes({ x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' }[process.arch] ?? f.archs[0]));
  assert.equal(f.knownFlags.length, 4);
  assert.ok(f.supportedFlags.every((flag) => f.knownFlags.includes(flag)));
  assert.ok(f.supportedFlags.includes('SECCOMP_FILTER_FLAG_TSYNC'));
});

test('syscall names libseccomp does not know are skipped, as are rules with the default action', () => {
  const r = compileSeccomp(allow([
    { names: ['no_such_syscall_at_all', 'getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 },
    { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
  ]));
  assert.ok(returns(r.program).has(0x00050000 | 77));
  assert.ok(compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }] }).program.length > 0);
  // many names, every rule skipped: no binary tree over nothing (libseccomp <= 2.5.4 breaks there)
  const many = fixtureProfiles()[0].seccomp.syscalls[0].names;
  assert.ok(many.length > 32);
  const none = compileSeccomp(allow([{ names: many, action: 'SCMP_ACT_ALLOW' }]));
  assert.deepEqual([...returns(none.program)].sort(), [0, 0x7fff0000].sort(), 'allow, or kill a bad architecture');
  // conditions on the same argument index (libseccomp cannot AND them) still compile
  assert.ok(compileSeccomp(allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }])).program.length > 0);
});

test('invalid profiles: a ConfigError naming the field', () => {
  const rule = (r) => allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }, { names: ['getpid'], action: 'SCMP_ACT_ERRNO', ...r }]);
  const cases = [
    [{ defaultAction: 'SCMP_ACT_FOO' }, /^linux\.seccomp\.defaultAction: unknown action "SCMP_ACT_FOO"$/],
    [{}, /^linux\.seccomp\.defaultAction: required$/],
    [{ defaultAction: 'constructor' }, /^linux\.seccomp\.defaultAction: unknown action "constructor"$/],
    [rule({ action: 'SCMP_ACT_BAR' }), /^linux\.seccomp\.syscalls\[1\]\.action: unknown action "SCMP_ACT_BAR"$/],
    [rule({ args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' }] }), /^linux\.seccomp\.syscalls\[1\]\.args\[0\]\.op: unknown operator "SCMP_CMP_FOO"$/],
    [rule({ args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }), /^linux\.seccomp\.syscalls\[1\]\.args\[0\]\.index: 6 is not a syscall argument index/],
    [rule({ args: Array.from({ length: 7 }, (_, i) => ({ index: i % 6, value: 1, op: 'SCMP_CMP_EQ' })) }), /^linux\.seccomp\.syscalls\[1\]\.args: 7 conditions, a syscall has at most 6 arguments$/],
    [rule({ args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }), /^linux\.seccomp\.syscalls\[1\]\.args\[0\]\.value: -1 is not a uint64$/],
    [rule({ args: [{ index: 0, value: 1, valueTwo: 1.5, op: 'SCMP_CMP_MASKED_EQ' }] }), /^linux\.seccomp\.syscalls\[1\]\.args\[0\]\.valueTwo: 1\.5 is not a uint64$/],
    [rule({ action: 'SCMP_ACT_ALLOW', errnoRet: 1 }), /^linux\.seccomp\.syscalls\[1\]\.errnoRet: SCMP_ACT_ALLOW does not take an errno/],
    [rule({ action: 'SCMP_ACT_KILL_PROCESS', errnoRet: 1 }), /^linux\.seccomp\.syscalls\[1\]\.errnoRet: SCMP_ACT_KILL_PROCESS does not take an errno/],
    [rule({ errnoRet: 70000 }), /^linux\.seccomp\.syscalls\[1\]\.errnoRet: 70000 is not an errno value/],
    [{ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1 }, /^linux\.seccomp\.defaultErrnoRet: SCMP_ACT_KILL does not take an errno/],
    [rule({ names: [] }), /^linux\.seccomp\.syscalls\[1\]\.names: at least one syscall name is required$/],
    [rule({ names: ['getpid', ''] }), /^linux\.seccomp\.syscalls\[1\]\.names\[1\]: "" is not a syscall name$/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_NOPE'] }, /^linux\.seccomp\.architectures\[0\]: unknown architecture "SCMP_ARCH_NOPE"$/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: [os.endianness() === 'LE' ? 'SCMP_ARCH_S390X' : 'SCMP_ARCH_X86_64'] }, /^linux\.seccomp\.architectures\[0\]: SCMP_ARCH_\w+ cannot share a filter with the native architecture \(another byte order\)$/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_NOPE'] }, /^linux\.seccomp\.flags\[1\]: unknown flag "SECCOMP_FILTER_FLAG_NOPE"$/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, /^linux\.seccomp\.flags\[0\]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a syscall with the SCMP_ACT_NOTIFY action$/],
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, /^linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY cannot be the default action$/],
    [allow([{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }]), /^linux\.seccomp\.syscalls\[0\]: SCMP_ACT_NOTIFY cannot be used for the write syscall$/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }, /^linux\.seccomp\.listenerMetadata: set without linux\.seccomp\.listenerPath$/],
  ];
  for (const [seccomp, message] of cases) {
    assert.throws(() => compileSeccomp(seccomp), (err) => {
      assert.ok(err instanceof ConfigError, `${err.name}: ${err.message}`);
      assert.match(err.message, message);
      return true;
    }, JSON.stringify(seccomp));
  }
});

test('cacheDir: the second compile of a profile is read back, the same program and flags', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cacheDir = path.join(dir, 'cache');
  const profile = fixtureProfiles()[0].seccomp;
  const first = compileSeccomp(profile, { cacheDir });
  const files = fs.readdirSync(cacheDir);
  assert.equal(files.length, 1);
  assert.match(files[0], /^[0-9a-f]{16}\.bpf$/);
  const second = compileSeccomp(profile, { cacheDir });
  assert.deepEqual([second.flags, second.notify], [first.flags, first.notify]);
  assert.ok(second.program.equals(first.program));
  assert.ok(compileSeccomp(profile).program.equals(first.program));
  // a damaged file is ignored and replaced
  fs.writeFileSync(path.join(cacheDir, files[0]), 'garbage');
  assert.ok(compileSeccomp(profile, { cacheDir }).program.equals(first.program));
  assert.ok(fs.readFileSync(path.join(cacheDir, files[0])).length > 24);
  // a file whose key is another profile's (a hash collision) is a miss, not that profile's program
  const other = allow([{ names: ['getppid'], action: 'SCMP_ACT_KILL' }]);
  fs.copyFileSync(path.join(cacheDir, files[0]), path.join(dir, 'saved'));
  compileSeccomp(other, { cacheDir });
  const otherFile = fs.readdirSync(cacheDir).find((f) => f !== files[0]);
  fs.copyFileSync(path.join(dir, 'saved'), path.join(cacheDir, otherFile));
  assert.ok(compileSeccomp(other, { cacheDir }).program.equals(compileSeccomp(other).program));
  fs.rmSync(path.join(cacheDir, otherFile));
  // invalid profiles are never cached, and a different profile is a different file
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_FOO' }, { cacheDir }), ConfigError);
  compileSeccomp(allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }]), { cacheDir });
  assert.equal(fs.readdirSync(cacheDir).length, 2);
});

// ---------------------------------------------------------------------------------------------
// behaviour: programs loaded with seccomp(2) in a child process

let loader;
let work;

before(() => {
  if (!NR || process.getuid?.() !== 0) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-test-'));
  const bin = path.join(work, 'seccomp-load');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', bin, LOADER_SOURCE], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return;
  loader = bin;
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

let programCount = 0;
/** Loads the compiled profile (with its flags) and runs `mode ...args` under it. */
function under(seccomp, mode, ...args) {
  const compiled = compileSeccomp(seccomp);
  const file = path.join(work, `p${programCount++}.bpf`);
  fs.writeFileSync(file, compiled.program);
  const flags = compiled.flags | (compiled.notify ? SECCOMP_FILTER_FLAG.NEW_LISTENER : 0);
  return spawnSync(loader, [file, String(flags), mode, ...args.map(String)], { encoding: 'utf8', env: {} });
}

/** A syscall under the profile: { ret, errno } or { signal }. */
function call(seccomp, nr, ...args) {
  const r = under(seccomp, 'syscall', nr, ...args);
  if (r.signal) return { signal: r.signal };
  assert.equal(r.status, 0, r.stderr);
  const m = /^ret=(-?\d+) errno=(\d+)$/.exec(r.stdout.trim());
  assert.ok(m, r.stdout);
  return { ret: Number(m[1]), errno: Number(m[2]) };
}

function skipUnlessLoader(t) {
  if (!NR) return t.skip(`no syscall table for ${process.arch}`), true;
  if (process.getuid?.() !== 0) return t.skip('needs root'), true;
  if (!loader) return t.skip('cannot compile test/fixtures/seccomp-load.c with cc'), true;
  return false;
}

test('docker profile: unshare, mount, keyctl get EPERM; busybox true and ls run; clone3 and unknown syscalls get ENOSYS', (t) => {
  if (skipUnlessLoader(t)) return;
  const docker = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'docker-run-config.json'), 'utf8')).linux.seccomp;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  assert.ok(busybox, 'busybox is needed (scripts/install-deps.sh installs it)');
  for (const argv of [[busybox, 'true'], [busybox, 'ls', '/']]) {
    const r = under(docker, 'exec', ...argv);
    assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
  assert.match(under(docker, 'exec', busybox, 'ls', '/').stdout, /\bproc\b/);
  const unshare = under(docker, 'exec', busybox, 'unshare', '-m', 'true');
  assert.notEqual(unshare.status, 0);
  assert.match(unshare.stderr, /Operation not permitted/);
  assert.deepEqual(call(docker, NR.unshare, CLONE_NEWNS), { ret: -1, errno: EPERM });
  assert.deepEqual(call(docker, NR.mount, 0, 0, 0, 0, 0), { ret: -1, errno: EPERM });
  assert.deepEqual(call(docker, NR.keyctl, 1, 0), { ret: -1, errno: EPERM });
  assert.equal(call(docker, NR.getppid).errno, 0);
  // argument conditions in the profile: personality(0xffffffff) allowed, personality(1) not;
  // clone with a namespace flag masked out (MASKED_EQ) denied
  assert.equal(call(docker, NR.personality, 0xffffffff).errno, 0);
  assert.deepEqual(call(docker, NR.personality, 1), { ret: -1, errno: EPERM });
  assert.deepEqual(call(docker, NR.clone, CLONE_NEWNS, 0, 0, 0, 0), { ret: -1, errno: EPERM });
  // clone3: the profile's own ERRNO(ENOSYS) rule
  assert.deepEqual(call(docker, NR.clone3, 0, 0), { ret: -1, errno: ENOSYS });
  if (process.arch === 'x64') {
    // runc's -ENOSYS stub: a syscall above the highest the profile names is ENOSYS, not EPERM
    assert.deepEqual(call(docker, 1000), { ret: -1, errno: ENOSYS });
    const noStub = { ...docker, architectures: [] };
    assert.deepEqual(call(noStub, 1000), { ret: -1, errno: EPERM });
  }
});

test('actions, for real: ERRNO with errnoRet, KILL_PROCESS/KILL/TRAP by SIGSYS, LOG allows, TRACE and NOTIFY without a tracer/listener give ENOSYS', (t) => {
  if (skipUnlessLoader(t)) return;
  const only = (action, extra = {}) => allow([{ names: ['getppid'], action, ...extra }]);
  assert.deepEqual(call(only('SCMP_ACT_ERRNO', { errnoRet: 38 }), NR.getppid), { ret: -1, errno: 38 });
  assert.deepEqual(call(only('SCMP_ACT_ERRNO', { errnoRet: 77 }), NR.getppid), { ret: -1, errno: 77 });
  assert.deepEqual(call(only('SCMP_ACT_ERRNO'), NR.getppid), { ret: -1, errno: EPERM });
  assert.deepEqual(call(only('SCMP_ACT_KILL_PROCESS'), NR.getppid), { signal: 'SIGSYS' });
  assert.deepEqual(call(only('SCMP_ACT_KILL'), NR.getppid), { signal: 'SIGSYS' });
  assert.deepEqual(call(only('SCMP_ACT_TRAP'), NR.getppid), { signal: 'SIGSYS' });
  assert.equal(call(only('SCMP_ACT_LOG'), NR.getppid).errno, 0);
  assert.deepEqual(call(only('SCMP_ACT_TRACE'), NR.getppid), { ret: -1, errno: ENOSYS });
  assert.deepEqual(call(only('SCMP_ACT_NOTIFY'), NR.getppid), { ret: -1, errno: ENOSYS });
  if (seccompFeatures().supportedFlags.includes('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')) {
    const killable = { ...only('SCMP_ACT_NOTIFY'), flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] };
    assert.equal(compileSeccomp(killable).flags, SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV);
    assert.deepEqual(call(killable, NR.getppid), { ret: -1, errno: ENOSYS });
  }
  // the default action and defaultErrnoRet
  const deny = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 42, syscalls: [{ names: ['write', 'exit_group', 'exit'], action: 'SCMP_ACT_ALLOW' }] };
  assert.deepEqual(call(deny, NR.getppid), { ret: -1, errno: 42 });
  // flags reach seccomp(2) and the kernel takes them
  assert.deepEqual(call(only('SCMP_ACT_ERRNO', { errnoRet: 5 }), NR.getppid).errno, 5);
  assert.deepEqual(call({ ...only('SCMP_ACT_ERRNO', { errnoRet: 5 }), flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }, NR.getppid).errno, 5);
});

test('argument conditions, for real: every operator, 64-bit values, same index = OR (separate rules), different indexes = AND', (t) => {
  if (skipUnlessLoader(t)) return;
  const E = 5;
  const on = (...args) => allow([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: E, args }]);
  const denied = (seccomp, ...args) => call(seccomp, NR.getppid, ...args).errno === E;
  const table = {
    SCMP_CMP_NE: [true, false, true],
    SCMP_CMP_LT: [true, false, false],
    SCMP_CMP_LE: [true, true, false],
    SCMP_CMP_EQ: [false, true, false],
    SCMP_CMP_GE: [false, true, true],
    SCMP_CMP_GT: [false, false, true],
  };
  for (const [op, expected] of Object.entries(table)) {
    const profile = on({ index: 0, value: 10, op });
    assert.deepEqual([9, 10, 11].map((v) => denied(profile, v)), expected, op);
  }
  const masked = on({ index: 1, value: 0xff00, valueTwo: 0x1200, op: 'SCMP_CMP_MASKED_EQ' });
  assert.deepEqual([0x12ab, 0x13ab, 0x1200].map((v) => denied(masked, 0, v)), [true, false, true]);
  const wide = on({ index: 0, value: 0x100000000, op: 'SCMP_CMP_EQ' });
  assert.deepEqual([0x100000000, 0, 0x100000001].map((v) => denied(wide, v)), [true, false, false]);
  // two conditions on index 0: each its own rule (OR), as runc does
  const either = on({ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' });
  assert.deepEqual([1, 2, 3].map((v) => denied(either, v)), [true, true, false]);
  // conditions on indexes 0 and 2: one rule (AND)
  const both = on({ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 2, value: 3, op: 'SCMP_CMP_EQ' });
  assert.deepEqual([[1, 0, 3], [1, 0, 4], [2, 0, 3]].map((a) => denied(both, ...a)), [true, false, false]);
});
