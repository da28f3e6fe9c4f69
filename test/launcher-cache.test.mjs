// The programs' launcher (scripts/bundle-options.mjs): it runs the bundle through V8's code
// cache, one cache file per command, written by its first run that succeeds and replaced when
// V8 rejects it. The bundle and its cache are read through one buffer, so a cache bigger or
// smaller than the bundle must never damage the source that runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { launcher } from '../scripts/bundle-options.mjs';

/** A program dir: launcher + a bundle (wrapped as the build wraps it) that prints its argv and a marker. */
function makeProgram(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const body = [
    "const lines = ['args=' + process.argv.slice(2).join(','), 'marker=' + 'end-of-bundle'.length];",
    // some functions, so that the cache has something to hold
    ...Array.from({ length: 40 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; } lines.push(String(f${i}(2)));`),
    "require('fs').writeSync(1, lines.join('\\n') + '\\n');",
    "if (process.env.LAUNCHER_TEST_FAIL) process.exitCode = 3;",
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'prog.bundle.js'), `(function (exports, require, module, __filename, __dirname) {\n${body}\n})`);
  fs.writeFileSync(path.join(dir, 'prog.js'), launcher('prog.bundle.js', ['--root']));
  const expected = ['args=' + ['--root', 'x', 'run', 'a'].join(','), 'marker=13', ...Array.from({ length: 40 }, (_, i) => String(2 * i + i))].join('\n') + '\n';
  const run = (env = process.env) => spawnSync(process.execPath, [path.join(dir, 'prog.js'), '--root', 'x', 'run', 'a'], { encoding: 'utf8', env });
  return { dir, expected, run, cacheFile: path.join(dir, 'prog.bundle.js.run.cache') };
}

test('launcher: a failed run writes no code cache; the first successful one does, and the next one uses it as it is', (t) => {
  const p = makeProgram(t);
  const failed = p.run({ ...process.env, LAUNCHER_TEST_FAIL: '1' });
  assert.equal(failed.status, 3, failed.stderr);
  assert.equal(failed.stdout, p.expected);
  assert.ok(!fs.existsSync(p.cacheFile), 'no cache from a failed run');
  const first = p.run();
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, p.expected);
  const before = fs.statSync(p.cacheFile);
  assert.ok(before.size > 0);
  const second = p.run();
  assert.equal(second.stdout, p.expected);
  const after = fs.statSync(p.cacheFile);
  assert.equal(after.ino, before.ino, 'an accepted cache is not rewritten');
});

for (const [name, size] of [
  ['bigger than the bundle', 200_000],
  ['smaller than the bundle', 100],
]) {
  test(`launcher: a rejected cache ${name} leaves the source intact and is replaced`, (t) => {
    const p = makeProgram(t);
    fs.writeFileSync(p.cacheFile, Buffer.alloc(size, 0x5a));
    const r = p.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, p.expected);
    const replaced = fs.readFileSync(p.cacheFile);
    assert.notEqual(replaced.length, size, 'V8 wrote a cache of its own');
    assert.equal(p.run().stdout, p.expected);
  });
}

test('the native launchers: the runtime runs node --jitless --no-rehash-snapshot (its caches say so), the manager with no flags; V8 prints nothing on stderr', (t) => {
  const dist = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-flags-'));
  const written = [];
  t.after(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
    // the caches of these runs (a help text's) are not what later runs of the commands want
    for (const file of written) fs.rmSync(path.join(dist, file), { force: true });
  });
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const manager = ['--root', path.join(scratch, 'lib'), '--run-root', path.join(scratch, 'run')];
  // [program, args, exit status, the cache its run writes (none when it fails), those it must not]
  const runtimeCache = (command) => `mydocker-runtime.bundle.js.${command}.jitless.norehash.cache`;
  for (const [program, args, status, cache, others] of [
    ['mydocker-runtime', ['--root', scratch, 'list', '-q'], 0, runtimeCache('list'), ['mydocker-runtime.bundle.js.list.cache', 'mydocker-runtime.bundle.js.list.jitless.cache']],
    ['mydocker-runtime', ['--root', scratch, 'state', 'no-such-container'], 1, null, [runtimeCache('state')]],
    // the command comes after global flags with values, which must not be taken for it
    ['mydocker', [...manager, 'pull', '--help'], 0, 'mydocker.bundle.js.pull.cache', ['mydocker.bundle.js.pull.jitless.cache', 'mydocker.bundle.js.pull.jitless.norehash.cache']],
    ['mydocker', [...manager, 'images', '-q'], 0, 'mydocker.bundle.js.images.cache', ['mydocker.bundle.js.images.jitless.cache']],
  ]) {
    // removed first (a cache is only a cache): what is there afterwards was written by this run
    for (const file of [cache, ...others]) if (file) fs.rmSync(path.join(dist, file), { force: true });
    if (cache) written.push(cache);
    const r = spawnSync(path.join(dist, program), args, { encoding: 'utf8', env });
    const what = `${program} ${args.slice(-2).join(' ')}`;
    assert.equal(r.status, status, `${what}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Warning|flag/i, what);
    if (status !== 0) assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line on stderr: ${r.stderr}`);
    if (cache) assert.ok(fs.existsSync(path.join(dist, cache)), `${what}: ${cache} written`);
    for (const other of others) assert.ok(!fs.existsSync(path.join(dist, other)), `${what}: no ${other}`);
  }
});
