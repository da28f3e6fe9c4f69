// `mydocker save`: images as a tarball another engine loads.
//  - docker-archive (the default, what `docker load` reads): manifest.json
//    [{Config, RepoTags, Layers}], the config as <config hex>.json (its bytes as stored, so the
//    image id survives) and each layer as an uncompressed <diffID hex>.tar (gzip layers are
//    decompressed on the way; the diffID is checked).
//  - oci-archive: an OCI image layout (oci-layout, index.json, blobs/sha256/...) with the blobs as
//    stored, each name in index.json as org.opencontainers.image.ref.name and
//    io.containerd.image.name (the full reference).
// Every blob's digest is checked while it is written.
import fs = require('node:fs');
import { once } from 'node:events';
import path = require('node:path');
import { pipeline, type Writable } from 'node:stream';
import zlib = require('node:zlib');
import tarStream = require('tar-stream');
import { createSha256 } from '../../native/sha256';
import { randomHex } from '../system/random';
import { ManagerError, UsageError } from '../errors';
import { parseStoredName } from './naming';
import { canonicalName, familiarName, parseReference } from './reference';
import { DigestMismatchError, type ImageRecord, type ImageStore } from './store';
import { manifestDescriptor } from './tag';
import { type Descriptor, type Digest, type ImageIndex, MEDIA_TYPES, REF_NAME_ANNOTATION } from './types';

export type ArchiveFormat = 'docker-archive' | 'oci-archive';
export const ARCHIVE_FORMATS: ArchiveFormat[] = ['docker-archive', 'oci-archive'];
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

/** An image to save and the names it was asked for by (none when asked for by id). */
interface Requested {
  image: ImageRecord;
  names: string[];
}

/** Resolves every argument first: an unknown one fails before anything is written. */
function resolveAll(store: ImageStore, args: string[]): Requested[] {
  const byId = new Map<Digest, Requested>();
  for (const text of args) {
    const image = store.resolve(text);
    let name: string | undefined;
    try {
      name = canonicalName(parseReference(text));
    } catch {
      /* an id */
    }
    const entry = byId.get(image.manifestDigest) ?? { image, names: [] };
    if (name !== undefined && image.names.includes(name) && !entry.names.includes(name)) entry.names.push(name);
    byId.set(image.manifestDigest, entry);
  }
  return [...byId.values()];
}

const HEADER = { mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) };

function addEntry(pack: tarStream.Pack, name: string, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ ...HEADER, name }, data, (err) => (err ? reject(err) : resolve())));
}

function addDirectory(pack: tarStream.Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ ...HEADER, name, type: 'directory', mode: 0o755 }, (err) => (err ? reject(err) : resolve())));
}

/** Streams `source` into a tar entry of `size` bytes, checking that it hashes to `digest`. */
async function addStreamEntry(pack: tarStream.Pack, name: string, size: number, source: AsyncIterable<Buffer>, digest: Digest, what: string): Promise<void> {
  const hash = createSha256();
  let sink!: ReturnType<tarStream.Pack['entry']>;
  const written = new Promise<void>((resolve, reject) => {
    sink = pack.entry({ ...HEADER, name, size }, (err) => (err ? reject(err) : resolve()));
  });
  written.catch(() => undefined);
  let length = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    length += chunk.length;
    if (length > size) throw new ManagerError(`${what}: longer than its ${size} bytes`);
    if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), written]);
  }
  const actual = `sha256:${hash.hex()}`;
  if (actual !== digest) {
    sink.destroy();
    throw new DigestMismatchError(digest, actual, what);
  }
  sink.end(undefined);
  await written;
}

function blobStream(store: ImageStore, digest: Digest): fs.ReadStream {
  return fs.createReadStream(store.blobPath(digest), { highWaterMark: 1 << 20 });
}

/** The uncompressed stream of a stored layer. */
function uncompressed(store: ImageStore, layer: Descriptor): AsyncIterable<Buffer> {
  if (layer.mediaType === MEDIA_TYPES.ociLayer || layer.mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return blobStream(store, layer.digest);
  if (layer.mediaType === MEDIA_TYPES.ociLayerGzip || layer.mediaType === MEDIA_TYPES.dockerLayerGzip) {
    return pipeline(blobStream(store, layer.digest), zlib.createGunzip(), () => undefined);
  }
  throw new ManagerError(`layer ${layer.digest} has media type ${layer.mediaType}: it cannot be saved as a docker-archive (only tar and tar+gzip layers)`);
}

async function uncompressedSize(store: ImageStore, layer: Descriptor): Promise<number> {
  let size = 0;
  for await (const chunk of uncompressed(store, layer)) size += (chunk as Buffer).length;
  return size;
}

async function writeDockerArchive(store: ImageStore, requested: Requested[], pack: tarStream.Pack): Promise<void> {
  const manifest = requested.map(({ image, names }) => ({
    Config: `${image.configDigest.slice(7)}.json`,
    RepoTags: names.length > 0 ? names.map((n) => familiarName(parseStoredName(n)!)) : null,
    Layers: image.config.rootfs.diff_ids.map((d) => `${d.slice(7)}.tar`),
  }));
  await addEntry(pack, 'manifest.json', JSON.stringify(manifest));
  const written = new Set<string>();
  for (const { image } of requested) {
    const { layers } = image.manifest;
    const diffIds = image.config.rootfs.diff_ids;
    if (layers.length !== diffIds.length) throw new ManagerError(`image ${image.configDigest}: ${layers.length} layers but ${diffIds.length} diff_ids in its config`);
    const configName = `${image.configDigest.slice(7)}.json`;
    if (!written.has(configName)) {
      await addStreamEntry(pack, configName, image.manifest.config.size, blobStream(store, image.configDigest), image.configDigest, `config ${image.configDigest}`);
      written.add(configName);
    }
    for (const [i, layer] of layers.entries()) {
      const name = `${diffIds[i]!.slice(7)}.tar`;
      if (written.has(name)) continue;
      const size = layer.mediaType === MEDIA_TYPES.ociLayer ? layer.size : await uncompressedSize(store, layer);
      await addStreamEntry(pack, name, size, uncompressed(store, layer), diffIds[i]!, `layer ${layer.digest} (diffID ${diffIds[i]})`);
      written.add(name);
    }
  }
}

async function writeOciArchive(store: ImageStore, requested: Requested[], pack: tarStream.Pack): Promise<void> {
  const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
  for (const { image, names } of requested) {
    const descriptor = manifestDescriptor(store, image);
    if (names.length === 0) index.manifests.push(descriptor);
    for (const name of names) {
      index.manifests.push({ ...descriptor, annotations: { [REF_NAME_ANNOTATION]: name, [CONTAINERD_NAME_ANNOTATION]: name } });
    }
  }
  await addEntry(pack, 'oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await addEntry(pack, 'index.json', JSON.stringify(index));
  await addDirectory(pack, 'blobs/');
  await addDirectory(pack, 'blobs/sha256/');
  const written = new Set<Digest>();
  for (const { image } of requested) {
    const blobs: Descriptor[] = [manifestDescriptor(store, image), image.manifest.config, ...image.manifest.layers];
    for (const blob of blobs) {
      if (written.has(blob.digest)) continue;
      await addStreamEntry(pack, `blobs/sha256/${blob.digest.slice(7)}`, blob.size, blobStream(store, blob.digest), blob.digest, `blob ${blob.digest}`);
      written.add(blob.digest);
    }
  }
}

function checkRequest(store: ImageStore, args: string[], format: ArchiveFormat): Requested[] {
  if (!ARCHIVE_FORMATS.includes(format)) throw new UsageError(`--format "${format}" is not one of ${ARCHIVE_FORMATS.join(', ')}`);
  if (args.length === 0) throw new UsageError('save: give at least one image');
  return resolveAll(store, args);
}

async function writeArchive(store: ImageStore, requested: Requested[], output: Writable, format: ArchiveFormat): Promise<void> {
  const pack = tarStream.pack();
  const done = new Promise<void>((resolve, reject) => pipeline(pack, output, (err) => (err ? reject(err) : resolve())));
  done.catch(() => undefined);
  try {
    if (format === 'docker-archive') await writeDockerArchive(store, requested, pack);
    else await writeOciArchive(store, requested, pack);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  }
  await done;
}

/** Writes the images named by `args` (names or ids) as an archive of `format` to `output`. */
export async function saveImages(store: ImageStore, args: string[], output: Writable, format: ArchiveFormat = 'docker-archive'): Promise<void> {
  await writeArchive(store, checkRequest(store, args, format), output, format);
}

/** Saves to FILE through a temporary file next to it: on failure no partial archive is left. */
export async function saveImagesToFile(store: ImageStore, args: string[], file: string, format: ArchiveFormat = 'docker-archive'): Promise<void> {
  const requested = checkRequest(store, args, format);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new UsageError(`--output "${file}": directory ${dir} does not exist`);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomHex(4)}.tmp`);
  // opened synchronously: nothing can create the file after the clean-up below
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    await writeArchive(store, requested, fs.createWriteStream('', { fd }), format);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
