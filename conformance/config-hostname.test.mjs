// runtime-spec config.md#hostname (and #domainname, runtime-spec 1.1) in a new UTS namespace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { setupRuntime, runcDeviation } from './lib/runtime.mjs';
import { assertOk } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'hostname' });

const hostUts = () => [os.hostname(), fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim()];

test('config.md#hostname: "the container\'s hostname as seen by processes running inside the container"', () => {
  const before = hostUts();
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', 'hostname; cat /proc/sys/kernel/hostname'], hostname: 'conf-host-1' }));
  assertOk(r);
  assert.equal(r.stdout, 'conf-host-1\nconf-host-1\n');
  assert.deepEqual(hostUts(), before, 'the host hostname or domainname changed');
});

test('config.md#hostname: without hostname, a new UTS namespace keeps the runtime\'s hostname', () => {
  const r = rt.runBundle(rt.bundle({ args: ['hostname'], hostname: undefined }));
  assertOk(r);
  assert.equal(r.stdout.trim(), os.hostname());
});

test('config.md#hostname: a 64-character hostname (the kernel maximum) is set exactly', () => {
  const name = 'h'.repeat(64);
  const r = rt.runBundle(rt.bundle({ args: ['cat', '/proc/sys/kernel/hostname'], hostname: name }));
  assertOk(r);
  assert.equal(r.stdout.trim(), name);
});

test(
  'config.md#domainname: "the container\'s domainname as seen by processes running inside the container"',
  runcDeviation('config.md#domainname (added in runtime-spec 1.1): runc 1.1.5 implements 1.0.2-dev and ignores domainname'),
  () => {
    const before = hostUts();
    const r = rt.runBundle(
      rt.bundle({ args: ['sh', '-c', 'cat /proc/sys/kernel/domainname'], hostname: 'h', domainname: 'conf.example.org' }),
    );
    assertOk(r);
    assert.equal(r.stdout, 'conf.example.org\n');
    assert.deepEqual(hostUts(), before, 'the host hostname or domainname changed');
  },
);

test('config-linux.md#namespaces uts: the container UTS namespace differs from the host one', () => {
  const r = rt.runBundle(rt.bundle({ args: ['readlink', '/proc/self/ns/uts'] }));
  assertOk(r);
  assert.notEqual(r.stdout.trim(), fs.readlinkSync('/proc/self/ns/uts'));
});
