// Chain IDs (OCI image-spec, config.md "Layer ChainID"): a layer's identity including every
// layer below it. ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
// The layer store keys its directories by chain ID, so an identical stack is unpacked once.
import { chainIds } from '../chain';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isSha256Digest(value: string): boolean {
  return DIGEST.test(value);
}

/** The chain ID of every prefix of diffIDs, lowest layer first (diffIDs checked with isSha256Digest). */
export function chainIDs(diffIDs: readonly string[]): string[] {
  return chainIds(diffIDs);
}

/** "sha256:<hex>" -> "<hex>" (the layer store's directory name). */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
