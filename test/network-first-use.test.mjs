// The first containers on a host start in parallel: the firewall and portmap plugins create
// their shared chains then, with check-then-append, and unserialized first ADDs append the
// jumps to them two or three times (so would our network's masquerade rule, unlocked). A network namespace of its own stands in for a fresh host
// (iptables rules, bridges and ip_forward are per network namespace): a manager process runs
// there, attaches ten containers with ports at once, and reports every rule that is there twice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { netns } from './lib/network.mjs';

const distLib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'lib');
const { managerPaths } = await import(path.join(distLib, 'manager/paths.js'));

const MANAGER = `
  const lib = process.argv[1];
  const { managerPaths } = require(lib + '/manager/paths.js');
  const netns = require(lib + '/manager/network/netns.js');
  const network = require(lib + '/manager/network/network.js');
  const { execFileSync } = require('child_process');
  const paths = managerPaths(process.argv[2], process.argv[3]);
  const settings = { name: 'mdtfirst', bridge: 'mdtfirst0', subnet: '10.230.1.0/24' };
  const ids = Array.from({ length: 10 }, (_, i) => 'first' + i);
  const save = () => execFileSync('iptables-save', { encoding: 'utf8' }).split('\\n').filter((l) => l.startsWith('-A'));
  (async () => {
    const before = save();
    const namespaces = ids.map((id) => netns.createNetns(paths, id));
    try {
      const attached = await Promise.all(ids.map((id, i) => network.attachNetwork(paths, {
        containerId: id, name: id, netnsPath: namespaces[i], network: settings,
        ports: [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }],
      })));
      const rules = save();
      const counts = {};
      for (const rule of rules) counts[rule] = (counts[rule] || 0) + 1;
      const report = {
        before,
        addresses: attached.map((a) => a.ip),
        repeated: Object.entries(counts).filter(([, n]) => n > 1).map(([rule]) => rule),
        sharedJumps: rules.filter((r) => /^-A (FORWARD|PREROUTING|OUTPUT|POSTROUTING) .*-j CNI-(FORWARD|HOSTPORT-)/.test(r)),
      };
      for (const id of ids) await network.detachNetwork(paths, id);
      const ours = () => save().filter((r) => r.includes('mdtfirst') || r.includes('10.230.1.'));
      report.afterDetach = ours();
      for (const file of namespaces.splice(0)) netns.removeNetns(file);
      await network.removeNetwork(paths, settings);
      report.afterRemove = ours();
      process.stdout.write(JSON.stringify(report));
    } finally {
      for (const file of namespaces) netns.removeNetns(file);
      await network.removeNetwork(paths, settings).catch(() => undefined);
    }
  })().catch((err) => { process.stderr.write(err.stack); process.exit(1); });
`;

test('parallel first attaches on a fresh host add each shared jump once', (t) => {
  const root = fs.mkdtempSync('/var/tmp/mydocker-network-test-');
  const paths = managerPaths(path.join(root, 'root'), path.join(root, 'run'));
  t.after(() => {
    for (const id of netns.listNetns(paths)) netns.removeNetns(netns.netnsPath(paths, id));
    fs.rmSync(root, { recursive: true, force: true });
  });
  const r = spawnSync('unshare', ['--net', process.execPath, '-e', MANAGER, distLib, paths.root, paths.runRoot], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.before, [], 'the new network namespace starts without rules');
  assert.equal(new Set(report.addresses).size, 10);
  assert.deepEqual(report.repeated, []);
  assert.deepEqual(report.sharedJumps.sort(), [
    '-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
    '-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
    '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
  ]);
  // the network's masquerade rule, added once by the ten first ADDs, stays until the network goes
  assert.deepEqual(report.afterDetach, [
    '-A POSTROUTING -s 10.230.1.0/24 ! -d 224.0.0.0/4 ! -o mdtfirst0 -m comment --comment "mydocker network mdtfirst" -j MASQUERADE',
  ]);
  assert.deepEqual(report.afterRemove, []);
});
