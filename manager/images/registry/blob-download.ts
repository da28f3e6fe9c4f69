// Downloads one blob into the image store: streamed to <tmp>/ingest/<hex>.partial with sha256
// computed as the bytes are written, committed by rename only when the digest and size match.
// A dropped connection keeps the partial file; the next attempt (a retry with backoff in this
// pull, or a later pull) hashes what is there and asks for the rest with `Range: bytes=N-`.
// A complete blob whose digest is wrong is deleted: the store never holds a corrupt blob.
import fs = require('node:fs');
import { createSha256, type Sha256 } from '../../../native/sha256';
import { DigestMismatchError, type ImageStore, sha256Digest } from '../store';
import type { Descriptor } from '../types';
import type { RegistryClient } from './client';
import { RegistryError, TransientError } from './errors';
import { lockIngest } from './ingest-lock';
import { removeFile } from '../../system/remove-file';
import { networkError, withRetries } from './transport';

export type BlobEvent =
  | { kind: 'waiting' }
  | { kind: 'progress'; current: number; total: number }
  | { kind: 'resuming'; current: number; total: number }
  | { kind: 'retrying'; attempt: number; delayMs: number; reason: string }
  | { kind: 'verifying' };

export type BlobOutcome = 'present' | 'downloaded';

/**
 * Something that reads the partial file while it is being written (the layer unpack of a pull,
 * see layers/follow-unpack.ts). It is told how far the file is valid; bytes it has read become
 * void when the file is truncated (restarted). Before the blob is committed, `verified` is
 * awaited: a rejection fails the download and the blob is not stored.
 */
export interface DownloadFollower {
  /** the partial file at `file` holds `offset` bytes already (a previous pull's, or none) */
  opened(file: string, offset: number): void;
  /** bytes [0, offset) are written */
  progress(offset: number): void;
  /** the file was truncated to 0: what was read of it is void */
  restarted(): void;
  /** the whole blob is there and matches its digest */
  verified(size: number): Promise<void>;
  /** the download failed (or was aborted): stop reading */
  failed(err: unknown): void;
}

interface Partial {
  fd: number;
  offset: number;
  hash: Sha256;
  /** some bytes came from before a Range request: a previous pull's partial file or an earlier attempt */
  resumed: boolean;
}

/** Opens (or creates) the partial file and hashes what it already holds. */
async function openPartial(file: string, size: number): Promise<Partial> {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  let offset = fs.fstatSync(fd).size;
  if (offset > size) {
    fs.ftruncateSync(fd, 0);
    offset = 0;
  }
  const hash = createSha256();
  if (offset > 0) {
    const stream = fs.createReadStream('', { fd, autoClose: false, start: 0, end: offset - 1, highWaterMark: 1 << 20 });
    for await (const chunk of stream) hash.update(chunk as Buffer);
  }
  return { fd, offset, hash, resumed: offset > 0 };
}

function restart(p: Partial, follower?: DownloadFollower): void {
  follower?.restarted();
  fs.ftruncateSync(p.fd, 0);
  p.offset = 0;
  p.hash = createSha256();
}

/** Appends a chunk to the partial file (pwrite at the offset) and to its hash. */
function append(p: Partial, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.length) done += fs.writeSync(p.fd, chunk, done, chunk.length - done, p.offset + done);
  p.hash.update(chunk);
  p.offset += chunk.length;
}

/** One request from p.offset to the end (or to an error, leaving p at the bytes written). */
async function transfer(client: RegistryClient, repository: string, desc: Descriptor, what: string, p: Partial, onEvent: (e: BlobEvent) => void, signal?: AbortSignal, follower?: DownloadFollower): Promise<void> {
  const res = await client.openBlob(repository, desc.digest, p.offset, what, signal, true);
  if (res.status === 416) {
    // what we hold cannot be resumed from: start again
    await res.bytes().catch(() => undefined);
    restart(p, follower);
    throw new TransientError(`${what}: the registry refused to resume at byte ${p.offset}`);
  }
  if (p.offset > 0) {
    const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
    if (res.status !== 206 || Number(start) !== p.offset) restart(p, follower); // the registry sent the whole blob
    else {
      p.resumed = true;
      onEvent({ kind: 'resuming', current: p.offset, total: desc.size });
    }
  }
  try {
    // the reads come in up to 1 MB at a time: each is written as it is
    await res.pipeTo((chunk) => {
      if (p.offset + chunk.length > desc.size) throw new RegistryError(`${what}: the registry sent more than the ${desc.size} bytes the manifest says`);
      append(p, chunk);
      follower?.progress(p.offset);
      onEvent({ kind: 'progress', current: p.offset, total: desc.size });
    });
  } catch (err) {
    throw networkError(err, `${what}: download interrupted at byte ${p.offset} of ${desc.size}`);
  }
  if (p.offset < desc.size) throw new TransientError(`${what}: the connection ended at byte ${p.offset} of ${desc.size}`);
}

/** A small blob (an image config) fetched into memory, its size and digest checked. */
export async function fetchBlobBytes(client: RegistryClient, repository: string, desc: Descriptor, what: string): Promise<Buffer> {
  return withRetries(async () => {
    const res = await client.openBlob(repository, desc.digest, 0, what);
    let bytes: Buffer;
    try {
      bytes = await res.bytes();
    } catch (err) {
      throw networkError(err, what);
    }
    if (bytes.length !== desc.size) throw new RegistryError(`${what}: ${bytes.length} bytes where the manifest says ${desc.size}`);
    const actual = sha256Digest(bytes);
    if (actual !== desc.digest) throw new DigestMismatchError(desc.digest, actual, what);
    return bytes;
  }, client.retry);
}

/**
 * Makes sure the store holds `desc` (a layer or config blob of `repository`): 'present' if it was
 * already there (or another pull committed it while we waited), 'downloaded' otherwise.
 */
export async function downloadBlob(
  store: ImageStore,
  client: RegistryClient,
  repository: string,
  desc: Descriptor,
  what: string,
  onEvent: (e: BlobEvent) => void,
  signal?: AbortSignal,
  follower?: DownloadFollower,
): Promise<BlobOutcome> {
  if (store.hasBlob(desc.digest)) return 'present';
  const file = store.ingestPath(desc.digest);
  const unlock = await lockIngest(`${file.replace(/\.partial$/, '')}.lock`, () => onEvent({ kind: 'waiting' }), signal);
  let p: Partial | undefined;
  let committing = false;
  try {
    if (store.hasBlob(desc.digest)) return 'present';
    p = await openPartial(file, desc.size);
    follower?.opened(file, p.offset);
    for (let fromScratch = false; ; fromScratch = true) {
      const partial = p;
      if (partial.offset < desc.size) {
        await withRetries(
          () => {
            signal?.throwIfAborted();
            return transfer(client, repository, desc, what, partial, onEvent, signal, follower);
          },
          { ...client.retry, onRetry: (err, attempt, delayMs) => onEvent({ kind: 'retrying', attempt, delayMs, reason: err.message }) },
        );
      }
      onEvent({ kind: 'verifying' });
      const actual = `sha256:${partial.hash.hex()}`;
      if (actual === desc.digest) break;
      // A resumed download may have started from a bad partial file or joined a different
      // answer: once more from byte 0; a whole download that does not verify is refused.
      if (partial.resumed && !fromScratch) {
        restart(partial, follower);
        partial.resumed = false;
        continue;
      }
      fs.closeSync(partial.fd);
      p = undefined;
      removeFile(file);
      throw new DigestMismatchError(desc.digest, actual, what);
    }
    // durable before it gets its final name: a crash must not leave a short blob under a digest
    const synced = new Promise<void>((resolve, reject) => fs.fdatasync(p!.fd, (err) => (err ? reject(err) : resolve())));
    if (follower) {
      committing = true; // the follower's verdict is final: it is not told of a failure after this
      const verdict = follower.verified(desc.size);
      const [sync, check] = await Promise.allSettled([synced, verdict]);
      if (check.status === 'rejected') {
        // the blob matches its digest but what it holds was refused: it is not stored either
        fs.closeSync(p.fd);
        p = undefined;
        removeFile(file);
        throw check.reason;
      }
      if (sync.status === 'rejected') throw sync.reason;
    } else await synced;
    fs.closeSync(p.fd);
    p = undefined;
    await store.commitIngest(desc.digest, file, true);
    return 'downloaded';
  } catch (err) {
    if (!committing) follower?.failed(err);
    throw err;
  } finally {
    if (p) fs.closeSync(p.fd);
    unlock();
  }
}
