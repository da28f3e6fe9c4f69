// Unpacking a layer while its blob downloads (`mydocker pull`, and `run` of an image not yet
// here): the download writes the partial file as before; this reads the same file behind it
// (from the page cache) into gunzip and the tar writer, in a staging directory of the layer
// store. The unpack and the download overlap instead of following each other, and the blob is
// not read again afterwards.
//
// What is stored stays as strict as with the unpack after the download:
// - the staged layer gets its final name only when the blob matched its digest, its content
//   matched the diffID, and every other layer of the pull succeeded (the pull commits them);
// - content that does not unpack or does not match the diffID fails the download: the blob is
//   not stored either (DownloadFollower.verified);
// - a download that restarts from byte 0 (a registry that does not resume, a resumed partial file
//   that did not verify) voids what was read: the streamed unpack is dropped, and the layer is
//   unpacked from the stored blob afterwards like any other (ensureLayers);
// - a zstd blob without zstd in zlib is left to that later unpack as well (the zstd program
//   reads a file).
import fs = require('node:fs');
import { Readable } from 'node:stream';
import type { DownloadFollower } from '../registry/blob-download';
import { layerTarFromStream } from './decompress';
import type { ManagerPaths } from '../../paths';
import { chainIDs, isSha256Digest } from './chain';
import { commitStaged, discardStaged, isPresent, stageLayer, stagedDiffDir, type StagedLayer, writeStagedMetadata } from './store';
import { unpackTarStream } from './unpack';

/** reads of the growing file: the size of the download's own writes */
const READ_CHUNK = 1 << 20;
const HEAD = 4;

/** The partial file as a stream, read up to what the download has written so far. */
class GrowingFileReader extends Readable {
  private readonly fd: number;
  private pos = 0;
  private available: number;
  private size: number | null = null;
  private parked = false;
  private headWaiter: (() => void) | null = null;

  constructor(file: string, written: number) {
    super({ highWaterMark: READ_CHUNK });
    this.fd = fs.openSync(file, 'r');
    this.available = written;
  }

  grow(written: number): void {
    this.available = written;
    this.wake();
  }

  complete(size: number): void {
    this.size = size;
    this.available = size;
    this.wake();
  }

  /** The first bytes (fewer only when the whole blob is shorter), once written. */
  async head(): Promise<Buffer> {
    while (this.available < HEAD && this.size === null && !this.destroyed) await new Promise<void>((resolve) => (this.headWaiter = resolve));
    const buf = Buffer.alloc(Math.min(HEAD, this.available));
    if (this.destroyed) return buf;
    const n = fs.readSync(this.fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  }

  override _read(): void {
    this.pump();
  }

  private pump(): void {
    if (this.destroyed) return;
    if (this.pos < this.available) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, this.available - this.pos));
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, this.pos);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (n === 0) {
        this.destroy(new Error(`the partial file ends at byte ${this.pos}, before the ${this.available} bytes written`));
        return;
      }
      this.pos += n;
      this.push(n === buf.length ? buf : buf.subarray(0, n));
    } else if (this.size !== null) this.push(null);
    else this.parked = true;
  }

  private wake(): void {
    const waiter = this.headWaiter;
    this.headWaiter = null;
    waiter?.();
    if (this.parked) {
      this.parked = false;
      this.pump();
    }
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    fs.closeSync(this.fd);
    this.wake();
    callback(err);
  }
}

export interface FollowedLayer {
  chainID: string;
  /** the chain ID of the layer below, null for the lowest */
  parent: string | null;
  diffID: string;
  digest: string;
  mediaType: string;
}

/** The unpack that follows one layer's download; give it to downloadBlob as its follower. */
export class FollowUnpack implements DownloadFollower {
  private reader: GrowingFileReader | null = null;
  private work: Promise<StagedLayer | null> | null = null;
  private cancelled = false;
  private stage: StagedLayer | null = null;
  /** the layer unpacked and verified, for the pull to commit */
  complete: StagedLayer | null = null;

  constructor(
    private readonly paths: ManagerPaths,
    private readonly layer: FollowedLayer,
  ) {}

  opened(file: string, offset: number): void {
    if (this.reader !== null || this.cancelled) return;
    try {
      this.reader = new GrowingFileReader(file, offset);
    } catch {
      this.cancelled = true; // cannot follow: unpacked from the stored blob afterwards
      return;
    }
    this.work = this.run(this.reader);
    this.work.catch(() => {}); // observed in verified()
  }

  progress(offset: number): void {
    this.reader?.grow(offset);
  }

  restarted(): void {
    this.cancel();
  }

  failed(): void {
    this.cancel();
  }

  async verified(size: number): Promise<void> {
    if (this.reader === null || this.work === null) return;
    if (this.cancelled) {
      // what was read is void (the download restarted): whatever the unpack made of it, dropped
      const staged = await this.work.catch(() => null);
      if (staged) discardStaged([staged]);
      return;
    }
    this.reader.complete(size);
    this.complete = await this.work;
  }

  /** Stops the unpack and removes what it wrote (the pull failed). */
  async abandon(): Promise<void> {
    this.cancel();
    const staged = await this.work?.catch(() => null);
    if (staged) discardStaged([staged]);
    this.complete = null;
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reader?.destroy(new Error('the download restarted'));
  }

  private async run(reader: GrowingFileReader): Promise<StagedLayer | null> {
    const head = await reader.head();
    if (this.cancelled) return null;
    const input = layerTarFromStream(reader, head, this.layer.mediaType, this.layer.digest);
    if (input === null) {
      this.cancel();
      return null;
    }
    this.stage = stageLayer(this.paths, this.layer.chainID);
    try {
      const unpacked = await unpackTarStream(input, this.layer.diffID, stagedDiffDir(this.stage), this.layer.digest);
      if (this.cancelled) throw new Error('cancelled'); // the download restarted under a complete unpack
      writeStagedMetadata(this.stage, {
        chainID: this.layer.chainID,
        diffID: unpacked.diffID,
        parent: this.layer.parent,
        size: unpacked.size,
        entries: unpacked.entries,
        digest: this.layer.digest,
        created: new Date().toISOString(),
      });
      return this.stage;
    } catch (err) {
      discardStaged([this.stage]);
      if (this.cancelled) return null;
      throw err;
    }
  }
}

/**
 * Followers for the layers of a manifest (blob descriptors, lowest first) that the layer store
 * lacks, by blob digest. Left out, to be unpacked after the pull: a blob that appears twice (one
 * download, two layers), and everything when the config's diff_ids do not match the layers
 * (the unpack afterwards reports it).
 */
export function planFollowers(paths: ManagerPaths, layers: Array<{ digest: string; mediaType: string }>, diffIDs: string[]): Map<string, FollowUnpack> {
  const out = new Map<string, FollowUnpack>();
  if (diffIDs.length !== layers.length || !diffIDs.every(isSha256Digest)) return out;
  const chains = chainIDs(diffIDs);
  const uses = new Map<string, number>();
  for (const l of layers) uses.set(l.digest, (uses.get(l.digest) ?? 0) + 1);
  layers.forEach((l, i) => {
    if (uses.get(l.digest) !== 1 || isPresent(paths, chains[i]!)) return;
    out.set(l.digest, new FollowUnpack(paths, { chainID: chains[i]!, parent: i === 0 ? null : chains[i - 1]!, diffID: diffIDs[i]!, digest: l.digest, mediaType: l.mediaType }));
  });
  return out;
}

/** Gives the verified layers their names in the layer store (after every layer of the pull succeeded). */
export function commitFollowed(paths: ManagerPaths, followers: Iterable<FollowUnpack>): void {
  commitStaged(paths, [...followers].flatMap((f) => (f.complete ? [f.complete] : [])));
}

/** A failed pull: stops the unpacks and removes what they wrote. */
export async function abandonFollowed(followers: Iterable<FollowUnpack>): Promise<void> {
  await Promise.all([...followers].map((f) => f.abandon()));
}
