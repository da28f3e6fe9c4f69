// The built-in busybox image: made offline from Debian's busybox-static, the same image every
// time on this host, readable by skopeo and umoci, and its shell runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { load } from './lib/dist.mjs';
import { assertStoreUnchanged, rootfsTarball, sha256File, snapshotStore, tempManager } from './lib/images.mjs';

const { ensureBuiltinBusybox, isStaticElf, BUILTIN_BUSYBOX } = load('manager/images/builtin');
const { goArch } = load('manager/system/version');
const tarStream = createRequire(import.meta.url)('tar-stream');

const BUSYBOX = fs.existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';

async function tarHeaders(gzipped) {
  const extract = tarStream.extract();
  const headers = [];
  const done = (async () => {
    for await (const entry of extract) {
      headers.push(entry.header);
      entry.resume();
    }
  })();
  extract.end(zlib.gunzipSync(gzipped));
  await done;
  return headers;
}

test('static ELF detection', () => {
  assert.equal(isStaticElf(fs.readFileSync(BUSYBOX)), true);
  assert.equal(isStaticElf(fs.readFileSync(process.execPath)), false);
  assert.equal(isStaticElf(Buffer.from('#!/bin/sh\n'.padEnd(100))), false);
});

test('busybox:latest is made when missing, the same image in two stores, and only once', async (t) => {
  const a = tempManager(t, 'mydocker-builtin-');
  assert.equal(a.cli('images', '-q').stdout, '');
  const image = await ensureBuiltinBusybox(a.paths);
  assert.deepEqual(image.names, [BUILTIN_BUSYBOX]);
  const row = a.cli('images', '--format', '{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}').stdout;
  assert.match(row, new RegExp(`^busybox latest ${image.configDigest.slice(7, 19)} \\d+(\\.\\d+)?[km]?B\\n$`, 'i'));

  // deterministic: another store gets the very same blobs
  const b = tempManager(t, 'mydocker-builtin-');
  const again = await ensureBuiltinBusybox(b.paths);
  assert.equal(again.configDigest, image.configDigest);
  assert.equal(again.manifestDigest, image.manifestDigest);
  const layer = image.manifest.layers[0];
  assert.equal(sha256File(b.store.blobPath(layer.digest)), layer.digest);

  // already there: nothing is written
  const before = snapshotStore(a.paths);
  const mtimes = fs.readdirSync(a.store.blobs).map((f) => fs.statSync(path.join(a.store.blobs, f)).mtimeMs);
  assert.equal((await ensureBuiltinBusybox(a.paths)).manifestDigest, image.manifestDigest);
  assertStoreUnchanged(a.paths, before, 'second ensure');
  assert.deepEqual(fs.readdirSync(a.store.blobs).map((f) => fs.statSync(path.join(a.store.blobs, f)).mtimeMs), mtimes);

  // the config: sh, PATH, this host's architecture, created = the binary's mtime
  const mtime = new Date(Math.floor(fs.statSync(BUSYBOX).mtimeMs / 1000) * 1000);
  assert.deepEqual(image.config.config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] });
  assert.equal(image.config.architecture, goArch());
  assert.equal(image.config.os, 'linux');
  assert.equal(Date.parse(image.config.created), mtime.getTime());
  assert.equal(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');

  // the layer: sorted entries, root-owned, one mtime, the applets as symlinks to busybox
  const gz = fs.readFileSync(a.store.blobPath(layer.digest));
  assert.equal(`sha256:${(await import('node:crypto')).createHash('sha256').update(zlib.gunzipSync(gz)).digest('hex')}`, image.config.rootfs.diff_ids[0]);
  const headers = await tarHeaders(gz);
  const names = headers.map((h) => h.name.replace(/\/$/, ''));
  assert.deepEqual(names, [...names].sort());
  assert.ok(headers.every((h) => h.uid === 0 && h.gid === 0 && h.mtime.getTime() === mtime.getTime()));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).trim().split('\n').filter((x) => x !== 'busybox');
  for (const applet of applets) assert.ok(headers.some((h) => h.name === `bin/${applet}` && h.type === 'symlink' && h.linkname === 'busybox'), applet);
  assert.equal(headers.find((h) => h.name === 'tmp/').mode, 0o1777);
  assert.equal(headers.find((h) => h.name === 'bin/busybox').size, fs.statSync(BUSYBOX).size);
});

test('skopeo and umoci read the built-in image; its shell runs in a chroot', async (t) => {
  const m = tempManager(t, 'mydocker-builtin-');
  const image = await ensureBuiltinBusybox(m.paths);
  assert.equal(execFileSync('umoci', ['ls', '--layout', m.paths.images], { encoding: 'utf8' }), `${BUILTIN_BUSYBOX}\n`);
  const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${m.paths.images}:${BUILTIN_BUSYBOX}`], { encoding: 'utf8' }));
  assert.equal(inspected.Digest, image.manifestDigest);
  assert.equal(inspected.Architecture, goArch());
  const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${m.paths.images}:${BUILTIN_BUSYBOX}`], { encoding: 'utf8' }));
  assert.deepEqual(config.config.Cmd, ['sh']);

  const bundle = path.join(m.dir, 'bundle');
  execFileSync('umoci', ['unpack', '--image', `${m.paths.images}:${BUILTIN_BUSYBOX}`, bundle], { stdio: 'ignore' });
  const rootfs = path.join(bundle, 'rootfs');
  assert.equal(execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'echo ok'], { encoding: 'utf8' }), 'ok\n');
  assert.equal(execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'ls -d /tmp /root /proc && id -un && grep -c . /etc/group'], { encoding: 'utf8' }), '/proc\n/root\n/tmp\nroot\n5\n');
  assert.equal(fs.statSync(path.join(rootfs, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(fs.statSync(path.join(rootfs, 'root')).mode & 0o7777, 0o700);
});

test('a busybox:latest already in the store (pulled) is kept; a busybox that is not static is refused and nothing is stored', async (t) => {
  const m = tempManager(t, 'mydocker-builtin-');
  const { tar } = rootfsTarball(m.dir, 'pulled');
  assert.equal(m.cli('import', tar, 'busybox:latest').status, 0);
  const before = snapshotStore(m.paths);
  const image = await ensureBuiltinBusybox(m.paths);
  assert.equal(image.config.history[0].comment, `Imported from ${tar}`);
  assertStoreUnchanged(m.paths, before, 'ensure with busybox present');

  const empty = tempManager(t, 'mydocker-builtin-');
  const clean = snapshotStore(empty.paths);
  await assert.rejects(ensureBuiltinBusybox(empty.paths, { busybox: process.execPath }), (e) => /is not a statically linked busybox: .*busybox-static/.test(e.message) && !e.message.includes('\n'));
  await assert.rejects(ensureBuiltinBusybox(empty.paths, { busybox: path.join(empty.dir, 'nothere') }), /needs Debian's busybox-static .* not found\): apt-get install busybox-static, or mydocker pull busybox/);
  assertStoreUnchanged(empty.paths, clean, 'refused builds');
});
