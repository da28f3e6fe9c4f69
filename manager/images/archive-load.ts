// `mydocker load`: a docker-archive (manifest.json) or an OCI archive (oci-layout + index.json),
// plain or gzip-compressed, from a file or stdin. The archive is read once: each file goes to a
// scratch file under <root>/tmp while it is hashed; then every blob is checked against its
// digest (OCI: the blob's name; docker-archive: the config's file name and the config's
// diff_ids) before anything enters the store. A docker-archive's layers are stored as they are
// in the archive (uncompressed tars become application/vnd.oci.image.layer.v1.tar, no
// recompression: their digest is their diffID) under a new OCI manifest; the config's bytes are
// kept, so the image id is the same as in the engine that saved it.
import fs = require('node:fs');
import path = require('node:path');
import { pipeline, type Readable } from 'node:stream';
import zlib = require('node:zlib');
import tarStream = require('tar-stream');
import { validateManagerDocument } from '../../schemas/validate-manager';
import { ManagerError, UsageError } from '../errors';
import type { ManagerPaths } from '../paths';
import { goArch } from '../system/version';
import { CONTAINERD_NAME_ANNOTATION } from './archive-save';
import { checkConfig, checkIndex, checkManifest } from './document-checks';
import { type BlobBatch, withBlobBatch, writeManifest } from './image-writer';
import { addNameless, assignName } from './naming';
import { canonicalName, parseReference } from './reference';
import { DigestMismatchError, ImageStore } from './store';
import { assertSupportedCompression, checkLayerFile, compressionOf, type HashedFile, openRegularFile, peek, writeHashed } from './tar-input';
import { type Descriptor, type Digest, type ImageConfig, MEDIA_TYPES, REF_NAME_ANNOTATION } from './types';

export interface LoadedImage {
  /** the image id (config digest) */
  id: Digest;
  manifestDigest: Digest;
  /** full names given to it */
  names: string[];
}

interface ArchiveFile extends HashedFile {
  file: string;
}

/** The files of an archive, by normalized path, with links followed. */
class ArchiveContents {
  readonly files = new Map<string, ArchiveFile>();
  readonly links = new Map<string, string>();

  get(name: string): ArchiveFile | undefined {
    let at = normalize(name);
    for (let hops = 0; hops < 16; hops++) {
      const file = this.files.get(at);
      if (file) return file;
      const target = this.links.get(at);
      if (target === undefined) return undefined;
      at = target;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  need(name: string, what: string): ArchiveFile {
    const file = this.get(name);
    if (!file) throw new ManagerError(`load: ${what} "${name}" is missing from the archive`);
    return file;
  }

  json(name: string, what: string): unknown {
    const file = this.need(name, what);
    if (file.size > 16 << 20) throw new ManagerError(`load: ${name} is too large for a ${what} (${file.size} bytes)`);
    try {
      return JSON.parse(fs.readFileSync(file.file, 'utf8'));
    } catch {
      throw new ManagerError(`load: ${name} (${what}) is not valid JSON`);
    }
  }
}

function normalize(name: string): string {
  return path.posix.normalize(`/${name}`).slice(1).replace(/\/$/, '');
}

function openInput(input: string | Readable): Readable {
  return typeof input === 'string' ? openRegularFile(input, 'load') : input;
}

/** Reads the whole archive into scratch files. */
async function readArchive(input: Readable, scratch: string, label: string): Promise<ArchiveContents> {
  const head = await peek(input, 8);
  if (head.length === 0) throw new UsageError(`load: ${label} is empty: expected a docker-archive or OCI archive tarball`);
  const compression = compressionOf(head);
  assertSupportedCompression(compression, `load: ${label}`);
  const contents = new ArchiveContents();
  const extract = tarStream.extract();
  const feeding = new Promise<void>((resolve, reject) => {
    const done = (err: Error | null | undefined) => (err ? reject(err) : resolve());
    if (compression === 'gzip') pipeline(input, zlib.createGunzip(), extract, done);
    else pipeline(input, extract, done);
  });
  feeding.catch(() => undefined);
  try {
    let n = 0;
    for await (const entry of extract) {
      const name = normalize(entry.header.name);
      const type = entry.header.type;
      if (type === 'file' || type === 'contiguous-file') {
        const file = path.join(scratch, String(n++));
        contents.files.set(name, { file, ...(await writeHashed(entry as AsyncIterable<Buffer>, file)) });
        continue;
      }
      if (type === 'symlink') contents.links.set(name, normalize(path.posix.join(path.posix.dirname(name), entry.header.linkname)));
      else if (type === 'link') contents.links.set(name, normalize(entry.header.linkname));
      entry.resume();
    }
    await feeding;
  } catch (err) {
    input.destroy();
    throw new ManagerError(`load: ${label} is not a valid ${compression === 'gzip' ? 'gzip-compressed ' : ''}tar archive (${(err as Error).message.split('\n')[0]})`);
  }
  return contents;
}

/** A name from an archive, normalized; a bad one is an error naming it. */
function fullName(text: string, where: string): string {
  try {
    return canonicalName(parseReference(text));
  } catch (err) {
    throw new ManagerError(`load: ${where}: ${(err as Error).message}`);
  }
}

/** A blob of an OCI layout archive, checked against its digest and size. */
function ociBlob(contents: ArchiveContents, descriptor: Descriptor, what: string): ArchiveFile {
  const file = contents.need(`blobs/sha256/${descriptor.digest.slice(7)}`, what);
  if (file.digest !== descriptor.digest) throw new DigestMismatchError(descriptor.digest, file.digest, `load: ${what}`);
  if (file.size !== descriptor.size) throw new ManagerError(`load: ${what} ${descriptor.digest}: ${file.size} bytes, its descriptor says ${descriptor.size}`);
  return file;
}

/** An image to add: the blobs to commit, then the manifest to name. */
interface PlannedImage {
  blobs: Array<{ digest: Digest; file: string }>;
  /** the manifest as it is in the archive (OCI), or to be written (docker-archive) */
  manifest: Descriptor | { config: Descriptor; layers: Descriptor[] };
  configDigest: Digest;
  names: string[];
}

function pickPlatform(index: { manifests: Descriptor[] }, what: string): Descriptor {
  const images = index.manifests.filter((d) => d.mediaType === MEDIA_TYPES.ociManifest || d.mediaType === MEDIA_TYPES.dockerManifest);
  const arch = goArch();
  const match = images.find((d) => d.platform?.os === 'linux' && d.platform.architecture === arch) ?? (images.length === 1 ? images[0] : undefined);
  if (!match) throw new ManagerError(`load: ${what} has no image for linux/${arch}`);
  return match;
}

function planOci(contents: ArchiveContents): PlannedImage[] {
  const index = contents.json('index.json', 'index');
  checkIndex(index, 'load: index.json');
  const plans: PlannedImage[] = [];
  for (const [i, entry] of index.manifests.entries()) {
    let descriptor = entry;
    if (entry.mediaType === MEDIA_TYPES.ociIndex || entry.mediaType === MEDIA_TYPES.dockerManifestList) {
      const nested: unknown = JSON.parse(fs.readFileSync(ociBlob(contents, entry, 'image index').file, 'utf8'));
      checkIndex(nested, `load: image index ${entry.digest}`);
      descriptor = pickPlatform(nested, `image index ${entry.digest}`);
    }
    const manifestFile = ociBlob(contents, descriptor, 'manifest');
    const manifest: unknown = JSON.parse(fs.readFileSync(manifestFile.file, 'utf8'));
    checkManifest(manifest, `load: manifest ${descriptor.digest}`);
    const configFile = ociBlob(contents, manifest.config, 'config');
    checkConfig(JSON.parse(fs.readFileSync(configFile.file, 'utf8')), `load: config ${manifest.config.digest}`);
    const blobs = [
      { digest: descriptor.digest, file: manifestFile.file },
      { digest: manifest.config.digest, file: configFile.file },
      ...manifest.layers.map((l) => ({ digest: l.digest, file: ociBlob(contents, l, 'layer').file })),
    ];
    // docker and containerd keep the full name in io.containerd.image.name; ref.name may be only a tag
    const annotations = entry.annotations ?? {};
    const refName = annotations[REF_NAME_ANNOTATION];
    const name = annotations[CONTAINERD_NAME_ANNOTATION] ?? (refName !== undefined && /[/:]/.test(refName) ? refName : undefined);
    const names = name !== undefined ? [fullName(name, `index.json /manifests/${i} name`)] : [];
    plans.push({ blobs, manifest: { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size }, configDigest: manifest.config.digest, names });
  }
  return plans;
}

interface DockerArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function planDocker(contents: ArchiveContents): Promise<PlannedImage[]> {
  const entries = contents.json('manifest.json', 'manifest.json');
  validateManagerDocument('dockerArchiveManifest', entries, 'load: manifest.json');
  const plans: PlannedImage[] = [];
  for (const [i, entry] of (entries as DockerArchiveEntry[]).entries()) {
    const configFile = contents.need(entry.Config, 'config');
    const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(entry.Config);
    if (named && `sha256:${named[1]}` !== configFile.digest) throw new DigestMismatchError(`sha256:${named[1]}`, configFile.digest, `load: config ${entry.Config}`);
    const config = contents.json(entry.Config, 'config') as ImageConfig;
    checkConfig(config, `load: config ${entry.Config}`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== entry.Layers.length) {
      throw new ManagerError(`load: manifest.json /${i}: ${entry.Layers.length} layers but the config lists ${diffIds.length} diff_ids`);
    }
    const layers: Descriptor[] = [];
    const blobs = [{ digest: configFile.digest, file: configFile.file }];
    for (const [j, layerPath] of entry.Layers.entries()) {
      const file = contents.need(layerPath, 'layer');
      const check = await checkLayerFile(file.file, `load: layer ${layerPath}`);
      if (check.diffId !== diffIds[j]) throw new DigestMismatchError(diffIds[j]!, check.diffId, `load: layer ${layerPath} (diffID)`);
      layers.push({ mediaType: check.compression === 'gzip' ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer, digest: file.digest, size: file.size });
      blobs.push({ digest: file.digest, file: file.file });
    }
    const names = (entry.RepoTags ?? []).map((t, j) => fullName(t, `manifest.json /${i}/RepoTags/${j}`));
    plans.push({ blobs, manifest: { config: { mediaType: MEDIA_TYPES.ociConfig, digest: configFile.digest, size: configFile.size }, layers }, configDigest: configFile.digest, names });
  }
  return plans;
}

/** Commits the plan's blobs (and writes the manifest of a docker-archive image); returns the manifest. */
async function commitPlan(batch: BlobBatch, plan: PlannedImage): Promise<Descriptor> {
  for (const blob of plan.blobs) await batch.commitFile(blob.digest, blob.file);
  return 'digest' in plan.manifest ? plan.manifest : writeManifest(batch, plan.manifest.config, plan.manifest.layers);
}

/** Loads every image of the archive; returns them in archive order. */
export async function loadArchive(paths: ManagerPaths, input: string | Readable): Promise<LoadedImage[]> {
  const label = typeof input === 'string' ? `"${input}"` : 'the input';
  const stream = openInput(input);
  const store = new ImageStore(paths);
  const scratch = fs.mkdtempSync(path.join(paths.tmp, 'load-'));
  try {
    const contents = await readArchive(stream, scratch, label);
    let plans: PlannedImage[];
    if (contents.has('oci-layout') && contents.has('index.json')) plans = planOci(contents);
    else if (contents.has('manifest.json')) plans = await planDocker(contents);
    else throw new ManagerError(`load: ${label} is neither a docker-archive (manifest.json) nor an OCI archive (oci-layout and index.json)`);
    if (plans.length === 0) throw new ManagerError(`load: ${label} holds no image`);
    return await withBlobBatch(store, async (batch) => {
      const manifests: Descriptor[] = [];
      for (const plan of plans) manifests.push(await commitPlan(batch, plan));
      // named last: a failure before this point takes every new blob out again
      return plans.map((plan, i) => {
        const manifest = manifests[i]!;
        if (plan.names.length === 0) addNameless(store, manifest);
        for (const name of plan.names) assignName(store, name, manifest);
        return { id: plan.configDigest, manifestDigest: manifest.digest, names: plan.names };
      });
    });
  } finally {
    if (typeof input === 'string') stream.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
