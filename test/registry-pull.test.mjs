// `mydocker pull` against a real docker-registry on 127.0.0.1: OCI and Docker v2s2 images,
// a multi-platform index, schema 1 refusal, unknown tags, malformed references, and the
// plain-HTTP policy. Every pull goes to a manager root of the test's own.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pushBusybox, startRegistry } from './clients/lib/registry.mjs';
import { load } from './lib/dist.mjs';
import { cli, isolateDockerConfig, indexText, ingestLeftovers, pushBlob, pushManifest, pushPlatformImage, tempManager, verifiedBlobs } from './lib/pull-helpers.mjs';

isolateDockerConfig();
const { pullImage, REPO_DIGEST_ANNOTATION } = load('manager/images/pull');
const { hostPlatform, formatPlatform } = load('manager/images/registry/platform');

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
let registry;

before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry?.stop();
});

/** The digest the registry gives a tag (HEAD with every manifest Accept type). */
async function registryDigest(host, name, tag) {
  const res = await fetch(`http://${host}/v2/${name}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  return res.headers.get('docker-content-digest');
}

function capture() {
  let text = '';
  return { output: (s) => (text += s), text: () => text };
}

test('an OCI image pulls anonymously: docker-like output, blobs verified, umoci and skopeo read the store', async (t) => {
  const m = tempManager(t);
  const ref = await pushBusybox(registry, 'pull/oci', 'latest', { format: 'oci' });
  const out = capture();
  const image = await pullImage(m.paths, ref, { output: out.output, isTTY: false });
  const digest = await registryDigest(registry.host, 'pull/oci', 'latest');
  assert.equal(image.manifestDigest, digest);
  assert.deepEqual(image.names, [ref]);
  const lines = out.text().trimEnd().split('\n');
  assert.equal(lines[0], 'latest: Pulling from pull/oci');
  assert.match(lines[1], /^[0-9a-f]{12}: Pull complete$/);
  assert.equal(lines[1].slice(0, 12), image.manifest.layers[0].digest.slice(7, 19));
  assert.equal(lines[2], `Digest: ${digest}`);
  assert.equal(lines[3], `Status: Downloaded newer image for ${ref}`);
  assert.equal(lines[4], ref);
  assert.equal(lines.length, 5);

  const blobs = verifiedBlobs(m.paths).sort();
  assert.deepEqual(blobs, [digest, image.configDigest, ...image.manifest.layers.map((l) => l.digest)].sort());
  assert.deepEqual(ingestLeftovers(m.paths), []);
  assert.equal(execFileSync('umoci', ['ls', '--layout', m.paths.images], { encoding: 'utf8' }).trim(), ref);
  const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${m.paths.images}:${ref}`], { encoding: 'utf8' }));
  assert.deepEqual(inspected.Layers, image.manifest.layers.map((l) => l.digest));
  const entry = JSON.parse(indexText(m.paths)).manifests[0];
  assert.equal(entry.annotations[REPO_DIGEST_ANNOTATION], `${registry.host}/pull/oci@${digest}`);

  // again: nothing to download
  const again = capture();
  await pullImage(m.paths, ref, { output: again.output, isTTY: false });
  assert.match(again.text(), /^[0-9a-f]{12}: Already exists$/m);
  assert.match(again.text(), new RegExp(`^Status: Image is up to date for ${ref.replace(/[.]/g, '\\.')}$`, 'm'));
});

test('a Docker v2s2 image pulls through the CLI and is stored byte for byte (same digest); -q prints only the name', async (t) => {
  const m = tempManager(t);
  const ref = await pushBusybox(registry, 'pull/v2s2', 'v1', { format: 'v2s2' });
  const res = await cli(m, ['pull', ref]);
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stderr, '');
  assert.match(res.stdout, /^v1: Pulling from pull\/v2s2\n[0-9a-f]{12}: Pull complete\nDigest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for /);
  const digest = await registryDigest(registry.host, 'pull/v2s2', 'v1');
  const entry = JSON.parse(indexText(m.paths)).manifests[0];
  assert.equal(entry.digest, digest);
  assert.equal(entry.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(JSON.parse(fs.readFileSync(path.join(m.paths.images, 'blobs', 'sha256', digest.slice(7)))).mediaType, entry.mediaType);
  verifiedBlobs(m.paths);

  const quiet = await cli(m, ['pull', '-q', ref]);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stdout, `${ref}\n`);
});

test('a multi-platform index: the host platform by default, --platform picks another, a missing one lists the available', async (t) => {
  const name = 'pull/multi';
  const amd64 = await pushPlatformImage(registry.host, name, 'linux/amd64');
  const arm64 = await pushPlatformImage(registry.host, name, 'linux/arm64');
  const armv7 = await pushPlatformImage(registry.host, name, 'linux/arm/v7');
  const entries = [amd64, arm64, armv7].map(({ mediaType, digest, size, platform }) => ({ mediaType, digest, size, platform }));
  const index = await pushManifest(registry.host, name, 'latest', { schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }, OCI_INDEX);
  const ref = `${registry.host}/${name}:latest`;

  const m = tempManager(t);
  const host = formatPlatform(hostPlatform());
  const hostEntry = [amd64, arm64, armv7].find((e) => formatPlatform(e.platform) === host);
  if (hostEntry) {
    const image = await pullImage(m.paths, ref, { output: () => {} });
    assert.equal(image.manifestDigest, hostEntry.digest, `host ${host}`);
  }
  const out = capture();
  const image = await pullImage(m.paths, ref, { platform: 'linux/arm64', output: out.output });
  assert.equal(image.manifestDigest, arm64.digest);
  assert.equal(image.config.architecture, 'arm64');
  assert.match(out.text(), new RegExp(`^Digest: ${index.digest}$`, 'm'), 'the digest shown is the index digest');
  const entry = JSON.parse(indexText(m.paths)).manifests.find((d) => d.digest === arm64.digest);
  assert.equal(entry.annotations[REPO_DIGEST_ANNOTATION], `${registry.host}/${name}@${index.digest}`);
  assert.deepEqual(entry.platform, { os: 'linux', architecture: 'arm64' });
  assert.equal((await pullImage(m.paths, ref, { platform: 'linux/arm', output: () => {} })).manifestDigest, armv7.digest, 'arm without a variant takes v7');
  assert.equal((await pullImage(m.paths, ref, { platform: 'linux/aarch64/v8', output: () => {} })).manifestDigest, arm64.digest);

  const before = indexText(m.paths);
  const blobsBefore = verifiedBlobs(m.paths).sort();
  const res = await cli(m, ['pull', '--platform', 'linux/s390x', ref]);
  assert.equal(res.status, 1);
  assert.equal(res.stderr, `mydocker: no matching manifest for linux/s390x in the manifest list entries of ${ref}: available linux/amd64, linux/arm64, linux/arm/v7 (choose one with --platform)\n`);
  assert.equal(indexText(m.paths), before);
  assert.deepEqual(verifiedBlobs(m.paths).sort(), blobsBefore);

  // a single-platform image: --platform must match its config; without it, a warning as docker gives
  await pushManifest(registry.host, name, 'arm64-only', (await (await fetch(`http://${registry.host}/v2/${name}/manifests/${arm64.digest}`, { headers: { accept: arm64.mediaType } })).json()), arm64.mediaType);
  const single = `${registry.host}/${name}:arm64-only`;
  const mismatch = await cli(m, ['pull', '--platform', 'linux/amd64', single]);
  assert.equal(mismatch.status, 1);
  assert.equal(mismatch.stderr, `mydocker: image ${single} was found but its platform (linux/arm64) does not match the requested linux/amd64\n`);
  if (host !== 'linux/arm64') {
    const warned = await cli(m, ['pull', single]);
    assert.equal(warned.status, 0, warned.stderr);
    assert.match(warned.stdout, new RegExp(`^WARNING: The requested image's platform \\(linux/arm64\\) does not match the detected host platform \\(${host}\\) and no specific platform was requested$`, 'm'));
  }

  const bad = await cli(m, ['pull', '--platform', 'linux/', ref]);
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /^mydocker: --platform: "linux\/" is not os\/arch\[\/variant\]/);
});

test('a schema 1 manifest is refused with a clear message, nothing stored', async (t) => {
  const old = await startRegistry({ schema1: true });
  t.after(() => old.stop());
  const ref = await pushBusybox(old, 'legacy', 'v1', { format: 'v2s1' });
  const m = tempManager(t);
  const res = await cli(m, ['pull', ref]);
  assert.equal(res.status, 1);
  assert.equal(res.stderr, `mydocker: manifest for ${ref} is a Docker schema 1 manifest, which is not supported: re-push it with a current client (docker, skopeo, podman push write schema 2 or OCI)\n`);
  assert.deepEqual(verifiedBlobs(m.paths), []);
  assert.deepEqual(JSON.parse(indexText(m.paths)).manifests, []);
});

test('an unknown tag or repository is one line naming it, exit 1, nothing stored', async (t) => {
  await pushBusybox(registry, 'pull/known', 'latest');
  const m = tempManager(t);
  const tag = await cli(m, ['pull', `${registry.host}/pull/known:nope`]);
  assert.equal(tag.status, 1);
  assert.equal(tag.stderr, `mydocker: manifest unknown: manifest for ${registry.host}/pull/known:nope not found\n`);
  const repo = await cli(m, ['pull', `${registry.host}/pull/never-pushed`]);
  assert.equal(repo.status, 1);
  // distribution 2.8 answers MANIFEST_UNKNOWN for a repository it never saw too
  assert.equal(repo.stderr, `mydocker: manifest unknown: manifest for ${registry.host}/pull/never-pushed:latest not found\n`);
  assert.deepEqual(verifiedBlobs(m.paths), []);
  assert.deepEqual(JSON.parse(indexText(m.paths)).manifests, []);
});

test('malformed references are refused before anything is created', async (t) => {
  const m = tempManager(t);
  for (const bad of ['Busybox', 'busybox:', 'a//b', 'busybox@sha256:abc', 'busybox:tag!', '-x']) {
    const res = await cli(m, ['pull', '--', bad]);
    assert.equal(res.status, 125, bad);
    assert.equal(res.stderr.split('\n').length, 2, res.stderr);
    assert.ok(res.stderr.startsWith(`mydocker: invalid reference format "${bad}"`), res.stderr);
  }
  assert.equal(fs.existsSync(m.root), false);
});

test('plain HTTP only for loopback or registries marked insecure: 0.0.0.0 (not a loopback name) is refused until marked', async (t) => {
  const { transportPolicy } = load('manager/images/registry/transport');
  for (const host of ['127.0.0.1:5000', 'localhost:5000', 'localhost', '[::1]:5000', '127.1.2.3']) assert.equal(transportPolicy(host).httpFallback, true, host);
  for (const host of ['example.invalid:5000', 'registry.example', '10.0.0.1:5000', '0.0.0.0:5000', 'localhost.example']) assert.equal(transportPolicy(host).httpFallback, false, host);
  assert.equal(transportPolicy('example.invalid:5000', true).httpFallback, true);
  assert.deepEqual(transportPolicy('example.invalid:5000').schemes, ['https']);
  assert.deepEqual(transportPolicy('example.invalid:5000', true).schemes, ['https', 'http'], 'insecure: HTTPS first, as docker');
  assert.deepEqual(transportPolicy('127.0.0.1:5000').schemes, ['http', 'https'], 'loopback: HTTP first (no TLS set-up cost)');

  // 0.0.0.0 reaches this machine's 127.0.0.1 listener, but by its name it is not loopback
  await pushBusybox(registry, 'pull/policy', 'latest');
  const ref = `0.0.0.0:${registry.port}/pull/policy:latest`;
  const m = tempManager(t);
  const refused = await cli(m, ['pull', ref]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^mydocker: 0\.0\.0\.0:\d+ does not answer HTTPS \((?:EPROTO|ERR_SSL_WRONG_VERSION_NUMBER): wrong version number\): plain HTTP is used only for loopback registries and those marked insecure \(--insecure-registry 0\.0\.0\.0:\d+ or MYDOCKER_INSECURE_REGISTRIES=0\.0\.0\.0:\d+\)\n$/);
  assert.deepEqual(JSON.parse(indexText(m.paths)).manifests, []);
  const flagged = await cli(m, ['pull', '--insecure-registry', ref]);
  assert.equal(flagged.status, 0, flagged.stderr);
  const byEnv = await cli(m, ['pull', '-q', ref], { env: { MYDOCKER_INSECURE_REGISTRIES: `other:1,0.0.0.0:${registry.port}` } });
  assert.equal(byEnv.status, 0, byEnv.stderr);
  assert.equal(byEnv.stdout, `${ref}\n`);
});

test('on a terminal the layer lines are redrawn in place', async (t) => {
  const m = tempManager(t);
  const ref = await pushBusybox(registry, 'pull/tty', 'latest');
  const out = capture();
  await pullImage(m.paths, ref, { output: out.output, isTTY: true });
  const text = out.text();
  assert.match(text, /\x1b\[\d+A/, 'moves the cursor up to redraw');
  assert.match(text, /\x1b\[2K\r[0-9a-f]{12}: Pull complete\n/);
  assert.ok(text.endsWith(`Status: Downloaded newer image for ${ref}\n${ref}\n`), text);
});

test('a TLS registry: HTTPS with a CA from NODE_EXTRA_CA_CERTS, for a non-loopback name too; an untrusted certificate is one clear error', async (t) => {
  const m = tempManager(t);
  const certificate = path.join(m.dir, 'registry.crt');
  const key = path.join(m.dir, 'registry.key');
  fs.mkdirSync(m.dir, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificate, '-days', '2', '-subj', '/CN=mydocker-test-registry', '-addext', 'subjectAltName=IP:127.0.0.1,IP:0.0.0.0'], { stdio: 'ignore' });
  const tlsRegistry = await startRegistry({ tls: { certificate, key } });
  t.after(() => tlsRegistry.stop());
  await pushBusybox(tlsRegistry, 'tls/busybox', 'latest');
  const env = { NODE_EXTRA_CA_CERTS: certificate };

  const remote = await cli(m, ['pull', '-q', `0.0.0.0:${tlsRegistry.port}/tls/busybox`], { env });
  assert.equal(remote.status, 0, remote.stderr);
  assert.equal(remote.stdout, `0.0.0.0:${tlsRegistry.port}/tls/busybox:latest\n`);
  // loopback: plain HTTP first, the registry says it speaks HTTPS only, HTTPS next
  const local = await cli(m, ['pull', '-q', `${tlsRegistry.host}/tls/busybox`], { env });
  assert.equal(local.status, 0, local.stderr);
  verifiedBlobs(m.paths);

  const untrusted = await cli(m, ['pull', `0.0.0.0:${tlsRegistry.port}/tls/busybox:other`], { env: { NODE_EXTRA_CA_CERTS: '' } });
  assert.equal(untrusted.status, 1);
  assert.match(untrusted.stderr, /^mydocker: cannot reach registry 0\.0\.0\.0:\d+: its TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT: self[- ]signed certificate\): add its CA to NODE_EXTRA_CA_CERTS\n$/);
});

test('pull by digest: the name carries the digest; a digest the registry does not have is unknown', async (t) => {
  const ref = await pushBusybox(registry, 'pull/bydigest', 'latest');
  const digest = await registryDigest(registry.host, 'pull/bydigest', 'latest');
  const m = tempManager(t);
  const out = capture();
  const image = await pullImage(m.paths, `${registry.host}/pull/bydigest@${digest}`, { output: out.output });
  assert.equal(image.manifestDigest, digest);
  assert.deepEqual(image.names, [`${registry.host}/pull/bydigest@${digest}`]);
  assert.match(out.text(), new RegExp(`^${digest}: Pulling from pull/bydigest$`, 'm'));
  assert.ok(ref);
  const missing = `sha256:${'0'.repeat(64)}`;
  const res = await cli(m, ['pull', `${registry.host}/pull/bydigest@${missing}`]);
  assert.equal(res.status, 1);
  assert.equal(res.stderr, `mydocker: manifest unknown: manifest for ${registry.host}/pull/bydigest@${missing} not found\n`);
});

test('an image whose config fails our schema is refused with the JSON path, nothing stored', async (t) => {
  const name = 'pull/badconfig';
  const good = await pushPlatformImage(registry.host, name, 'linux/amd64');
  const manifest = await (await fetch(`http://${registry.host}/v2/${name}/manifests/${good.digest}`, { headers: { accept: good.mediaType } })).json();
  const config = { architecture: 'amd64', os: 'linux', config: { Env: ['NO_EQUALS_SIGN'] }, rootfs: { type: 'layers', diff_ids: [] } };
  const configDesc = await pushBlob(registry.host, name, Buffer.from(JSON.stringify(config)));
  await pushManifest(registry.host, name, 'bad', { ...manifest, config: { ...manifest.config, ...configDesc } }, good.mediaType);
  const m = tempManager(t);
  const res = await cli(m, ['pull', `${registry.host}/${name}:bad`]);
  assert.equal(res.status, 125);
  assert.equal(res.stderr, `mydocker: config of ${registry.host}/${name}:bad: /config/Env/0: must be KEY=value (pattern "^[^=]+=")\n`);
  assert.deepEqual(verifiedBlobs(m.paths), []);
  assert.deepEqual(JSON.parse(indexText(m.paths)).manifests, []);
});
