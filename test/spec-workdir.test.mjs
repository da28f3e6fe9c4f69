// ensureWorkdir (manager/spec/workdir.ts): the working directory is made inside the rootfs
// before the container starts, through symlinks resolved in the rootfs, never outside it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { load } from './lib/dist.mjs';
import { assertUsageError } from './lib/spec-assert.mjs';

const { ensureWorkdir } = load('manager/spec/workdir');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-workdir-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const rootfs = () => {
  const dir = path.join(tmp, `rootfs-${++seq}`);
  fs.mkdirSync(path.join(dir, 'srv'), { recursive: true });
  return dir;
};

test('missing directories are made, mode 0755 whatever the umask; existing ones are kept', () => {
  const root = rootfs();
  const old = process.umask(0o077);
  try {
    assert.equal(ensureWorkdir(root, '/srv/app/data'), path.join(root, 'srv', 'app', 'data'));
  } finally {
    process.umask(old);
  }
  for (const p of ['srv/app', 'srv/app/data']) assert.equal(fs.statSync(path.join(root, p)).mode & 0o777, 0o755, p);
  fs.writeFileSync(path.join(root, 'srv', 'app', 'data', 'keep'), '');
  ensureWorkdir(root, '/srv/app/data/');
  assert.ok(fs.existsSync(path.join(root, 'srv', 'app', 'data', 'keep')));
  assert.equal(ensureWorkdir(root, '/'), root);
});

test('symlinks are followed inside the rootfs', () => {
  const root = rootfs();
  const outside = path.join(tmp, `outside-${seq}`);
  fs.symlinkSync(outside, path.join(root, 'escape')); // absolute: means <rootfs><outside>
  fs.symlinkSync('../../..', path.join(root, 'srv', 'up'));
  assert.equal(ensureWorkdir(root, '/escape/work'), path.join(root, outside, 'work'));
  assert.ok(!fs.existsSync(outside), 'nothing made outside the rootfs');
  assert.equal(ensureWorkdir(root, '/srv/up/w2'), path.join(root, 'w2'));
});

test('a file in the way is an error', () => {
  const root = rootfs();
  fs.writeFileSync(path.join(root, 'srv', 'file'), '');
  assertUsageError(() => ensureWorkdir(root, '/srv/file'), 'working directory /srv/file', '/srv/file exists and is not a directory');
  assertUsageError(() => ensureWorkdir(root, '/srv/file/sub'), 'working directory /srv/file/sub', 'exists and is not a directory');
  const loop = rootfs();
  fs.symlinkSync('/loop', path.join(loop, 'loop'));
  assertUsageError(() => ensureWorkdir(loop, '/loop/x'), 'working directory /loop/x', 'too many levels of symbolic links');
});
