// `mydocker bundle IMAGE DIR`: a standalone bundle that runc and mydocker-runtime both run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const MYDOCKER = path.resolve('dist/mydocker');
const RUNTIMES = { runc: '/usr/sbin/runc', ours: path.resolve('dist/mydocker-runtime') };

function setup(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-bundle-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, MYDOCKER_ROOT: path.join(dir, 'lib'), MYDOCKER_RUN_ROOT: path.join(dir, 'run') };
  const mydocker = (args) => spawnSync(MYDOCKER, args, { env, encoding: 'utf8' });
  return { dir, mydocker };
}

test('the built-in busybox becomes a bundle that runc and mydocker-runtime run alike', (t) => {
  const { dir, mydocker } = setup(t);
  const bundle = path.join(dir, 'b');
  const r = mydocker(['bundle', 'busybox', bundle, '--', 'sh', '-c', 'id -u; echo $HOME; echo $PATH; cat /etc/passwd | head -1']);
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  assert.deepEqual(config.process.args.slice(0, 2), ['sh', '-c']);
  assert.ok(fs.statSync(path.join(bundle, 'rootfs', 'bin', 'busybox')).isFile());
  const outputs = {};
  for (const [name, runtime] of Object.entries(RUNTIMES)) {
    const root = path.join(dir, `state-${name}`);
    const run = spawnSync(runtime, ['--root', root, 'run', '-b', bundle, `bundle-test-${name}-${process.pid}`], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${name}: ${run.stderr}`);
    outputs[name] = run.stdout;
  }
  assert.equal(outputs.ours, outputs.runc);
  assert.match(outputs.ours, /^0\n\/root\n\/usr\/local\/sbin:.*\nroot:x:0:0:/);
});

test('bad bundle requests: one line, non-zero, nothing left', (t) => {
  const { dir, mydocker } = setup(t);
  const missing = mydocker(['bundle', '--pull', 'never', 'nosuch:1', path.join(dir, 'b1')]);
  assert.notEqual(missing.status, 0);
  assert.equal(missing.stderr.trim().split('\n').at(-1), 'mydocker: No such image: nosuch:1');
  assert.equal(fs.existsSync(path.join(dir, 'b1')), false);

  const busy = path.join(dir, 'b2');
  fs.mkdirSync(path.join(busy, 'rootfs'), { recursive: true });
  const r = mydocker(['bundle', 'busybox', busy]);
  assert.equal(r.status, 125);
  assert.match(r.stderr, /already holds a rootfs/);
  assert.deepEqual(fs.readdirSync(busy), ['rootfs']);
});
