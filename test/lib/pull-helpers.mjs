// Helpers for the pull tests: a manager root per test, the mydocker CLI, raw registry pushes
// (blobs, manifests, indexes through the registry API), small layers, and store checks.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { load } from './dist.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MYDOCKER = path.join(repo, 'dist', 'mydocker');
const { managerPaths } = load('manager/paths');

export const sha256 = (data) => `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;

/**
 * Points DOCKER_CONFIG of this test process at an empty temporary directory (removed at exit),
 * so that in-process pulls never read the real ~/.docker.
 */
export function isolateDockerConfig() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-docker-config-'));
  process.env.DOCKER_CONFIG = dir;
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A manager root (and run root) under /var/tmp, removed after the test; a DOCKER_CONFIG dir too. */
export function tempManager(t) {
  const dir = fs.mkdtempSync(path.join('/var/tmp', 'mydocker-pull-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'lib');
  const runRoot = path.join(dir, 'run');
  const dockerConfig = path.join(dir, 'docker-config');
  return { dir, root, runRoot, dockerConfig, paths: managerPaths(root, runRoot) };
}

/** Runs dist/mydocker with the manager's root dirs; resolves { status, stdout, stderr }. */
export function cli(m, args, { input, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(MYDOCKER, ['--root', m.root, '--run-root', m.runRoot, ...args], {
      env: { ...process.env, DOCKER_CONFIG: m.dockerConfig, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Every blob file in the store hashes to its name; returns their digests. */
export function verifiedBlobs(paths) {
  const dir = path.join(paths.images, 'blobs', 'sha256');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((hex) => {
    const digest = sha256(fs.readFileSync(path.join(dir, hex)));
    if (digest !== `sha256:${hex}`) throw new Error(`blob ${hex} in the store hashes to ${digest}`);
    return digest;
  });
}

export function indexText(paths) {
  const file = path.join(paths.images, 'index.json');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** Files left in <root>/tmp/ingest (partial downloads, locks). */
export function ingestLeftovers(paths) {
  const dir = path.join(paths.tmp, 'ingest');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** Uploads a blob with the registry API (monolithic POST + PUT). */
export async function pushBlob(host, name, data) {
  const digest = sha256(data);
  const post = await fetch(`http://${host}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  await post.arrayBuffer();
  if (post.status !== 202) throw new Error(`upload start: ${post.status}`);
  const location = new URL(post.headers.get('location'), `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  const text = await put.text();
  if (put.status !== 201) throw new Error(`upload ${digest}: ${put.status} ${text}`);
  return { digest, size: data.length };
}

/** PUTs a manifest or index document; returns its descriptor. */
export async function pushManifest(host, name, reference, doc, mediaType) {
  const bytes = Buffer.from(JSON.stringify(doc));
  const res = await fetch(`http://${host}/v2/${name}/manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`manifest ${name}:${reference}: ${res.status} ${text}`);
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/** A gzipped tar holding regular files { 'path': 'content' } (ustar headers written here). */
export function tarGz(files) {
  const blocks = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  const tar = Buffer.concat([...blocks, Buffer.alloc(1024)]);
  return { gz: zlib.gzipSync(tar), diffId: sha256(tar) };
}

/** Pushes a one-layer OCI image for `platform` (its layer holds /platform); returns its manifest descriptor. */
export async function pushPlatformImage(host, name, platform) {
  const [os_, architecture, variant] = platform.split('/');
  const layer = tarGz({ platform: `${platform}\n` });
  const layerDesc = await pushBlob(host, name, layer.gz);
  const config = { architecture, os: os_, ...(variant ? { variant } : {}), config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [layer.diffId] } };
  const configDesc = await pushBlob(host, name, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerDesc }],
  };
  const desc = await pushManifest(host, name, sha256(Buffer.from(JSON.stringify(manifest))), manifest, manifest.mediaType);
  return { ...desc, platform: { os: os_, architecture, ...(variant ? { variant } : {}) }, layerDigest: layerDesc.digest };
}

export const tmpdir = os.tmpdir();
