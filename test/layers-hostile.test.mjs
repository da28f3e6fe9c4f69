// Hostile layers: entries that try to write outside their layer directory through "..",
// absolute paths, symlinked parents and hardlinks are refused with a one-line error naming the
// layer and the entry; nothing is written outside, and no layer or staging directory is left.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { buildLayer, writeOciLayout } from './lib/layer-builder.mjs';

const { ensureLayers } = load('manager/images/layers/store');
const { managerPaths } = load('manager/paths');
const { lgetxattr } = load('native/libc');

function setup(t) {
  const root = fs.mkdtempSync('/var/tmp/mydocker-layers-hostile-');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const sentinel = path.join(root, 'outside');
  fs.mkdirSync(sentinel);
  fs.writeFileSync(path.join(sentinel, 'file'), 'original');
  const paths = managerPaths(path.join(root, 'store'), path.join(root, 'run'));
  return { root, sentinel, paths };
}

/** Every path under dir (relative), to compare before and after. */
function listing(dir) {
  const out = [];
  const walk = (rel) => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const child = path.join(rel, name);
      out.push(child);
      if (fs.lstatSync(path.join(dir, child)).isDirectory() && !child.startsWith('store')) walk(child);
    }
  };
  walk('');
  return out.sort();
}

async function refused(t, entries, message) {
  const { root, sentinel, paths } = setup(t);
  const token = crypto.randomBytes(6).toString('hex');
  const layer = buildLayer(entries({ sentinel, token }));
  const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
  const before = listing(root);
  await assert.rejects(ensureLayers(paths, layout.inputs), (err) => {
    assert.equal(err.name, 'LayerError');
    assert.equal(err.message.includes('\n'), false, 'one line');
    assert.match(err.message, new RegExp(`^layer ${layer.digest}: entry `));
    assert.match(err.message, message);
    return true;
  });
  assert.equal(fs.readFileSync(path.join(sentinel, 'file'), 'utf8'), 'original');
  assert.deepEqual(fs.readdirSync(sentinel), ['file'], 'nothing written in the sentinel directory');
  assert.deepEqual(fs.readdirSync(paths.layers), [], 'no layer or staging directory left');
  assert.deepEqual(listing(root).filter((p) => !p.startsWith('store')), before.filter((p) => !p.startsWith('store')));
  for (const candidate of [`/${token}`, `/tmp/${token}`, `/var/tmp/${token}`, path.join(paths.root, token), path.join(paths.layers, token)]) {
    assert.equal(fs.existsSync(candidate), false, `${candidate} was not written`);
  }
}

test('".." in a name is refused', (t) =>
  refused(t, ({ token }) => [{ name: 'ok', content: 'ok' }, { name: `../../${token}`, content: 'evil' }], /"\.\.\/\.\.\/[0-9a-f]+": name "\.\.\/\.\.\/[0-9a-f]+" contains "\.\."/));

test('".." in the middle of a name is refused', (t) => refused(t, ({ token }) => [{ name: `a/b/../../../../${token}`, content: 'evil' }], /contains "\.\."/));

test('an absolute name is refused', (t) => refused(t, ({ token }) => [{ name: `/var/tmp/${token}`, content: 'evil' }], /name "\/var\/tmp\/[0-9a-f]+" is an absolute path/));

test('an entry under a symlink to an absolute path outside is refused (the symlink itself is fine)', (t) =>
  refused(
    t,
    ({ sentinel }) => [
      { name: 'a', type: 'symlink', linkname: sentinel },
      { name: 'a/evil', content: 'evil' },
    ],
    /entry "a\/evil": parent "a" is a symbolic link/,
  ));

test('an entry under a relative symlink climbing out is refused', (t) =>
  refused(
    t,
    ({ token }) => [
      { name: 'up', type: 'symlink', linkname: '../../../../../../../../var/tmp' },
      { name: `up/${token}`, content: 'evil' },
    ],
    /parent "up" is a symbolic link/,
  ));

test('a directory entry and an opaque marker under a symlinked parent are refused', async (t) => {
  await refused(
    t,
    ({ sentinel }) => [
      { name: 'd', type: 'symlink', linkname: sentinel },
      { name: 'd/sub/', type: 'directory' },
    ],
    /entry "d\/sub\/": parent "d" is a symbolic link/,
  );
  await refused(
    t,
    ({ sentinel }) => [
      { name: 'd', type: 'symlink', linkname: sentinel },
      { name: 'd/.wh..wh..opq' },
    ],
    /parent "d" is a symbolic link/,
  );
  await refused(
    t,
    ({ sentinel }) => [
      { name: 'd', type: 'symlink', linkname: sentinel },
      { name: 'd/.wh.file' },
    ],
    /parent "d" is a symbolic link/,
  );
});

test('a hardlink to ../../etc/passwd is refused', (t) => refused(t, () => [{ name: 'passwd', type: 'link', linkname: '../../etc/passwd' }], /hardlink target "\.\.\/\.\.\/etc\/passwd" contains "\.\."/));

test('a hardlink to an absolute path outside is refused', (t) =>
  refused(t, ({ sentinel }) => [{ name: 'stolen', type: 'link', linkname: path.join(sentinel, 'file') }], /hardlink target "\/.*\/outside\/file" is an absolute path/));

test('a hardlink to something not in this layer, or through a symlink, is refused', async (t) => {
  await refused(t, () => [{ name: 'passwd', type: 'link', linkname: 'etc/passwd' }], /hardlink target "etc\/passwd" is not an earlier entry of this layer/);
  await refused(
    t,
    ({ sentinel }) => [
      { name: 's', type: 'symlink', linkname: sentinel },
      { name: 'stolen', type: 'link', linkname: 's/file' },
    ],
    /hardlink target "s\/file" is not an earlier entry of this layer/,
  );
});

test('an entry under a regular file, a whiteout of "..", a layer root that is not a directory are refused', async (t) => {
  await refused(t, () => [{ name: 'f', content: 'f' }, { name: 'f/x', content: 'x' }], /entry "f\/x": parent "f" is not a directory/);
  await refused(t, () => [{ name: 'a/.wh..', content: '' }], /whiteout of "\." or "\.\."/);
  await refused(t, () => [{ name: './', type: 'symlink', linkname: '/' }], /the layer root can only be a directory/);
});

test('a later entry replaces a symlink instead of writing through it', async (t) => {
  const { root, sentinel, paths } = setup(t);
  const layer = buildLayer([
    { name: 'f', type: 'symlink', linkname: path.join(sentinel, 'file') },
    { name: 'f', content: 'replaced' },
    { name: 'd', type: 'symlink', linkname: sentinel },
    { name: 'd/', type: 'directory' },
    { name: 'd/file', content: 'inside' },
    { name: 'h', type: 'symlink', linkname: path.join(sentinel, 'file') },
    { name: 'h', type: 'link', linkname: 'f' },
  ]);
  const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
  const [dir] = await ensureLayers(paths, layout.inputs);
  assert.equal(fs.readFileSync(path.join(sentinel, 'file'), 'utf8'), 'original');
  assert.deepEqual(fs.readdirSync(sentinel), ['file']);
  assert.ok(fs.lstatSync(path.join(dir, 'f')).isFile());
  assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'replaced');
  assert.ok(fs.lstatSync(path.join(dir, 'd')).isDirectory());
  assert.equal(fs.readFileSync(path.join(dir, 'd/file'), 'utf8'), 'inside');
  assert.equal(fs.lstatSync(path.join(dir, 'h')).ino, fs.lstatSync(path.join(dir, 'f')).ino);
});

test('overlay xattrs forged in the tar are not applied (only whiteouts make them)', async (t) => {
  const { root, paths } = setup(t);
  const layer = buildLayer([
    { name: 'dir/', type: 'directory', xattrs: { 'trusted.overlay.opaque': 'y', 'trusted.overlay.redirect': '/etc', 'user.kept': 'yes' } },
  ]);
  const layout = writeOciLayout(path.join(root, 'layout'), [layer]);
  const [dir] = await ensureLayers(paths, layout.inputs);
  assert.equal(lgetxattr(path.join(dir, 'dir'), 'trusted.overlay.opaque'), null);
  assert.equal(lgetxattr(path.join(dir, 'dir'), 'trusted.overlay.redirect'), null);
  assert.equal(lgetxattr(path.join(dir, 'dir'), 'user.kept').toString(), 'yes');
});
