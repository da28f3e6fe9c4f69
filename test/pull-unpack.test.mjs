// Pulls that unpack each layer while it downloads (pullImage with unpack: true, as `mydocker pull`
// and `run` of a missing image do; layers/follow-unpack.ts), against a real docker-registry on
// 127.0.0.1 (behind a fault-injecting proxy where a test needs one): the layers are in the layer
// store when the pull returns; content that does not unpack or does not match its diffID leaves
// nothing in the layer store nor in the blob store; a download resumed with Range is still
// followed, one that restarts from byte 0 is unpacked from the stored blob afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { pushBusybox, startRegistry } from './clients/lib/registry.mjs';
import { load } from './lib/dist.mjs';
import { startFaultProxy } from './lib/registry-proxy.mjs';
import { cli, indexText, ingestLeftovers, isolateDockerConfig, pushBlob, pushManifest, sha256, tarGz, tempManager, verifiedBlobs } from './lib/pull-helpers.mjs';

isolateDockerConfig();
const { pullImage } = load('manager/images/pull');
const { imageLowerDirs } = load('manager/images/prepare');
const { chainIDs, listLayers } = load('manager/images/layers/store');
const { ImageStore } = load('manager/images/store');

let registry;
let busyboxLayer;

before(async () => {
  registry = await startRegistry();
  await pushBusybox(registry, 'follow/busybox', 'latest', { format: 'oci' });
  const res = await fetch(`http://${registry.host}/v2/follow/busybox/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  busyboxLayer = (await res.json()).layers[0];
  assert.ok(busyboxLayer.size > 300_000, `the busybox layer is big enough to cut (${busyboxLayer.size} bytes)`);
});
after(async () => {
  await registry?.stop();
});

const FAST_RETRY = { attempts: 4, baseDelayMs: 50, maxDelayMs: 200 };
const quiet = { output: () => {}, isTTY: false, retry: FAST_RETRY };

/** Everything in the layer store directory (layers and staging directories alike). */
function layerStoreEntries(paths) {
  return fs.existsSync(paths.layers) ? fs.readdirSync(paths.layers).sort() : [];
}

/** Pushes an OCI image of the given gzip layer blobs; diffIDs as the config should say them. */
async function pushImage(name, blobs, diffIDs) {
  const layers = [];
  for (const gz of blobs) layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...(await pushBlob(registry.host, name, gz)) });
  const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIDs } };
  const configDesc = await pushBlob(registry.host, name, Buffer.from(JSON.stringify(config)));
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc }, layers };
  await pushManifest(registry.host, name, 'latest', manifest, manifest.mediaType);
  return { ref: `${registry.host}/${name}:latest`, layers };
}

/** The store holds nothing of a failed pull: no blob, no layer, no staging directory, no partial file, no name. */
function assertNothingStored(m, indexBefore) {
  assert.deepEqual(verifiedBlobs(m.paths), [], 'no blob is stored (layer, config, manifest)');
  assert.deepEqual(layerStoreEntries(m.paths), [], 'nothing in the layer store, staging directories included');
  assert.deepEqual(ingestLeftovers(m.paths), [], 'no partial download is kept');
  assert.equal(indexText(m.paths), indexBefore);
}

test('the layers are unpacked by the time the pull returns: chain IDs, parents, content; the unpack afterwards finds them', async (t) => {
  const m = tempManager(t);
  const lower = tarGz({ 'etc/a': 'lower\n', 'etc/b': 'b\n' });
  const upper = tarGz({ 'etc/a': 'upper\n' });
  const { ref, layers } = await pushImage('follow/two', [lower.gz, upper.gz], [lower.diffId, upper.diffId]);
  const image = await pullImage(m.paths, ref, { ...quiet, unpack: true });

  const chains = chainIDs([lower.diffId, upper.diffId]);
  const byChain = new Map(listLayers(m.paths).map((l) => [l.chainID, l]));
  assert.deepEqual([...byChain.keys()].sort(), [...chains].sort());
  assert.deepEqual(layerStoreEntries(m.paths), chains.map((c) => c.slice(7)).sort(), 'no staging directory is left');
  assert.equal(byChain.get(chains[0]).parent, null);
  assert.equal(byChain.get(chains[1]).parent, chains[0]);
  assert.equal(byChain.get(chains[1]).diffID, upper.diffId);
  assert.equal(byChain.get(chains[1]).digest, layers[1].digest);
  assert.equal(byChain.get(chains[0]).entries, 2);

  const layerJson = path.join(m.paths.layers, chains[1].slice(7), 'layer.json');
  const written = fs.statSync(layerJson).mtimeMs;
  const dirs = await imageLowerDirs(m.paths, image);
  assert.deepEqual(dirs, chains.map((c) => path.join(m.paths.layers, c.slice(7), 'diff')));
  assert.equal(fs.readFileSync(path.join(dirs[0], 'etc/a'), 'utf8'), 'lower\n');
  assert.equal(fs.readFileSync(path.join(dirs[1], 'etc/a'), 'utf8'), 'upper\n');
  assert.equal(fs.statSync(layerJson).mtimeMs, written, 'not unpacked a second time');
  assert.ok(verifiedBlobs(m.paths).includes(layers[0].digest));
  assert.deepEqual(ingestLeftovers(m.paths), []);
});

test('a layer whose content is not its diffID: the pull fails naming it, nothing stored (not the blob either)', async (t) => {
  const m = tempManager(t);
  const layer = tarGz({ 'etc/motd': 'hello\n' });
  const wrong = sha256(Buffer.from('something else'));
  const { ref, layers } = await pushImage('follow/wrong-diffid', [layer.gz], [wrong]);
  new ImageStore(m.paths);
  const before = indexText(m.paths);
  await assert.rejects(pullImage(m.paths, ref, { ...quiet, unpack: true }), (err) => {
    assert.equal(err.message, `layer ${layers[0].digest}: uncompressed content is ${layer.diffId}, but the image config says diffID ${wrong}`);
    return true;
  });
  assertNothingStored(m, before);
});

test('a layer that is not a valid gzip tar (its digest right) and one with an entry escaping the layer: refused through the CLI, nothing stored', async (t) => {
  const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(4000, 0x55)]);
  const bad = await pushImage('follow/garbage', [garbage], [sha256(Buffer.from('x'))]);
  const escaping = tarGz({ '../evil': 'out\n' });
  const esc = await pushImage('follow/escape', [escaping.gz], [escaping.diffId]);
  for (const [image, message] of [
    [bad, /^mydocker: layer sha256:[0-9a-f]{64}: not a valid gzip tar stream: /],
    [esc, /^mydocker: layer sha256:[0-9a-f]{64}: entry "\.\.\/evil": name "\.\.\/evil" contains "\.\."\n$/],
  ]) {
    const m = tempManager(t);
    new ImageStore(m.paths);
    const before = indexText(m.paths);
    const res = await cli(m, ['pull', image.ref]);
    assert.equal(res.status, 125, res.stderr);
    assert.match(res.stderr, message);
    assertNothingStored(m, before);
    assert.equal(fs.existsSync(path.join(m.paths.layers, 'evil')), false);
  }
});

test('a blob that does not match its digest while it is being unpacked: the digest error, nothing stored', async (t) => {
  const proxy = await startFaultProxy(registry.host, (req) => (req.url.endsWith(busyboxLayer.digest) ? { corrupt: true } : undefined));
  t.after(() => proxy.stop());
  const m = tempManager(t);
  new ImageStore(m.paths);
  const before = indexText(m.paths);
  await assert.rejects(pullImage(m.paths, `${proxy.host}/follow/busybox:latest`, { ...quiet, unpack: true }), /digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$/);
  assertNothingStored(m, before);
});

test('a download resumed with Range is followed to the end; one that restarts from byte 0 is unpacked from the stored blob', async (t) => {
  const proxy = await startFaultProxy(registry.host, (req, seen) => (req.url.endsWith(busyboxLayer.digest) && seen === 0 ? { cutAfter: 200_000 } : undefined));
  t.after(() => proxy.stop());
  const m = tempManager(t);
  const ref = `${proxy.host}/follow/busybox:latest`;
  const image = await pullImage(m.paths, ref, { ...quiet, unpack: true });
  const gets = proxy.requests.filter((r) => r.method === 'GET' && r.url.endsWith(`/blobs/${busyboxLayer.digest}`));
  assert.equal(gets.length, 2);
  assert.equal(gets[1].status, 206, 'the second request resumed');
  const [layer] = listLayers(m.paths);
  assert.equal(layer?.digest, busyboxLayer.digest, 'unpacked during the pull, across the resume');
  assert.equal(layer.diffID, image.config.rootfs.diff_ids[0]);
  assert.deepEqual(layerStoreEntries(m.paths), [layer.chainID.slice(7)]);

  // garbage where the first bytes should be: read by the unpack, then void when the download
  // restarts. The layer is held back until the config is in, so that the unpack follows the
  // download from its first byte (chosen later, it would follow only the new download).
  let configSent;
  const configIn = new Promise((resolve) => (configSent = resolve));
  const ordered = await startFaultProxy(registry.host, (req) => {
    if (req.url.endsWith(`/blobs/${image.configDigest}`)) return { onDone: configSent };
    if (req.url.endsWith(`/blobs/${busyboxLayer.digest}`)) return { holdUntil: configIn };
    return undefined;
  });
  t.after(() => ordered.stop());
  const n = tempManager(t);
  fs.mkdirSync(path.dirname(new ImageStore(n.paths).ingestPath(busyboxLayer.digest)), { recursive: true });
  fs.writeFileSync(new ImageStore(n.paths).ingestPath(busyboxLayer.digest), zlib.gzipSync(Buffer.alloc(1000, 7)).subarray(0, 1000));
  const again = await pullImage(n.paths, `${ordered.host}/follow/busybox:latest`, { ...quiet, unpack: true });
  assert.deepEqual(layerStoreEntries(n.paths), [], 'the dropped unpack left nothing');
  const dirs = await imageLowerDirs(n.paths, again);
  assert.equal(dirs.length, 1);
  assert.equal(listLayers(n.paths)[0].diffID, again.config.rootfs.diff_ids[0]);
  assert.ok(fs.existsSync(path.join(dirs[0], 'bin')));
});
