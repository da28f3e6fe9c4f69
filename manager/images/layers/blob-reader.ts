// A stored blob as a stream of chunks: node:stream's Readable over fs.read on an fd the caller
// opened. fs.createReadStream does the same, but its first use in a process loads Node's fs
// stream classes (internal/fs/streams and what it needs): 2.6-3.5 ms measured at the start of
// an unpack, more than the first megabyte takes to read. Node's ReadStream also opens the file
// in the thread pool first; here it is already open (the caller sniffed its first bytes).
import fs = require('node:fs');
import { Readable } from 'node:stream';

export class BlobReader extends Readable {
  private position = 0;
  /** a read is in the thread pool: the fd must stay open until it returns */
  private reading = false;
  private closeWhenRead: (() => void) | null = null;

  /** Takes over `fd` (closed when the stream ends or is destroyed); reads `chunkSize` at a time. */
  constructor(
    private readonly fd: number,
    private readonly chunkSize: number,
  ) {
    super({ highWaterMark: chunkSize });
  }

  override _read(): void {
    const buffer = Buffer.allocUnsafeSlow(this.chunkSize);
    this.reading = true;
    fs.read(this.fd, buffer, 0, this.chunkSize, this.position, (err, n) => {
      this.reading = false;
      if (this.closeWhenRead) {
        this.closeWhenRead(); // destroyed meanwhile: what the read found no longer matters
        return;
      }
      if (err) {
        this.destroy(err);
        return;
      }
      if (n === 0) {
        this.push(null);
        return;
      }
      this.position += n;
      this.push(n < buffer.length ? buffer.subarray(0, n) : buffer);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const close = () => fs.close(this.fd, (closeError) => callback(error ?? closeError));
    if (this.reading) this.closeWhenRead = close;
    else close();
  }
}
