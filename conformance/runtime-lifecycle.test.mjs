// runtime-spec runtime.md: Lifecycle, Create, Start, Delete (and the runc `run` command built on them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, processAlive, explain } from './lib/runtime.mjs';
import { assertOk, assertFails, bindMount, hostDir, waitForFile, waitForProcessGone } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'lifecycle' });

// A program that records that it ran, then waits for the host to create /mnt/go, then exits.
const GATED = ['sh', '-c', 'echo ran > /mnt/started; while [ ! -e /mnt/go ]; do sleep 0.05; done; echo done > /mnt/finished'];

function gatedBundle() {
  let data;
  const bundle = rt.bundle({
    args: GATED,
    edit: (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    },
  });
  return { bundle, data };
}

test('runtime.md#lifecycle steps 1-6: create -> created (program not run) -> start -> running -> stopped -> delete', async () => {
  const { bundle, data } = gatedBundle();
  const c = rt.create(bundle);
  assertOk(c, 'create');

  // runtime.md#create: "Upon successful completion of this operation the status property of this
  // container MUST be created" and "the user-specified program MUST NOT be run at this time".
  const s1 = rt.state(c.id);
  assert.equal(s1.status, 'created');
  assert.ok(Number.isInteger(s1.pid) && s1.pid > 0, `state.pid must be a positive integer: ${s1.pid}`);
  assert.ok(processAlive(s1.pid), `the container process ${s1.pid} must exist after create`);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!fs.existsSync(path.join(data, 'started')), 'the user program ran before start');

  // runtime.md#start: "This operation MUST run the user-specified program".
  assertOk(rt.run(['start', c.id]), 'start');
  await waitForFile(path.join(data, 'started'));
  const s2 = rt.state(c.id);
  assert.equal(s2.status, 'running', 'status after start while the program runs');
  assert.equal(s2.pid, s1.pid, 'the container process keeps its pid from create to start');

  // runtime.md#lifecycle step 7 / state: "stopped: the container process has exited".
  fs.writeFileSync(path.join(data, 'go'), '');
  const s3 = await rt.waitForStatus(c.id, 'stopped');
  assert.equal(fs.readFileSync(path.join(data, 'finished'), 'utf8'), 'done\n');
  assert.equal(s3.id, c.id);

  // runtime.md#delete: "Deleting a container MUST delete the resources that were created during the create step."
  assertOk(rt.run(['delete', c.id]), 'delete');
  const st = rt.run(['state', c.id]);
  assert.notEqual(st.status, 0, `state must fail after delete\n${explain(st)}`);
  assert.ok(!rt.listIds().includes(c.id), 'deleted container still listed');
  assert.ok(await waitForProcessGone(s1.pid), 'container process still alive after delete');
});

test('runtime.md#lifecycle step 2: "Any updates to config.json after this step MUST NOT affect the container"', async () => {
  const { bundle, data } = gatedBundle();
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const cfgPath = path.join(bundle, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
  cfg.process.args = ['sh', '-c', 'echo changed > /mnt/changed'];
  fs.writeFileSync(cfgPath, JSON.stringify(cfg));
  assertOk(rt.run(['start', c.id]), 'start');
  await waitForFile(path.join(data, 'started'));
  fs.writeFileSync(path.join(data, 'go'), '');
  await rt.waitForStatus(c.id, 'stopped');
  assert.ok(!fs.existsSync(path.join(data, 'changed')), 'the edited config.json was used by start');
  assertOk(rt.run(['delete', c.id]), 'delete');
});

test('runtime.md#start: start returns while the program keeps running; kill + delete end it', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const t0 = Date.now();
  assertOk(rt.run(['start', c.id], { timeoutMs: 10000 }), 'start');
  assert.ok(Date.now() - t0 < 5000, 'start must not wait for the container to exit');
  const s = rt.state(c.id);
  assert.equal(s.status, 'running');
  assert.ok(processAlive(s.pid));
  assertOk(rt.run(['kill', c.id, 'KILL']), 'kill');
  await rt.waitForStatus(c.id, 'stopped');
  assertOk(rt.run(['delete', c.id]), 'delete');
  assert.ok(await waitForProcessGone(s.pid));
});

test('runtime.md#delete: a deleted id may be used again by a new container', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const id = rt.newId('reuse');
  assertOk(rt.runBundle(bundle, { id, runArgs: ['-d'] }), 'first run -d');
  assertOk(rt.run(['kill', id, 'KILL']), 'kill');
  await rt.waitForStatus(id, 'stopped');
  assertOk(rt.run(['delete', id]), 'delete');
  assertOk(rt.runBundle(bundle, { id, runArgs: ['-d'] }), 'second run -d with the same id');
  assert.equal(rt.state(id).status, 'running');
  assertOk(rt.run(['delete', '--force', id]), 'delete --force');
});

test('runc run: prints the container output and exits with its exit status (exit 42)', () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'echo hello from the container; exit 42'] });
  const r = rt.runBundle(bundle);
  assert.equal(r.status, 42, explain(r));
  assert.equal(r.stdout, 'hello from the container\n');
  assert.equal(r.stderr, '', 'nothing on stderr for a successful run');
});

test('runc run (foreground): exit status 0, and the container is deleted once it exits', () => {
  const bundle = rt.bundle({ args: ['true'] });
  const id = rt.newId('fg');
  const r = rt.runBundle(bundle, { id });
  assertOk(r, 'run');
  assert.equal(r.stdout, '');
  // runc's `run` destroys a foreground container when its process exits (there is no --rm flag):
  // clients such as `ctr run --rm` and the bench rely on nothing being left behind.
  assert.ok(!rt.listIds().includes(id), 'container still listed after a foreground run');
  assertFails(rt.run(['state', id]), /does not exist/, 'state after a foreground run');
  assertOk(rt.runBundle(bundle, { id }), 'the id can be used again at once');
});

test('runc run (foreground): exit statuses 1 and 255 are passed through', () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'exit $CODE'], process: { env: ['PATH=/bin', 'CODE=1'] } });
  assert.equal(rt.runBundle(bundle).status, 1);
  const bundle2 = rt.bundle({ args: ['sh', '-c', 'exit $CODE'], process: { env: ['PATH=/bin', 'CODE=255'] } });
  assert.equal(rt.runBundle(bundle2).status, 255);
});

test('runc run -d: returns at once with status 0 while the container runs', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const t0 = Date.now();
  const r = rt.runBundle(bundle, { runArgs: ['-d'], timeoutMs: 10000 });
  assertOk(r, 'run -d');
  assert.ok(Date.now() - t0 < 5000, 'run -d must not wait for the container');
  const s = rt.state(r.id);
  assert.equal(s.status, 'running');
  assert.ok(processAlive(s.pid));
  assertOk(rt.run(['kill', r.id, 'KILL']), 'kill');
  await rt.waitForStatus(r.id, 'stopped');
  assertOk(rt.run(['delete', r.id]), 'delete');
});

test('runc run: a container killed from outside by SIGKILL makes run exit 128+9', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const id = rt.newId('sigexit');
  const p = rt.spawn(['run', '--bundle', bundle, id], { timeoutMs: 20000 });
  await rt.waitForStatus(id, 'running');
  assertOk(rt.run(['kill', id, 'KILL']), 'kill');
  const r = await p.result;
  assert.equal(r.status, 137, explain(r));
  assert.ok(!rt.listIds().includes(id), 'container still listed after its foreground run ended');
});

test('runtime.md#create + delete --force of a created container: the process never runs and is gone', async () => {
  const { bundle, data } = gatedBundle();
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  assertOk(rt.run(['delete', '--force', c.id]), 'delete --force');
  assert.ok(await waitForProcessGone(pid), 'created container process survived delete --force');
  assert.ok(!fs.existsSync(path.join(data, 'started')), 'the program ran although start was never called');
  assertFails(rt.run(['state', c.id]), undefined, 'state after delete');
});
