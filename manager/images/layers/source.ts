// A layer to unpack (its blob and what it must verify against) and how errors name it. Apart
// from unpack.ts so that the layer store can name layers without loading the unpack code (tar,
// gzip, streams): `run` of an image whose layers are all there never needs it.
import path = require('node:path');

export interface LayerSource {
  /** the (possibly compressed) layer blob */
  blobPath: string;
  mediaType: string;
  /** sha256 of the uncompressed tar, from the image config's rootfs.diff_ids */
  diffID: string;
  /** the blob's digest, for messages (default: taken from an OCI layout's blobs/sha256/<hex> path) */
  digest?: string;
}

/** How the layer is named in errors: its blob digest when known. */
export function layerName(source: LayerSource): string {
  if (source.digest) return source.digest;
  const hex = path.basename(source.blobPath);
  const alg = path.basename(path.dirname(source.blobPath));
  return /^[0-9a-f]{64}$/.test(hex) && alg === 'sha256' ? `sha256:${hex}` : source.diffID;
}
