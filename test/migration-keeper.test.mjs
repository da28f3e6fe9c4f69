// The launcher's cgroup migration keeper (native/launcher.c KEEPER_COMMANDS,
// runtime/cgroups/migration-keeper.ts): create, run and exec fork it before Node starts, and end
// and reap it once their process is in the container's cgroup; no other command gets one, a
// failing command leaves none behind, and a pid named by the caller's environment is never ended.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { setupRuntime, processAlive, processesWithToken, cleanEnv, REPO_ROOT } from '../conformance/lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects } from '../conformance/lib/checks.mjs';

const { keeperPid, KEEPER_ENV } = load('runtime/cgroups/migration-keeper');
const rt = setupRuntime({ idPrefix: 'keep' });

function logFile(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keeper-log-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return () => path.join(dir, `${++n}.log`);
}

/** The pids the runtime's debug log says it stopped. */
function stoppedKeepers(log) {
  const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  return [...text.matchAll(/cgroup migration keeper (\d+) stopped/g)].map((m) => Number(m[1]));
}

function sleeper(t) {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child.pid;
}

test('keeperPid: only a child of the given parent, named by a plain positive number', (t) => {
  assert.equal(keeperPid({}, process.pid), undefined);
  const child = sleeper(t);
  for (const bad of ['', 'x', '0', '-5', `${child}x`, '1.5', ` ${child}`]) {
    assert.equal(keeperPid({ [KEEPER_ENV]: bad }, process.pid), undefined, JSON.stringify(bad));
  }
  assert.equal(keeperPid({ [KEEPER_ENV]: String(child) }, process.pid), child);
  assert.equal(keeperPid({ [KEEPER_ENV]: String(child) }, process.ppid), undefined, 'not the parent given');
  assert.equal(keeperPid({ [KEEPER_ENV]: '1' }, process.pid), undefined, 'init is nobody`s keeper');
});

test('create, exec and run each end and reap their keeper; state, start, kill and delete start none', (t) => {
  const nextLog = logFile(t);
  const debug = (log, args) => rt.run(['--debug', '--log', log, ...args]);
  const bundle = rt.bundle({ args: ['sleep', '60'] });
  const id = rt.newId('c');

  const checkKeeper = (r, log, what) => {
    assertOk(r, what);
    const stopped = stoppedKeepers(log);
    assert.equal(stopped.length, 1, `${what}: one keeper stopped\n${fs.readFileSync(log, 'utf8')}`);
    assert.ok(!processAlive(stopped[0]), `${what}: keeper ${stopped[0]} still there`);
    assert.deepEqual(processesWithToken(r.token), [], `${what}: a process of the invocation is left`);
  };
  const checkNone = (r, log, what) => {
    assertOk(r, what);
    assert.deepEqual(stoppedKeepers(log), [], `${what} started a keeper`);
  };

  let log = nextLog();
  checkKeeper(debug(log, ['create', '--bundle', bundle, id]), log, 'create');
  log = nextLog();
  checkKeeper(debug(log, ['exec', id, 'true']), log, 'exec');
  log = nextLog();
  checkNone(debug(log, ['state', id]), log, 'state');
  log = nextLog();
  checkNone(debug(log, ['start', id]), log, 'start');
  log = nextLog();
  checkNone(debug(log, ['kill', id, 'KILL']), log, 'kill');
  log = nextLog();
  // the id is the name of a keeper command: `state run` is still `state`
  assertFails(debug(log, ['state', 'run']), /run/, 'state run');
  assert.deepEqual(stoppedKeepers(log), [], 'state of a container named "run" started a keeper');
  for (let i = 0; i < 100 && rt.run(['state', id]).stdout.includes('"running"'); i++) spawnSync('sleep', ['0.02']);
  log = nextLog();
  checkNone(debug(log, ['delete', id]), log, 'delete');

  log = nextLog();
  const once = rt.bundle({ args: ['true'] });
  checkKeeper(debug(log, ['--log-format', 'json', 'run', '--bundle', once, rt.newId('r')]), log, 'run');
});

test('a failing run leaves no keeper behind', async () => {
  const id = rt.newId('bad');
  const r = rt.run(['run', '--bundle', '/nonexistent/bundle', id]);
  assertFails(r, /bundle/);
  // the keeper carries the invocation's token; it must be gone well before its own 2 s lifetime
  await assertNoSideEffects(rt, r, { id });
});

test('the runtime ends no process a caller names in MYDOCKER_MIGRATION_KEEPER', (t) => {
  const nextLog = logFile(t);
  const innocent = sleeper(t);
  // through the launcher: it replaces the variable with its own keeper's pid
  let log = nextLog();
  const bundle = rt.bundle({ args: ['true'] });
  const r = rt.run(['--debug', '--log', log, 'run', '--bundle', bundle, rt.newId('env')], { env: { [KEEPER_ENV]: String(innocent) } });
  assertOk(r, 'run');
  assert.ok(!stoppedKeepers(log).includes(innocent));
  assert.ok(processAlive(innocent), 'the caller`s process was ended');
  // node on the bundle directly (no launcher, no keeper): the variable is not the runtime's child
  log = nextLog();
  const direct = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'dist', 'mydocker-runtime.js'), '--root', rt.root, '--debug', '--log', log, 'run', '--bundle', bundle, rt.newId('env')],
    { env: cleanEnv({ [KEEPER_ENV]: String(innocent) }), stdio: 'ignore' },
  );
  assert.equal(direct.status, 0);
  assert.deepEqual(stoppedKeepers(log), []);
  assert.ok(processAlive(innocent), 'the caller`s process was ended');
});
