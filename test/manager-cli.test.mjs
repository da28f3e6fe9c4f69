// The mydocker command line itself (dist/mydocker): help, version, errors, and the volume verbs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const MYDOCKER = path.resolve('dist/mydocker');

function tempRoots(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, env: { ...process.env, MYDOCKER_ROOT: path.join(dir, 'lib'), MYDOCKER_RUN_ROOT: path.join(dir, 'run') } };
}

function mydocker(args, env, input) {
  const r = spawnSync(MYDOCKER, args, { env, encoding: 'utf8', input });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('version names mydocker and the runtime; --help lists the commands and groups', (t) => {
  const { env } = tempRoots(t);
  const v = mydocker(['version', '--format', 'json'], env);
  assert.equal(v.code, 0, v.err);
  const info = JSON.parse(v.out);
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.match(info.runtime.version, /^mydocker-runtime version/);
  const help = mydocker(['--help'], env);
  assert.equal(help.code, 0);
  assert.match(help.out, /mydocker version/);
  assert.match(help.out, /mydocker volume <command>/);
  assert.match(mydocker(['volume', 'create', '--help'], env).out, /mydocker volume create \[name\]/);
});

test('unknown commands and options: one line, exit 125', (t) => {
  const { env } = tempRoots(t);
  for (const args of [['frobnicate'], ['version', '--nope'], ['volume', 'create', 'a', 'b']]) {
    const r = mydocker(args, env);
    assert.equal(r.code, 125, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /^mydocker: /);
  }
});

test('volume create, ls, inspect, rm; bad names and unknown volumes leave nothing', (t) => {
  const { dir, env } = tempRoots(t);
  assert.equal(mydocker(['volume', 'create', 'data1'], env).out, 'data1\n');
  const generated = mydocker(['volume', 'create', '--label', 'a=b'], env).out.trim();
  assert.match(generated, /^[0-9a-f]{64}$/);
  assert.deepEqual(mydocker(['volume', 'ls', '-q'], env).out.trim().split('\n').sort(), [generated, 'data1'].sort());
  const [doc] = JSON.parse(mydocker(['volume', 'inspect', 'data1'], env).out);
  assert.equal(doc.Mountpoint, path.join(dir, 'lib', 'volumes', 'data1', '_data'));
  assert.ok(fs.statSync(doc.Mountpoint).isDirectory());
  assert.equal(JSON.parse(mydocker(['volume', 'ls', '--format', 'json'], env).out.split('\n').find((l) => l.includes(generated))).Labels.a, 'b');

  const before = fs.readdirSync(path.join(dir, 'lib', 'volumes')).sort();
  const bad = mydocker(['volume', 'create', 'x/y'], env);
  assert.equal(bad.code, 125);
  assert.match(bad.err, /volume name "x\/y" is not valid/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'lib', 'volumes')).sort(), before);

  const missing = mydocker(['volume', 'rm', 'nope'], env);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'mydocker: No such volume: nope\n');
  assert.equal(mydocker(['volume', 'rm', '-f', 'nope'], env).code, 0);
  assert.equal(mydocker(['volume', 'rm', 'data1', generated], env).code, 0);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'lib', 'volumes')), []);
});

test('load and save refuse a terminal (isatty through libc): stdin for load, stdout for save; a redirected input is read', (t) => {
  const { env } = tempRoots(t);
  // script(1) gives the command a pty for stdin and stdout
  const onTty = (args) => spawnSync('script', ['-qec', [MYDOCKER, ...args].join(' '), '/dev/null'], { env, encoding: 'utf8', input: '' });
  const load = onTty(['load']);
  assert.equal(load.status, 125, load.stdout);
  assert.match(load.stdout, /load: stdin is a terminal: give a file or redirect the input/);
  const save = onTty(['save', 'busybox']);
  assert.equal(save.status, 125, save.stdout);
  assert.match(save.stdout, /save: refusing to write an archive to a terminal/);
  const redirected = mydocker(['load'], env, '');
  assert.equal(redirected.code, 125);
  assert.match(redirected.err, /the input is empty/);
});
