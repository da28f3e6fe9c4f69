// Container root filesystems: an overlay of the image's layers plus the container's upper
// directory (the merged view honours whiteouts and opaque directories), unmounted without a
// trace; the vfs driver (umoci raw unpack) produces the same tree; many layers still mount.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { buildLayer, sampleImageLayers, writeOciLayout, CAPABILITY, LATIN1_NAME, T } from './lib/layer-builder.mjs';
import { snapshot, at } from './lib/tree-snapshot.mjs';

const { ensureLayers } = load('manager/images/layers/store');
const { mountRootfs, unmountRootfs, vfsRootfs, isMounted } = load('manager/images/rootfs');
const { managerPaths } = load('manager/paths');

function setup(t, name) {
  const root = fs.mkdtempSync(`/var/tmp/mydocker-layers-${name}-`);
  const containers = [];
  t.after(async () => {
    for (const dir of containers) await unmountRootfs(dir);
    fs.rmSync(root, { recursive: true, force: true });
  });
  const paths = managerPaths(path.join(root, 'store'), path.join(root, 'run'));
  const container = (id) => {
    const dir = path.join(paths.containers, id);
    containers.push(dir);
    return dir;
  };
  return { root, paths, container };
}

/** overlay's volatile option in a mountinfo line (newer kernels show it as fsync=volatile) */
const VOLATILE = /,(fsync=)?volatile(,|$)/;
const mountsUnder = (dir) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.split(' ')[4]?.startsWith(dir));

test('overlay rootfs: the merged view honours whiteouts and opaque dirs, writes go to upper, unmount leaves nothing mounted', async (t) => {
  const { root, paths, container } = setup(t, 'overlay');
  const layout = writeOciLayout(path.join(root, 'layout'), sampleImageLayers());
  const lowers = await ensureLayers(paths, layout.inputs);
  const dir = container('c1');
  const rootfs = await mountRootfs(lowers, dir);
  assert.equal(rootfs, path.join(dir, 'rootfs'));
  assert.ok(isMounted(rootfs));
  assert.equal(await mountRootfs(lowers, dir), rootfs, 'mounting again is a no-op');
  assert.equal(mountsUnder(dir).length, 1);

  const merged = snapshot(rootfs);
  for (const gone of ['etc/owned', 'etc/gone-dir', 'etc/gone-dir/inside', 'lib', 'opt/data/old', 'var/file']) assert.equal(at(merged, gone), undefined, `${gone} is deleted`);
  assert.deepEqual(fs.readdirSync(path.join(rootfs, 'opt/data')), ['new'], 'the opaque directory hides the lower contents');
  assert.deepEqual(fs.readdirSync(path.join(rootfs, 'var')), ['fresh'], 'a directory re-created after its whiteout hides the lower one');
  assert.match(fs.readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8'), /^user:x:1000/m, 'the top layer wins');
  assert.equal(fs.readFileSync(path.join(rootfs, 'usr/bin/tool'), 'utf8'), 'tool v2');
  assert.equal(fs.readFileSync(path.join(rootfs, 'usr/bin/tool-hardlink'), 'utf8'), 'tool v1', 'the old hardlink keeps the old inode');
  assert.equal(at(merged, 'usr/bin/tool').mode, '4755');
  assert.equal(at(merged, 'usr/bin/tool')['xattr security.capability'], CAPABILITY.toString('hex'));
  assert.equal(at(merged, 'bin').target, '/usr/bin');
  assert.equal(at(merged, 'dev/null').type, 'char');
  assert.equal(at(merged, 'dev/null').rdev, fs.statSync('/dev/null').rdev);
  assert.equal(at(merged, 'etc').mtime, T.etc / 1000);
  assert.ok(at(merged, Buffer.concat([Buffer.from('opt/'), LATIN1_NAME])));
  assert.equal(at(merged, 'opt/data')['xattr trusted.overlay.opaque'], undefined, 'overlay hides its own markers');

  // the container's changes land in upper; the layers stay as they were
  fs.writeFileSync(path.join(rootfs, 'etc/hostname'), 'c1\n');
  fs.rmSync(path.join(rootfs, 'etc/passwd'));
  assert.equal(fs.readFileSync(path.join(dir, 'upper/etc/hostname'), 'utf8'), 'c1\n');
  assert.ok(fs.lstatSync(path.join(dir, 'upper/etc/passwd')).isCharacterDevice(), 'a deletion in the container is a whiteout in upper');
  assert.ok(fs.existsSync(path.join(lowers[2], 'etc/passwd')));
  assert.equal(fs.existsSync(path.join(lowers[0], 'etc/hostname')), false);

  await unmountRootfs(dir);
  assert.equal(isMounted(rootfs), false);
  assert.deepEqual(mountsUnder(dir), []);
  assert.deepEqual(fs.readdirSync(rootfs), [], 'the mount point is empty again');
  await unmountRootfs(dir); // a second unmount: nothing to do
  // mounting again brings the container's changes back
  await mountRootfs(lowers, dir);
  assert.equal(fs.readFileSync(path.join(rootfs, 'etc/hostname'), 'utf8'), 'c1\n');
  assert.equal(fs.existsSync(path.join(rootfs, 'etc/passwd')), false);
});

test('vfs driver (umoci raw unpack) makes the same tree as the overlay view', async (t) => {
  const { root, paths, container } = setup(t, 'vfs');
  const layout = writeOciLayout(path.join(root, 'layout'), sampleImageLayers(['gzip', 'none', 'gzip']), 'v1'); // umoci 0.4.7: no zstd
  const lowers = await ensureLayers(paths, layout.inputs);
  const overlay = await mountRootfs(lowers, container('overlay'));
  const vfsDir = container('vfs');
  const vfs = await mountRootfs([], vfsDir, { driver: 'vfs', image: { layoutDir: layout.layoutDir, refName: 'v1' } });
  assert.equal(vfs, path.join(vfsDir, 'rootfs'));
  assert.equal(isMounted(vfs), false, 'a plain directory');
  assert.deepEqual(fs.readdirSync(vfsDir), ['rootfs'], 'umoci staging removed');
  const a = snapshot(overlay);
  const b = snapshot(vfs);
  a.delete(''); // the root directory itself is the container's upper directory in the overlay
  b.delete('');
  assert.deepEqual(Object.fromEntries(b), Object.fromEntries(a));
  assert.equal(await vfsRootfs(layout.layoutDir, 'v1', vfsDir), vfs, 'already unpacked: kept');
  await unmountRootfs(vfsDir); // nothing mounted: a no-op
  assert.ok(fs.existsSync(path.join(vfs, 'etc/passwd')));
});

test('rootfs errors: vfs without the image, an unknown reference, a missing lower dir; nothing left behind', async (t) => {
  const { root, paths, container } = setup(t, 'errors');
  const layout = writeOciLayout(path.join(root, 'layout'), [buildLayer([{ name: 'f', content: 'f' }])], 'v1');
  await assert.rejects(mountRootfs([], container('a'), { driver: 'vfs' }), /^UsageError: storage driver vfs: the image \(OCI layout and reference\) is needed/);
  await assert.rejects(mountRootfs([], container('a'), { driver: 'zfs' }), /unknown driver "zfs"/);
  const b = container('b');
  await assert.rejects(vfsRootfs(layout.layoutDir, 'nope', b), /^ManagerError: umoci raw unpack: .*nope/);
  assert.deepEqual(fs.readdirSync(b), [], 'no staging or rootfs left');
  const c = container('c');
  await assert.rejects(mountRootfs([path.join(root, 'missing')], c), (err) => {
    assert.equal(err.name, 'ManagerError');
    assert.match(err.message, /^mounting the root filesystem \(overlay, 1 layers\) on .*\/c\/rootfs: mount overlay on .*: no such file or directory$/);
    return true;
  });
  assert.equal(fs.existsSync(c), false, 'the directories it made are removed');
  assert.deepEqual(mountsUnder(paths.containers), []);
});

test('many layers (more than fit in one page of mount options) and no layers at all', async (t) => {
  const { root, paths, container } = setup(t, 'many');
  const layers = Array.from({ length: 70 }, (_, i) => buildLayer([{ name: `layer${i}`, content: String(i) }, { name: 'top', content: String(i) }], 'none'));
  const layout = writeOciLayout(path.join(root, 'layout'), layers);
  const lowers = await ensureLayers(paths, layout.inputs);
  assert.ok(lowers.join(':').length > 4096, 'absolute paths would not fit');
  const dir = container('many');
  const rootfs = await mountRootfs(lowers, dir, { volatile: true });
  assert.match(mountsUnder(dir)[0], VOLATILE, 'volatile through the short-path mount too');
  assert.equal(fs.readdirSync(rootfs).length, 71);
  assert.equal(fs.readFileSync(path.join(rootfs, 'layer0'), 'utf8'), '0');
  assert.equal(fs.readFileSync(path.join(rootfs, 'top'), 'utf8'), '69', 'the last layer is on top');
  assert.equal(fs.existsSync(path.join(dir, 'l')), false, 'the short links are gone');
  await unmountRootfs(dir);
  assert.deepEqual(mountsUnder(dir), []);

  const empty = container('empty');
  const emptyRoot = await mountRootfs([], empty);
  assert.deepEqual(fs.readdirSync(emptyRoot), []);
  fs.writeFileSync(path.join(emptyRoot, 'x'), 'x');
  assert.ok(fs.existsSync(path.join(empty, 'upper/x')));
});

test('a volatile overlay (for --rm containers) is mounted with "volatile" and works as the default one', async (t) => {
  const { root, paths, container } = setup(t, 'volatile');
  const layout = writeOciLayout(path.join(root, 'layout'), [buildLayer([{ name: 'etc/motd', content: 'hello' }], 'none')]);
  const lowers = await ensureLayers(paths, layout.inputs);
  const plain = container('plain');
  await mountRootfs(lowers, plain);
  assert.doesNotMatch(mountsUnder(plain)[0], VOLATILE, 'containers that stay keep a synced upper directory');
  const dir = container('volatile');
  const rootfs = await mountRootfs(lowers, dir, { volatile: true });
  assert.match(mountsUnder(dir)[0], VOLATILE);
  assert.equal(fs.readFileSync(path.join(rootfs, 'etc/motd'), 'utf8'), 'hello');
  fs.writeFileSync(path.join(rootfs, 'etc/motd'), 'changed');
  assert.equal(fs.readFileSync(path.join(dir, 'upper/etc/motd'), 'utf8'), 'changed');
  await unmountRootfs(dir);
  assert.deepEqual(mountsUnder(dir), []);
});

test('overlay option syntax: a store path with "," and ":" in it is escaped', async (t) => {
  const { root, container } = setup(t, 'a,b:c');
  const paths = managerPaths(path.join(root, 'store,with:odd'), path.join(root, 'run'));
  const layout = writeOciLayout(path.join(root, 'layout'), [buildLayer([{ name: 'low', content: 'low' }]), buildLayer([{ name: 'high', content: 'high' }])]);
  const lowers = await ensureLayers(paths, layout.inputs);
  const rootfs = await mountRootfs(lowers, container('c,1:x'));
  assert.deepEqual(fs.readdirSync(rootfs).sort(), ['high', 'low']);
});
