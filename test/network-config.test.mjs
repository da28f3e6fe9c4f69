// The bridge network's settings and the CNI configuration list made from them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { managerPaths } = load('manager/paths');
const bridge = load('manager/network/bridge');

const paths = managerPaths('/var/lib/mydocker-test-config', '/run/mydocker-test-config');

test('the default network is mydocker0 on 10.99.0.0/16; MYDOCKER_BRIDGE and MYDOCKER_SUBNET change it', () => {
  assert.deepEqual(bridge.defaultNetwork({}), { name: 'mydocker', bridge: 'mydocker0', subnet: '10.99.0.0/16' });
  assert.deepEqual(bridge.defaultNetwork({ MYDOCKER_BRIDGE: 'br7', MYDOCKER_SUBNET: '10.7.0.0/24' }), { name: 'mydocker', bridge: 'br7', subnet: '10.7.0.0/24' });
  bridge.checkSettings(bridge.defaultNetwork({}));
});

test('bad settings: one-line UsageErrors naming the value', () => {
  const base = { name: 'n', bridge: 'b0', subnet: '10.1.0.0/16' };
  const cases = [
    [{ subnet: '10.1.0.0' }, 'network n: subnet "10.1.0.0" is not an IPv4 subnet a.b.c.d/8..30'],
    [{ subnet: '10.1.0.0/31' }, 'network n: subnet "10.1.0.0/31" is not an IPv4 subnet a.b.c.d/8..30'],
    [{ subnet: '300.1.0.0/16' }, 'network n: subnet "300.1.0.0/16" is not an IPv4 subnet a.b.c.d/8..30'],
    [{ subnet: '10.1.2.3/16' }, 'network n: subnet "10.1.2.3/16" has host bits set (the network is 10.1.0.0/16)'],
    [{ bridge: 'averyveryverylongname' }, 'bridge name "averyveryverylongname" is not a valid interface name (1-15 characters)'],
    [{ bridge: 'br/0' }, 'bridge name "br/0" is not a valid interface name (1-15 characters)'],
    [{ name: '-x' }, 'network name "-x" is not valid'],
    [{ gateway: '10.2.0.1' }, 'network n: gateway "10.2.0.1" is not in 10.1.0.0/16'],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => bridge.checkSettings({ ...base, ...change }), { name: 'UsageError', message }, JSON.stringify(change));
  }
});

test('the configuration list: bridge with host-local leases under <root>/network/ipam, portmap only with ports, firewall last', () => {
  const settings = { name: 'mdtconf', bridge: 'mdtconf0', subnet: '10.250.1.0/24', gateway: '10.250.1.254' };
  const withPorts = bridge.bridgeConfList(paths, settings, true);
  assert.equal(withPorts.cniVersion, '1.0.0');
  assert.equal(withPorts.name, 'mdtconf');
  assert.deepEqual(withPorts.plugins.map((p) => p.type), ['bridge', 'portmap', 'firewall']);
  const [br, portmap, firewall] = withPorts.plugins;
  assert.equal(br.bridge, 'mdtconf0');
  assert.equal(br.isGateway, true);
  // masquerading is the network's one rule (masquerade.ts), not a chain per container
  assert.equal(br.ipMasq, false);
  assert.equal(br.hairpinMode, true);
  assert.deepEqual(br.ipam, {
    type: 'host-local',
    ranges: [[{ subnet: '10.250.1.0/24', gateway: '10.250.1.254' }]],
    routes: [{ dst: '0.0.0.0/0' }],
    dataDir: '/var/lib/mydocker-test-config/network/ipam',
  });
  // the MTU of the host's default-route interface, as the kernel reports it
  const defaultRoute = fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000' && f[7] === '00000000');
  const expectedMtu = defaultRoute ? Number(fs.readFileSync(`/sys/class/net/${defaultRoute[0]}/mtu`, 'utf8')) : undefined;
  assert.equal(br.mtu, expectedMtu);
  assert.equal(bridge.bridgeConfList(paths, { ...settings, mtu: 1280 }, false).plugins[0].mtu, 1280);
  assert.deepEqual(portmap, { type: 'portmap', capabilities: { portMappings: true }, snat: true });
  assert.deepEqual(firewall, { type: 'firewall', backend: 'iptables' });
  assert.deepEqual(bridge.bridgeConfList(paths, settings, false).plugins.map((p) => p.type), ['bridge', 'firewall']);
  assert.deepEqual(bridge.loopbackConfList().plugins, [{ type: 'loopback' }]);
});

test('subnets are checked against the host routes; the host default route does not count', () => {
  const routes = fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 7);
  const hostRoute = routes.find((f) => f[1] !== '00000000' && !f[0].startsWith('md'));
  assert.ok(hostRoute, 'the host has a non-default route (its own subnet)');
  const dest = Buffer.from(hostRoute[1], 'hex').readUInt32LE(0);
  const prefix = Buffer.from(hostRoute[7], 'hex').readUInt32LE(0).toString(2).replace(/0/g, '').length;
  const cidr = `${bridge.numberToIpv4(dest)}/${prefix}`;
  assert.throws(() => bridge.checkSubnetFree({ name: 'n', bridge: 'mdtnone0', subnet: cidr }), {
    message: `network n: subnet ${cidr} overlaps the host's route ${cidr} on ${hostRoute[0]}; choose another subnet (MYDOCKER_SUBNET)`,
  });
  // the network's own bridge route is no conflict
  bridge.checkSubnetFree({ name: 'n', bridge: hostRoute[0], subnet: cidr });
});
