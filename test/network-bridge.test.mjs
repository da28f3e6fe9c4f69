// The bridge network end to end with Debian's CNI plugins, real namespaces, a real bridge and
// real iptables rules: containers reach each other by IP, published ports answer on
// 127.0.0.1, conflicts fail cleanly, and detach leaves nothing (no bridge port, lease, rule,
// cache record or namespace). Each test has its own bridge, subnet and manager root.
import assert from 'node:assert/strict';
import net from 'node:net';
import { before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { load } from './lib/dist.mjs';
import { NOTHING, bridgeLib, eventually, freeSubnet, httpGet, iptablesLib, makeSharedChains, masqueradeLib, median, network, netns, testNetwork, webRoot, withNetwork } from './lib/network.mjs';
import { outsideNamespace } from './lib/outside-netns.mjs';

const { CniExecutor } = load('manager/network/cni');

const timings = { add: [], del: [] };

before(makeSharedChains);

test('two containers on the bridge: addresses in the subnet, ping and HTTP between them by IP, then nothing left', async (t) => {
  await withNetwork(async (n) => {
    const a = await n.attach('a');
    const b = await n.attach('b');
    timings.add.push(a.addMs, b.addMs);
    const prefix = n.settings.subnet.split('.').slice(0, 3).join('.') + '.';
    for (const c of [a, b]) {
      assert.ok(c.attachment.ip.startsWith(prefix), c.attachment.ip);
      assert.equal(c.attachment.prefixLength, 24);
      assert.equal(c.attachment.gateway, `${prefix}1`);
      assert.match(c.attachment.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    }
    assert.notEqual(a.attachment.ip, b.attachment.ip);
    assert.equal(n.leftovers().bridgePorts.length, 2, 'one veth per container on the bridge');

    // eth0 has the address, lo is up, the default route goes through the bridge
    const addr = n.runIn(a, ['ip', '-o', 'addr']).stdout;
    assert.match(addr, new RegExp(`eth0\\s+inet ${a.attachment.ip.replace(/\./g, '\\.')}/24`));
    assert.match(addr, /lo\s+inet 127\.0\.0\.1\/8/);
    assert.match(n.runIn(a, ['ip', 'route']).stdout, new RegExp(`default via ${a.attachment.gateway.replace(/\./g, '\\.')} dev eth0`));

    const ping = n.runIn(a, ['ping', '-c', '1', '-W', '3', b.attachment.ip]);
    assert.equal(ping.status, 0, ping.stdout + ping.stderr);

    n.spawnIn(b, ['httpd', '-f', '-p', '80', '-h', webRoot(n.root, 'from b\n')]);
    const fetched = await eventually(() => {
      const r = n.runIn(a, ['wget', '-q', '-O', '-', `http://${b.attachment.ip}/`]);
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout;
    });
    assert.equal(fetched, 'from b\n');

    timings.del.push(await n.remove(a), await n.remove(b));
    assert.deepEqual(n.leftovers(), NOTHING);
    t.diagnostic(`ADD ${a.addMs.toFixed(0)}/${b.addMs.toFixed(0)} ms, DEL ${timings.del.map((v) => v.toFixed(0)).join('/')} ms`);
  });
});

test('a published port answers on 127.0.0.1:HOSTPORT (host port picked when 0), on a fixed port, and per protocol', async (t) => {
  await withNetwork(async (n) => {
    const web = await n.attach('web', [
      { hostPort: 0, containerPort: 80, protocol: 'tcp' },
      { hostIP: '127.0.0.1', hostPort: 0, containerPort: 8080, protocol: 'tcp' },
      { hostPort: 0, containerPort: 53, protocol: 'udp' },
    ]);
    timings.add.push(web.addMs);
    const [any, loopbackOnly, udp] = web.attachment.ports;
    for (const p of web.attachment.ports) assert.ok(p.hostPort >= 1024 && p.hostPort <= 65535, JSON.stringify(p));
    assert.equal(loopbackOnly.hostIP, '127.0.0.1');
    assert.equal(udp.protocol, 'udp');

    n.spawnIn(web, ['httpd', '-f', '-p', '80', '-h', webRoot(n.root, 'port 80\n')]);
    n.spawnIn(web, ['httpd', '-f', '-p', '8080', '-h', webRoot(n.root, 'port 8080\n')]);
    assert.equal(await eventually(() => httpGet('127.0.0.1', any.hostPort)), 'port 80\n');
    assert.equal(await eventually(() => httpGet('127.0.0.1', loopbackOnly.hostPort)), 'port 8080\n');
    // the mapping also works from another container, through the gateway (hairpin/DNAT)
    const client = await n.attach('client');
    const viaGateway = n.runIn(client, ['wget', '-q', '-O', '-', `http://${web.attachment.gateway}:${any.hostPort}/`]);
    assert.equal(viaGateway.stdout, 'port 80\n', viaGateway.stderr);
    // a udp mapping is a udp DNAT rule
    const udpRules = n.leftovers().iptables.filter((l) => l.includes('-p udp') && l.includes(`--dport ${udp.hostPort}`));
    assert.ok(udpRules.length > 0, 'no udp DNAT rule');

    timings.del.push(await n.remove(web));
    await n.remove(client);
    assert.deepEqual(n.leftovers(), NOTHING);
    await assert.rejects(httpGet('127.0.0.1', any.hostPort, '/', 1000), 'the port still answers after detach');
    t.diagnostic(`ADD with 3 ports ${web.addMs.toFixed(0)} ms`);
  });
});

test('a host port already taken: one-line ConflictError, nothing left; another container keeps its port', async () => {
  await withNetwork(async (n) => {
    const listener = net.createServer();
    await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const busyPort = listener.address().port;
    try {
      for (const ports of [
        [{ hostIP: '127.0.0.1', hostPort: busyPort, containerPort: 80, protocol: 'tcp' }],
        [{ hostPort: busyPort, containerPort: 80, protocol: 'tcp' }],
      ]) {
        const c = n.newContainer('busy');
        await assert.rejects(
          network.attachNetwork(n.paths, { containerId: c.containerId, name: 'busy', netnsPath: c.netnsPath, ports, network: n.settings }),
          (err) => err.name === 'ConflictError' && /^Bind for .*:\d+ failed: port is already allocated$/.test(err.message) && !err.message.includes('\n'),
        );
        const left = n.leftovers();
        assert.deepEqual([left.iptables, left.bridgePorts, left.leases, left.cache], [[], [], [], []]);
        await n.remove(c);
      }
    } finally {
      listener.close();
    }

    const first = await n.attach('first', [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    const taken = first.attachment.ports[0].hostPort;
    const second = n.newContainer('second');
    await assert.rejects(
      network.attachNetwork(n.paths, { containerId: second.containerId, name: 'second', netnsPath: second.netnsPath, ports: [{ hostPort: taken, containerPort: 81, protocol: 'tcp' }], network: n.settings }),
      { name: 'ConflictError', message: `Bind for 0.0.0.0:${taken} failed: port is already allocated` },
    );
    assert.equal(n.leftovers().bridgePorts.length, 1, 'only the first container is on the bridge');
    // the same number in udp is another port
    const udp = await n.attach('udp', [{ hostPort: taken, containerPort: 81, protocol: 'udp' }]);
    assert.equal(udp.attachment.ports[0].hostPort, taken);
    n.spawnIn(first, ['httpd', '-f', '-p', '80', '-h', webRoot(n.root, 'first\n')]);
    assert.equal(await eventually(() => httpGet('127.0.0.1', taken)), 'first\n');
    await n.remove(second);
    await n.remove(first);
    await n.remove(udp);
    assert.deepEqual(n.leftovers(), NOTHING);
  });
});

test('IPv6 host addresses and a subnet that overlaps a host route are refused before anything is made', async () => {
  await withNetwork(async (n) => {
    const c = n.newContainer('v6');
    await assert.rejects(
      network.attachNetwork(n.paths, { containerId: c.containerId, name: 'v6', netnsPath: c.netnsPath, ports: [{ hostIP: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }], network: n.settings }),
      { name: 'UsageError', message: `-p [::1]:8080:80: network ${n.settings.name} is IPv4 only; publish on an IPv4 address` },
    );
    assert.equal(bridgeLib.bridgeExists(n.settings.bridge), false, 'the bridge was created for a refused attach');
    await n.remove(c);
  });

  // an interface of our own (a bridge: this kernel has no dummy module) carries a route over the
  // subnet we then ask for
  const probe = testNetwork();
  const dummy = probe.settings.bridge.replace('mdt', 'mdd');
  const ip = (...args) => spawnSync('ip', args, { encoding: 'utf8' });
  try {
    for (const args of [
      ['link', 'add', dummy, 'type', 'bridge'],
      ['addr', 'add', probe.settings.subnet.replace('.0/24', '.1/24'), 'dev', dummy],
      ['link', 'set', dummy, 'up'],
    ]) {
      const r = ip(...args);
      assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    }
    const wider = { ...probe.settings, subnet: probe.settings.subnet.replace(/\.\d+\.0\/24$/, '.0.0/16') };
    const c = probe.newContainer('overlap');
    await assert.rejects(
      network.attachNetwork(probe.paths, { containerId: c.containerId, name: 'overlap', netnsPath: c.netnsPath, ports: [], network: wider }),
      (err) => err.message === `network ${wider.name}: subnet ${wider.subnet} overlaps the host's route ${probe.settings.subnet} on ${dummy}; choose another subnet (MYDOCKER_SUBNET)`,
    );
    assert.equal(bridgeLib.bridgeExists(wider.bridge), false);
    await probe.remove(c);
  } finally {
    ip('link', 'delete', dummy);
    await probe.cleanup();
  }
});

test('no address left in the range: the plugin error in one line, the failed attach leaves nothing, the first keeps its lease', async () => {
  // a /30 has one address for containers besides the gateway
  await withNetwork(
    async (n) => {
      const first = await n.attach('first');
      assert.equal(first.attachment.ip, n.settings.subnet.replace('.0/30', '.2'));
      const second = n.newContainer('second');
      await assert.rejects(
        network.attachNetwork(n.paths, { containerId: second.containerId, name: 'second', netnsPath: second.netnsPath, ports: [], network: n.settings }),
        (err) => err.name === 'CniError' && err.message.startsWith(`network ${n.settings.name}: CNI plugin bridge ADD failed: `) && /no IP addresses available/.test(err.message) && !err.message.includes('\n'),
      );
      const left = n.leftovers();
      assert.equal(left.bridgePorts.length, 1);
      assert.deepEqual(left.leases, [first.attachment.ip]);
      assert.deepEqual(left.cache, [first.containerId]);
      // the failed container's namespace has no eth0
      assert.doesNotMatch(n.runIn(second, ['ip', '-o', 'link']).stdout, /eth0/);
      await n.remove(second);
      await n.remove(first);
      assert.deepEqual(n.leftovers(), NOTHING);
    },
    { subnet: `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}.0/30` },
  );
});

test('CHECK passes on an attached container and fails once its interface is gone', async () => {
  const { CniExecutor } = load('manager/network/cni');
  await withNetwork(async (n) => {
    const c = await n.attach('check');
    const executor = new CniExecutor({ cacheDir: `${n.paths.network}/cache` });
    await executor.check(c.containerId, 'eth0');
    n.runIn(c, ['ip', 'link', 'delete', 'eth0']);
    await assert.rejects(executor.check(c.containerId, 'eth0'), (err) => err.name === 'CniError' && / CHECK failed: /.test(err.message));
    await n.remove(c);
    assert.deepEqual(n.leftovers(), NOTHING);
  });
});

test('detach is idempotent and complete when the namespace is already gone (the DNAT chain too)', async () => {
  await withNetwork(async (n) => {
    const c = await n.attach('gone', [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    const [, dnatChain] = iptablesLib.containerChains(n.settings.name, c.containerId);
    assert.ok(n.leftovers().iptables.some((l) => l.includes(dnatChain)), 'the DNAT chain exists while attached');
    netns.removeNetns(c.netnsPath);
    assert.equal(netns.netnsExists(c.netnsPath), false);
    await network.detachNetwork(n.paths, c.containerId, c.netnsPath);
    assert.deepEqual(n.leftovers(), NOTHING);
    await network.detachNetwork(n.paths, c.containerId, c.netnsPath);
    await network.detachNetwork(n.paths, 'never-attached');
  });
});

test('a container reaches a namespace beyond the host masqueraded as the host, through the network rule alone', async () => {
  // "beyond the host": a namespace of the test's own behind a veth pair, with no route back to the
  // containers' subnet: only a masqueraded connection can get an answer
  const outside = outsideNamespace(freeSubnet());
  try {
    const server = await outside.startPeerEchoServer();
    await withNetwork(async (n) => {
      const c = await n.attach('masq');
      // in nat: the network's one rule, nothing of the container's (no ipMasq chain)
      const natLines = () => spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout.split('\n');
      const subnetPrefix = n.settings.subnet.split('.').slice(0, 3).join('.') + '.';
      const [masqChain] = iptablesLib.containerChains(n.settings.name, c.containerId);
      assert.deepEqual(natLines().filter((l) => l.includes(subnetPrefix) || l.includes(masqChain)), [
        `-A POSTROUTING -s ${n.settings.subnet} ! -d 224.0.0.0/4 ! -o ${n.settings.bridge} -m comment --comment "${masqueradeLib.masqueradeComment(n.settings)}" -j MASQUERADE`,
      ]);
      const seen = n.runIn(c, ['nc', '-w', '3', outside.address, String(server.port)]);
      assert.equal(seen.stdout.trim(), outside.hostAddress, `the server saw ${seen.stdout.trim() || 'nothing'} (${seen.stderr.trim()})`);

      await masqueradeLib.removeMasquerade(n.settings);
      const unmasqueraded = n.runIn(c, ['nc', '-w', '2', outside.address, String(server.port)]);
      assert.equal(unmasqueraded.stdout.trim(), '', 'without the rule there is no way back to the container');
      await n.remove(c);
      assert.deepEqual(n.leftovers(), NOTHING);
    });
  } finally {
    await outside.remove();
  }
});

test('twenty parallel attaches get twenty addresses, and twenty parallel detaches leave nothing', async (t) => {
  await withNetwork(async (n) => {
    const started = performance.now();
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => n.attach(`p${i}-`)));
    const addWall = performance.now() - started;
    const ips = all.map((c) => c.attachment.ip);
    assert.equal(new Set(ips).size, 20, `duplicate addresses: ${ips.join(' ')}`);
    assert.equal(new Set(all.map((c) => c.attachment.mac)).size, 20);
    assert.equal(n.leftovers().bridgePorts.length, 20);
    assert.equal(n.leftovers().leases.length, 20);
    const delStarted = performance.now();
    await Promise.all(all.map((c) => n.remove(c)));
    const delWall = performance.now() - delStarted;
    assert.deepEqual(n.leftovers(), NOTHING);
    t.diagnostic(`20 parallel: ADD wall ${addWall.toFixed(0)} ms, DEL wall ${delWall.toFixed(0)} ms`);
  });
});

test('timings (ADD and DEL of one container, median of 5, with and without a published port, per plugin)', async (t) => {
  await withNetwork(async (n) => {
    const plain = { add: [], del: [] };
    const ported = { add: [], del: [] };
    const perPlugin = new Map();
    const onPluginDone = (run) => {
      assert.equal(run.ok, true, `${run.plugin} ${run.command}`);
      const key = `${run.command} ${run.plugin}`;
      perPlugin.set(key, [...(perPlugin.get(key) ?? []), run.ms]);
    };
    for (let i = 0; i < 5; i++) {
      const c = await n.attach('time', [], { onPluginDone });
      plain.add.push(c.addMs);
      let started = performance.now();
      await network.detachNetwork(n.paths, c.containerId, c.netnsPath, { onPluginDone });
      plain.del.push(performance.now() - started);
      netns.removeNetns(c.netnsPath);
      const p = await n.attach('timep', [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }], { onPluginDone });
      ported.add.push(p.addMs);
      started = performance.now();
      await network.detachNetwork(n.paths, p.containerId, p.netnsPath, { onPluginDone });
      ported.del.push(performance.now() - started);
      netns.removeNetns(p.netnsPath);
    }
    assert.deepEqual(n.leftovers(), NOTHING);
    // every plugin of the list ran for every call (portmap only with a port)
    assert.equal(perPlugin.get('ADD bridge').length, 10);
    assert.equal(perPlugin.get('ADD loopback').length, 10);
    assert.equal(perPlugin.get('ADD portmap').length, 5);
    assert.equal(perPlugin.get('DEL firewall').length, 10);
    assert.equal(perPlugin.has('DEL loopback'), false);
    const ms = (v) => `${median(v).toFixed(0)} ms`;
    t.diagnostic(`no port: ADD ${ms(plain.add)}, DEL ${ms(plain.del)}; one port: ADD ${ms(ported.add)}, DEL ${ms(ported.del)}`);
    t.diagnostic(`per plugin (median): ${[...perPlugin].map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
  });
});
