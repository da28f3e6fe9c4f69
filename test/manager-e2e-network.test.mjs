// End to end through dist/mydocker, the network: a busybox httpd published on 127.0.0.1, a
// second container fetching from the first by its address, and twenty concurrent `run -d`
// that get unique names and addresses and leave nothing behind after `rm -f`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoTraces, e2eManager, freePort, removeAtEnd } from './lib/e2e.mjs';
import { eventually, httpGet, iptablesOutsideTestNetworks } from './lib/network.mjs';

let m;
before(async () => {
  m = e2eManager('net');
  await m.ok(['images']); // nothing to pull: busybox is built on first use below
});
after(async () => m.cleanup());


test('an httpd container answers on 127.0.0.1:PORT; a second container fetches from it by IP', async (t) => {
  const ids = [];
  removeAtEnd(t, m, ids);
  const www = fs.mkdtempSync(path.join(m.dir, 'www-'));
  const token = `hello from ${path.basename(www)}`;
  fs.writeFileSync(path.join(www, 'index.html'), `${token}\n`);
  const port = await freePort();
  const name = `web${port}`;
  const out = await m.ok(['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, '-v', `${www}:/www:ro`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  const id = out.trim();
  ids.push(id);
  assert.match(id, /^[0-9a-f]{64}$/);

  assert.equal(await eventually(() => httpGet('127.0.0.1', port, '/'), 10_000), `${token}\n`);
  const doc = await m.inspect(name);
  assert.equal(doc.State.Running, true);
  const ip = doc.NetworkSettings.IPAddress;
  assert.ok(ip.startsWith(m.subnetPrefix), `${ip} is not in ${m.settings.subnet}`);
  assert.deepEqual(doc.NetworkSettings.ports, [`127.0.0.1:${port}->80/tcp`]);
  assert.match(await m.ok(['ps', '--format', '{{.Names}} {{.Ports}}']), new RegExp(`^${name} 127\\.0\\.0\\.1:${port}->80/tcp$`, 'm'));

  // busybox-static 1.35's wget crashes with -T: the time-out is the process's
  const fetched = await m.cli(['run', '--rm', 'busybox', 'wget', '-q', '-O', '-', `http://${ip}/`], { timeout: 30_000 });
  assert.equal(fetched.status, 0, fetched.stderr);
  assert.equal(fetched.stdout, `${token}\n`);

  await m.ok(['rm', '-f', name]);
  ids.length = 0;
  await assert.rejects(httpGet('127.0.0.1', port, '/', 1000), 'the port is still forwarded after rm -f');
  await assertNoTraces(m, [id], 'httpd after rm -f');
});

test('twenty parallel run -d: unique names and addresses, nothing left after rm -f', async (t) => {
  const ids = [];
  removeAtEnd(t, m, ids);
  const rulesBefore = iptablesOutsideTestNetworks();
  const runs = await Promise.all(Array.from({ length: 20 }, () => m.cli(['run', '-d', 'busybox', 'sleep', '600'], { timeout: 120_000 })));
  for (const r of runs) if (r.status === 0) ids.push(r.stdout.trim());
  for (const r of runs) assert.equal(r.status, 0, `run -d: ${r.stderr}`);
  assert.equal(new Set(ids).size, 20);

  const docs = JSON.parse(await m.ok(['inspect', ...ids]));
  const names = docs.map((d) => d.Name);
  const ips = docs.map((d) => d.NetworkSettings.IPAddress);
  assert.equal(new Set(names).size, 20, `names: ${names}`);
  assert.equal(new Set(ips).size, 20, `addresses: ${ips}`);
  for (const d of docs) {
    assert.equal(d.State.Status, 'running', d.Name);
    assert.ok(d.NetworkSettings.IPAddress.startsWith(m.subnetPrefix), `${d.Name}: ${d.NetworkSettings.IPAddress}`);
  }
  assert.equal(fs.readdirSync(`/sys/class/net/${m.settings.bridge}/brif`).length, 20, 'one veth per container on the bridge');
  const running = (await m.ok(['ps', '-q', '--no-trunc'])).trim().split('\n').sort();
  assert.deepEqual(running, [...ids].sort());

  const removed = await Promise.all(ids.map((id) => m.cli(['rm', '-f', id], { timeout: 120_000 })));
  for (const r of removed) assert.equal(r.status, 0, `rm -f: ${r.stderr}`);
  await assertNoTraces(m, ids, 'twenty containers after rm -f');
  const snap = m.snapshot();
  assert.deepEqual(snap.bridgePorts, [], 'veths left on the bridge');
  assert.deepEqual(snap.netns, [], 'namespaces left under the run root');
  assert.deepEqual(snap.leases, [], 'leases left');
  assert.deepEqual(snap.mounts, [], 'mounts left under the root');
  assert.deepEqual(snap.iptables, [], `iptables rules of ${m.settings.subnet} left`);
  // The plugins' shared chains (made on first use, kept: podman's CNI networks share them) are
  // left out, as are the lines of other files' containers (by id); ours are covered above.
  const shared = (line) => /CNI-(FORWARD|ADMIN|HOSTPORT-[A-Z]+)\b/.test(line) && !/\/32\b|id: /.test(line);
  const foreign = (line) => /id: \\"[0-9a-f]{64}\\"/.test(line) && !ids.some((id) => line.includes(id));
  const added = iptablesOutsideTestNetworks().filter((l) => !rulesBefore.includes(l) && !shared(l) && !foreign(l));
  assert.deepEqual(added, [], 'iptables-save has lines it did not have before');
  assert.equal((await m.ok(['ps', '-aq'])).trim(), '');
  ids.length = 0;
});
