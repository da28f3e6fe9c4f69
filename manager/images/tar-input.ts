// Reading tarballs that users hand us (import, load): which compression they use, copying them
// to a scratch file while hashing, and checking that a layer really is a tar archive and what
// its uncompressed digest (the diffID) is.
import fs = require('node:fs');
import { once } from 'node:events';
import { pipeline, type Readable } from 'node:stream';
import zlib = require('node:zlib');
import tarStream = require('tar-stream');
import { createSha256 } from '../../native/sha256';
import { ManagerError, UsageError } from '../errors';
import type { Digest } from './types';

/** A read stream of a regular file; a missing file or a directory is a one-line error naming it. */
export function openRegularFile(file: string, command: string): fs.ReadStream {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new UsageError(`${command}: "${file}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!stat.isFile()) throw new UsageError(`${command}: "${file}": not a regular file`);
  return fs.createReadStream(file, { highWaterMark: 1 << 20 });
}

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

/** The compression a stream starts with (by its magic bytes). */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** Refuses what we cannot decompress, with the compression named. */
export function assertSupportedCompression(compression: Compression, what: string): void {
  if (compression === 'bzip2' || compression === 'xz' || compression === 'zstd') {
    throw new ManagerError(`${what}: ${compression}-compressed tarballs are not supported (use a plain or gzip-compressed tar)`);
  }
}

/** The first `n` bytes of a stream (fewer if it is shorter), pushed back so that reading starts over. */
export async function peek(input: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const chunk = input.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      length += chunk.length;
      continue;
    }
    if (input.readableEnded) break;
    const ended = await Promise.race([once(input, 'readable').then(() => false), once(input, 'end').then(() => true)]);
    if (ended) break;
  }
  const head = Buffer.concat(chunks);
  if (head.length > 0) input.unshift(head);
  return head.subarray(0, n);
}

export interface HashedFile {
  digest: Digest;
  size: number;
  /** the first bytes (to tell the compression) */
  head: Buffer;
}

/** Writes `source` to `file` (which must not exist) and returns its sha256 and size. */
export async function writeHashed(source: AsyncIterable<Buffer | Uint8Array>, file: string): Promise<HashedFile> {
  const hash = createSha256();
  const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
  const opened = once(out, 'open');
  let size = 0;
  let head = Buffer.alloc(0);
  try {
    await opened;
    for await (const chunk of source) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      hash.update(buf);
      if (head.length < 8) head = Buffer.concat([head, buf.subarray(0, 8 - head.length)]);
      size += buf.length;
      // once() rejects when the stream emits 'error' meanwhile
      if (!out.write(buf)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
  } catch (err) {
    out.destroy();
    throw err;
  }
  return { digest: `sha256:${hash.hex()}`, size, head };
}

export interface LayerCheck {
  diffId: Digest;
  compression: 'gzip' | 'none';
  entries: number;
}

/**
 * Reads a stored layer file through (gunzip if it is gzip) and a tar parser: the diffID is the
 * sha256 of the uncompressed bytes; anything that is not a tar archive is refused.
 */
export async function checkLayerFile(file: string, what: string): Promise<LayerCheck> {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(8);
  const headLength = fs.readSync(fd, head, 0, 8, 0);
  fs.closeSync(fd);
  if (headLength === 0) throw new ManagerError(`${what}: the file is empty, not a tar archive`);
  const compression = compressionOf(head.subarray(0, headLength));
  assertSupportedCompression(compression, what);
  const hash = createSha256();
  const extract = tarStream.extract();
  let entries = 0;
  const parsed = (async () => {
    for await (const entry of extract) {
      entries++;
      entry.resume();
    }
  })();
  parsed.catch(() => undefined);
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const plain: AsyncIterable<Buffer> = compression === 'gzip' ? pipeline(input, zlib.createGunzip(), () => undefined) : input;
  try {
    for await (const chunk of plain) {
      hash.update(chunk);
      // `parsed` settles when the parser fails (its error may come before we listen for it)
      if (!extract.write(chunk)) await Promise.race([once(extract, 'drain'), parsed]);
    }
    extract.end(undefined);
    await parsed;
  } catch (err) {
    input.destroy();
    extract.destroy();
    throw new ManagerError(`${what}: not a valid ${compression === 'gzip' ? 'gzip-compressed ' : ''}tar archive (${(err as Error).message.split('\n')[0]})`);
  }
  return { diffId: `sha256:${hash.hex()}`, compression: compression === 'gzip' ? 'gzip' : 'none', entries };
}
