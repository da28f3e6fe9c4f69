// `mydocker pull`: resolve a reference in its registry, choose the manifest for the platform
// from an index, fetch and verify config and layers into the image store (at most three layers
// at a time, those already present skipped), store the manifest exactly as the registry sent it
// (its digest must not change), then name it in index.json.
import fs = require('node:fs');
import { ManagerError, NotFoundError } from '../errors';
import type { ManagerPaths } from '../paths';
import { isTerminal } from '../system/terminal';
import { keepFreedMemory } from '../../native/libc';
import { validateManagerDocument } from '../../schemas/validate-manager';
import { PendingFollower } from './pending-follower';
import { type LayerLine, type PullDisplay, plainDisplay, silentDisplay, terminalDisplay } from './progress';
import { canonicalName, familiarName, type ImageReference, parseReference } from './reference';
import { type BlobEvent, downloadBlob, fetchBlobBytes } from './registry/blob-download';
import { type FetchedManifest, RegistryClient } from './registry/client';
import { RegistryError } from './registry/errors';
import { chooseManifest, configMatches, formatPlatform, hostPlatform, parsePlatform, type PlatformSpec } from './registry/platform';
import type { RetryOptions } from './registry/transport';
import { type ImageRecord, ImageStore, sha256Digest } from './store';
import { type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, MEDIA_TYPES, REF_NAME_ANNOTATION } from './types';

/** The annotation on an index.json entry that keeps the digest the registry knows the image by. */
export const REPO_DIGEST_ANNOTATION = 'io.mydocker.image.repo-digest';

export interface PullOptions {
  /** os/arch[/variant]; default: the host's */
  platform?: string;
  /** print nothing but the image name at the end (docker pull -q) */
  quiet?: boolean;
  /** receives the text to print, newlines included (default: stdout) */
  output?: (text: string) => void;
  /** redraw per-layer progress in place (default: whether stdout is a terminal) */
  isTTY?: boolean;
  /** allow plain HTTP to this registry (loopback registries always may) */
  insecure?: boolean;
  /**
   * also unpack the layers into the layer store, each while it downloads (`mydocker pull`, and
   * `run` of an image not yet here); a layer that cannot be followed is left to imageLowerDirs
   */
  unpack?: boolean;
  /** layers downloaded at once (default 3, as docker) */
  concurrency?: number;
  retry?: RetryOptions;
}

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
const SCHEMA1_TYPES = new Set<string>([MEDIA_TYPES.dockerSchema1, MEDIA_TYPES.dockerSchema1Signed]);
/** An image config is small; more than this is not one. */
const CONFIG_LIMIT = 8 << 20;

function parseJSON<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new RegistryError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Checks a fetched manifest's bytes against the digest it was asked by (or the registry's header). */
function verifyManifestDigest(fetched: FetchedManifest, expected: string | undefined, what: string): string {
  const actual = sha256Digest(fetched.bytes);
  const want = expected ?? (fetched.headerDigest?.startsWith('sha256:') ? fetched.headerDigest : undefined);
  if (want !== undefined && want !== actual) throw new RegistryError(`${what}: digest mismatch: expected ${want}, got ${actual}`);
  return actual;
}

function refuseSchema1(mediaType: string, what: string): void {
  if (SCHEMA1_TYPES.has(mediaType)) {
    throw new RegistryError(`${what} is a Docker schema 1 manifest, which is not supported: re-push it with a current client (docker, skopeo, podman push write schema 2 or OCI)`);
  }
}

interface Resolved {
  manifestBytes: Buffer;
  manifestDigest: string;
  manifestType: string;
  manifest: ImageManifest;
  /** the digest of what the tag points at (an index or the manifest itself) */
  repoDigest: string;
  /** the platform of the index entry we chose, if we chose from an index */
  platform?: PlatformSpec;
}

/** Follows the reference to one image manifest: through an index (nested ones too) by platform. */
async function resolveManifest(client: RegistryClient, ref: ImageReference, want: PlatformSpec, what: string): Promise<Resolved> {
  let fetched = await client.getManifest(ref.repository, ref.digest ?? ref.tag!, what);
  // before the digest check: a signed schema 1 manifest's digest leaves out its signatures
  refuseSchema1(fetched.mediaType, `manifest for ${what}`);
  let digest = verifyManifestDigest(fetched, ref.digest, `manifest for ${what}`);
  const repoDigest = digest;
  let platform: PlatformSpec | undefined;
  for (let depth = 0; ; depth++) {
    const doc = parseJSON<ImageIndex & ImageManifest>(fetched.bytes, `manifest for ${what}`);
    // the media type decides; a document without one (old OCI ones may omit it) by its shape
    const known = INDEX_TYPES.has(fetched.mediaType) || MANIFEST_TYPES.has(fetched.mediaType);
    const isIndex = INDEX_TYPES.has(fetched.mediaType) || (!known && Array.isArray(doc.manifests));
    if (!known && !isIndex && doc.config === undefined) throw new RegistryError(`manifest for ${what}: media type "${fetched.mediaType}" is not an image manifest or index`);
    if (!isIndex) {
      validateManagerDocument('imageManifest', doc, `manifest for ${what}`);
      return { manifestBytes: fetched.bytes, manifestDigest: digest, manifestType: MANIFEST_TYPES.has(fetched.mediaType) ? fetched.mediaType : MEDIA_TYPES.ociManifest, manifest: doc, repoDigest, ...(platform ? { platform } : {}) };
    }
    validateManagerDocument('imageIndex', doc, `image index for ${what}`);
    if (depth >= 2) throw new RegistryError(`image index for ${what}: indexes nested more than 2 deep`);
    const chosen = chooseManifest(doc.manifests, want);
    if (!chosen) {
      const available = [...new Set(doc.manifests.filter((m) => m.platform).map((m) => formatPlatform(m.platform!)))];
      throw new RegistryError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries of ${what}: available ${available.length ? available.join(', ') : 'none'} (choose one with --platform)`);
    }
    platform = { os: chosen.platform!.os, architecture: chosen.platform!.architecture, ...(chosen.platform!.variant ? { variant: chosen.platform!.variant } : {}) };
    fetched = await client.getManifest(ref.repository, chosen.digest, `${what} (${formatPlatform(platform)})`);
    refuseSchema1(fetched.mediaType, `manifest for ${what}`);
    digest = verifyManifestDigest(fetched, chosen.digest, `manifest ${chosen.digest} of ${what}`);
    if (!INDEX_TYPES.has(fetched.mediaType) && !MANIFEST_TYPES.has(fetched.mediaType) && !SCHEMA1_TYPES.has(fetched.mediaType)) fetched.mediaType = chosen.mediaType;
  }
}

/**
 * The config blob: from the store if there, else fetched into memory and verified; validated
 * either way. It is stored only with the manifest, once every layer is in.
 */
async function fetchConfig(store: ImageStore, client: RegistryClient, ref: ImageReference, desc: Descriptor, what: string): Promise<{ config: ImageConfig; bytes: Buffer | undefined }> {
  if (!CONFIG_TYPES.has(desc.mediaType)) throw new RegistryError(`${what} is not a container image: its config has media type "${desc.mediaType}"`);
  if (desc.size > CONFIG_LIMIT) throw new RegistryError(`config of ${what}: ${desc.size} bytes is more than an image config can be`);
  const fetched = store.hasBlob(desc.digest) ? undefined : await fetchBlobBytes(client, ref.repository, desc, `config of ${what}`);
  const config = parseJSON<ImageConfig>(fetched ?? store.readBlob(desc.digest), `config of ${what}`);
  validateManagerDocument('imageConfig', config, `config of ${what}`);
  return { config, bytes: fetched };
}

/**
 * Runs `work` over `items` with at most `limit` at a time; the first failure aborts the rest, and
 * so does `outer` (then it rejects with outer's reason).
 */
async function inParallel<T>(items: T[], limit: number, work: (item: T, signal: AbortSignal) => Promise<void>, outer?: AbortSignal): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) stop();
  else outer?.addEventListener('abort', stop, { once: true });
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure && !controller.signal.aborted) {
      const item = items[next++]!;
      try {
        await work(item, controller.signal);
      } catch (err) {
        if (!failure) {
          failure = { err };
          controller.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  outer?.removeEventListener('abort', stop);
  if (failure) throw failure.err;
  outer?.throwIfAborted();
}

function layerEvents(line: LayerLine): (e: BlobEvent) => void {
  return (e) => {
    switch (e.kind) {
      case 'waiting':
        line.update('Waiting for another pull');
        break;
      case 'progress':
        line.update('Downloading', e.current, e.total);
        break;
      case 'resuming':
        line.final(`Resuming download at ${Math.floor((100 * e.current) / Math.max(1, e.total))}%`);
        break;
      case 'retrying':
        line.final(`Retrying in ${(e.delayMs / 1000).toFixed(1)}s (attempt ${e.attempt}): ${e.reason}`);
        break;
      case 'verifying':
        line.update('Verifying Checksum');
        break;
    }
  };
}

function chooseDisplay(opts: PullOptions): { display: PullDisplay; write: (text: string) => void } {
  const write = opts.output ?? ((text: string) => void fs.writeSync(1, text));
  if (opts.quiet) return { display: silentDisplay(), write };
  const tty = opts.isTTY ?? (opts.output === undefined && isTerminal(1));
  return { display: tty ? terminalDisplay(write) : plainDisplay(write), write };
}

/**
 * Pulls `reference` into the image store under `paths` and returns the image. The store is
 * unchanged when it fails (except for partial downloads kept for a resume).
 */
export async function pullImage(paths: ManagerPaths, reference: string, opts: PullOptions = {}): Promise<ImageRecord> {
  const ref = parseReference(reference);
  keepFreedMemory();
  const want = opts.platform !== undefined ? parsePlatform(opts.platform) : hostPlatform();
  const name = canonicalName(ref);
  const what = familiarName(ref);
  const { display, write } = chooseDisplay(opts);
  const store = new ImageStore(paths);
  const client = new RegistryClient(ref.registry, { ...(opts.insecure !== undefined ? { insecure: opts.insecure } : {}), ...(opts.retry ? { retry: opts.retry } : {}) });

  if (!hasExplicitTagOrDigest(reference)) display.line(`Using default tag: ${ref.tag}`);
  display.line(`${ref.digest ?? ref.tag}: Pulling from ${ref.repository}`);
  const release = store.holdForWriting();
  let downloadedSomething = false;
  let follow: typeof import('./layers/follow-unpack') | undefined;
  let followers: Map<string, import('./layers/follow-unpack').FollowUnpack> | undefined;
  try {
    const resolving = resolveManifest(client, ref, want, what);
    // the unpack's code (zlib, streams, tar-stream: ~10 ms to load) loads while the registry
    // answers: after this turn of the event loop, which sends the first requests
    const unpackCode = opts.unpack ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => import('./layers/follow-unpack')) : undefined;
    unpackCode?.catch(() => undefined); // awaited below; a failed pull may never get there
    const resolved = await resolving;
    const layers = uniqueByDigest(resolved.manifest.layers);
    if (unpackCode) follow = await unpackCode;
    // The config and the layers are fetched at the same time (as containerd does: one round trip
    // less); the layers' unpacks are chosen, and their blobs committed, once the config is in.
    const pending = new Map(layers.map((l) => [l.digest, new PendingFollower()]));
    const configFailed = new AbortController();
    const configStep = (async () => {
      const fetched = await fetchConfig(store, client, ref, resolved.manifest.config, what);
      // chosen from an index, the entry's platform decided (configs often leave out the variant)
      if (resolved.platform === undefined && !configMatches(want, fetched.config)) {
        const have = formatPlatform(fetched.config);
        if (opts.platform !== undefined) throw new RegistryError(`image ${what} was found but its platform (${have}) does not match the requested ${formatPlatform(want)}`);
        display.line(`WARNING: The requested image's platform (${have}) does not match the detected host platform (${formatPlatform(want)}) and no specific platform was requested`);
      }
      if (follow) followers = follow.planFollowers(paths, resolved.manifest.layers, fetched.config.rootfs?.diff_ids ?? []);
      for (const [digest, follower] of pending) follower.choose(followers?.get(digest) ?? null);
      return fetched;
    })();
    configStep.catch((err: unknown) => {
      configFailed.abort(err);
      for (const follower of pending.values()) follower.refuse(err);
    });
    const lines = new Map(layers.map((l) => [l.digest, display.layer(l.digest.slice(7, 19))]));
    const layersStep = inParallel(
      layers,
      opts.concurrency ?? 3,
      async (layer, signal) => {
        const line = lines.get(layer.digest)!;
        if (store.hasBlob(layer.digest)) return line.final('Already exists');
        const outcome = await downloadBlob(store, client, ref.repository, layer, `layer ${layer.digest} of ${what}`, layerEvents(line), signal, pending.get(layer.digest));
        if (outcome === 'downloaded') downloadedSomething = true;
        line.final(outcome === 'downloaded' ? 'Pull complete' : 'Already exists');
      },
      configFailed.signal,
    ).finally(() => display.close());
    // both settle before anything is cleaned up: the config step may still plan followers
    const [configOutcome, layersOutcome] = await Promise.allSettled([configStep, layersStep]);
    if (configOutcome.status === 'rejected') throw configOutcome.reason;
    if (layersOutcome.status === 'rejected') throw layersOutcome.reason;
    const { config, bytes: configBytes } = configOutcome.value;
    if (configBytes) downloadedSomething = true;
    if (follow && followers) follow.commitFollowed(paths, followers.values());

    const before = store.readIndex().manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === name);
    if (configBytes) store.writeBlob(configBytes, resolved.manifest.config.digest);
    store.writeBlob(resolved.manifestBytes, resolved.manifestDigest);
    const repoDigest = `${ref.registry}/${ref.repository}@${resolved.repoDigest}`;
    store.setRef(name, {
      mediaType: resolved.manifestType,
      digest: resolved.manifestDigest,
      size: resolved.manifestBytes.length,
      annotations: { [REPO_DIGEST_ANNOTATION]: repoDigest },
      platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) },
    });
    const upToDate = !downloadedSomething && before?.digest === resolved.manifestDigest;
    display.line(`Digest: ${resolved.repoDigest}`);
    display.line(upToDate ? `Status: Image is up to date for ${what}` : `Status: Downloaded newer image for ${what}`);
    write(`${name}\n`);
    const names = store.readIndex().manifests.filter((d) => d.digest === resolved.manifestDigest).map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined);
    return store.image(resolved.manifestDigest, names);
  } catch (err) {
    display.close();
    if (follow && followers) await follow.abandonFollowed(followers.values());
    if (err instanceof ManagerError || (err as Error)?.name === 'SchemaError') throw err;
    throw new RegistryError(`pulling ${what}: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    release();
  }
}

export interface EnsureOptions extends PullOptions {
  /** docker run --pull: missing (default), always, never */
  pull?: 'missing' | 'always' | 'never';
}

/**
 * The image for `docker run`/`create`: the local one (by name, id or digest), else pulled, with
 * docker's "Unable to find image 'busybox:latest' locally" first. `never` only looks locally.
 */
export async function ensureImage(paths: ManagerPaths, reference: string, opts: EnsureOptions = {}): Promise<ImageRecord> {
  const policy = opts.pull ?? 'missing';
  if (policy !== 'always') {
    try {
      return new ImageStore(paths).resolve(reference);
    } catch (err) {
      if (!(err instanceof NotFoundError) || policy === 'never') throw err;
    }
    const write = opts.output ?? ((text: string) => void fs.writeSync(2, text));
    if (!opts.quiet) write(`Unable to find image '${familiarName(parseReference(reference))}' locally\n`);
  }
  // the container needs the layers unpacked next: unpacked while they download
  return pullImage(paths, reference, { unpack: true, ...opts });
}

function uniqueByDigest(layers: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return layers.filter((l) => !seen.has(l.digest) && seen.add(l.digest));
}

/** Whether the text names a tag or digest itself (docker prints "Using default tag" otherwise). */
function hasExplicitTagOrDigest(text: string): boolean {
  if (text.includes('@')) return true;
  const last = text.slice(text.lastIndexOf('/') + 1);
  return last.includes(':');
}
