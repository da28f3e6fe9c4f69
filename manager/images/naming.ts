// The names of images in the store (full references in the index.json ref.name annotation) as
// docker shows them, and naming an image so that the image that had the name before is kept,
// nameless, as docker keeps it (a "dangling" <none> image), instead of vanishing from the index.
import { familiarName, familiarRepository, type ImageReference, parseReference } from './reference';
import type { ImageRecord, ImageStore } from './store';
import { type Descriptor, type Digest, type ImageManifest, REF_NAME_ANNOTATION } from './types';

/** A stored name parsed back; undefined for an annotation that is not a reference. */
export function parseStoredName(name: string): ImageReference | undefined {
  try {
    return parseReference(name);
  } catch {
    return undefined;
  }
}

/** busybox:latest, 127.0.0.1:5000/a/b:v1 for every tagged name of the image. */
export function repoTags(image: ImageRecord): string[] {
  const tags: string[] = [];
  for (const name of image.names) {
    const ref = parseStoredName(name);
    if (ref?.tag !== undefined) tags.push(familiarName({ ...ref, digest: undefined }));
  }
  return tags.sort();
}

/** busybox@sha256:<manifest digest>, once per repository the image is named in. */
export function repoDigests(image: ImageRecord): string[] {
  const repositories = new Set<string>();
  for (const name of image.names) {
    const ref = parseStoredName(name);
    if (ref) repositories.add(familiarRepository(ref));
  }
  return [...repositories].sort().map((r) => `${r}@${image.manifestDigest}`);
}

/** The short image id docker prints: 12 hex digits of the config digest. */
export function shortId(digest: Digest): string {
  return digest.slice('sha256:'.length, 'sha256:'.length + 12);
}

/**
 * Gives the manifest `descriptor` the full name `name`. An image that loses its last name this way
 * stays in index.json without one (docker's dangling image): a container may still use it, and
 * `rmi ID` or `image prune` removes it. Returns the manifest digest of that image, if any.
 */
export function assignName(store: ImageStore, name: string, descriptor: Descriptor): Digest | undefined {
  let displaced: Digest | undefined;
  store.updateIndex((index) => {
    const previous = index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === name);
    index.manifests = index.manifests.filter(
      (d) => d.annotations?.[REF_NAME_ANNOTATION] !== name && !(d.digest === descriptor.digest && d.annotations?.[REF_NAME_ANNOTATION] === undefined),
    );
    const newConfig = configDigestOf(store, descriptor.digest);
    for (const old of previous) {
      if (old.digest === descriptor.digest || index.manifests.some((d) => d.digest === old.digest)) continue;
      // the same image (config) under another manifest, e.g. with other compression: not kept
      if (newConfig !== undefined && configDigestOf(store, old.digest) === newConfig) continue;
      index.manifests.push(namelessEntry(old));
      displaced = old.digest;
    }
    index.manifests.push({ ...namelessEntry(descriptor), annotations: { ...descriptor.annotations, [REF_NAME_ANNOTATION]: name } });
  });
  return displaced;
}

function configDigestOf(store: ImageStore, manifest: Digest): Digest | undefined {
  try {
    return store.readJSON<ImageManifest>(manifest).config?.digest;
  } catch {
    return undefined;
  }
}

/** The index.json entry of a manifest without the name annotation. */
export function namelessEntry(descriptor: Descriptor): Descriptor {
  const { [REF_NAME_ANNOTATION]: _name, ...rest } = descriptor.annotations ?? {};
  return {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    ...(Object.keys(rest).length > 0 ? { annotations: rest } : {}),
    ...(descriptor.platform ? { platform: descriptor.platform } : {}),
  };
}

/** Keeps a manifest in index.json without a name (an image loaded or imported without one). */
export function addNameless(store: ImageStore, descriptor: Descriptor): void {
  store.updateIndex((index) => {
    if (!index.manifests.some((d) => d.digest === descriptor.digest)) index.manifests.push(namelessEntry(descriptor));
  });
}
