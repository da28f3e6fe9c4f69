// Our image manifest, index and config schemas (schemas/manager/) against the upstream OCI
// image-spec schemas Debian ships: the same verdict on valid documents (real ones pulled from
// umoci and skopeo output) and on broken ones, except the documented differences below.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { busyboxLayout } from './clients/lib/registry.mjs';
import { load } from './lib/dist.mjs';
import { upstreamImageVerdict } from './lib/upstream-image-schemas.mjs';

const { validateManagerDocument } = load('schemas/validate-manager');

function ours(name, doc) {
  try {
    validateManagerDocument(name, doc, 'doc');
    return true;
  } catch (err) {
    if (err.name !== 'SchemaError') throw err;
    return false;
  }
}

const UPSTREAM_FILE = { imageManifest: 'image-manifest-schema.json', imageIndex: 'image-index-schema.json', imageConfig: 'config-schema.json' };
const clone = (x) => JSON.parse(JSON.stringify(x));

async function realDocuments() {
  const layout = await busyboxLayout();
  const blob = (d) => JSON.parse(fs.readFileSync(path.join(layout, 'blobs', 'sha256', d.slice(7)), 'utf8'));
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const manifest = blob(index.manifests[0].digest);
  const config = blob(manifest.config.digest);
  const platformIndex = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { ...index.manifests[0], platform: { architecture: 'amd64', os: 'linux' } },
      { ...index.manifests[0], platform: { architecture: 'arm', os: 'linux', variant: 'v7', 'os.features': [] } },
    ],
  };
  return { manifest, config, index, platformIndex };
}

test('our schemas and upstream agree on real and broken manifests, indexes and configs', async () => {
  const { manifest, config, index, platformIndex } = await realDocuments();
  const cases = [
    ['imageManifest', 'umoci manifest', manifest, true],
    ['imageManifest', 'docker v2s2 mediaType', { ...manifest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }, true],
    ['imageManifest', 'schemaVersion 1', { ...manifest, schemaVersion: 1 }, false],
    ['imageManifest', 'no config', (({ config: _c, ...m }) => m)(manifest), false],
    ['imageManifest', 'layers not an array', { ...manifest, layers: {} }, false],
    ['imageManifest', 'digest without algorithm', { ...manifest, config: { ...manifest.config, digest: 'abc' } }, false],
    ['imageManifest', 'size a string', { ...manifest, config: { ...manifest.config, size: '12' } }, false],
    ['imageManifest', 'mediaType not type/subtype', { ...manifest, layers: [{ ...manifest.layers[0], mediaType: 'tar' }] }, false],
    ['imageManifest', 'annotation value a number', { ...manifest, annotations: { a: 1 } }, false],
    ['imageIndex', 'umoci index.json', index, true],
    ['imageIndex', 'index with platforms', platformIndex, true],
    ['imageIndex', 'platform without os', (() => { const i = clone(platformIndex); delete i.manifests[0].platform.os; return i; })(), false],
    ['imageIndex', 'manifests missing', { schemaVersion: 2 }, false],
    ['imageIndex', 'schemaVersion 3', { ...index, schemaVersion: 3 }, false],
    ['imageConfig', 'umoci config', config, true],
    ['imageConfig', 'null Cmd and Entrypoint (docker build)', { ...config, config: { ...config.config, Cmd: null, Entrypoint: null } }, true],
    ['imageConfig', 'no rootfs', (({ rootfs: _r, ...c }) => c)(config), false],
    ['imageConfig', 'rootfs.type not layers', { ...config, rootfs: { ...config.rootfs, type: 'tar' } }, false],
    ['imageConfig', 'architecture missing', (({ architecture: _a, ...c }) => c)(config), false],
    ['imageConfig', 'Cmd a string', { ...config, config: { ...config.config, Cmd: 'sh' } }, false],
    ['imageConfig', 'history entry not an object', { ...config, history: ['x'] }, false],
  ];
  for (const [schema, what, doc, valid] of cases) {
    assert.equal(ours(schema, doc), valid, `ours: ${schema} ${what}`);
    assert.equal(upstreamImageVerdict(UPSTREAM_FILE[schema], doc), valid, `upstream: ${schema} ${what}`);
  }
});

test('where we differ from upstream on purpose', async () => {
  const { manifest, config } = await realDocuments();
  // image-spec 1.1 (final) allows a manifest without layers (artifacts); the 1.1.0-rc2 schema does not
  const empty = { ...manifest, layers: [] };
  assert.equal(ours('imageManifest', empty), true);
  assert.equal(upstreamImageVerdict('image-manifest-schema.json', empty), false);
  // config.md: Env entries are VARNAME=VARVALUE, ExposedPorts keys port/tcp|udp; upstream checks neither
  for (const bad of [{ Env: ['NO_EQUALS'] }, { ExposedPorts: { http: {} } }]) {
    const doc = { ...config, config: { ...config.config, ...bad } };
    assert.equal(ours('imageConfig', doc), false, JSON.stringify(bad));
    assert.equal(upstreamImageVerdict('config-schema.json', doc), true, JSON.stringify(bad));
  }
  // Docker's image configs carry Env: null or Volumes: null; docker accepts them and so do we
  const docker = { ...config, config: { ...config.config, Env: null, Volumes: null, Labels: null } };
  assert.equal(ours('imageConfig', docker), true);
  assert.equal(upstreamImageVerdict('config-schema.json', docker), false);
});
