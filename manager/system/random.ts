// Random ids and names from /dev/urandom. node:crypto is not part of Node's start-up snapshot:
// loading it costs about 5 ms of every command that makes a container, for 32 random bytes.
import fs = require('node:fs');

function randomBytes(count: number): Buffer {
  const bytes = Buffer.alloc(count);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < count; ) got += fs.readSync(fd, bytes, got, count - got, null);
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/** `count` random bytes as hex digits. */
export function randomHex(count: number): string {
  return randomBytes(count).toString('hex');
}

/** A uniformly random integer in [0, max), max <= 2^32 (rejection sampling: no modulo bias). */
export function randomInt(max: number): number {
  if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) throw new RangeError(`randomInt: bad bound ${max}`);
  const limit = 2 ** 32 - (2 ** 32 % max);
  for (;;) {
    const value = randomBytes(4).readUInt32LE(0);
    if (value < limit) return value % max;
  }
}
