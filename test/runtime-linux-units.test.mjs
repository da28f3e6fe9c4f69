// Pure pieces of the Linux set-up, checked without starting a container.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { secureJoin } = load('runtime/linux/secure-join');
const { parseMountOptions } = load('runtime/linux/mount-options');
const { capabilityMasks, CAPABILITY_NAMES } = load('runtime/linux/capabilities');
const { resolveRlimits } = load('runtime/linux/rlimits');
const { planNamespaces } = load('runtime/linux/namespaces');
const { makedev, MS, CLONE } = load('native/libc');

function tempRoot(t) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'securejoin-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

test('secureJoin: symlinks in the rootfs resolve inside it, never above it', (t) => {
  const root = tempRoot(t);
  fs.mkdirSync(path.join(root, 'etc'));
  fs.symlinkSync('/', path.join(root, 'escape-abs'));
  fs.symlinkSync('../../../../..', path.join(root, 'escape-rel'));
  fs.symlinkSync('/etc', path.join(root, 'etc-link'));
  fs.symlinkSync('loop2', path.join(root, 'loop1'));
  fs.symlinkSync('loop1', path.join(root, 'loop2'));
  assert.equal(secureJoin(root, '/escape-abs/etc/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(secureJoin(root, '/escape-rel/tmp'), path.join(root, 'tmp'));
  assert.equal(secureJoin(root, '/../../etc'), path.join(root, 'etc'));
  assert.equal(secureJoin(root, 'etc-link/hosts'), path.join(root, 'etc/hosts'));
  assert.equal(secureJoin(root, '/not/there/yet'), path.join(root, 'not/there/yet'));
  assert.throws(() => secureJoin(root, '/loop1/x'), /too many levels of symbolic links/);
  // the root itself, a root given with a trailing slash, and the host's / as the root
  assert.equal(secureJoin(root, ''), root);
  assert.equal(secureJoin(`${root}/`, '/etc/./x'), path.join(root, 'etc/x'));
  assert.equal(secureJoin('/', '/tmp/../etc//passwd'), '/etc/passwd');
  assert.equal(secureJoin('/', '..'), '/');
});

test('mount options: flags set and cleared, propagation apart, unknown ones become data', () => {
  const o = parseMountOptions(['nosuid', 'noexec', 'ro', 'rw', 'mode=755', 'size=64k', 'rslave', 'strictatime'], 'tmpfs');
  assert.equal(o.flags, MS.NOSUID | MS.NOEXEC | MS.STRICTATIME);
  assert.deepEqual(o.propagation, [MS.SLAVE | MS.REC]);
  assert.equal(o.data, 'mode=755,size=64k');
  assert.equal(o.bind, false);
  const b = parseMountOptions(['rbind', 'ro', 'tmpcopyup'], 'none');
  assert.deepEqual([b.bind, b.recursive, b.flags, b.data], [true, true, MS.RDONLY, '']);
  assert.equal(parseMountOptions([], 'bind').bind, true);
});

test('capabilities: names to masks; ambient only where permitted and inheritable', () => {
  const m = capabilityMasks({
    bounding: ['CAP_CHOWN', 'CAP_KILL'],
    effective: ['CAP_KILL'],
    permitted: ['CAP_KILL', 'CAP_NET_RAW'],
    inheritable: ['CAP_KILL'],
    ambient: ['CAP_KILL', 'CAP_NET_RAW', 'CAP_NO_SUCH_THING'],
  }, 40);
  const bit = (name) => 1n << BigInt(CAPABILITY_NAMES.indexOf(name));
  assert.equal(m.bounding, bit('CAP_CHOWN') | bit('CAP_KILL'));
  assert.equal(m.permitted, bit('CAP_KILL') | bit('CAP_NET_RAW'));
  assert.equal(m.ambient, bit('CAP_KILL'));
  assert.deepEqual(capabilityMasks(undefined, 40), { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n }, 'no capabilities field: none, as runc');
  assert.equal(CAPABILITY_NAMES.indexOf('CAP_CHECKPOINT_RESTORE'), 40);
});

test('rlimits: names to resources; unknown, duplicate and soft > hard are refused', () => {
  assert.deepEqual(resolveRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]).map((r) => [r.resource, r.soft, r.hard]), [[7, 1024n, 2048n]]);
  assert.throws(() => resolveRlimits([{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]), /process.rlimits\[0\].type: unknown rlimit "RLIMIT_BOGUS"/);
  assert.throws(() => resolveRlimits([{ type: 'RLIMIT_CORE', soft: 1, hard: 1 }, { type: 'RLIMIT_CORE', soft: 1, hard: 1 }]), /rlimits\[1\]: duplicate/);
  assert.throws(() => resolveRlimits([{ type: 'RLIMIT_CORE', soft: 2, hard: 1 }]), /soft limit 2 is above hard limit 1/);
});

test('namespaces: new ones become unshare flags, paths are joined, mount last; duplicates refused', () => {
  const plan = planNamespaces([{ type: 'mount', path: '/proc/1/ns/mnt' }, { type: 'pid' }, { type: 'network', path: '/run/netns/x' }]);
  assert.equal(plan.unshareFlags, CLONE.NEWPID);
  assert.deepEqual(plan.joins.map((j) => j.type), ['network', 'mount']);
  assert.throws(() => planNamespaces([{ type: 'mount' }, { type: 'pid' }, { type: 'pid' }]), /linux.namespaces\[2\]: duplicate "pid"/);
  assert.throws(() => planNamespaces([{ type: 'pid' }]), /a "mount" namespace is required/);
});

test('makedev: the kernel encoding of major/minor (glibc makedev)', () => {
  assert.equal(makedev(1, 3), 0x103n);
  assert.equal(makedev(136, 300), (136n << 8n) | (300n & 0xffn) | ((300n & ~0xffn) << 12n));
  // st_rdev of a real device agrees
  assert.equal(BigInt(fs.statSync('/dev/null').rdev), makedev(1, 3));
});

test('libc isatty (what the manager asks instead of loading node:tty): a pty master is a terminal, /dev/null and a file are not', () => {
  const { isatty } = load('native/libc');
  const { lazyFunc } = load('native/lazy-func');
  const fds = [fs.openSync('/dev/ptmx', 'r+'), fs.openSync('/dev/null', 'r'), fs.openSync(process.execPath, 'r')];
  try {
    assert.deepEqual(fds.map((fd) => isatty(fd)), [true, false, false]);
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
  // a prototype is parsed at the first call, not when declared
  let declared = 0;
  const fn = lazyFunc({ func: () => (declared++, (x) => x * 2) }, 'int f(int x)');
  assert.equal(declared, 0);
  assert.equal(fn(21), 42);
  assert.equal(fn(1), 2);
  assert.equal(declared, 1);
});
