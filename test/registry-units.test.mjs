// The registry client's pure parts: WWW-Authenticate parsing, platforms, progress formatting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { parseChallenges } = load('manager/images/registry/challenge');
const { parsePlatform, chooseManifest, formatPlatform } = load('manager/images/registry/platform');
const { humanSize, progressBar } = load('manager/images/progress');
const { loginServer } = load('manager/images/registry/login');

test('WWW-Authenticate challenges: quoted parameters with commas and escapes, several challenges', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="Registry \\"Realm\\"", Bearer realm=x'), [
    { scheme: 'basic', params: { realm: 'Registry "Realm"' } },
    { scheme: 'bearer', params: { realm: 'x' } },
  ]);
  assert.deepEqual(parseChallenges(null), []);
});

test('platforms: docker spellings, the best index entry, errors naming the flag', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('Linux/ARM/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  for (const bad of ['', 'linux/', '/amd64', 'a/b/c/d', 'linux/am d64']) assert.throws(() => parsePlatform(bad), /^UsageError: --platform: /, bad);
  const entry = (p, d) => ({ mediaType: 'm', digest: d, size: 1, platform: p });
  const entries = [
    entry({ os: 'linux', architecture: 'arm', variant: 'v6' }, 'v6'),
    entry({ os: 'linux', architecture: 'arm', variant: 'v7' }, 'v7'),
    entry({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'arm64'),
    entry({ os: 'windows', architecture: 'amd64' }, 'win'),
    entry({ os: 'linux', architecture: 'amd64' }, 'amd64'),
    { mediaType: 'm', digest: 'attestation', size: 1 },
  ];
  assert.equal(chooseManifest(entries, parsePlatform('linux/amd64')).digest, 'amd64');
  assert.equal(chooseManifest(entries, parsePlatform('linux/arm64')).digest, 'arm64');
  assert.equal(chooseManifest(entries, parsePlatform('linux/arm')).digest, 'v7');
  assert.equal(chooseManifest(entries, parsePlatform('linux/arm/v6')).digest, 'v6');
  assert.equal(chooseManifest(entries, parsePlatform('linux/arm/v5')), undefined);
  assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
});

test('progress: docker sizes and a 50-column bar', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1234), '1.23kB');
  assert.equal(humanSize(5_000_000), '5MB');
  assert.equal(humanSize(52_428_800), '52.4MB');
  assert.equal(progressBar(0, 100), `[>${' '.repeat(49)}]  0B/100B`);
  assert.equal(progressBar(50, 100), `[${'='.repeat(24)}>${' '.repeat(25)}]  50B/100B`);
  assert.equal(progressBar(100, 100), `[${'='.repeat(50)}]  100B/100B`);
});

test('login servers: host[:port], URLs, Docker Hub names', () => {
  assert.equal(loginServer(undefined), 'docker.io');
  assert.equal(loginServer('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(loginServer('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(loginServer('Registry.Example:443'), 'registry.example:443');
  assert.throws(() => loginServer('not a host'), /^UsageError: login: "not a host" is not a registry host\[:port\]$/);
});

test('Docker Hub is reached at registry-1.docker.io; loopback names are recognized without DNS', () => {
  const { apiHost, isLoopback } = load('manager/images/registry/transport');
  assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
  assert.equal(apiHost('127.0.0.1:5000'), '127.0.0.1:5000');
  for (const h of ['localhost', 'localhost:5000', 'a.localhost:1', '127.0.0.1', '127.255.0.9:80', '[::1]:5000']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0:5000', '128.0.0.1', 'localhost.example.com', '[::2]:5000', '127.0.0.1.example:5']) assert.equal(isLoopback(h), false, h);
});
