// BlobReader (manager/images/layers/blob-reader.ts): a stored blob as a stream without
// fs.createReadStream. It owns the fd it is given: closed at the end, and never while a read
// on it is still in the thread pool (the number could be reused by the next open).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { BlobReader } = load('manager/images/layers/blob-reader');

function blobFile(t, bytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-reader-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'blob');
  fs.writeFileSync(file, bytes);
  return file;
}

/** Whether fd is still open on `file` (by /proc, so a reused number on another file says no). */
function openOn(fd, file) {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
  } catch {
    return false;
  }
}

test('BlobReader: the whole blob in chunks of the given size, then the fd is closed', async (t) => {
  const content = crypto.randomBytes(3 * 65536 + 1234);
  const file = blobFile(t, content);
  const fd = fs.openSync(file, 'r');
  const reader = new BlobReader(fd, 65536);
  const chunks = [];
  for await (const chunk of reader) chunks.push(chunk);
  assert.deepEqual(chunks.map((c) => c.length), [65536, 65536, 65536, 1234]);
  assert.ok(Buffer.concat(chunks).equals(content));
  assert.equal(openOn(fd, file), false, 'the fd is closed once the stream ended');
});

test('BlobReader: an empty blob ends at once', async (t) => {
  const file = blobFile(t, Buffer.alloc(0));
  const fd = fs.openSync(file, 'r');
  const chunks = [];
  for await (const chunk of new BlobReader(fd, 4096)) chunks.push(chunk);
  assert.deepEqual(chunks, []);
  assert.equal(openOn(fd, file), false);
});

test('BlobReader: destroyed while a read is in the thread pool, the fd is closed only after that read returned', async (t) => {
  const file = blobFile(t, crypto.randomBytes(8192));
  const fd = fs.openSync(file, 'r');
  const events = [];
  const realRead = fs.read;
  const realClose = fs.close;
  fs.read = (...args) => {
    const callback = args.pop();
    realRead(...args, (...result) => setTimeout(() => {
      events.push('read returned');
      callback(...result);
    }, 50));
  };
  fs.close = (closing, callback) => {
    if (closing === fd) events.push('close');
    realClose(closing, callback);
  };
  t.after(() => {
    fs.read = realRead;
    fs.close = realClose;
  });
  const reader = new BlobReader(fd, 4096);
  reader.on('error', (err) => events.push(`error ${err.message}`));
  reader.read(0); // starts a read
  reader.destroy();
  await once(reader, 'close');
  assert.deepEqual(events, ['read returned', 'close']);
  assert.equal(openOn(fd, file), false);
});

test('BlobReader: destroy(err) reports err and closes the fd', async (t) => {
  const file = blobFile(t, crypto.randomBytes(100));
  const fd = fs.openSync(file, 'r');
  const reader = new BlobReader(fd, 4096);
  const failed = once(reader, 'error');
  const closed = new Promise((resolve) => reader.once('close', resolve)); // events.once would reject on 'error'
  reader.destroy(new Error('the unpack failed'));
  const [err] = await failed;
  assert.equal(err.message, 'the unpack failed');
  await closed;
  assert.equal(openOn(fd, file), false);
});

test('BlobReader: a read error (not a readable fd) is the stream\'s error', async () => {
  const dir = fs.realpathSync(os.tmpdir());
  const fd = fs.openSync(dir, 'r'); // a directory: read gives EISDIR
  const reader = new BlobReader(fd, 4096);
  const closed = new Promise((resolve) => reader.once('close', resolve)); // events.once would reject on 'error'
  reader.resume();
  const [err] = await once(reader, 'error');
  assert.equal(err.code, 'EISDIR');
  await closed;
  assert.equal(openOn(fd, dir), false);
});

test('unpackLayer: blobs in every compression are read to the end and closed; a destination that cannot be written leaves the blob closed too', async (t) => {
  const { buildLayer } = await import('./lib/layer-builder.mjs');
  const { unpackLayer } = load('manager/images/layers/unpack');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-reader-unpack-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const compression of ['gzip', 'none', 'zstd']) {
    const layer = buildLayer([{ name: 'file', content: 'content' }], compression);
    const blobPath = path.join(dir, `blob-${compression}`);
    fs.writeFileSync(blobPath, layer.blob);
    const source = { blobPath, mediaType: layer.mediaType, diffID: layer.diffID };
    const dest = fs.mkdtempSync(path.join(dir, 'dest-'));
    await unpackLayer(source, dest);
    assert.equal(fs.readFileSync(path.join(dest, 'file'), 'utf8'), 'content');
    assert.equal(openFds(blobPath), 0, `${compression}: the blob is closed after the unpack`);
    await assert.rejects(unpackLayer(source, path.join(dir, 'missing')), /ENOENT/);
    assert.equal(await openFdsSettled(blobPath), 0, `${compression}: the blob is closed after a failed start`);
  }
});

/** openFds once the count stops being above 0 (a destroyed stream closes its fd asynchronously), or after 1 s. */
async function openFdsSettled(file) {
  for (let waited = 0; waited < 1000 && openFds(file) > 0; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  return openFds(file);
}

/** How many of our fds are open on `file`. */
function openFds(file) {
  return fs.readdirSync('/proc/self/fd').filter((fd) => openOn(Number(fd), file)).length;
}
