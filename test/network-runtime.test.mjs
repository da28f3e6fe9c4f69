// Containers run by the OCI runtime (mydocker-runtime, or RUNTIME=runc) in namespaces made and
// attached here, joined by path: a busybox httpd in a container answers on 127.0.0.1:HOSTPORT
// from the host, a second container fetches from the first by IP and sees the /etc files
// written for it. Afterwards nothing of either is left.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { setupRuntime, explain } from '../conformance/lib/runtime.mjs';
import { bindMount, hostDir } from '../conformance/lib/checks.mjs';
import { load } from './lib/dist.mjs';
import { NOTHING, eventually, httpGet, makeSharedChains, withNetwork } from './lib/network.mjs';

const { writeEtcFiles } = load('manager/network/etc-files');
const rt = setupRuntime({ idPrefix: 'nettest' });

before(makeSharedChains);

/** A bundle joined to the container's namespace, with its /etc files bind-mounted read-only. */
function networkedBundle(c, etcDir, args, edit) {
  return rt.bundle({
    args,
    rootfs: 'copy',
    hostname: path.basename(etcDir),
    edit: (config, dir) => {
      config.linux.namespaces = config.linux.namespaces.map((ns) => (ns.type === 'network' ? { type: 'network', path: c.netnsPath } : ns));
      for (const file of ['hosts', 'resolv.conf', 'hostname']) {
        fs.writeFileSync(path.join(dir, 'rootfs', 'etc', file), '');
        config.mounts.push(bindMount(path.join(etcDir, file), `/etc/${file}`, ['rbind', 'ro']));
      }
      edit?.(config, dir);
    },
  });
}

test('httpd in a container answers on 127.0.0.1:HOSTPORT; a second container fetches from it by IP and has its hosts, resolv.conf and hostname', async () => {
  await withNetwork(async (n) => {
    const web = await n.attach('web', [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    const webEtc = path.join(n.root, 'webhost');
    writeEtcFiles(webEtc, { hostname: 'webhost', name: 'web', ip: web.attachment.ip });
    const webBundle = networkedBundle(web, webEtc, ['httpd', '-f', '-p', '80', '-h', '/www'], (config, dir) => {
      const www = hostDir(dir, 'www');
      fs.writeFileSync(path.join(www, 'index.html'), 'served from a container\n');
      config.mounts.push(bindMount(www, '/www', ['rbind', 'ro']));
    });
    const started = rt.runBundle(webBundle, { runArgs: ['-d'] });
    assert.equal(started.status, 0, explain(started));
    try {
      const hostPort = web.attachment.ports[0].hostPort;
      assert.equal(await eventually(() => httpGet('127.0.0.1', hostPort)), 'served from a container\n');

      const client = await n.attach('client');
      const clientEtc = path.join(n.root, 'clienthost');
      writeEtcFiles(clientEtc, { hostname: 'clienthost', name: 'client', ip: client.attachment.ip, hostResolvConf: writeResolvConf(n.root) });
      const script = [
        `wget -q -O - http://${web.attachment.ip}/`,
        'echo ---; cat /etc/hosts',
        'echo ---; cat /etc/resolv.conf',
        'echo ---; hostname',
        'echo ---; ip -o -4 addr show eth0',
      ].join('; ');
      const r = rt.runBundle(networkedBundle(client, clientEtc, ['sh', '-c', script]), { timeoutMs: 30_000 });
      assert.equal(r.status, 0, explain(r));
      const [page, hosts, resolv, hostname, addr] = r.stdout.split('---\n');
      assert.equal(page, 'served from a container\n');
      assert.match(hosts, new RegExp(`^${client.attachment.ip.replace(/\./g, '\\.')}\\tclienthost client$`, 'm'));
      assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
      assert.equal(resolv, 'search example.test\nnameserver 10.53.0.1\n');
      assert.equal(hostname, 'clienthost\n');
      assert.match(addr, new RegExp(`inet ${client.attachment.ip.replace(/\./g, '\\.')}/24`));
      await n.remove(client);
    } finally {
      rt.forceDelete(started.id);
    }
    await n.remove(web);
    assert.deepEqual(n.leftovers(), NOTHING);
    await assert.rejects(httpGet('127.0.0.1', web.attachment.ports[0].hostPort, '/', 1000));
  });
});

/** A host resolv.conf of the test's own: a loopback resolver (dropped) and a remote one (kept). */
function writeResolvConf(dir) {
  const file = path.join(dir, 'host-resolv.conf');
  fs.writeFileSync(file, 'nameserver 127.0.0.53\nsearch example.test\nnameserver 10.53.0.1\n');
  return file;
}
