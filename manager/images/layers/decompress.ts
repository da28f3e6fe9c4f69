// A layer blob as a stream of tar bytes. The compression is read from the blob's first bytes,
// not from the media type alone (registries serve uncompressed layers as "tar.gzip" and the
// reverse). gzip: zlib, in the thread pool. zstd: Node 20's zlib has none, so the `zstd`
// program when it is installed (zlib's own decoder where a newer Node has one).
import fs = require('node:fs');
import zlib = require('node:zlib');
import path = require('node:path');
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { childProcess } from '../../system/child-process';
import { BlobReader } from './blob-reader';
import { LayerError } from './layer-error';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** big reads: fewer callbacks through the pipeline (the default 64 KiB costs measurably) */
const READ_CHUNK = 1 << 20;
const INFLATE_CHUNK = 256 << 10;
/**
 * How far decompression may run ahead of the tar writer: zlib works in the thread pool, so
 * while the main thread waits on file-creating syscalls it keeps inflating into this buffer.
 */
const READ_AHEAD = 8 << 20;

export function detectCompression(head: Buffer): Compression {
  const starts = (magic: number[]) => magic.every((byte, i) => head[i] === byte);
  if (starts(GZIP_MAGIC)) return 'gzip';
  if (starts(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** The blob, opened, and its first bytes (at most 4). */
function openWithHead(blobPath: string): { fd: number; head: Buffer } {
  const fd = fs.openSync(blobPath, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = fs.readSync(fd, head, 0, 4, 0);
    return { fd, head: head.subarray(0, n) };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

function findProgram(name: string): string | null {
  for (const dir of (process.env.PATH || '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return null;
}

export interface LayerTarStream {
  compression: Compression;
  /** the uncompressed tar */
  tar: Readable;
  /** the streams to put before the tar consumer in a pipeline */
  stages: Readable[];
  /** resolves when the decompressor (a zstd process) exited cleanly; rejects otherwise */
  done(): Promise<void>;
  /** stops a decompressor process we started */
  abort(): void;
}

/** Opens blobPath as a stream of tar bytes; layer names the layer in errors. */
export function openLayerTar(blobPath: string, mediaType: string, layer: string): LayerTarStream {
  if (!mediaType.includes('tar')) throw new LayerError(layer, `unsupported layer media type ${mediaType}`);
  let blob: { fd: number; head: Buffer };
  try {
    blob = openWithHead(blobPath);
  } catch (err) {
    throw new LayerError(layer, `blob ${blobPath}: ${(err as Error).message}`);
  }
  const compression = detectCompression(blob.head);
  if (compression === 'zstd') return zstdStream(blob.fd, blobPath, mediaType, layer);
  const file = new BlobReader(blob.fd, READ_CHUNK);
  if (compression === 'none') return { compression, tar: file, stages: [file], done: async () => {}, abort: () => file.destroy() };
  const gunzip = zlib.createGunzip({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: READ_AHEAD } as zlib.ZlibOptions);
  return { compression, tar: gunzip, stages: [file, gunzip], done: async () => {}, abort: () => file.destroy() };
}

type ZlibWithZstd = typeof zlib & { createZstdDecompress?: (opts?: object) => zlib.Gunzip };

/**
 * A blob arriving as a stream (`head`: its first bytes, at least 4 unless the blob is shorter)
 * as a stream of tar bytes; null for zstd without a decoder in zlib (the zstd program reads a
 * file: the caller unpacks from the blob once it is stored).
 */
export function layerTarFromStream(source: Readable, head: Buffer, mediaType: string, layer: string): LayerTarStream | null {
  if (!mediaType.includes('tar')) throw new LayerError(layer, `unsupported layer media type ${mediaType}`);
  const compression = detectCompression(head);
  const abort = () => source.destroy();
  if (compression === 'none') return { compression, tar: source, stages: [source], done: async () => {}, abort };
  if (compression === 'gzip') {
    const gunzip = zlib.createGunzip({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: READ_AHEAD } as zlib.ZlibOptions);
    return { compression, tar: gunzip, stages: [source, gunzip], done: async () => {}, abort };
  }
  const native = (zlib as ZlibWithZstd).createZstdDecompress;
  if (typeof native !== 'function') return null;
  const decoder = native({ readableHighWaterMark: READ_AHEAD });
  return { compression, tar: decoder, stages: [source, decoder], done: async () => {}, abort };
}

/** `fd`: the blob, open (taken over: read from, or closed when the zstd program reads the file). */
function zstdStream(fd: number, blobPath: string, mediaType: string, layer: string): LayerTarStream {
  const native = (zlib as ZlibWithZstd).createZstdDecompress;
  if (typeof native === 'function') {
    const file = new BlobReader(fd, READ_CHUNK);
    const decoder = native({ readableHighWaterMark: READ_AHEAD });
    return { compression: 'zstd', tar: decoder, stages: [file, decoder], done: async () => {}, abort: () => file.destroy() };
  }
  fs.closeSync(fd);
  const program = findProgram('zstd');
  if (program === null) {
    throw new LayerError(layer, `${mediaType}: zstd-compressed layers need the zstd program (apt-get install zstd), which is not installed`);
  }
  const child: ChildProcess = childProcess().spawn(program, ['-d', '-c', '-q', '--', blobPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new LayerError(layer, `zstd: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new LayerError(layer, `zstd -d failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
  exited.catch(() => {}); // observed through done()
  const stdout = child.stdout!;
  return {
    compression: 'zstd',
    tar: stdout,
    stages: [stdout],
    done: () => exited,
    abort: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
