// The image store: an OCI image layout (image-spec image-layout.md) under <root>/images, so that
// `umoci ls --layout` and `skopeo inspect oci:<dir>:<name>` read it. Blobs are content-addressed
// and written atomically (temporary file, digest checked, rename); index.json names each image
// with the org.opencontainers.image.ref.name annotation (the full reference,
// docker.io/library/busybox:latest).
//
// Concurrency: index.json is read-modify-written under an exclusive flock (index.lock). Writers
// of blobs (pull, load, import) hold gc.lock shared for as long as their blobs are not yet
// referenced from the index; garbage collection takes it exclusively, so it never deletes a blob
// that a pull in progress has just written.
import fs = require('node:fs');
import path = require('node:path');
import { flock, LOCK_EX, LOCK_SH, LOCK_UN } from '../../native/libc';
import { createSha256, sha256Hex } from '../../native/sha256';
import { ManagerError, NotFoundError } from '../errors';
import type { ManagerPaths } from '../paths';
import { randomHex } from '../system/random';
import { removeFile } from '../system/remove-file';
import { canonicalName, parseReference } from './reference';
import { type Descriptor, type Digest, type ImageConfig, type ImageIndex, type ImageManifest, MEDIA_TYPES, REF_NAME_ANNOTATION } from './types';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A blob's content does not match its digest (a corrupt download, a tampered file). */
export class DigestMismatchError extends ManagerError {
  constructor(readonly expected: Digest, readonly actual: Digest, what: string) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** An image in the store: the manifest an index.json entry names, and its config. */
export interface ImageRecord {
  /** ref.name annotations of the index.json entries that point at this manifest (full references) */
  names: string[];
  manifestDigest: Digest;
  manifest: ImageManifest;
  /** the image id (docker's IMAGE ID is this digest) */
  configDigest: Digest;
  config: ImageConfig;
  /** config plus compressed layers, in bytes */
  size: number;
}

export function sha256Digest(data: Buffer | string): Digest {
  return `sha256:${sha256Hex(data)}`;
}

export function assertDigest(digest: string, what: string): asserts digest is Digest {
  if (!DIGEST.test(digest)) throw new ManagerError(`${what}: "${digest}" is not a sha256 digest`);
}

/** Runs fn holding an flock on `file` (created if needed); the lock goes with the fd. */
function withFlock<T>(file: string, op: number, fn: () => T): T {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    flock(fd, op, file);
    return fn();
  } finally {
    fs.closeSync(fd);
  }
}

export class ImageStore {
  readonly layout: string;
  readonly blobs: string;
  private readonly ingestDir: string;
  private readonly indexLock: string;
  private readonly gcLock: string;

  constructor(paths: ManagerPaths) {
    this.layout = paths.images;
    this.blobs = path.join(this.layout, 'blobs', 'sha256');
    this.ingestDir = path.join(paths.tmp, 'ingest');
    this.indexLock = path.join(paths.root, 'index.lock');
    this.gcLock = path.join(paths.root, 'gc.lock');
    fs.mkdirSync(this.blobs, { recursive: true, mode: 0o755 });
    fs.mkdirSync(this.ingestDir, { recursive: true, mode: 0o700 });
    const layoutFile = path.join(this.layout, 'oci-layout');
    if (!fs.existsSync(layoutFile)) this.writeAtomically(layoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const indexFile = path.join(this.layout, 'index.json');
    if (!fs.existsSync(indexFile)) this.writeAtomically(indexFile, JSON.stringify(emptyIndex()));
  }

  blobPath(digest: Digest): string {
    assertDigest(digest, 'blob');
    return path.join(this.blobs, digest.slice('sha256:'.length));
  }

  hasBlob(digest: Digest): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  readBlob(digest: Digest): Buffer {
    try {
      return fs.readFileSync(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ManagerError(`blob ${digest} is missing from the image store (${this.blobs})`);
      throw err;
    }
  }

  readJSON<T>(digest: Digest): T {
    return JSON.parse(this.readBlob(digest).toString('utf8')) as T;
  }

  /** Stores bytes (a manifest, a config) under their digest; checks `expected` when given. */
  writeBlob(data: Buffer | string, expected?: Digest): { digest: Digest; size: number } {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256Digest(bytes);
    if (expected !== undefined && expected !== digest) throw new DigestMismatchError(expected, digest, 'blob');
    if (!this.hasBlob(digest)) this.writeAtomically(this.blobPath(digest), bytes);
    return { digest, size: bytes.length };
  }

  /**
   * Where a download of `digest` in progress is kept (under <root>/tmp/ingest, the same filesystem
   * as the blobs, so that committing is a rename). A partial file left by an interrupted pull is
   * resumed from its size.
   */
  ingestPath(digest: Digest): string {
    assertDigest(digest, 'blob');
    return path.join(this.ingestDir, `${digest.slice('sha256:'.length)}.partial`);
  }

  /**
   * Moves a finished download into the store. `verified` says the caller hashed it while writing;
   * otherwise it is hashed here. A mismatch deletes the file: the store never holds a corrupt blob.
   */
  async commitIngest(digest: Digest, file: string, verified = false): Promise<void> {
    if (!verified) {
      const actual = await hashFile(file);
      if (actual !== digest) {
        removeFile(file);
        throw new DigestMismatchError(digest, actual, `blob ${digest}`);
      }
    }
    fs.chmodSync(file, 0o644);
    fs.renameSync(file, this.blobPath(digest));
  }

  readIndex(): ImageIndex {
    return JSON.parse(fs.readFileSync(path.join(this.layout, 'index.json'), 'utf8')) as ImageIndex;
  }

  /** Read-modify-write of index.json under its lock, written atomically. */
  updateIndex(change: (index: ImageIndex) => void): void {
    withFlock(this.indexLock, LOCK_EX, () => {
      const index = this.readIndex();
      change(index);
      this.writeAtomically(path.join(this.layout, 'index.json'), JSON.stringify(index));
    });
  }

  /** Names `descriptor` (a manifest) `name` (a full reference), replacing what had that name. */
  setRef(name: string, descriptor: Descriptor): void {
    this.updateIndex((index) => {
      index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== name);
      index.manifests.push({ ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME_ANNOTATION]: name } });
    });
  }

  /** Removes the name; true if it was there. */
  removeRef(name: string): boolean {
    let removed = false;
    this.updateIndex((index) => {
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== name);
      removed = index.manifests.length !== before;
    });
    return removed;
  }

  /** Every image manifest named in index.json, with its names. */
  list(): ImageRecord[] {
    const byDigest = new Map<Digest, string[]>();
    for (const entry of this.readIndex().manifests) {
      const names = byDigest.get(entry.digest) ?? [];
      const name = entry.annotations?.[REF_NAME_ANNOTATION];
      if (name !== undefined) names.push(name);
      byDigest.set(entry.digest, names);
    }
    return [...byDigest].map(([digest, names]) => this.image(digest, names));
  }

  /** The image whose manifest is `manifestDigest`. */
  image(manifestDigest: Digest, names: string[] = []): ImageRecord {
    const manifest = this.readJSON<ImageManifest>(manifestDigest);
    if (manifest.mediaType === MEDIA_TYPES.ociIndex || manifest.mediaType === MEDIA_TYPES.dockerManifestList || !manifest.config) {
      throw new ManagerError(`${manifestDigest} is an image index, not an image manifest`);
    }
    const config = this.readJSON<ImageConfig>(manifest.config.digest);
    const size = manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0);
    return { names, manifestDigest, manifest, configDigest: manifest.config.digest, config, size };
  }

  /**
   * Finds an image by reference (busybox, busybox:1.36, host:5000/a@sha256:...), by image id or
   * an unambiguous prefix of it (with or without sha256:), or by manifest digest.
   */
  resolve(text: string): ImageRecord {
    const images = this.list();
    let name: string | undefined;
    try {
      name = canonicalName(parseReference(text));
    } catch {
      /* not a reference: maybe an id */
    }
    if (name !== undefined) {
      const named = images.find((i) => i.names.includes(name!));
      if (named) return named;
      const ref = parseReference(text);
      if (ref.digest !== undefined) {
        const byDigest = images.find((i) => i.manifestDigest === ref.digest);
        if (byDigest) return byDigest;
      }
    }
    const hex = text.startsWith('sha256:') ? text.slice('sha256:'.length) : text;
    if (/^[a-f0-9]{3,64}$/.test(hex)) {
      const matches = new Map<Digest, ImageRecord>();
      for (const i of images) {
        if (i.configDigest.slice(7).startsWith(hex) || i.manifestDigest.slice(7) === hex) matches.set(i.configDigest, i);
      }
      if (matches.size === 1) return [...matches.values()][0]!;
      if (matches.size > 1) throw new ManagerError(`image id prefix "${text}" is ambiguous: give more digits`, 1);
    }
    throw new NotFoundError('image', text);
  }

  /** Holds the blob writers' lock (shared) until the returned function is called. */
  holdForWriting(): () => void {
    const fd = fs.openSync(this.gcLock, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    flock(fd, LOCK_SH, this.gcLock);
    return () => {
      flock(fd, LOCK_UN, this.gcLock);
      fs.closeSync(fd);
    };
  }

  /** Every blob reachable from index.json (manifests, nested indexes, configs, layers). */
  referencedBlobs(): Set<Digest> {
    const seen = new Set<Digest>();
    const visit = (d: Descriptor): void => {
      if (seen.has(d.digest)) return;
      seen.add(d.digest);
      if (!this.hasBlob(d.digest)) return;
      if (d.mediaType === MEDIA_TYPES.ociIndex || d.mediaType === MEDIA_TYPES.dockerManifestList) {
        for (const m of this.readJSON<ImageIndex>(d.digest).manifests) visit(m);
      } else if (d.mediaType === MEDIA_TYPES.ociManifest || d.mediaType === MEDIA_TYPES.dockerManifest) {
        const m = this.readJSON<ImageManifest>(d.digest);
        visit(m.config);
        for (const l of m.layers) visit(l);
      }
    };
    for (const d of this.readIndex().manifests) visit(d);
    return seen;
  }

  /** Deletes blobs nothing in index.json references; returns their digests. */
  collectGarbage(): Digest[] {
    return withFlock(this.gcLock, LOCK_EX, () => {
      const keep = this.referencedBlobs();
      const removed: Digest[] = [];
      for (const hex of fs.readdirSync(this.blobs)) {
        const digest = `sha256:${hex}`;
        if (keep.has(digest)) continue;
        fs.rmSync(path.join(this.blobs, hex), { force: true });
        removed.push(digest);
      }
      return removed;
    });
  }

  private writeAtomically(file: string, data: Buffer | string): void {
    const tmp = `${file}.${process.pid}.${randomHex(4)}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
}

export async function hashFile(file: string): Promise<Digest> {
  const hash = createSha256();
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.hex()}`;
}
