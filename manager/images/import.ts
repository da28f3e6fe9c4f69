// `mydocker import FILE|- [REPOSITORY[:TAG]]`: a root filesystem tarball (plain or gzip) becomes
// a one-layer image. The layer is stored exactly as given (its bytes are the blob: a gzip file
// keeps the tar+gzip media type, a plain tar is stored as an uncompressed OCI layer, no
// recompression); its diffID is the sha256 of the uncompressed tar. The config carries the
// --change instructions, the host's architecture, and -m (or "Imported from FILE") in history.
import fs = require('node:fs');
import path = require('node:path');
import type { Readable } from 'node:stream';
import { UsageError } from '../errors';
import type { ManagerPaths } from '../paths';
import { goArch } from '../system/version';
import { applyChanges } from './changes';
import { rfc3339 } from './human';
import { withBlobBatch, writeOciImage } from './image-writer';
import { addNameless, assignName } from './naming';
import { type ImageRecord, ImageStore } from './store';
import { targetName } from './tag';
import { checkLayerFile, openRegularFile, writeHashed } from './tar-input';
import { type ImageConfig, MEDIA_TYPES } from './types';

export interface ImportOptions {
  /** REPOSITORY[:TAG] to name the image; without it the image has no name (docker's <none>) */
  reference?: string;
  /** Dockerfile instructions for the config (see changes.ts) */
  changes?: string[];
  /** the history comment (-m) */
  message?: string;
  /** what history says the image came from when there is no message (the file name, "-" for stdin) */
  sourceLabel?: string;
  now?: Date;
}

export interface ImportedImage {
  image: ImageRecord;
  /** the full name given, if any */
  name?: string;
}

/** Opens the file to import; refuses URLs, missing files and directories with one line naming the file. */
function openSource(file: string): Readable {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) throw new UsageError(`import: "${file}": importing from a URL is not supported (download it, then give the file)`);
  return openRegularFile(file, 'import');
}

export async function importRootfs(paths: ManagerPaths, source: string | Readable, options: ImportOptions = {}): Promise<ImportedImage> {
  const name = options.reference !== undefined ? targetName(options.reference, 'repository') : undefined;
  const runtimeConfig = applyChanges({}, options.changes ?? []);
  const label = options.sourceLabel ?? (typeof source === 'string' ? source : '-');
  const input = typeof source === 'string' ? openSource(source) : source;
  const store = new ImageStore(paths);
  const scratch = fs.mkdtempSync(path.join(paths.tmp, 'import-'));
  try {
    const layerFile = path.join(scratch, 'layer');
    const written = await writeHashed(input, layerFile);
    const what = `import: "${label}"`;
    const check = await checkLayerFile(layerFile, what);
    const created = rfc3339(options.now ?? new Date());
    const config: ImageConfig = {
      created,
      architecture: goArch(),
      os: 'linux',
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: [check.diffId] },
      history: [{ created, comment: options.message ?? `Imported from ${label}` }],
    };
    const layer = { mediaType: check.compression === 'gzip' ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer, digest: written.digest, size: written.size };
    const manifest = await withBlobBatch(store, async (batch) => {
      await batch.commitFile(written.digest, layerFile);
      const descriptor = writeOciImage(batch, config, [layer]);
      if (name !== undefined) assignName(store, name, descriptor);
      else addNameless(store, descriptor);
      return descriptor;
    });
    const image = store.list().find((i) => i.manifestDigest === manifest.digest) ?? store.image(manifest.digest);
    return { image, ...(name !== undefined ? { name } : {}) };
  } finally {
    if (typeof source === 'string') input.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
