// OCI hooks (config.md#posix-platform-hooks, runtime.md#lifecycle): state on stdin, where each
// kind runs, args/env/timeout, and what a failure does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setupRuntime } from '../conformance/lib/runtime.mjs';
import { assertFails, assertNoSideEffects, assertOk, bindMount, hostDir } from '../conformance/lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'hooks' });

/** A hook that records its stdin and its namespaces into DIR/NAME.* (host paths). */
function recorder(dir, name) {
  const script = `cat > ${dir}/${name}.json; readlink /proc/self/ns/net > ${dir}/${name}.net; readlink /proc/self/ns/pid > ${dir}/${name}.pid; echo "$0 $1 $HOOK_VAR" > ${dir}/${name}.args`;
  return { path: '/bin/sh', args: ['sh', '-c', script, name, 'second'], env: [`HOOK_VAR=${name}-env`] };
}

const read = (dir, file) => fs.readFileSync(path.join(dir, file), 'utf8').trim();

test('every hook kind runs at its moment, in its namespaces, with the state on stdin', async () => {
  let data;
  const bundle = rt.bundle({
    args: ['sleep', '30'],
    annotations: { 'org.example.hooked': 'yes' },
    edit: (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/hookdata'));
      c.hooks = {
        prestart: [recorder(data, 'prestart')],
        createRuntime: [recorder(data, 'createRuntime')],
        createContainer: [recorder(data, 'createContainer')],
        // startContainer runs inside the container: its paths are the container's
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /hookdata/startContainer.json; hostname > /hookdata/startContainer.host'] }],
        poststart: [recorder(data, 'poststart')],
        poststop: [recorder(data, 'poststop')],
      };
    },
    hostname: 'hooked',
  });
  const hostNet = fs.readlinkSync('/proc/self/ns/net');
  const c = rt.create(bundle);
  assertOk(c, 'create with hooks');
  const pid = rt.state(c.id).pid;
  const containerNet = fs.readlinkSync(`/proc/${pid}/ns/net`);
  const containerPid = fs.readlinkSync(`/proc/${pid}/ns/pid`);
  for (const name of ['prestart', 'createRuntime', 'createContainer']) {
    const state = JSON.parse(read(data, `${name}.json`));
    assert.equal(state.status, 'creating', name);
    assert.equal(state.pid, pid, name);
    assert.equal(state.id, c.id);
    assert.equal(state.bundle, bundle);
    assert.deepEqual(state.annotations, { 'org.example.hooked': 'yes' });
    assert.equal(read(data, `${name}.args`), `${name} second ${name}-env`, `${name}: args and env are passed`);
  }
  assert.equal(read(data, 'prestart.net'), hostNet, 'prestart runs in the runtime namespace');
  assert.equal(read(data, 'createRuntime.net'), hostNet, 'createRuntime runs in the runtime namespace');
  assert.equal(read(data, 'createContainer.net'), containerNet, 'createContainer runs in the container namespace');
  assert.equal(read(data, 'createContainer.pid'), containerPid, 'createContainer runs in the container pid namespace');
  assert.ok(!fs.existsSync(path.join(data, 'startContainer.json')), 'startContainer waits for start');

  assertOk(rt.run(['start', c.id]));
  assert.equal(JSON.parse(read(data, 'startContainer.json')).status, 'created');
  assert.equal(read(data, 'startContainer.host'), 'hooked', 'startContainer runs in the container (its UTS namespace)');
  assert.equal(JSON.parse(read(data, 'poststart.json')).status, 'running');
  assert.equal(read(data, 'poststart.net'), hostNet, 'poststart runs in the runtime namespace');
  assert.ok(!fs.existsSync(path.join(data, 'poststop.json')));

  assertOk(rt.run(['delete', '--force', c.id]));
  const stopped = JSON.parse(read(data, 'poststop.json'));
  assert.equal(stopped.status, 'stopped');
  assert.equal(stopped.id, c.id);
});

test('a failing prestart hook fails create, names the hook, and leaves nothing behind', async () => {
  const bundle = rt.bundle({ args: ['true'], hooks: { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'echo no network for you >&2; exit 3'] }] } });
  const r = rt.create(bundle);
  assertFails(r, /hooks.prestart\[0\] \(\/bin\/sh\) exited with status 3: no network for you/);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('a hook past its timeout is killed and create fails', async () => {
  const bundle = rt.bundle({ args: ['true'], hooks: { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] } });
  const started = Date.now();
  const r = rt.create(bundle);
  assertFails(r, /hooks.createRuntime\[0\] \(\/bin\/sleep\) timed out after 1s/);
  assert.ok(Date.now() - started < 8000, 'the timeout was honoured');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('a hook that cannot be executed fails create', async () => {
  const bundle = rt.bundle({ args: ['true'], hooks: { createContainer: [{ path: '/nonexistent/hook' }] } });
  const r = rt.create(bundle);
  assertFails(r, /hooks.createContainer\[0\]: cannot run "\/nonexistent\/hook": ENOENT/);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('a failing poststart hook fails start and stops the container; a failing poststop hook is a warning', async () => {
  const bundle = rt.bundle({
    args: ['sleep', '30'],
    hooks: { poststart: [{ path: '/bin/false' }], poststop: [{ path: '/bin/false' }] },
  });
  const c = rt.create(bundle);
  assertOk(c);
  const s = rt.run(['start', c.id]);
  assertFails(s, /hooks.poststart\[0\] \(\/bin\/false\) exited with status 1/);
  assert.equal(rt.state(c.id).status, 'stopped');
  const d = rt.run(['delete', c.id]);
  assertOk(d, 'delete despite a failing poststop hook');
  assert.match(d.stderr, /level=warning msg="hooks.poststop\[0\] \(\/bin\/false\) exited with status 1"/);
  assert.ok(!rt.listIds().includes(c.id));
});
