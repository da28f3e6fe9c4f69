// runtime-spec config-linux.md#sysctl: "allows kernel parameters to be modified at runtime for
// the container". A parameter the container does not own (not namespaced, or in a namespace it
// shares with the host) would change the host: runc 1.1.5 refuses those, and so must every
// runtime here; the host value is checked to stay unchanged either way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { setupRuntime } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects } from './lib/checks.mjs';
import { holdNamespaces } from './lib/linux-extra.mjs';

const rt = setupRuntime({ idPrefix: 'sysctl' });

const procSys = (key) => `/proc/sys/${key.replace(/\./g, '/')}`;
const hostValue = (key) => fs.readFileSync(procSys(key), 'utf8').trim();
const CAT = (keys) => keys.map((k) => `echo "${k}=$(cat ${procSys(k)})"`).join('; ');

function parse(out) {
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Keep only these namespace types. */
const onlyNamespaces = (types) => (c) => {
  c.linux.namespaces = types.map((t) => (typeof t === 'string' ? { type: t } : t));
  if (!c.linux.namespaces.some((ns) => ns.type === 'uts')) delete c.hostname;
};

/** A value different from the host's for each key (so that a leak to the host is visible). */
function distinct(key, candidates) {
  const host = hostValue(key);
  return candidates.find((v) => v.replace(/\s+/g, ' ') !== host.replace(/\s+/g, ' '));
}

async function expectRefused(sysctl, edit, what) {
  const before = Object.fromEntries(Object.keys(sysctl).map((k) => [k, hostValue(k)]));
  const bundle = rt.bundle({ args: ['true'], linux: { sysctl }, edit });
  const r = rt.create(bundle);
  assertFails(r, undefined, what);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
  for (const k of Object.keys(sysctl)) assert.equal(hostValue(k), before[k], `the host's ${k} changed`);
}

test('config-linux.md#sysctl: net.* parameters are set in the container\'s new network namespace, not on the host', () => {
  const sysctl = {
    'net.core.somaxconn': distinct('net.core.somaxconn', ['321', '322']),
    'net.ipv4.ip_unprivileged_port_start': distinct('net.ipv4.ip_unprivileged_port_start', ['123', '124']),
    'net.ipv4.ping_group_range': '0 2147483647',
  };
  const before = Object.fromEntries(Object.keys(sysctl).map((k) => [k, hostValue(k)]));
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', CAT(Object.keys(sysctl))], linux: { sysctl } }));
  assertOk(r);
  const got = parse(r.stdout);
  for (const [k, v] of Object.entries(sysctl)) {
    assert.equal(got[k].replace(/\s+/g, ' '), v, `${k} inside the container`);
    assert.equal(hostValue(k), before[k], `the host's ${k} changed`);
  }
});

test('config-linux.md#sysctl: IPC parameters (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) are set in the new IPC namespace', () => {
  const sysctl = {
    'kernel.shmmax': '123456789',
    'kernel.msgmax': distinct('kernel.msgmax', ['4321', '4322']),
    'kernel.sem': '250 32000 32 129',
    'fs.mqueue.msg_max': distinct('fs.mqueue.msg_max', ['42', '43']),
  };
  const before = Object.fromEntries(Object.keys(sysctl).map((k) => [k, hostValue(k)]));
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', CAT(Object.keys(sysctl))], linux: { sysctl } }));
  assertOk(r);
  const got = parse(r.stdout);
  for (const [k, v] of Object.entries(sysctl)) {
    assert.equal(got[k].replace(/\s+/g, ' '), v, `${k} inside the container`);
    assert.equal(hostValue(k), before[k], `the host's ${k} changed`);
  }
});

test('config-linux.md#sysctl: kernel.domainname is set in the new UTS namespace', () => {
  const before = hostValue('kernel.domainname');
  const r = rt.runBundle(
    rt.bundle({ args: ['sh', '-c', 'cat /proc/sys/kernel/domainname'], linux: { sysctl: { 'kernel.domainname': 'sysctl.example' } } }),
  );
  assertOk(r);
  assert.equal(r.stdout.trim(), 'sysctl.example');
  assert.equal(hostValue('kernel.domainname'), before, 'the host domainname changed');
});

test('config-linux.md#sysctl: the parameters are in place after create, before start (an exec sees them)', async () => {
  const somaxconn = distinct('net.core.somaxconn', ['333', '334']);
  const bundle = rt.bundle({ args: ['sleep', '30'], linux: { sysctl: { 'net.core.somaxconn': somaxconn } } });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  // Read through the created container's network namespace from the host.
  const r = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'cat', '/proc/sys/net/core/somaxconn'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), somaxconn);
});

test('config-linux.md#sysctl with config-linux.md#namespaces path: net.* is applied in the joined network namespace', async (t) => {
  const holder = await holdNamespaces(t, ['--net']);
  const somaxconn = distinct('net.core.somaxconn', ['444', '445']);
  const before = hostValue('net.core.somaxconn');
  const r = rt.runBundle(
    rt.bundle({
      args: ['cat', '/proc/sys/net/core/somaxconn'],
      linux: { sysctl: { 'net.core.somaxconn': somaxconn } },
      edit: onlyNamespaces(['pid', 'mount', 'ipc', 'uts', { type: 'network', path: `/proc/${holder}/ns/net` }]),
    }),
  );
  assertOk(r);
  assert.equal(r.stdout.trim(), somaxconn);
  const seen = spawnSync('nsenter', [`--net=/proc/${holder}/ns/net`, 'cat', '/proc/sys/net/core/somaxconn'], { encoding: 'utf8' });
  assert.equal(seen.stdout.trim(), somaxconn, 'the joined namespace holds the value');
  assert.equal(hostValue('net.core.somaxconn'), before, 'the host changed');
});

// ------------------------------------------------------------------------------------------------
// Parameters that would change the host

test('config-linux.md#sysctl "for the container": a net.* parameter without a network namespace is refused; the host is unchanged', async () => {
  await expectRefused(
    { 'net.core.somaxconn': distinct('net.core.somaxconn', ['351', '352']) },
    onlyNamespaces(['pid', 'mount', 'ipc', 'uts']),
    'create with net.core.somaxconn in the host network namespace',
  );
});

test('config-linux.md#sysctl "for the container": a net.* parameter in a network namespace joined by path that is the host\'s is refused', async () => {
  await expectRefused(
    { 'net.core.somaxconn': distinct('net.core.somaxconn', ['353', '354']) },
    onlyNamespaces(['pid', 'mount', 'ipc', 'uts', { type: 'network', path: '/proc/1/ns/net' }]),
    'create with net.core.somaxconn in the joined host network namespace',
  );
});

test('config-linux.md#sysctl "for the container": an IPC parameter without an IPC namespace is refused; the host is unchanged', async () => {
  await expectRefused(
    { 'kernel.msgmax': distinct('kernel.msgmax', ['4401', '4402']) },
    onlyNamespaces(['pid', 'mount', 'network', 'uts']),
    'create with kernel.msgmax in the host IPC namespace',
  );
});

test('config-linux.md#sysctl "for the container": a parameter of no namespace (vm.swappiness) is refused; the host is unchanged', async () => {
  await expectRefused(
    { 'vm.swappiness': distinct('vm.swappiness', ['11', '12']) },
    undefined,
    'create with vm.swappiness',
  );
});

test('config-linux.md#sysctl "for the container": kernel.pid_max (global, even with a pid namespace) is refused', async () => {
  await expectRefused({ 'kernel.pid_max': distinct('kernel.pid_max', ['65000', '65001']) }, undefined, 'create with kernel.pid_max');
});

// ------------------------------------------------------------------------------------------------
// Values the kernel rejects

test('config-linux.md#sysctl: an unknown parameter is an error with no side effects', async () => {
  const bundle = rt.bundle({ args: ['true'], linux: { sysctl: { 'net.ipv4.conformance_no_such_key': '1' } } });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with an unknown net sysctl');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('config-linux.md#sysctl: a value the kernel rejects (somaxconn "lots") is an error with no side effects', async () => {
  await expectRefused({ 'net.core.somaxconn': 'lots' }, undefined, 'create with net.core.somaxconn=lots');
});
