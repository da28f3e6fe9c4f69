// The layer store: layers unpacked once per chain ID, whiteouts in overlay form, metadata kept,
// diffIDs verified, concurrent callers, garbage collection, bad input leaving nothing behind.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from './lib/dist.mjs';
import { buildLayer, layerBlob, tarOf, sampleImageLayers, writeOciLayout, CAPABILITY, LATIN1_NAME, MEDIA, T } from './lib/layer-builder.mjs';
import { snapshot, at, inode } from './lib/tree-snapshot.mjs';

const { ensureLayers, removeUnusedLayers, chainIDs, readLayerMetadata, listLayers } = load('manager/images/layers/store');
const { managerPaths } = load('manager/paths');
const { lgetxattr } = load('native/libc');

const here = path.dirname(fileURLToPath(import.meta.url));

function tempStore(t, name = 'store') {
  const root = fs.mkdtempSync(`/var/tmp/mydocker-layers-${name}-`);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  return { root, paths: managerPaths(path.join(root, 'root'), path.join(root, 'run')) };
}

const sha256 = (s) => `sha256:${crypto.createHash('sha256').update(s).digest('hex')}`;
/** The tree below dir (dir itself is the store's, made at unpack time). */
function treeOf(dir) {
  const snap = snapshot(dir);
  snap.delete('');
  return Object.fromEntries(snap);
}
const layersDirEntries = (paths) => (fs.existsSync(paths.layers) ? fs.readdirSync(paths.layers).sort() : []);

test('chainIDs: the first is the diffID, then sha256 of "parent diffID"', () => {
  const a = sha256('a');
  const b = sha256('b');
  const c = sha256('c');
  const ab = sha256(`${a} ${b}`);
  assert.deepEqual(chainIDs([a, b, c]), [a, ab, sha256(`${ab} ${c}`)]);
  assert.deepEqual(chainIDs([]), []);
});

test('a multi-layer image: whiteouts, opaque dirs, hardlinks, absolute symlinks, devices, xattrs, owners, modes, mtimes', async (t) => {
  const { root, paths } = tempStore(t);
  const layers = sampleImageLayers();
  const layout = writeOciLayout(path.join(root, 'layout'), layers);
  const dirs = await ensureLayers(paths, layout.inputs);
  const chains = chainIDs(layers.map((l) => l.diffID));
  assert.deepEqual(
    dirs,
    chains.map((c) => path.join(paths.layers, c.slice(7), 'diff')),
  );
  assert.deepEqual(layersDirEntries(paths), chains.map((c) => c.slice(7)).sort(), 'one directory per layer, no staging left');

  // metadata
  const meta = chains.map((c) => readLayerMetadata(paths, c));
  assert.equal(meta[0].parent, null);
  assert.equal(meta[1].parent, chains[0]);
  assert.equal(meta[2].chainID, chains[2]);
  assert.equal(meta[1].diffID, layers[1].diffID);
  assert.equal(meta[0].digest, layers[0].digest);
  assert.equal(meta[1].size, layers[1].tar.length);
  assert.equal(listLayers(paths).length, 3);

  // layer 1: everything kept as written
  const l1 = snapshot(dirs[0]);
  assert.deepEqual(at(l1, 'etc/owned'), { type: 'file', mode: '640', uid: 1000, gid: 1001, mtime: T.owned / 1000, sha256: sha256('owned by 1000:1001').slice(7) });
  assert.equal(at(l1, 'etc').mtime, T.etc / 1000, 'directory mtime set after its contents');
  assert.equal(at(l1, 'var').mtime, T.varDir / 1000);
  assert.equal(at(l1, 'usr/bin/tool').mode, '4755');
  assert.equal(at(l1, 'usr/bin/tool')['xattr security.capability'], CAPABILITY.toString('hex'), 'binary xattr byte for byte');
  assert.equal(at(l1, 'usr/bin/tool')['xattr user.comment'], Buffer.from('hello').toString('hex'));
  assert.equal(at(l1, 'sbin/su').mode, '6755');
  assert.equal(at(l1, 'sbin/su').gid, 42);
  assert.equal(at(l1, 'tmp').mode, '1777');
  assert.equal(inode(path.join(dirs[0], 'usr/bin/tool-hardlink')), inode(path.join(dirs[0], 'usr/bin/tool')), 'hardlink is the same inode');
  assert.equal(at(l1, 'bin').target, '/usr/bin', 'absolute symlink kept as written');
  assert.equal(at(l1, 'lib').target, 'usr/lib');
  assert.equal(at(l1, 'dev/null').type, 'char');
  assert.equal(at(l1, 'dev/null').rdev, fs.statSync('/dev/null').rdev);
  assert.equal(at(l1, 'dev/null').mode, '666');
  assert.equal(at(l1, 'dev/loop9').type, 'block');
  assert.equal(at(l1, 'dev/loop9').gid, 6);
  assert.equal(at(l1, 'run/initctl').type, 'fifo');
  assert.equal(at(l1, Buffer.concat([Buffer.from('opt/'), LATIN1_NAME])).sha256, sha256('latin1 name').slice(7), 'a name that is not UTF-8 survives');

  // layer 2: whiteouts and an opaque directory in overlay form
  const l2 = snapshot(dirs[1]);
  for (const gone of ['etc/owned', 'etc/gone-dir', 'lib']) {
    assert.equal(at(l2, gone).type, 'char', `${gone} is a whiteout`);
    assert.equal(at(l2, gone).rdev, 0);
  }
  assert.equal(at(l2, 'opt/data')['xattr trusted.overlay.opaque'], Buffer.from('y').toString('hex'));
  assert.equal(at(l2, 'opt')['xattr trusted.overlay.opaque'], undefined);
  assert.equal(at(l2, 'opt/data/.wh..wh..opq'), undefined, 'markers are not files');
  assert.equal(at(l2, 'etc/.wh.owned'), undefined);

  // layer 3: a directory deleted and re-created in one layer is opaque
  const l3 = snapshot(dirs[2]);
  assert.equal(at(l3, 'var')['xattr trusted.overlay.opaque'], Buffer.from('y').toString('hex'));
  assert.equal(at(l3, 'var/fresh').type, 'file');

  // a second call finds everything in place: nothing unpacked again
  const before = fs.statSync(path.join(paths.layers, chains[0].slice(7))).ino;
  assert.deepEqual(await ensureLayers(paths, layout.inputs), dirs);
  assert.equal(fs.statSync(path.join(paths.layers, chains[0].slice(7))).ino, before);
});

test('gzip, zstd and plain tar (detected by magic bytes, not media type) give the same tree; a tar without end marker too', async (t) => {
  const entries = [
    { name: 'a/', type: 'directory' },
    { name: 'a/file', content: 'x'.repeat(100000) },
    { name: 'a/link', type: 'symlink', linkname: '/a/file' },
  ];
  const tar = tarOf(entries);
  const variants = [
    { ...layerBlob(tar, 'gzip') },
    { ...layerBlob(tar, 'zstd') },
    { ...layerBlob(tar, 'none') },
    { ...layerBlob(tar, 'gzip'), mediaType: MEDIA.tar }, // a gzip blob labelled uncompressed
    { ...layerBlob(tar, 'none'), mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }, // the reverse
  ];
  const trees = [];
  for (const [i, layer] of variants.entries()) {
    const { root, paths } = tempStore(t, `compression${i}`);
    const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
    const [dir] = await ensureLayers(paths, layout.inputs);
    trees.push(treeOf(dir));
  }
  for (const tree of trees.slice(1)) assert.deepEqual(tree, trees[0]);
  assert.equal(trees[0]['a/file'].sha256, sha256('x'.repeat(100000)).slice(7));

  const noEnd = layerBlob(tarOf(entries, { endMarker: false }), 'gzip');
  const { root, paths } = tempStore(t, 'noend');
  const layout = writeOciLayout(path.join(root, 'layout'), [noEnd]);
  const [dir] = await ensureLayers(paths, layout.inputs);
  assert.deepEqual(treeOf(dir), trees[0]);
});

test('a diffID mismatch is refused naming the layer digest, and nothing is left', async (t) => {
  const { root, paths } = tempStore(t);
  const good = buildLayer([{ name: 'good', content: 'good' }]);
  const bad = buildLayer([{ name: 'bad', content: 'bad' }]);
  const layout = writeOciLayout(path.join(root, 'layout'), [good, bad]);
  const wrong = sha256('not the content');
  const inputs = [layout.inputs[0], { ...layout.inputs[1], diffID: wrong }];
  await assert.rejects(ensureLayers(paths, inputs), (err) => {
    assert.equal(err.name, 'LayerError');
    assert.match(err.message, new RegExp(`^layer ${bad.digest}: uncompressed content is ${bad.diffID}, but the image config says diffID ${wrong}$`));
    return true;
  });
  assert.deepEqual(layersDirEntries(paths), [], 'neither the bad layer nor the good one below it is left');
  // a diffID that is not a digest
  await assert.rejects(ensureLayers(paths, [{ ...layout.inputs[0], diffID: 'sha256:xyz' }]), /diffID "sha256:xyz" \(layer 0\) is not a sha256 digest/);
});

test('bad blobs: corrupt gzip, truncated tar, unsupported media type are refused and leave nothing', async (t) => {
  const { root, paths } = tempStore(t);
  const layer = buildLayer([{ name: 'f', content: 'x'.repeat(5000) }]);
  const dir = path.join(root, 'blobs');
  fs.mkdirSync(dir);
  const write = (name, buf) => {
    fs.writeFileSync(path.join(dir, name), buf);
    return path.join(dir, name);
  };
  const corrupt = Buffer.from(layer.blob);
  corrupt.fill(0x55, 20, 60);
  await assert.rejects(ensureLayers(paths, [{ blobPath: write('corrupt', corrupt), mediaType: MEDIA.gzip, diffID: layer.diffID }]), (err) => {
    assert.match(err.message, new RegExp(`^layer ${layer.diffID}: not a valid gzip tar stream: `));
    return true;
  });
  const truncated = zlib.gzipSync(layer.tar.subarray(0, 700));
  await assert.rejects(ensureLayers(paths, [{ blobPath: write('truncated', truncated), mediaType: MEDIA.gzip, diffID: layer.diffID }]), /not a valid gzip tar stream: Unexpected end of data/);
  await assert.rejects(
    ensureLayers(paths, [{ blobPath: write('config', layer.blob), mediaType: 'application/vnd.oci.image.config.v1+json', diffID: layer.diffID, digest: layer.digest }]),
    new RegExp(`^LayerError: layer ${layer.digest}: unsupported layer media type application/vnd.oci.image.config.v1\\+json$`),
  );
  const zstd = buildLayer([{ name: 'f', content: 'x'.repeat(5000) }], 'zstd');
  const corruptZstd = Buffer.from(zstd.blob);
  corruptZstd.fill(0x55, 12, corruptZstd.length - 4);
  await assert.rejects(ensureLayers(paths, [{ blobPath: write('corrupt-zstd', corruptZstd), mediaType: MEDIA.zstd, diffID: zstd.diffID }]), /^LayerError: layer sha256:\w+: zstd -d failed \(exit 1\): .+/);
  const garbage = layerBlob(Buffer.alloc(300000, 0x41), 'zstd'); // valid zstd, not a tar
  await assert.rejects(
    ensureLayers(paths, [{ blobPath: write('garbage-zstd', garbage.blob), mediaType: MEDIA.zstd, diffID: garbage.diffID }]),
    /^LayerError: layer sha256:\w+: not a valid zstd tar stream: Invalid tar header/,
  );
  await assert.rejects(
    ensureLayers(paths, [{ blobPath: path.join(dir, 'missing'), mediaType: MEDIA.gzip, diffID: layer.diffID }]),
    new RegExp(`^LayerError: layer ${layer.diffID}: blob ${dir}/missing: ENOENT: no such file or directory`),
  );
  assert.deepEqual(layersDirEntries(paths), []);
});

test('zstd layers without a zstd decoder: a clear error naming the media type', async (t) => {
  const { root } = tempStore(t);
  const layer = buildLayer([{ name: 'f', content: 'zstd' }], 'zstd');
  const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
  const script = `
    const { ensureLayers } = require(${JSON.stringify(path.join(here, '..', 'dist/lib/manager/images/layers/store.js'))});
    const { managerPaths } = require(${JSON.stringify(path.join(here, '..', 'dist/lib/manager/paths.js'))});
    const paths = managerPaths(${JSON.stringify(path.join(root, 'root'))}, ${JSON.stringify(path.join(root, 'run'))});
    ensureLayers(paths, ${JSON.stringify(layout.inputs)}).then(() => console.log('ok'), (e) => { console.log(e.message); process.exitCode = 2; });`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
  if (typeof zlib.createZstdDecompress === 'function') {
    assert.equal(r.stdout.trim(), 'ok', 'this Node decodes zstd itself');
  } else {
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout.trim(), `layer ${layer.digest}: ${MEDIA.zstd}: zstd-compressed layers need the zstd program (apt-get install zstd), which is not installed`);
    assert.deepEqual(layersDirEntries(managerPaths(path.join(root, 'root'), path.join(root, 'run'))), []);
  }
});

/** A layer big enough that two unpacks overlap. */
function biggishLayer() {
  const entries = [];
  for (let d = 0; d < 40; d++) {
    entries.push({ name: `d${d}/`, type: 'directory' });
    for (let f = 0; f < 50; f++) entries.push({ name: `d${d}/f${f}`, content: crypto.randomBytes(2000) });
  }
  return buildLayer(entries);
}

test('concurrent ensureLayers of the same layers (two processes, and twice in one) all succeed and share one copy', async (t) => {
  const { root, paths } = tempStore(t);
  const layers = [biggishLayer(), buildLayer([{ name: 'top', content: 'top' }])];
  const layout = writeOciLayout(path.join(root, 'layout'), layers);
  const script = `
    const { ensureLayers } = require(${JSON.stringify(path.join(here, '..', 'dist/lib/manager/images/layers/store.js'))});
    const { managerPaths } = require(${JSON.stringify(path.join(here, '..', 'dist/lib/manager/paths.js'))});
    const paths = managerPaths(${JSON.stringify(paths.root)}, ${JSON.stringify(paths.runRoot)});
    ensureLayers(paths, ${JSON.stringify(layout.inputs)}).then((d) => console.log(JSON.stringify(d)), (e) => { console.error(e.message); process.exitCode = 2; });`;
  const runChild = () =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (err += c));
      child.on('close', (code) => resolve({ code, out, err }));
    });
  const results = await Promise.all([runChild(), runChild(), ensureLayers(paths, layout.inputs), ensureLayers(paths, layout.inputs)]);
  const expected = chainIDs(layers.map((l) => l.diffID)).map((c) => path.join(paths.layers, c.slice(7), 'diff'));
  for (const r of results.slice(0, 2)) {
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), expected);
  }
  assert.deepEqual(results[2], expected);
  assert.deepEqual(results[3], expected);
  assert.deepEqual(layersDirEntries(paths), expected.map((d) => path.basename(path.dirname(d))).sort(), 'one copy each, no staging left');
  assert.equal(fs.readdirSync(expected[0]).length, 40);
});

test('removeUnusedLayers keeps the chain IDs asked for, removes the rest and what dead unpacks left', async (t) => {
  const { root, paths } = tempStore(t);
  const base = buildLayer([{ name: 'base', content: 'base' }]);
  const a = buildLayer([{ name: 'a', content: 'a' }]);
  const b = buildLayer([{ name: 'b', content: 'b' }]);
  const imageA = writeOciLayout(path.join(root, 'layoutA'), [base, a]);
  const imageB = writeOciLayout(path.join(root, 'layoutB'), [base, b]);
  await ensureLayers(paths, imageA.inputs);
  await ensureLayers(paths, imageB.inputs);
  const chainsA = chainIDs([base.diffID, a.diffID]);
  const chainsB = chainIDs([base.diffID, b.diffID]);
  assert.equal(chainsA[0], chainsB[0], 'the shared base layer is one entry');
  assert.equal(layersDirEntries(paths).length, 3);

  const dead = spawnSync('true').pid;
  fs.mkdirSync(path.join(paths.layers, `.tmp-${dead}-abc-x`, 'diff'), { recursive: true });
  fs.mkdirSync(path.join(paths.layers, `.tmp-${process.pid}-abc-x`), { recursive: true });
  await removeUnusedLayers(paths, new Set(chainsA));
  assert.deepEqual(layersDirEntries(paths), [...chainsA.map((c) => c.slice(7)), `.tmp-${process.pid}-abc-x`].sort());
  await removeUnusedLayers(paths, new Set());
  assert.deepEqual(layersDirEntries(paths), [`.tmp-${process.pid}-abc-x`], 'a live process staging directory is left alone');
});

test('xattrs the kernel refuses on a symlink (user.*) are skipped like GNU tar does; others are kept', async (t) => {
  const { root, paths } = tempStore(t);
  const layer = buildLayer([
    { name: 'target', content: 't', xattrs: { 'user.on-file': 'kept' } },
    { name: 'link', type: 'symlink', linkname: 'target', xattrs: { 'user.on-symlink': 'skipped', 'trusted.on-symlink': 'kept' } },
  ]);
  const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
  const [dir] = await ensureLayers(paths, layout.inputs);
  assert.equal(lgetxattr(path.join(dir, 'target'), 'user.on-file').toString(), 'kept');
  assert.equal(lgetxattr(path.join(dir, 'link'), 'trusted.on-symlink').toString(), 'kept');
  assert.equal(lgetxattr(path.join(dir, 'link'), 'user.on-symlink'), null);
});

test('many symlinks: owners and times kept; replaced, hardlinked and removed with their directory in archive order', async (t) => {
  const { root, paths } = tempStore(t);
  const many = Array.from({ length: 300 }, (_, i) => ({ name: `bin/applet${i}`, type: 'symlink', linkname: 'busybox', uid: 1000 + (i % 3), gid: 2000, mtime: new Date(1_600_000_000_000 + i * 1000) }));
  const layer = buildLayer([
    { name: 'bin/', type: 'directory', mtime: new Date('2021-01-01T00:00:00Z') },
    ...many,
    { name: 'bin/applet7', content: 'a file now' }, // replaces a symlink
    { name: 'bin/hard', type: 'link', linkname: 'bin/applet8' }, // a hardlink to a symlink (to the link itself)
    { name: 'gone/', type: 'directory' },
    ...Array.from({ length: 50 }, (_, i) => ({ name: `gone/s${i}`, type: 'symlink', linkname: '/etc/passwd' })),
    { name: 'gone', content: 'the directory was replaced' }, // removes a directory of symlinks
  ]);
  const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
  const [dir] = await ensureLayers(paths, layout.inputs);
  assert.equal(fs.readdirSync(path.join(dir, 'bin')).length, 301);
  for (const i of [0, 1, 2, 150, 299]) {
    const st = fs.lstatSync(path.join(dir, `bin/applet${i}`));
    assert.ok(st.isSymbolicLink(), `applet${i}`);
    assert.equal(fs.readlinkSync(path.join(dir, `bin/applet${i}`)), 'busybox');
    assert.equal(st.uid, 1000 + (i % 3));
    assert.equal(st.gid, 2000);
    assert.equal(st.mtimeMs, 1_600_000_000_000 + i * 1000);
  }
  assert.equal(fs.readFileSync(path.join(dir, 'bin/applet7'), 'utf8'), 'a file now');
  assert.ok(fs.lstatSync(path.join(dir, 'bin/hard')).isSymbolicLink());
  assert.equal(fs.lstatSync(path.join(dir, 'bin/hard')).ino, fs.lstatSync(path.join(dir, 'bin/applet8')).ino);
  assert.equal(fs.readFileSync(path.join(dir, 'gone'), 'utf8'), 'the directory was replaced');
  assert.equal(fs.statSync(path.join(dir, 'bin')).mtimeMs, Date.parse('2021-01-01T00:00:00Z'), 'directory times set after their contents');
});

test('a symlink the kernel refuses fails the unpack naming its entry, and nothing is left', async (t) => {
  const { root, paths } = tempStore(t);
  const layer = buildLayer([
    { name: 'ok', type: 'symlink', linkname: 'x' },
    { name: 'bad', type: 'symlink', linkname: 'y'.repeat(5000) }, // longer than PATH_MAX: ENAMETOOLONG
    { name: 'after', content: 'later entries still come' },
  ]);
  const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
  await assert.rejects(ensureLayers(paths, layout.inputs), (err) => {
    assert.equal(err.name, 'LayerError');
    assert.match(err.message, /entry "bad": .*name too long/i);
    return true;
  });
  assert.deepEqual(layersDirEntries(paths), [], 'no layer or staging directory left');
});
