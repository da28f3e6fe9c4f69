// /etc/hosts, /etc/resolv.conf and /etc/hostname as written for a container.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { writeEtcFiles, resolvConf, FALLBACK_NAMESERVERS } = load('manager/network/etc-files');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-etc-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('hosts has localhost, the IPv6 names and "<ip> <hostname> <name>"; hostname has the hostname', (t) => {
  const dir = tempDir(t);
  const hostResolvConf = path.join(dir, 'host-resolv.conf');
  fs.writeFileSync(hostResolvConf, 'nameserver 10.0.0.53\n');
  const files = writeEtcFiles(path.join(dir, 'c1'), {
    hostname: 'a1b2c3d4e5f6',
    name: 'web',
    ip: '10.99.0.7',
    extraHosts: [{ host: 'db.local', ip: '10.99.0.9' }],
    hostResolvConf,
  });
  assert.deepEqual(files, { hosts: path.join(dir, 'c1', 'hosts'), resolvConf: path.join(dir, 'c1', 'resolv.conf'), hostname: path.join(dir, 'c1', 'hostname') });
  const hosts = fs.readFileSync(files.hosts, 'utf8').split('\n');
  assert.equal(hosts[0], '127.0.0.1\tlocalhost');
  assert.equal(hosts[1], '::1\tlocalhost ip6-localhost ip6-loopback');
  assert.ok(hosts.includes('ff02::2\tip6-allrouters'));
  assert.ok(hosts.includes('10.99.0.9\tdb.local'));
  assert.equal(hosts.at(-2), '10.99.0.7\ta1b2c3d4e5f6 web');
  assert.equal(hosts.at(-1), '');
  assert.equal(fs.readFileSync(files.hostname, 'utf8'), 'a1b2c3d4e5f6\n');
  assert.equal(fs.readFileSync(files.resolvConf, 'utf8'), 'nameserver 10.0.0.53\n');
  assert.equal(fs.statSync(files.hosts).mode & 0o777, 0o644);

  // without a network (--network none): the names point at 127.0.1.1; rewriting replaces the files
  writeEtcFiles(path.join(dir, 'c1'), { hostname: 'box', hostResolvConf });
  assert.equal(fs.readFileSync(files.hosts, 'utf8').split('\n').at(-2), '127.0.1.1\tbox');
  assert.equal(fs.readFileSync(files.hostname, 'utf8'), 'box\n');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'c1')).sort(), ['hostname', 'hosts', 'resolv.conf']);
});

test("resolv.conf is the host's without loopback nameservers, with docker's fallback when none is left", () => {
  const host = [
    '# generated',
    'nameserver 127.0.0.53',
    'nameserver 10.1.2.3',
    'nameserver ::1',
    'nameserver fd00::53',
    'search corp.example',
    'options ndots:2 edns0',
    '',
  ].join('\n');
  assert.equal(resolvConf(host), '# generated\nnameserver 10.1.2.3\nnameserver fd00::53\nsearch corp.example\noptions ndots:2 edns0\n');
  assert.equal(
    resolvConf('nameserver 127.0.0.1\nsearch lan\n'),
    `search lan\n${FALLBACK_NAMESERVERS.map((ns) => `nameserver ${ns}`).join('\n')}\n`,
  );
  assert.deepEqual(FALLBACK_NAMESERVERS, ['8.8.8.8', '8.8.4.4']);
  assert.equal(resolvConf(''), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});

test("the host's real /etc/resolv.conf: every non-loopback nameserver of it is kept", (t) => {
  const dir = tempDir(t);
  const files = writeEtcFiles(dir, { hostname: 'h' });
  const hostServers = fs
    .readFileSync('/etc/resolv.conf', 'utf8')
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((ns) => ns && !ns.startsWith('127.') && ns !== '::1');
  const written = fs
    .readFileSync(files.resolvConf, 'utf8')
    .split('\n')
    .map((l) => /^nameserver (\S+)/.exec(l)?.[1])
    .filter(Boolean);
  assert.deepEqual(written, hostServers.length ? hostServers : FALLBACK_NAMESERVERS);
});
