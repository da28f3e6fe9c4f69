// `mydocker rmi` and `image prune`: names go first; an image whose last name goes is deleted
// from index.json unless a container still uses it (then, with --force, it stays nameless, as
// docker keeps it dangling). Blobs nothing references any more are collected, and the layer
// store is told which unpacked layers are still needed.
import fs = require('node:fs');
import path = require('node:path');
import { ConflictError, messageOf } from '../errors';
import { chainIds } from './chain';
import { namelessEntry, parseStoredName, shortId } from './naming';
import { canonicalName, familiarName, familiarRepository, parseReference } from './reference';
import type { ImageRecord, ImageStore } from './store';
import { type Digest, REF_NAME_ANNOTATION } from './types';

/** Removes unpacked layers except those with the given chain ids (provided by the layer store). */
export type LayerCleanup = (keepChainIDs: Set<string>) => Promise<void>;

export interface RemoveOptions {
  force?: boolean;
  /** the name of a container that uses the image with this id (config digest), if any */
  inUse?: (imageId: Digest) => string | undefined;
  cleanupLayers?: LayerCleanup;
}

/** What happened to one argument of rmi: docker's "Untagged: ..." and "Deleted: ..." lines, or why not. */
export interface RemoveOutcome {
  argument: string;
  untagged: string[];
  deleted: Digest[];
  error?: Error;
}

function findByName(store: ImageStore, text: string): { image: ImageRecord; name: string } | undefined {
  let name: string;
  try {
    name = canonicalName(parseReference(text));
  } catch {
    return undefined;
  }
  const image = store.list().find((i) => i.names.includes(name));
  return image ? { image, name } : undefined;
}

function repositoryOf(name: string): string | undefined {
  const ref = parseStoredName(name);
  return ref ? familiarRepository(ref) : undefined;
}

function shown(name: string): string {
  const ref = parseStoredName(name);
  return ref ? familiarName(ref) : name;
}

/**
 * Removes `names` from the index and, when `deleteImage`, the image's manifests too; when the
 * image must stay (a container uses it), one nameless entry is kept for it.
 */
function dropFromIndex(store: ImageStore, image: ImageRecord, names: Set<string>, keepNameless: boolean): void {
  store.updateIndex((index) => {
    const entry = index.manifests.find((d) => d.digest === image.manifestDigest);
    index.manifests = index.manifests.filter((d) => {
      const name = d.annotations?.[REF_NAME_ANNOTATION];
      if (d.digest !== image.manifestDigest) return true;
      return name !== undefined && !names.has(name);
    });
    const left = index.manifests.some((d) => d.digest === image.manifestDigest);
    if (!left && keepNameless && entry) index.manifests.push(namelessEntry(entry));
  });
}

function removeByName(store: ImageStore, image: ImageRecord, name: string, text: string, options: RemoveOptions): RemoveOutcome {
  const removed = new Set([name]);
  // the last tag of a repository takes the repository's digest names with it (docker does the same)
  const repository = repositoryOf(name);
  const sameRepository = image.names.filter((n) => n !== name && repositoryOf(n) === repository);
  if (parseStoredName(name)?.tag !== undefined && sameRepository.every((n) => parseStoredName(n)?.tag === undefined)) {
    for (const n of sameRepository) removed.add(n);
  }
  const last = image.names.every((n) => removed.has(n));
  const user = last ? options.inUse?.(image.configDigest) : undefined;
  if (user !== undefined && !options.force) {
    throw new ConflictError(
      `conflict: unable to remove repository reference "${text}" (must force) - container ${user} is using its referenced image ${shortId(image.configDigest)}`,
      1,
    );
  }
  dropFromIndex(store, image, removed, user !== undefined);
  return { argument: text, untagged: [...removed].map(shown), deleted: last && user === undefined ? [image.configDigest] : [] };
}

function removeById(store: ImageStore, image: ImageRecord, text: string, options: RemoveOptions): RemoveOutcome {
  const records = store.list().filter((i) => i.configDigest === image.configDigest);
  const names = records.flatMap((i) => i.names);
  const repositories = new Set(names.map(repositoryOf));
  const id = shortId(image.configDigest);
  if (repositories.size > 1 && !options.force) {
    throw new ConflictError(`conflict: unable to delete ${id} (must be forced) - image is referenced in multiple repositories`, 1);
  }
  const user = options.inUse?.(image.configDigest);
  if (user !== undefined && !options.force) {
    throw new ConflictError(`conflict: unable to delete ${id} (must be forced) - image is being used by container ${user}`, 1);
  }
  for (const record of records) dropFromIndex(store, record, new Set(record.names), user !== undefined);
  return { argument: text, untagged: names.map(shown), deleted: user === undefined ? [image.configDigest] : [] };
}

/** Sizes of the blobs in the store, to report what garbage collection reclaimed. */
function blobSizes(store: ImageStore): Map<Digest, number> {
  const sizes = new Map<Digest, number>();
  for (const hex of fs.readdirSync(store.blobs)) {
    try {
      sizes.set(`sha256:${hex}`, fs.statSync(path.join(store.blobs, hex)).size);
    } catch {
      /* removed meanwhile */
    }
  }
  return sizes;
}

/** Collects unreferenced blobs and tells the layer store which layers stay; returns the bytes freed. */
export async function collectUnused(store: ImageStore, cleanupLayers?: LayerCleanup): Promise<number> {
  const before = blobSizes(store);
  const removed = store.collectGarbage();
  if (cleanupLayers) {
    const keep = new Set<string>();
    for (const image of store.list()) for (const id of chainIds(image.config.rootfs.diff_ids)) keep.add(id);
    await cleanupLayers(keep);
  }
  return removed.reduce((sum, d) => sum + (before.get(d) ?? 0), 0);
}

/** `rmi NAME|ID...`: every argument is tried; failures are reported in their outcome. */
export async function removeImages(store: ImageStore, args: string[], options: RemoveOptions = {}): Promise<RemoveOutcome[]> {
  const outcomes: RemoveOutcome[] = [];
  for (const text of args) {
    try {
      const named = findByName(store, text);
      if (named) outcomes.push(removeByName(store, named.image, named.name, text, options));
      else outcomes.push(removeById(store, store.resolve(text), text, options));
    } catch (err) {
      outcomes.push({ argument: text, untagged: [], deleted: [], error: err instanceof Error ? err : new Error(messageOf(err)) });
    }
  }
  if (outcomes.some((o) => o.deleted.length > 0)) await collectUnused(store, options.cleanupLayers);
  return outcomes;
}

/** `image prune`: deletes the nameless images no container uses; returns their ids and the bytes freed. */
export async function pruneImages(store: ImageStore, options: Pick<RemoveOptions, 'inUse' | 'cleanupLayers'> = {}): Promise<{ deleted: Digest[]; reclaimed: number }> {
  const deleted: Digest[] = [];
  for (const image of store.list()) {
    if (image.names.length > 0 || options.inUse?.(image.configDigest) !== undefined) continue;
    dropFromIndex(store, image, new Set(), false);
    deleted.push(image.configDigest);
  }
  const reclaimed = await collectUnused(store, options.cleanupLayers);
  return { deleted, reclaimed };
}

