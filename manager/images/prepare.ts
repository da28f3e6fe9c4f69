// From a reference to what a container needs: the image (local, the built-in busybox, or
// pulled) and its layers unpacked in the layer store (the overlay lower dirs).
import { ManagerError, NotFoundError } from '../errors';
import type { ManagerPaths } from '../paths';
import { ensureLayers } from './layers/store';
import type { EnsureOptions } from './pull';
import { canonicalName, parseReference } from './reference';
import { type ImageRecord, ImageStore } from './store';

/**
 * The image a container runs. `busybox` (busybox:latest) that is not in the store is made from
 * the host's busybox-static, with no network, unless --pull always asks for the registry's.
 */
export async function imageForContainer(paths: ManagerPaths, reference: string, opts: EnsureOptions = {}): Promise<ImageRecord> {
  // The builder (tar, gzip) and the registry client (http, tls) load only when needed.
  if (opts.pull !== 'always') {
    try {
      return new ImageStore(paths).resolve(reference);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (isBuiltinName(reference)) return (await import('./builtin')).ensureBuiltinBusybox(paths);
  }
  return (await import('./pull')).ensureImage(paths, reference, opts);
}

/** busybox, busybox:latest, docker.io/library/busybox:latest (builtin.ts BUILTIN_BUSYBOX) */
function isBuiltinName(reference: string): boolean {
  try {
    return canonicalName(parseReference(reference)) === 'docker.io/library/busybox:latest';
  } catch {
    return false;
  }
}

/** The image's layers unpacked (once), lowest first. */
export async function imageLowerDirs(paths: ManagerPaths, image: ImageRecord): Promise<string[]> {
  const store = new ImageStore(paths);
  const diffIDs = image.config.rootfs.diff_ids;
  if (diffIDs.length !== image.manifest.layers.length) {
    throw new ManagerError(
      `image ${image.configDigest}: the manifest has ${image.manifest.layers.length} layers but the config lists ${diffIDs.length} diff_ids`,
    );
  }
  return ensureLayers(
    paths,
    image.manifest.layers.map((layer, i) => ({ blobPath: store.blobPath(layer.digest), mediaType: layer.mediaType, diffID: diffIDs[i]!, digest: layer.digest })),
  );
}
