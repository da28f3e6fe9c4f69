// Container ids: 64 random hex digits, shown as their first 12.
import { randomHex } from '../system/random';

export const FULL_ID = /^[0-9a-f]{64}$/;

export function newContainerId(): string {
  return randomHex(32);
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}
