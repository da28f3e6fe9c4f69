// Unpacks one layer blob into an empty directory, streaming: blob -> decompressor -> tar-stream
// -> LayerWriter, hashing the uncompressed bytes on the way so the diffID is verified without a
// second read.
//
// tar-stream is the parser tar-fs is built on; tar-fs's own extract() does not fit image layers:
// it refuses absolute symlinks, clears setuid/setgid bits, skips device nodes and xattrs, and
// knows nothing of whiteouts. So the parsing is tar-fs's and the writing is ours (layer-writer.ts). Everything is written with synchronous fs calls on the main thread: per entry
// they cost a few microseconds each, far less than a round trip through the thread pool, while
// decompression (zlib) still runs in the pool alongside.
import { pipeline } from 'node:stream/promises';
import fs = require('node:fs');
import { createSha256 } from '../../../native/sha256';
import { LayerError } from './layer-error';
import { layerName, type LayerSource } from './source';

export { layerName, type LayerSource } from './source';
import { openLayerTar, type Compression, type LayerTarStream } from './decompress';
import { createTarExtract, toTarEntry } from './tar-reader';
import { EntryError, LayerWriter, type OpenFile } from './layer-writer';

export interface UnpackedLayer {
  diffID: string;
  /** bytes of uncompressed tar */
  size: number;
  entries: number;
  compression: Compression;
}


function writeAll(fd: number, chunk: Buffer): void {
  let offset = 0;
  while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset, chunk.length - offset);
}

/**
 * Unpacks source into destDir (an existing, empty, private directory). Refuses entries that
 * would write outside it and a content whose sha256 is not source.diffID. On error the caller
 * removes destDir.
 */
export async function unpackLayer(source: LayerSource, destDir: string): Promise<UnpackedLayer> {
  const name = layerName(source);
  return unpackTarStream(openLayerTar(source.blobPath, source.mediaType, name), source.diffID, destDir, name);
}

/**
 * Unpacks the tar bytes of `input` (a blob's, see decompress.ts) into destDir, an existing,
 * empty, private directory; `name` names the layer in errors. Refuses entries that would write
 * outside destDir and a content whose sha256 is not diffID. On error the caller removes destDir.
 */
export async function unpackTarStream(input: LayerTarStream, diffID: string, destDir: string, name: string): Promise<UnpackedLayer> {
  let writer: LayerWriter;
  try {
    writer = new LayerWriter(destDir);
  } catch (err) {
    input.abort(); // the blob is open already
    throw err;
  }
  const hash = createSha256();
  let size = 0;
  input.tar.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  const extract = createTarExtract();
  extract.on('entry', (header, stream, next) => {
    // a failed unpack destroys the entry's stream with the extract's error: reported once, by the pipeline
    stream.on('error', () => {});
    let file: OpenFile | null;
    try {
      file = writer.apply(toTarEntry(header));
    } catch (err) {
      next(entryFailure(err, header.name));
      return;
    }
    if (file === null) {
      stream.resume(); // nothing to read (or content of a type that has none, discarded)
      next();
      return;
    }
    const open = file;
    stream.on('data', (chunk) => {
      try {
        writeAll(open.fd, chunk as Buffer);
      } catch (err) {
        stream.destroy(entryFailure(err, header.name));
      }
    });
    stream.on('error', (err: Error) => next(err));
    stream.on('end', () => {
      try {
        writer.closeFile(open);
        next();
      } catch (err) {
        next(entryFailure(err, header.name));
      }
    });
  });
  try {
    await pipeline([...input.stages, extract as unknown as NodeJS.WritableStream]);
    await input.done();
    writer.finish();
  } catch (err) {
    writer.abort();
    if (err instanceof LayerError) throw err;
    if (err instanceof EntryError) {
      input.abort();
      throw new LayerError(name, err.message);
    }
    // a broken stream: when the decompressor's output ended early, its exit status says why
    if (input.tar.readableEnded) await input.done();
    input.abort();
    throw new LayerError(name, `not a valid ${input.compression === 'none' ? '' : `${input.compression} `}tar stream: ${(err as Error).message}`);
  }
  const actual = `sha256:${hash.hex()}`;
  if (actual !== diffID) {
    throw new LayerError(name, `uncompressed content is ${actual}, but the image config says diffID ${diffID}`);
  }
  return { diffID: actual, size, entries: writer.entries, compression: input.compression };
}

/** An fs error while applying an entry, named after the entry. */
function entryFailure(err: unknown, entryName: string): EntryError {
  if (err instanceof EntryError) return err;
  return new EntryError(entryName, (err as Error).message ?? String(err));
}
