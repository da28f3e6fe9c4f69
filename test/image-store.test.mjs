// The image reference parser and the OCI layout image store (manager/images/store.ts): real
// umoci and skopeo must read what we write.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { busyboxLayout } from './clients/lib/registry.mjs';

const { parseReference, canonicalName, familiarName } = load('manager/images/reference');
const { ImageStore, DigestMismatchError, sha256Digest } = load('manager/images/store');
const { managerPaths } = load('manager/paths');

test('references are normalized as docker does', () => {
  const cases = {
    busybox: 'docker.io/library/busybox:latest',
    'busybox:1.36': 'docker.io/library/busybox:1.36',
    'user/app': 'docker.io/user/app:latest',
    'localhost/app:v1': 'localhost/app:v1',
    '127.0.0.1:5000/a/b:c': '127.0.0.1:5000/a/b:c',
    'registry.example:443/x': 'registry.example:443/x:latest',
    'index.docker.io/library/debian': 'docker.io/library/debian:latest',
    [`busybox@sha256:${'a'.repeat(64)}`]: `docker.io/library/busybox@sha256:${'a'.repeat(64)}`,
    [`h:1/x:t@sha256:${'b'.repeat(64)}`]: `h:1/x:t@sha256:${'b'.repeat(64)}`,
  };
  for (const [text, want] of Object.entries(cases)) assert.equal(canonicalName(parseReference(text)), want, text);
  assert.equal(familiarName(parseReference('docker.io/library/busybox')), 'busybox:latest');
  assert.equal(familiarName(parseReference('127.0.0.1:5000/a')), '127.0.0.1:5000/a:latest');
});

test('malformed references are refused with a message naming the reference', () => {
  for (const bad of ['', 'Busybox', 'busybox:', 'a//b', 'busybox@sha256:abc', 'a b', 'busybox:tag!', '-x', 'x/-y']) {
    assert.throws(() => parseReference(bad), (err) => err.message.startsWith(`invalid reference format "${bad}"`) && !err.message.includes('\n'), bad);
  }
});

function tempPaths() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-store-'));
  return { root, paths: managerPaths(path.join(root, 'lib'), path.join(root, 'run')) };
}

/** Copies the busybox image from a umoci-made layout into the store through its API. */
async function importBusybox(store, name) {
  const layout = await busyboxLayout();
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const manifestDesc = index.manifests[0];
  const blob = (d) => fs.readFileSync(path.join(layout, 'blobs', 'sha256', d.slice(7)));
  const manifest = JSON.parse(blob(manifestDesc.digest));
  for (const d of [manifest.config, ...manifest.layers]) {
    const partial = store.ingestPath(d.digest);
    fs.writeFileSync(partial, blob(d.digest));
    await store.commitIngest(d.digest, partial);
  }
  store.writeBlob(blob(manifestDesc.digest), manifestDesc.digest);
  store.setRef(name, { mediaType: manifestDesc.mediaType, digest: manifestDesc.digest, size: manifestDesc.size });
  return manifest;
}

test('umoci and skopeo read the store; names and id prefixes resolve; gc keeps what is named', async (t) => {
  const { root, paths } = tempPaths();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new ImageStore(paths);
  const manifest = await importBusybox(store, 'docker.io/library/busybox:latest');
  store.setRef('docker.io/library/busybox:other', store.readIndex().manifests[0]);

  const ls = execFileSync('umoci', ['ls', '--layout', paths.images], { encoding: 'utf8' }).trim().split('\n').sort();
  assert.deepEqual(ls, ['docker.io/library/busybox:latest', 'docker.io/library/busybox:other']);
  const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${paths.images}:docker.io/library/busybox:latest`], { encoding: 'utf8' }));
  assert.deepEqual(inspected.Layers, manifest.layers.map((l) => l.digest));

  const byName = store.resolve('busybox');
  assert.equal(byName.configDigest, manifest.config.digest);
  assert.deepEqual(byName.names.sort(), ['docker.io/library/busybox:latest', 'docker.io/library/busybox:other']);
  assert.equal(store.resolve(manifest.config.digest.slice(7, 19)).configDigest, manifest.config.digest);
  assert.equal(store.resolve(manifest.config.digest).configDigest, manifest.config.digest);
  assert.throws(() => store.resolve('nothere'), /^Error: No such image: nothere$|No such image: nothere/);

  // an unreferenced blob goes, named ones stay while one name is left
  const stray = store.writeBlob('stray');
  assert.deepEqual(store.collectGarbage(), [stray.digest]);
  assert.equal(store.removeRef('docker.io/library/busybox:other'), true);
  assert.deepEqual(store.collectGarbage(), []);
  assert.equal(store.removeRef('docker.io/library/busybox:latest'), true);
  assert.equal(store.collectGarbage().length, 2 + manifest.layers.length);
  assert.deepEqual(fs.readdirSync(path.join(paths.images, 'blobs', 'sha256')), []);
});

test('a blob whose content does not match its digest is never stored', async (t) => {
  const { root, paths } = tempPaths();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new ImageStore(paths);
  const claimed = sha256Digest('the real content');
  const partial = store.ingestPath(claimed);
  fs.writeFileSync(partial, 'something else');
  await assert.rejects(store.commitIngest(claimed, partial), (err) => err instanceof DigestMismatchError && /digest mismatch/.test(err.message));
  assert.equal(fs.existsSync(partial), false);
  assert.equal(store.hasBlob(claimed), false);
  assert.throws(() => store.writeBlob('x', claimed), DigestMismatchError);
});

test('concurrent index updates from many processes lose no name', async (t) => {
  const { root, paths } = tempPaths();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  new ImageStore(paths);
  const dist = path.resolve('dist/lib/manager');
  const script = `
    const { ImageStore } = require(${JSON.stringify(path.join(dist, 'images/store.js'))});
    const { managerPaths } = require(${JSON.stringify(path.join(dist, 'paths.js'))});
    const store = new ImageStore(managerPaths(process.argv[1], process.argv[2]));
    const d = store.writeBlob('{}');
    for (let i = 0; i < 20; i++) store.setRef('x/p' + process.argv[3] + ':t' + i, { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...d });
  `;
  const { spawn } = await import('node:child_process');
  await Promise.all(
    [0, 1, 2, 3].map(
      (n) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, ['-e', script, paths.root, paths.runRoot, String(n)], { stdio: 'inherit' });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${n} exited ${code}`))));
        }),
    ),
  );
  assert.equal(new ImageStore(paths).readIndex().manifests.length, 80);
});
