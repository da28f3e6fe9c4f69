// Container ids: 64 random hex digits, shown as their first 12.
import crypto = require('node:crypto');

export const FULL_ID = /^[0-9a-f]{64}$/;

export function newContainerId(): string {
  return crypto.randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}
