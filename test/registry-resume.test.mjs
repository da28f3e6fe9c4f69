// Downloads that go wrong, against a real docker-registry behind a fault-injecting proxy: a
// connection dropped mid-blob is resumed with a Range request (in the same pull after a
// backoff, and in a later pull from the partial file), a blob whose bytes do not match its
// digest is refused with nothing stored, two pulls of one image in two processes at once
// both succeed with the blob downloaded once, and the config is fetched alongside the layers (a
// config that fails then leaves no layer blob behind).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { pushBusybox, startRegistry } from './clients/lib/registry.mjs';
import { load } from './lib/dist.mjs';
import { startFaultProxy } from './lib/registry-proxy.mjs';
import { cli, isolateDockerConfig, indexText, ingestLeftovers, pushBlob, pushManifest, tempManager, verifiedBlobs } from './lib/pull-helpers.mjs';

isolateDockerConfig();
const { pullImage } = load('manager/images/pull');
const { ImageStore } = load('manager/images/store');

let registry;
let layer;

before(async () => {
  registry = await startRegistry();
  await pushBusybox(registry, 'resume/busybox', 'latest', { format: 'oci' });
  const res = await fetch(`http://${registry.host}/v2/resume/busybox/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  layer = (await res.json()).layers[0];
  assert.ok(layer.size > 300_000, `the busybox layer is big enough to cut (${layer.size} bytes)`);
});
after(async () => {
  await registry?.stop();
});

const FAST_RETRY = { attempts: 4, baseDelayMs: 50, maxDelayMs: 200 };
const blobGets = (proxy) => proxy.requests.filter((r) => r.method === 'GET' && r.url.endsWith(`/blobs/${layer.digest}`));

test('a connection dropped mid-blob is resumed with Range in the same pull', async (t) => {
  const proxy = await startFaultProxy(registry.host, (req, seen) => (req.url.endsWith(layer.digest) && seen === 0 ? { cutAfter: 200_000 } : undefined));
  t.after(() => proxy.stop());
  const m = tempManager(t);
  let text = '';
  const image = await pullImage(m.paths, `${proxy.host}/resume/busybox`, { output: (s) => (text += s), isTTY: false, retry: FAST_RETRY });
  const gets = blobGets(proxy);
  assert.equal(gets.length, 2, JSON.stringify(proxy.requests));
  assert.equal(gets[0].cut, true);
  assert.equal(gets[0].range, undefined);
  const from = Number(/^bytes=(\d+)-$/.exec(gets[1].range)?.[1]);
  assert.ok(from > 0 && from <= 200_000, `resumed from byte ${gets[1].range}`);
  assert.equal(gets[1].status, 206);
  assert.match(text, /: Retrying in 0\.1s \(attempt 2\): layer sha256:[0-9a-f]{64} of .*: download interrupted at byte \d+ of \d+/);
  assert.match(text, /: Resuming download at \d+%/);
  assert.ok(verifiedBlobs(m.paths).includes(layer.digest));
  assert.deepEqual(image.manifest.layers.map((l) => l.digest), [layer.digest]);
  assert.deepEqual(ingestLeftovers(m.paths), []);
});

test('a pull that gives up keeps the partial download; the next pull resumes it', async (t) => {
  const proxy = await startFaultProxy(registry.host, (req, seen) => (req.url.endsWith(layer.digest) && seen === 0 ? { cutAfter: 300_000 } : undefined));
  t.after(() => proxy.stop());
  const m = tempManager(t);
  const ref = `${proxy.host}/resume/busybox:latest`;
  await assert.rejects(pullImage(m.paths, ref, { output: () => {}, retry: { ...FAST_RETRY, attempts: 1 } }), (err) => {
    assert.match(err.message, /^layer sha256:[0-9a-f]{64} of 127\.0\.0\.1:\d+\/resume\/busybox:latest: download interrupted at byte \d+ of \d+: /);
    assert.equal(err.exitCode, 1);
    return true;
  });
  const store = new ImageStore(m.paths);
  const partial = fs.statSync(store.ingestPath(layer.digest)).size;
  assert.ok(partial > 0 && partial <= 300_000, `partial file of ${partial} bytes`);
  assert.deepEqual(ingestLeftovers(m.paths), [`${layer.digest.slice(7)}.partial`], 'the lock file is gone');
  assert.deepEqual(JSON.parse(indexText(m.paths)).manifests, []);
  assert.equal(store.hasBlob(layer.digest), false);

  await pullImage(m.paths, ref, { output: () => {}, retry: FAST_RETRY });
  const gets = blobGets(proxy);
  assert.equal(gets.length, 2);
  assert.equal(gets[1].range, `bytes=${partial}-`);
  assert.ok(verifiedBlobs(m.paths).includes(layer.digest));
  assert.deepEqual(ingestLeftovers(m.paths), []);
});

test('a resumed download that does not verify is fetched again from byte 0', async (t) => {
  const proxy = await startFaultProxy(registry.host);
  t.after(() => proxy.stop());
  const m = tempManager(t);
  const store = new ImageStore(m.paths);
  fs.writeFileSync(store.ingestPath(layer.digest), Buffer.alloc(1000, 7)); // garbage where the first 1000 bytes should be
  await pullImage(m.paths, `${proxy.host}/resume/busybox:latest`, { output: () => {}, retry: FAST_RETRY });
  assert.deepEqual(blobGets(proxy).map((r) => r.range), ['bytes=1000-', undefined]);
  assert.ok(verifiedBlobs(m.paths).includes(layer.digest));
});

test('a blob whose bytes do not match its digest is refused: nothing stored, no partial file, index.json unchanged', async (t) => {
  const proxy = await startFaultProxy(registry.host, (req) => (req.url.endsWith(layer.digest) ? { corrupt: true } : undefined));
  t.after(() => proxy.stop());
  const m = tempManager(t);
  new ImageStore(m.paths);
  const before = indexText(m.paths);
  const res = await cli(m, ['pull', `${proxy.host}/resume/busybox:latest`]);
  assert.equal(res.status, 125);
  assert.match(res.stderr, /^mydocker: layer sha256:([0-9a-f]{64}) of 127\.0\.0\.1:\d+\/resume\/busybox:latest: digest mismatch: expected sha256:\1, got sha256:[0-9a-f]{64}\n$/);
  assert.equal(blobGets(proxy).length, 1, 'a complete blob with a wrong digest is not retried');
  assert.equal(blobGets(proxy)[0].corrupted, true);
  assert.deepEqual(verifiedBlobs(m.paths), [], 'neither the layer nor the config nor the manifest is stored');
  assert.deepEqual(ingestLeftovers(m.paths), []);
  assert.equal(indexText(m.paths), before);
});

test('two pulls of the same image in two processes at once: both succeed, the layer is downloaded once', async (t) => {
  // the layer answer is held back so that the second pull finds the first one downloading it
  const proxy = await startFaultProxy(registry.host, (req) => (req.url.endsWith(layer.digest) ? { delayMs: 1500 } : undefined));
  t.after(() => proxy.stop());
  const m = tempManager(t);
  const ref = `${proxy.host}/resume/busybox:latest`;
  const [a, b] = await Promise.all([cli(m, ['pull', ref]), cli(m, ['pull', ref])]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(blobGets(proxy).length, 1, JSON.stringify(proxy.requests));
  const outputs = [a.stdout, b.stdout];
  assert.equal(outputs.filter((o) => /: Pull complete$/m.test(o)).length, 1, outputs.join('\n'));
  assert.equal(outputs.filter((o) => /: Already exists$/m.test(o)).length, 1, outputs.join('\n'));
  assert.ok(verifiedBlobs(m.paths).includes(layer.digest));
  assert.deepEqual(JSON.parse(indexText(m.paths)).manifests.map((d) => d.annotations['org.opencontainers.image.ref.name']), [ref]);
  assert.deepEqual(ingestLeftovers(m.paths), []);
});

test('5xx answers are retried with backoff; a registry that keeps failing is one clear error', async (t) => {
  const flaky = await startFaultProxy(registry.host, (req, seen) => (req.url.includes('/manifests/') && seen < 2 ? { status: 503 } : req.url.endsWith(layer.digest) && seen === 0 ? { status: 502 } : undefined));
  t.after(() => flaky.stop());
  const m = tempManager(t);
  await pullImage(m.paths, `${flaky.host}/resume/busybox:latest`, { output: () => {}, retry: FAST_RETRY });
  assert.deepEqual(flaky.requests.filter((r) => r.url.includes('/manifests/')).map((r) => r.status), [503, 503, 200]);
  assert.deepEqual(blobGets(flaky).map((r) => r.status), [502, 200]);
  assert.ok(verifiedBlobs(m.paths).includes(layer.digest));

  const down = await startFaultProxy(registry.host, (req) => (req.url.includes('/manifests/') ? { status: 503 } : undefined));
  t.after(() => down.stop());
  const m2 = tempManager(t);
  await assert.rejects(pullImage(m2.paths, `${down.host}/resume/busybox:latest`, { output: () => {}, retry: FAST_RETRY }), {
    message: `manifest for ${down.host}/resume/busybox:latest: unavailable (injected by the test proxy)`,
  });
  assert.equal(down.requests.filter((r) => r.url.includes('/manifests/')).length, FAST_RETRY.attempts);
});

test('ensureImage (for run): the local image without a request, else a pull after docker\'s notice; never/always', async (t) => {
  const proxy = await startFaultProxy(registry.host);
  t.after(() => proxy.stop());
  const { ensureImage } = load('manager/images/pull');
  const m = tempManager(t);
  const ref = `${proxy.host}/resume/busybox:latest`;
  await assert.rejects(ensureImage(m.paths, ref, { pull: 'never', output: () => {} }), { message: `No such image: ${ref}` });
  assert.equal(proxy.requests.length, 0);
  let text = '';
  const pulled = await ensureImage(m.paths, ref, { output: (s) => (text += s) });
  assert.ok(text.startsWith(`Unable to find image '${ref}' locally\nlatest: Pulling from resume/busybox\n`), text);
  const requests = proxy.requests.length;
  const local = await ensureImage(m.paths, ref, { output: () => assert.fail('no output for a local image') });
  assert.equal(local.manifestDigest, pulled.manifestDigest);
  assert.equal((await ensureImage(m.paths, pulled.configDigest.slice(7, 19), { output: () => {} })).manifestDigest, pulled.manifestDigest, 'by id prefix');
  assert.equal(proxy.requests.length, requests, 'a local image needs no request');
  await ensureImage(m.paths, ref, { pull: 'always', output: () => {} });
  assert.ok(proxy.requests.length > requests);
});

/**
 * A proxy that answers the config blob only after the layer blob was sent whole (or after
 * `patienceMs`: a client that waits for the config before asking for layers would wait forever).
 */
async function configAfterLayer(t, configDigest, patienceMs = 10_000) {
  let layerSent;
  const sent = new Promise((resolve) => (layerSent = resolve));
  let gaveUp = false;
  const patience = new Promise((resolve) => setTimeout(resolve, patienceMs).unref()).then(() => (gaveUp = true));
  const proxy = await startFaultProxy(registry.host, (req) => {
    if (req.method !== 'GET') return undefined;
    if (req.url.endsWith(`/blobs/${layer.digest}`)) return { onDone: layerSent };
    if (req.url.endsWith(`/blobs/${configDigest}`)) return { holdUntil: Promise.race([sent, patience]) };
    return undefined;
  });
  t.after(() => proxy.stop());
  return { proxy, gaveUp: () => gaveUp };
}

async function manifestOf(name, tag) {
  const res = await fetch(`http://${registry.host}/v2/${name}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  return res.json();
}

test('the config and the layers are fetched at the same time: a layer arrives while the config is held back', async (t) => {
  const manifest = await manifestOf('resume/busybox', 'latest');
  const { proxy, gaveUp } = await configAfterLayer(t, manifest.config.digest);
  const m = tempManager(t);
  const image = await pullImage(m.paths, `${proxy.host}/resume/busybox`, { quiet: true, output: () => {}, unpack: true });
  assert.equal(gaveUp(), false, 'the layer was asked for before the config was answered');
  assert.equal(image.configDigest, manifest.config.digest);
  assert.deepEqual(verifiedBlobs(m.paths).sort(), [image.manifestDigest, manifest.config.digest, layer.digest].sort());
  assert.equal(fs.readdirSync(m.paths.layers).filter((n) => !n.startsWith('.')).length, 1, 'the layer was unpacked while it downloaded');
});

test('a config that fails after its layer arrived whole: the pull fails, the layer blob is not stored, nothing unpacked', async (t) => {
  const name = 'resume/badconfig';
  const manifest = await manifestOf('resume/busybox', 'latest');
  // the same layer, mounted into this repository, under a config our schema refuses
  const mount = await fetch(`http://${registry.host}/v2/${name}/blobs/uploads/?mount=${layer.digest}&from=resume/busybox`, { method: 'POST' });
  assert.equal(mount.status, 201);
  const config = { architecture: 'amd64', os: 'linux', config: { Env: ['NO_EQUALS_SIGN'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] } };
  const configDesc = await pushBlob(registry.host, name, Buffer.from(JSON.stringify(config)));
  await pushManifest(registry.host, name, 'bad', { ...manifest, config: { ...manifest.config, ...configDesc } }, 'application/vnd.oci.image.manifest.v1+json');
  const { proxy, gaveUp } = await configAfterLayer(t, configDesc.digest);
  const m = tempManager(t);
  const res = await cli(m, ['pull', '-q', `${proxy.host}/${name}:bad`]);
  assert.equal(gaveUp(), false);
  assert.equal(res.status, 125, res.stderr);
  assert.match(res.stderr, /^mydocker: config of .*: \/config\/Env\/0: must be KEY=value/);
  assert.deepEqual(verifiedBlobs(m.paths), []);
  assert.deepEqual(ingestLeftovers(m.paths).filter((n) => !n.endsWith('.lock')), [], 'no partial file kept: the blob was whole, the image is refused');
  assert.deepEqual(fs.existsSync(m.paths.layers) ? fs.readdirSync(m.paths.layers) : [], []);
  assert.deepEqual(JSON.parse(indexText(m.paths)).manifests, []);
});

test('the manifest is asked for beside the /v2/ ping, not after it; its answer is used once the ping agrees', async (t) => {
  let manifestAsked;
  const asked = new Promise((resolve) => (manifestAsked = resolve));
  let gaveUp = false;
  const patience = new Promise((resolve) => setTimeout(resolve, 10_000).unref()).then(() => (gaveUp = true));
  const proxy = await startFaultProxy(registry.host, (req) => {
    if (req.url === '/v2/') return { holdUntil: Promise.race([asked, patience]) };
    if (req.url.includes('/manifests/')) manifestAsked();
    return undefined;
  });
  t.after(() => proxy.stop());
  const m = tempManager(t);
  const image = await pullImage(m.paths, `${proxy.host}/resume/busybox`, { quiet: true, output: () => {} });
  assert.equal(gaveUp, false, 'the manifest request did not wait for the ping');
  assert.equal(image.manifest.layers[0].digest, layer.digest);
  const manifestGets = proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('/manifests/'));
  assert.equal(manifestGets.length, 1, 'the early answer was used, not asked again');
});
