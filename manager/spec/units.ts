// Sizes as docker's flags take them (--memory, --memory-swap, --shm-size, tmpfs size=): a number
// with an optional binary unit b, k, m, g, t, p (case-insensitive, "kb"/"kib" accepted too).
import { UsageError } from '../errors';

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const UNIT: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** A one-line message in the style of docker's CLI: invalid argument "V" for "FLAG" flag: WHY */
export function invalidFlag(flag: string, value: string, why: string): UsageError {
  return new UsageError(`invalid argument ${JSON.stringify(value)} for "${flag}" flag: ${why}`);
}

/** Bytes for a size like 512m, 1.5g, 1024, 10kb; throws UsageError naming `flag`. */
export function parseMemory(flag: string, value: string): number {
  const m = SIZE.exec(value.trim());
  if (!m) throw invalidFlag(flag, value, `invalid size: '${value}'`);
  const bytes = Math.floor(Number(m[1]) * UNIT[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw invalidFlag(flag, value, `size out of range: '${value}'`);
  return bytes;
}

/** --memory-swap: a size, or -1 for unlimited swap. */
export function parseMemorySwap(value: string, flag = '--memory-swap'): number {
  return value.trim() === '-1' ? -1 : parseMemory(flag, value);
}
