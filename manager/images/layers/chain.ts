// Chain IDs (OCI image-spec, config.md "Layer ChainID"): a layer's identity including every
// layer below it. ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
// The layer store keys its directories by chain ID, so an identical stack is unpacked once.
import { sha256Digest } from '../store';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isSha256Digest(value: string): boolean {
  return DIGEST.test(value);
}

/** The chain ID of every prefix of diffIDs, lowest layer first. */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = [];
  for (const diffID of diffIDs) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? diffID : sha256Digest(`${parent} ${diffID}`));
  }
  return out;
}

/** "sha256:<hex>" -> "<hex>" (the layer store's directory name). */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
