// Adding a new image to the store: its blobs are committed under the blob writers' lock (so that
// garbage collection cannot take them before they are named), and if anything fails before the
// image is named, the blobs this batch added are taken out again: a failed import or load leaves
// the store as it was.
import fs = require('node:fs');
import { type ImageStore, sha256Digest } from './store';
import { type Descriptor, type Digest, type ImageConfig, type ImageManifest, MEDIA_TYPES } from './types';

export class BlobBatch {
  private readonly added: Digest[] = [];
  private release: (() => void) | undefined;

  constructor(private readonly store: ImageStore) {
    this.release = store.holdForWriting();
  }

  /** Moves a scratch file whose digest was computed while writing it into the store. */
  async commitFile(digest: Digest, file: string): Promise<void> {
    if (this.store.hasBlob(digest)) {
      fs.rmSync(file, { force: true });
      return;
    }
    await this.store.commitIngest(digest, file, true);
    this.added.push(digest);
  }

  /** Stores bytes (a config, a manifest); returns their descriptor. */
  writeBlob(mediaType: string, data: Buffer | string): Descriptor {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const existed = this.store.hasBlob(sha256Digest(bytes));
    const { digest, size } = this.store.writeBlob(bytes);
    if (!existed) this.added.push(digest);
    return { mediaType, digest, size };
  }

  /** The image is named: its blobs are safe. */
  done(): void {
    this.release?.();
    this.release = undefined;
  }

  /** Takes out every blob this batch added. */
  rollback(): void {
    for (const digest of this.added) fs.rmSync(this.store.blobPath(digest), { force: true });
    this.added.length = 0;
    this.done();
  }
}

/** Writes `config` and an OCI manifest over it and `layers`; returns the manifest's descriptor. */
export function writeOciImage(batch: BlobBatch, config: ImageConfig, layers: Descriptor[]): Descriptor {
  const configDescriptor = batch.writeBlob(MEDIA_TYPES.ociConfig, JSON.stringify(config));
  return writeManifest(batch, configDescriptor, layers);
}

export function writeManifest(batch: BlobBatch, config: Descriptor, layers: Descriptor[]): Descriptor {
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers };
  return batch.writeBlob(MEDIA_TYPES.ociManifest, JSON.stringify(manifest));
}

/** Runs `fn` with a fresh batch; rolls it back if fn throws. */
export async function withBlobBatch<T>(store: ImageStore, fn: (batch: BlobBatch) => Promise<T>): Promise<T> {
  const batch = new BlobBatch(store);
  try {
    const result = await fn(batch);
    batch.done();
    return result;
  } catch (err) {
    batch.rollback();
    throw err;
  }
}
