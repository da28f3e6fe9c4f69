// `-p` values as docker writes them, the one-line errors for bad ones, and the host-port check
// against real sockets on 127.0.0.1 (tcp and udp).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { parsePortFlag, parsePortFlagRanges, checkHostPortsFree, formatPortMapping } = load('manager/network/ports');

test('-p forms docker accepts', () => {
  const cases = {
    '80': { hostPort: 0, containerPort: 80, protocol: 'tcp' },
    '8080:80': { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    '127.0.0.1:8080:80': { hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    '127.0.0.1::80': { hostIP: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' },
    '8080:80/udp': { hostPort: 8080, containerPort: 80, protocol: 'udp' },
    '53/UDP': { hostPort: 0, containerPort: 53, protocol: 'udp' },
    '8080:80/tcp': { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    '[::1]:8080:80': { hostIP: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    '[::1]::80/udp': { hostIP: '::1', hostPort: 0, containerPort: 80, protocol: 'udp' },
    '0:80': { hostPort: 0, containerPort: 80, protocol: 'tcp' },
    '0.0.0.0:8080:80': { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    '65535:1': { hostPort: 65535, containerPort: 1, protocol: 'tcp' },
  };
  for (const [value, expected] of Object.entries(cases)) assert.deepEqual(parsePortFlag(value), expected, value);
  assert.deepEqual(parsePortFlagRanges('8000-8001:80-81/udp'), [
    { hostPort: 8000, containerPort: 80, protocol: 'udp' },
    { hostPort: 8001, containerPort: 81, protocol: 'udp' },
  ]);
  assert.deepEqual(parsePortFlagRanges('127.0.0.1::7000-7001').map((p) => [p.hostIP, p.hostPort, p.containerPort]), [
    ['127.0.0.1', 0, 7000],
    ['127.0.0.1', 0, 7001],
  ]);
  assert.equal(formatPortMapping(parsePortFlag('127.0.0.1:8080:80')), '127.0.0.1:8080->80/tcp');
  assert.equal(formatPortMapping(parsePortFlag('[::1]:53:53/udp')), '[::1]:53->53/udp');
});

test('bad -p values: a UsageError naming -p and the value, in one line', () => {
  const cases = {
    '99999:80': 'host port 99999 is out of range (1-65535)',
    '8080:99999': 'container port 99999 is out of range (1-65535)',
    '0': 'container port 0 is out of range (1-65535)',
    '8080:0': 'container port 0 is out of range (1-65535)',
    'abc': 'container port "abc" is not a number',
    'http:80': 'host port "http" is not a number',
    '': 'empty value',
    '8080:80/sctp': 'protocol "sctp" is not tcp or udp',
    '1.2.3:8080:80': '"1.2.3" is not an IP address (IPv6 addresses go in brackets)',
    '[1.2.3.4]:8080:80': '"1.2.3.4" is not an IPv6 address',
    '[::1:8080:80': 'an IPv6 host address is written [addr]:hostPort:containerPort',
    '1:2:3:4': 'expected [ip:][hostPort:]containerPort[/tcp|udp]',
    '127.0.0.1:80': 'host port "127.0.0.1" is not a number',
    '8000-8002:80-81': 'the host and container port ranges differ in length',
    '81-80': 'container port range "81-80" ends before it starts',
    '-5': 'container port "-5" is not a number',
  };
  for (const [value, why] of Object.entries(cases)) {
    assert.throws(() => parsePortFlagRanges(value), { name: 'UsageError', message: `invalid -p value "${value}": ${why}` }, value);
  }
  assert.throws(() => parsePortFlag('8000-8001:80-81'), { name: 'UsageError', message: /^invalid -p value "8000-8001:80-81": a port range/ });
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
