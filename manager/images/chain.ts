// Layer chain ids (image-spec config.md, "Layer ChainID"): the id of a layer together with every
// layer below it. The layer store keys unpacked layers by them.
import { sha256Digest } from './store';
import type { Digest } from './types';

/** chainIds([a, b, c]) = [a, sha256(a + " " + b), sha256(that + " " + c)] */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const chain: Digest[] = [];
  for (const diffId of diffIds) {
    const below = chain[chain.length - 1];
    chain.push(below === undefined ? diffId : sha256Digest(`${below} ${diffId}`));
  }
  return chain;
}
