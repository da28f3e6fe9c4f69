// `mydocker tag SOURCE TARGET`: another name for an image that is already in the store.
import fs = require('node:fs');
import { UsageError } from '../errors';
import { assignName } from './naming';
import { canonicalName, parseReference } from './reference';
import type { ImageRecord, ImageStore } from './store';
import { type Descriptor, MEDIA_TYPES } from './types';

/** The index.json descriptor of an image's manifest. */
export function manifestDescriptor(store: ImageStore, image: ImageRecord): Descriptor {
  const entry = store.readIndex().manifests.find((d) => d.digest === image.manifestDigest);
  const size = entry?.size ?? fs.statSync(store.blobPath(image.manifestDigest)).size;
  return { mediaType: entry?.mediaType ?? image.manifest.mediaType ?? MEDIA_TYPES.ociManifest, digest: image.manifestDigest, size };
}

/** A name an image can be given: a reference with a tag and no digest, normalized. */
export function targetName(text: string, what: string): string {
  const ref = parseReference(text);
  if (ref.digest !== undefined) throw new UsageError(`${what} "${text}": a digest reference cannot be a new name (give a tag)`);
  return canonicalName(ref);
}

/** Names the image SOURCE (name or id) TARGET as well; returns the full new name. */
export function tagImage(store: ImageStore, source: string, target: string): { image: ImageRecord; name: string } {
  const name = targetName(target, 'target');
  const image = store.resolve(source);
  assignName(store, name, manifestDescriptor(store, image));
  return { image, name };
}
