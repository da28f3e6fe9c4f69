// How published ports are shown, and the host-port check against real sockets on 127.0.0.1 (tcp
// and udp). The -p syntax: test/spec-flags.test.mjs.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { checkHostPortsFree, formatPortMapping } = load('manager/network/ports');

test('formatPortMapping: docker ps style, IPv6 hosts in brackets', () => {
  assert.equal(formatPortMapping({ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }), '127.0.0.1:8080->80/tcp');
  assert.equal(formatPortMapping({ hostIP: '::1', hostPort: 53, containerPort: 53, protocol: 'udp' }), '[::1]:53->53/udp');
  assert.equal(formatPortMapping({ hostPort: 8080, containerPort: 80, protocol: 'tcp' }), '0.0.0.0:8080->80/tcp');
});

function listenTcp(host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, host, () => resolve(server));
  });
}

function bindUdp(host) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, host, () => resolve(socket));
  });
}

test('checkHostPortsFree: taken tcp and udp ports are refused like docker, free ones and port 0 resolve', async (t) => {
  const server = await listenTcp('127.0.0.1');
  const udp = await bindUdp('127.0.0.1');
  t.after(() => {
    server.close();
    udp.close();
  });
  const tcpPort = server.address().port;
  const udpPort = udp.address().port;

  await assert.rejects(checkHostPortsFree([{ hostIP: '127.0.0.1', hostPort: tcpPort, containerPort: 80, protocol: 'tcp' }]), {
    name: 'ConflictError',
    message: `Bind for 127.0.0.1:${tcpPort} failed: port is already allocated`,
  });
  // every address includes 127.0.0.1
  await assert.rejects(checkHostPortsFree([{ hostPort: tcpPort, containerPort: 80, protocol: 'tcp' }]), {
    message: `Bind for 0.0.0.0:${tcpPort} failed: port is already allocated`,
  });
  await assert.rejects(checkHostPortsFree([{ hostIP: '127.0.0.1', hostPort: udpPort, containerPort: 53, protocol: 'udp' }]), {
    message: `Bind for 127.0.0.1:${udpPort} failed: port is already allocated`,
  });
  // the other protocol on the same number is free
  const [sameNumberUdp] = await checkHostPortsFree([{ hostIP: '127.0.0.1', hostPort: tcpPort, containerPort: 80, protocol: 'udp' }]);
  assert.equal(sameNumberUdp.hostPort, tcpPort);

  // port 0: a free port is picked, different for each mapping
  const picked = await checkHostPortsFree([
    { hostPort: 0, containerPort: 80, protocol: 'tcp' },
    { hostIP: '127.0.0.1', hostPort: 0, containerPort: 81, protocol: 'tcp' },
  ]);
  assert.ok(picked.every((p) => p.hostPort > 0));
  assert.notEqual(picked[0].hostPort, picked[1].hostPort);
  assert.equal(picked[1].hostIP, '127.0.0.1');

  // twice in one request, or already published by another container
  const free = picked[0].hostPort;
  await assert.rejects(
    checkHostPortsFree([
      { hostPort: free, containerPort: 80, protocol: 'tcp' },
      { hostIP: '127.0.0.1', hostPort: free, containerPort: 81, protocol: 'tcp' },
    ]),
    { message: `Bind for 127.0.0.1:${free} failed: port is already allocated` },
  );
  await assert.rejects(checkHostPortsFree([{ hostIP: '127.0.0.1', hostPort: free, containerPort: 80, protocol: 'tcp' }], [{ hostPort: free, containerPort: 9, protocol: 'tcp' }]), {
    name: 'ConflictError',
  });
  // a host address that is not on this host
  await assert.rejects(checkHostPortsFree([{ hostIP: '203.0.113.7', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]), {
    name: 'UsageError',
    message: '-p 203.0.113.7:8080: cannot bind the host port: EADDRNOTAVAIL',
  });
});
