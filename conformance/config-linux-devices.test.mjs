// runtime-spec config-linux.md#devices, #default-devices and #allowed-device-list (the device
// cgroup), plus the /dev symlinks runc makes (a runc convention images rely on).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, runcDeviation } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'devices' });

/** Run `sh -c script` with these config overrides; returns the RunResult. */
function run(script, overrides = {}) {
  return rt.runBundle(rt.bundle({ ...overrides, args: ['sh', '-c', script] }));
}

/** Like run(), asserting success; returns stdout. */
function sh(script, overrides = {}) {
  const r = run(script, overrides);
  assertOk(r, `run of: ${script}`);
  return r.stdout;
}

const STAT = 'stat -c "%n|%F|%t:%T|%a|%u:%g"';

/** Parse lines written by STAT into {path: {type, dev, mode, owner}}. */
function parseStat(out) {
  const res = {};
  for (const line of out.trim().split('\n')) {
    const [name, type, dev, mode, owner] = line.split('|');
    if (owner === undefined) continue;
    const [maj, min] = dev.split(':').map((h) => parseInt(h, 16));
    res[name] = { type, dev: `${maj}:${min}`, mode, owner };
  }
  return res;
}

const withDevices = (devices, extra = {}) => ({ ...extra, edit: (c) => void (c.linux.devices = devices) });

// ------------------------------------------------------------------------------------------------
// Default devices

test('config-linux.md#default-devices: /dev/null, zero, full, random, urandom and tty are the standard character devices', () => {
  const out = sh(`for d in null zero full random urandom tty; do ${STAT} /dev/$d; done`);
  const st = parseStat(out);
  const want = { null: '1:3', zero: '1:5', full: '1:7', random: '1:8', urandom: '1:9', tty: '5:0' };
  for (const [name, dev] of Object.entries(want)) {
    const s = st[`/dev/${name}`];
    assert.ok(s, `/dev/${name} is missing:\n${out}`);
    assert.equal(s.type, 'character special file', `/dev/${name} type`);
    assert.equal(s.dev, dev, `/dev/${name} major:minor`);
  }
});

test('config-linux.md#default-devices: the default devices work under a deny-all device cgroup (the baseline "allow:false rwm")', () => {
  const out = sh(
    'echo gone > /dev/null && echo null-ok; ' +
      'head -c 8 /dev/zero | od -An -tx1 | tr -d " \\n"; echo; ' +
      'head -c 16 /dev/urandom | wc -c; head -c 16 /dev/random | wc -c; ' +
      'echo x 2>&1 > /dev/full; echo full-rc=$?',
  );
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'null-ok');
  assert.equal(lines[1], '0000000000000000', '/dev/zero reads zeros');
  assert.equal(lines[2].trim(), '16', '/dev/urandom is readable');
  assert.equal(lines[3].trim(), '16', '/dev/random is readable');
  assert.match(out, /No space left on device/, 'a write to /dev/full fails with ENOSPC');
  assert.match(out, /full-rc=1/);
});

test('config-linux.md#default-devices: /dev/ptmx is a bind mount or symlink of the container\'s /dev/pts/ptmx', () => {
  const out = sh('stat -L -c "%d:%i" /dev/ptmx; stat -c "%d:%i" /dev/pts/ptmx; readlink /dev/ptmx; true');
  const [ptmx, ptsPtmx] = out.trim().split('\n');
  assert.equal(ptmx, ptsPtmx, `/dev/ptmx is not /dev/pts/ptmx:\n${out}`);
});

test('config-linux.md#default-devices: /dev/ptmx opens a pty of the container\'s own devpts instance', () => {
  // The busybox `script`-less way: open ptmx through the shell and list /dev/pts while it is open.
  const out = sh('exec 3<>/dev/ptmx; ls /dev/pts | sort | tr "\\n" " "');
  assert.equal(out.trim(), '0 ptmx', 'a new devpts instance: the first pty is number 0');
});

test('runc convention (not in the spec): /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr link into /proc/self/fd', () => {
  const out = sh('for l in fd stdin stdout stderr; do echo "$l=$(readlink /dev/$l)"; done; echo via-dev-stdout >> /dev/stdout');
  assert.match(out, /^fd=\/proc\/self\/fd$/m);
  assert.match(out, /^stdin=\/proc\/self\/fd\/0$/m);
  assert.match(out, /^stdout=\/proc\/self\/fd\/1$/m);
  assert.match(out, /^stderr=\/proc\/self\/fd\/2$/m);
  assert.match(out, /^via-dev-stdout$/m);
});

// ------------------------------------------------------------------------------------------------
// linux.devices

test('config-linux.md#devices: a "c" device gets its path, major/minor, fileMode, uid and gid', () => {
  const out = sh(`${STAT} /dev/mynull; echo written > /dev/mynull && echo write-ok`, withDevices([
    { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o460, uid: 1000, gid: 0 },
  ]));
  const s = parseStat(out)['/dev/mynull'];
  assert.ok(s, out);
  assert.equal(s.type, 'character special file');
  assert.equal(s.dev, '1:3');
  assert.equal(s.mode, '460', 'fileMode is applied exactly (not reduced by a umask)');
  assert.equal(s.owner, '1000:0');
  // root without CAP_DAC_OVERRIDE (the baseline) writes through the group bits (gid 0, rw-).
  assert.match(out, /write-ok/, 'the device (1:3, allowed by default) is usable through its group');
});

test('config-linux.md#devices: "b", "u" and "p" devices are created with their type', () => {
  const out = sh(`${STAT} /dev/myloop /dev/myunbuf /dev/myfifo`, withDevices([
    { path: '/dev/myloop', type: 'b', major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 0 },
    { path: '/dev/myunbuf', type: 'u', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
    { path: '/dev/myfifo', type: 'p', fileMode: 0o620, uid: 0, gid: 0 },
  ]));
  const st = parseStat(out);
  assert.equal(st['/dev/myloop']?.type, 'block special file', out);
  assert.equal(st['/dev/myloop'].dev, '7:0');
  assert.equal(st['/dev/myloop'].mode, '600');
  assert.equal(st['/dev/myunbuf']?.type, 'character special file', '"u" is an unbuffered character device');
  assert.equal(st['/dev/myunbuf'].dev, '1:5');
  assert.equal(st['/dev/myfifo']?.type, 'fifo', out);
  assert.equal(st['/dev/myfifo'].mode, '620');
});

test('config-linux.md#devices: "The path MAY be anywhere in the container filesystem" (missing parents are created)', () => {
  const out = sh(`${STAT} /mnt/sub/dir/zero; head -c 4 /mnt/sub/dir/zero | od -An -tx1 | tr -d " \\n"`, {
    edit: (c) => {
      c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      c.linux.devices = [{ path: '/mnt/sub/dir/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 }];
    },
  });
  const s = parseStat(out)['/mnt/sub/dir/zero'];
  assert.ok(s, out);
  assert.equal(s.type, 'character special file');
  assert.equal(s.dev, '1:5');
  assert.match(out, /00000000$/);
});

test('config-linux.md#devices: a device equal to a default one (/dev/null 1:3) may be listed again', () => {
  // runc 1.1.5 then leaves /dev/null out of its own default allow rules: allow it explicitly.
  const out = sh(`${STAT} /dev/null; echo x > /dev/null && echo ok`, {
    edit: (c) => {
      c.linux.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }];
      c.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' });
    },
  });
  assert.equal(parseStat(out)['/dev/null']?.dev, '1:3', out);
  assert.match(out, /^ok$/m);
});

test(
  'config-linux.md#devices: "If a file already exists at path that does not match the requested device, the runtime MUST generate an error"',
  runcDeviation('config-linux.md#devices: runc 1.1.5 ignores EEXIST from mknod and keeps the existing file'),
  async () => {
    const bundle = rt.bundle({
      rootfs: 'copy',
      args: ['true'],
      root: { readonly: false },
      edit: (c) => void (c.linux.devices = [{ path: '/etc/hostname', type: 'c', major: 1, minor: 3, fileMode: 0o666 }]),
    });
    const r = rt.create(bundle);
    assertFails(r, undefined, 'create with a device path naming an existing regular file');
    await assertNoSideEffects(rt, r, { id: r.id, bundle });
    const file = path.join(bundle, 'rootfs', 'etc', 'hostname');
    assert.ok(fs.statSync(file).isFile(), 'the existing file must be left alone');
    assert.equal(fs.readFileSync(file, 'utf8'), 'rootfs\n');
  },
);

test('config-linux.md#devices: an unknown device type is an error with no side effects', async () => {
  const bundle = rt.bundle({ args: ['true'], ...withDevices([{ path: '/dev/bad', type: 'x', major: 1, minor: 3 }]) });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with device type "x"');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test(
  'config-linux.md#devices: a "c" device without major/minor ("REQUIRED unless type is p") is invalid; config.md#valid-values: "Runtimes MUST generate an error"',
  runcDeviation('config-linux.md#devices: runc 1.1.5 accepts a "c" device without major and minor (it makes a 0:0 node)'),
  async () => {
  const bundle = rt.bundle({ args: ['true'], ...withDevices([{ path: '/dev/nomajor', type: 'c' }]) });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with a char device lacking major/minor');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
  },
);

// ------------------------------------------------------------------------------------------------
// The allowed device list (the device cgroup). The container makes its own /mnt/fuse node
// (c 10:229: not among the devices runtimes allow by default; opened O_RDONLY it is harmless)
// with CAP_MKNOD on a tmpfs, so that only linux.resources.devices decides the access (a device
// listed in linux.devices may be allowed implicitly: runc does not, mydocker-runtime does).

const HAVE_FUSE = fs.existsSync('/dev/fuse');
const FUSE_PROBE =
  'mknod /mnt/fuse c 10 229 || exit 1; ' +
  '( : < /mnt/fuse ) 2>/dev/null && echo read=ok || echo read=denied; ' +
  '( : >> /mnt/fuse ) 2>/dev/null && echo write=ok || echo write=denied';

function fuseAccess(rules) {
  const caps = ['CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_KILL'];
  const out = sh(FUSE_PROBE, {
    edit: (c) => {
      c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      c.linux.resources = { devices: [...rules, { allow: true, type: 'c', major: 10, minor: 229, access: 'm' }] };
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set] = caps;
      c.process.capabilities.ambient = [];
    },
  });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=')));
}

test('config-linux.md#allowed-device-list: a device denied by the list cannot be opened (read or write)', { skip: !HAVE_FUSE && 'no fuse on this host' }, () => {
  const got = fuseAccess([{ allow: false, access: 'rwm' }]);
  assert.deepEqual(got, { read: 'denied', write: 'denied' });
});

test('config-linux.md#allowed-device-list: an allow entry (type, major, minor, access "r") grants exactly read', { skip: !HAVE_FUSE && 'no fuse on this host' }, () => {
  const got = fuseAccess([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'r' },
  ]);
  assert.deepEqual(got, { read: 'ok', write: 'denied' });
});

test('config-linux.md#allowed-device-list: "The runtime MUST apply entries in the listed order" (allow rw, then deny w)', { skip: !HAVE_FUSE && 'no fuse on this host' }, () => {
  const got = fuseAccess([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
    { allow: false, type: 'c', major: 10, minor: 229, access: 'w' },
  ]);
  assert.deepEqual(got, { read: 'ok', write: 'denied' });
});

test('config-linux.md#allowed-device-list: listed order - an allow before a later deny-all is overridden', { skip: !HAVE_FUSE && 'no fuse on this host' }, () => {
  const got = fuseAccess([
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: false, access: 'rwm' },
  ]);
  assert.deepEqual(got, { read: 'denied', write: 'denied' });
});

test('config-linux.md#allowed-device-list: unset major/minor mean all ("c *:* r" grants read of any char device)', { skip: !HAVE_FUSE && 'no fuse on this host' }, () => {
  const got = fuseAccess([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'r' },
  ]);
  assert.deepEqual(got, { read: 'ok', write: 'denied' });
});
