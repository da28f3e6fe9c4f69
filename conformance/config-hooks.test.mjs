// runtime-spec config.md#posix-platform-hooks (prestart, createRuntime, createContainer,
// startContainer, poststart, poststop: when, in which namespaces, path resolution, state on stdin,
// args, env, timeout, listed order) and runtime.md#lifecycle (what a failing hook does).
//
// Every hook here is busybox running a small recorder script: it writes its stdin (the state),
// its namespaces, its environment and its argv into a directory, and appends its name to
// `order`. Hooks in the runtime namespace, and createContainer (before pivot_root, so host paths
// still resolve), write to the host directory; startContainer writes to /mnt, a bind of it.
//
// runtime.md#lifecycle is cited in its current text (13 steps; a failing poststart hook is an
// error since runtime-spec PR #1262, v1.0.2 to v1.2.0 said "log a warning").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, runcDeviation, RUNTIME, processAlive, sleep } from './lib/runtime.mjs';
import { BUSYBOX } from './lib/bundle.mjs';
import { assertOk, assertFails, assertNoSideEffects, waitForFile } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'hooks' });

const HOOK_PATH = `PATH=${process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}`;

// $1 name, $2 directory, $3 exit status, $4 extra shell code run after recording.
const RECORDER = String.raw`
n=$1; d=$2
cat > "$d/$n.state"
for t in mnt net pid uts ipc; do echo "$t=$(readlink /proc/self/ns/$t)"; done > "$d/$n.ns"
# (meaningful where /proc belongs to the hook's pid namespace: not for createContainer)
cat /proc/$$/environ > "$d/$n.env" 2>/dev/null
cat /proc/$$/cmdline > "$d/$n.cmdline" 2>/dev/null
pid=$(tr -d ' \n' < "$d/$n.state" | sed -n 's/.*"pid":\([0-9][0-9]*\).*/\1/p')
[ -n "$4" ] && eval "$4"
echo "$n" >> "$d/order"
exit "\${3:-0}"
`.replace('\\${', '${');

/**
 * A hook entry running RECORDER.
 * @param {string} name
 * @param {string} dir where it records (a host path, or /mnt for startContainer)
 * @param {{rc?: number, extra?: string, env?: string[], timeout?: number, bbox?: string}} [opts]
 */
function recorder(name, dir, { rc = 0, extra = '', env = [HOOK_PATH, 'HOOK_MARK=conformance'], timeout, bbox = BUSYBOX } = {}) {
  const h = { path: bbox, args: ['sh', '-c', RECORDER, 'recorder', name, dir, String(rc), extra], env };
  if (timeout !== undefined) h.timeout = timeout;
  return h;
}

/**
 * A bundle whose hooks come from `hooks(dir, inContainerDir)`; dir (<bundle>/hooks, mode 0777) is
 * bound at /mnt. Returns {bundle, dir, read(name, field), order()}.
 */
function hookBundle(hooks, { args = ['sleep', '30'], annotations, edit } = {}) {
  let dir;
  const bundle = rt.bundle({
    args,
    annotations,
    edit: (c, b) => {
      dir = path.join(b, 'hooks');
      fs.mkdirSync(dir);
      fs.chmodSync(dir, 0o777);
      c.mounts.push({ destination: '/mnt', type: 'bind', source: dir, options: ['rbind', 'rw'] });
      c.hooks = hooks(dir, '/mnt');
      edit?.(c, b);
    },
  });
  const file = (name) => path.join(dir, name);
  return {
    bundle,
    dir,
    has: (name) => fs.existsSync(file(name)),
    read: (name) => fs.readFileSync(file(name), 'utf8'),
    state: (hook) => JSON.parse(fs.readFileSync(file(`${hook}.state`), 'utf8')),
    ns: (hook) =>
      Object.fromEntries(
        fs
          .readFileSync(file(`${hook}.ns`), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('=')),
      ),
    order: () => (fs.existsSync(file('order')) ? fs.readFileSync(file('order'), 'utf8').trim().split('\n').filter(Boolean) : []),
  };
}

const NS = ['mnt', 'net', 'pid', 'uts', 'ipc'];
const nsOfPid = (pid) => Object.fromEntries(NS.map((t) => [t, fs.readlinkSync(`/proc/${pid}/ns/${t}`)]));

async function waitStopped(id) {
  await rt.waitForStatus(id, 'stopped', 15000);
}

/** Wait until the container is stopped or gone (destroyed); returns its last status or 'gone'. */
async function waitStoppedOrGone(id, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = rt.tryState(id);
    if (!s) return 'gone';
    if (s.status === 'stopped') return 'stopped';
    if (Date.now() > deadline) return s.status;
    await sleep(25);
  }
}

// ------------------------------------------------------------------------------------------------
// When: runtime.md#lifecycle and config.md#posix-platform-hooks

test('runtime.md#lifecycle steps 3-5: create calls prestart, createRuntime, createContainer in this order; start calls startContainer; neither calls poststop', async () => {
  const h = hookBundle((d, m) => ({
    prestart: [recorder('prestart', d)],
    createRuntime: [recorder('createRuntime', d)],
    createContainer: [recorder('createContainer', d)],
    startContainer: [recorder('startContainer', m)],
    poststop: [recorder('poststop', d)],
  }));
  const c = rt.create(h.bundle);
  assertOk(c, 'create');
  assert.deepEqual(h.order(), ['prestart', 'createRuntime', 'createContainer'], 'hooks run by create');
  assert.equal(rt.state(c.id).status, 'created');
  assertOk(rt.run(['start', c.id]), 'start');
  assert.deepEqual(h.order(), ['prestart', 'createRuntime', 'createContainer', 'startContainer'], 'hooks run by start');
  assert.ok(!h.has('poststop.state'), 'poststop ran before delete');
});

test(
  'config.md#configHooksPoststart: poststart is called by start "after the user-specified process is executed but before the start operation returns"',
  runcDeviation('config.md#configHooksPoststart: runc 1.1.5 calls poststart hooks at the end of create, before the user process is executed'),
  async () => {
    // The program writes /mnt/program first; the hook waits up to 5 s for it and then sleeps
    // 0.3 s before recording, so a start that returns early is caught.
    const wait = 'i=0; while [ ! -e "$d/program" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; [ -e "$d/program" ] && echo seen > "$d/poststart.program"; sleep 0.3';
    const h = hookBundle((d) => ({ poststart: [recorder('poststart', d, { extra: wait })] }), {
      args: ['sh', '-c', 'echo ran > /mnt/program; exec sleep 30'],
    });
    const c = rt.create(h.bundle);
    assertOk(c, 'create');
    assert.deepEqual(h.order(), [], 'poststart ran during create');
    assertOk(rt.run(['start', c.id]), 'start');
    assert.deepEqual(h.order(), ['poststart'], 'poststart had not finished when start returned');
    assert.ok(h.has('poststart.program'), 'poststart ran before the user process was executed');
    assert.equal(h.state('poststart').status, 'running', 'the state given to poststart');
  },
);

test('config.md#configHooksPoststop: poststop is called "after the container is deleted but before the delete operation returns"', async () => {
  // RUNTIME is a path, or a command name found through the hook's PATH (the caller's).
  const id = rt.newId('poststop');
  const check =
    // A zombie is dead too (the container's init may wait for its reaper).
    'pid=$(cat "$d/pid"); st=$(sed "s/.*) //" /proc/$pid/stat 2>/dev/null | cut -d" " -f1); ' +
    'case "$st" in ""|Z|X) echo gone ;; *) echo "alive ($st)" ;; esac > "$d/poststop.proc"; ' +
    `timeout 10 ${RUNTIME} --root ${rt.root} state ${id} >/dev/null 2>&1; echo $? > "$d/poststop.staterc"`;
  const h2 = hookBundle((d) => ({ poststop: [recorder('poststop', d, { extra: check })] }));
  const c = rt.create(h2.bundle, { id });
  assertOk(c, 'create');
  const { pid } = rt.state(id);
  fs.writeFileSync(path.join(h2.dir, 'pid'), String(pid));
  assertOk(rt.run(['start', id]), 'start');
  assertOk(rt.run(['kill', id, 'KILL']), 'kill');
  await waitStopped(id);
  assert.ok(!h2.has('poststop.state'), 'poststop ran before delete');
  assertOk(rt.run(['delete', id]), 'delete');
  assert.deepEqual(h2.order(), ['poststop'], 'poststop had not finished when delete returned');
  assert.equal(h2.read('poststop.proc').trim(), 'gone', 'the container process was alive during poststop');
  assert.notEqual(h2.read('poststop.staterc').trim(), '0', '`state` still found the container during poststop');
  assert.equal(h2.state('poststop').status, 'stopped');
});

test('config.md#configHooksPoststop: a foreground run calls poststop when the container exits, before run returns', () => {
  const h = hookBundle((d) => ({ poststop: [recorder('poststop', d, { extra: 'sleep 0.2' })] }), { args: ['true'] });
  const r = rt.runBundle(h.bundle);
  assertOk(r, 'run');
  assert.deepEqual(h.order(), ['poststop']);
});

// ------------------------------------------------------------------------------------------------
// Where: namespaces and path resolution

test('config.md#posix-platform-hooks: prestart, createRuntime and poststop run in the runtime namespaces; createContainer and startContainer in the container\'s', async () => {
  const h = hookBundle((d, m) => ({
    prestart: [recorder('prestart', d)],
    createRuntime: [recorder('createRuntime', d)],
    createContainer: [recorder('createContainer', d)],
    startContainer: [recorder('startContainer', m)],
    poststop: [recorder('poststop', d)],
  }));
  const c = rt.create(h.bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  const container = nsOfPid(pid);
  const host = nsOfPid(process.pid);
  assertOk(rt.run(['start', c.id]), 'start');
  assertOk(rt.run(['delete', '--force', c.id]), 'delete --force');
  for (const hook of ['prestart', 'createRuntime', 'poststop']) {
    const ns = h.ns(hook);
    for (const t of NS) assert.equal(ns[t], host[t], `${hook} runs in the runtime ${t} namespace`);
  }
  for (const hook of ['createContainer', 'startContainer']) {
    const ns = h.ns(hook);
    for (const t of NS) assert.equal(ns[t], container[t], `${hook} runs in the container ${t} namespace`);
  }
});

test('config.md#configHooksPoststart: poststart runs in the runtime namespaces', async () => {
  const h = hookBundle((d) => ({ poststart: [recorder('poststart', d)] }));
  const r = rt.runBundle(h.bundle, { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  const host = nsOfPid(process.pid);
  const ns = h.ns('poststart');
  for (const t of NS) assert.equal(ns[t], host[t], `poststart runs in the runtime ${t} namespace`);
});

test('config.md#configHooksPrestart: prestart is called after the container namespaces exist - it can set up the container network (a veth pair)', () => {
  const setup = 'nsenter --net=/proc/$pid/ns/net ip link add hk0 type veth';
  const h = hookBundle((d) => ({ prestart: [recorder('prestart', d, { extra: setup })] }), {
    args: ['sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" " "'],
  });
  const r = rt.runBundle(h.bundle);
  assertOk(r, 'run');
  assert.ok(r.stdout.trim().split(' ').includes('hk0'), `the interface the prestart hook made is not in the container: ${r.stdout}`);
});

test('config.md#posix-platform-hooks: createContainer "path MUST resolve in the runtime namespace" (a host-only script works)', () => {
  let dir;
  const bundle = rt.bundle({
    args: ['true'],
    edit: (c, b) => {
      dir = path.join(b, 'hostonly');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'hook.sh'), `#!${BUSYBOX} sh\ncat > /dev/null\necho ran > ${dir}/createContainer.ran\n`, { mode: 0o755 });
      c.hooks = { createContainer: [{ path: path.join(dir, 'hook.sh'), args: ['hook.sh'] }] };
    },
  });
  assertOk(rt.runBundle(bundle), 'run with a createContainer hook that exists only on the host');
  assert.equal(fs.readFileSync(path.join(dir, 'createContainer.ran'), 'utf8'), 'ran\n');
});

test('config.md#posix-platform-hooks: startContainer "path MUST resolve in the container namespace" (a container-only script works)', () => {
  let dir;
  const bundle = rt.bundle({
    args: ['true'],
    edit: (c, b) => {
      dir = path.join(b, 'incontainer');
      fs.mkdirSync(dir);
      fs.chmodSync(dir, 0o777);
      // /mnt/startContainer-only.sh exists in the container only (/mnt is a bind of `dir`); its
      // interpreter, /bin/sh, is the container's busybox.
      fs.writeFileSync(path.join(dir, 'startContainer-only.sh'), '#!/bin/sh\nhostname > /mnt/startContainer.ran\n', { mode: 0o755 });
      c.mounts.push({ destination: '/mnt', type: 'bind', source: dir, options: ['rbind', 'rw'] });
      c.hooks = { startContainer: [{ path: '/mnt/startContainer-only.sh', args: ['startContainer-only.sh'] }] };
    },
  });
  assert.ok(!fs.existsSync('/mnt/startContainer-only.sh'), 'the script must not exist on the host');
  assertOk(rt.runBundle(bundle), 'run with a startContainer hook that exists only in the container');
  assert.equal(fs.readFileSync(path.join(dir, 'startContainer.ran'), 'utf8'), 'conformance\n', 'it ran in the container (its hostname)');
});

// ------------------------------------------------------------------------------------------------
// What: state on stdin, args, env, order

test('config.md#posix-platform-hooks: "The state of the container MUST be passed to hooks over stdin" (id, bundle, annotations, status, pid)', async () => {
  const h = hookBundle(
    (d, m) => ({
      prestart: [recorder('prestart', d)],
      createRuntime: [recorder('createRuntime', d)],
      createContainer: [recorder('createContainer', d)],
      startContainer: [recorder('startContainer', m)],
      poststop: [recorder('poststop', d)],
    }),
    { annotations: { 'org.example.hooks': 'annotated' } },
  );
  const c = rt.create(h.bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  assertOk(rt.run(['start', c.id]), 'start');
  assertOk(rt.run(['delete', '--force', c.id]), 'delete --force');
  const want = { prestart: 'creating', createRuntime: 'creating', createContainer: 'creating', startContainer: 'created', poststop: 'stopped' };
  for (const [hook, status] of Object.entries(want)) {
    const s = h.state(hook);
    assert.equal(typeof s.ociVersion, 'string', `${hook}: ociVersion`);
    assert.equal(s.id, c.id, `${hook}: id`);
    assert.equal(fs.realpathSync(s.bundle), fs.realpathSync(h.bundle), `${hook}: bundle`);
    assert.equal(s.annotations?.['org.example.hooks'], 'annotated', `${hook}: annotations`);
    assert.equal(s.status, status, `${hook}: status`);
  }
  for (const hook of ['prestart', 'createRuntime']) assert.equal(h.state(hook).pid, pid, `${hook}: pid is the container process as seen by the host`);
});

test(
  'runtime.md#state pid "as seen by the host": the state given to createContainer and startContainer hooks carries the host pid',
  runcDeviation('runtime.md#state: runc 1.1.5 gives createContainer and startContainer hooks the pid inside the container (1)'),
  async () => {
    const h = hookBundle((d, m) => ({ createContainer: [recorder('createContainer', d)], startContainer: [recorder('startContainer', m)] }));
    const c = rt.create(h.bundle);
    assertOk(c, 'create');
    const { pid } = rt.state(c.id);
    assertOk(rt.run(['start', c.id]), 'start');
    assert.equal(h.state('createContainer').pid, pid, 'createContainer: pid');
    assert.equal(h.state('startContainer').pid, pid, 'startContainer: pid');
  },
);

test('config.md#posix-platform-hooks args and env: argv is args (argv[0] included), the environment is exactly env', () => {
  const env = ['PATH=/bin:/usr/bin', 'HOOK_MARK=conformance', 'WITH_SPACE=two words', 'EMPTY='];
  const h = hookBundle((d, m) => ({
    createRuntime: [recorder('createRuntime', d, { env })],
    startContainer: [recorder('startContainer', m, { env })],
  }), { args: ['true'] });
  const r = rt.runBundle(h.bundle, { env: { LEAKY_RUNTIME_VAR: 'leak' } });
  assertOk(r, 'run');
  for (const hook of ['createRuntime', 'startContainer']) {
    const got = h.read(`${hook}.env`).split('\0').filter(Boolean).sort();
    assert.deepEqual(got, [...env].sort(), `${hook}: the environment differs from hook.env`);
    const argv = h.read(`${hook}.cmdline`).split('\0');
    // busybox picked its "sh" applet from argv[0], and the rest follows in order.
    assert.deepEqual(argv.slice(0, 2), ['sh', '-c'], `${hook}: argv[0..1]`);
    assert.deepEqual(argv.slice(3, 6), ['recorder', hook, hook === 'startContainer' ? '/mnt' : h.dir], `${hook}: argv[3..5]`);
  }
});

test('config.md#posix-platform-hooks: "Hooks MUST be called in the listed order" (three createRuntime, two startContainer, two poststop)', async () => {
  const h = hookBundle((d, m) => ({
    createRuntime: ['cr-c', 'cr-a', 'cr-b'].map((n) => recorder(n, d)),
    startContainer: ['sc-2', 'sc-1'].map((n) => recorder(n, m)),
    poststop: ['ps-z', 'ps-y'].map((n) => recorder(n, d)),
  }), { args: ['true'] });
  assertOk(rt.runBundle(h.bundle), 'run');
  assert.deepEqual(h.order(), ['cr-c', 'cr-a', 'cr-b', 'sc-2', 'sc-1', 'ps-z', 'ps-y']);
});

test('config.md#posix-platform-hooks: a hook that exits without reading its stdin (/bin/true) has succeeded - the state it did not read is no error', () => {
  // Four per kind: writing the state races with the hook's exit (EPIPE), so give the race chances.
  const quick = (n) => Array.from({ length: n }, () => ({ path: '/bin/true', args: ['true'] }));
  const bundle = rt.bundle({
    args: ['true'],
    hooks: { prestart: quick(4), createRuntime: quick(4), createContainer: quick(4), startContainer: quick(4), poststart: quick(4), poststop: quick(4) },
  });
  assertOk(rt.runBundle(bundle), 'run with hooks that ignore their stdin');
});

// ------------------------------------------------------------------------------------------------
// timeout, invalid hooks

test('config.md#posix-platform-hooks timeout: a hook running past its timeout is aborted and create fails, with no side effects', async () => {
  const h = hookBundle((d) => ({ createRuntime: [recorder('slow', d, { extra: 'echo $$ > "$d/slow.pid"; exec sleep 30', timeout: 1 })] }));
  const r = rt.create(h.bundle);
  assertFails(r, undefined, 'create with a hook that outlives its 1 s timeout');
  assert.ok(r.ms < 15000, `create took ${Math.round(r.ms)} ms: the timeout was not enforced`);
  await assertNoSideEffects(rt, r, { id: r.id, bundle: h.bundle });
  const hookPid = Number(h.read('slow.pid'));
  for (let i = 0; i < 50 && processAlive(hookPid); i++) await sleep(20);
  assert.ok(!processAlive(hookPid), 'the timed-out hook process is still running');
});

for (const [what, hook] of [
  ['"timeout MUST be greater than zero" (0)', (d) => recorder('zero', d, { timeout: 0 })],
  ['"path MUST be absolute" (a relative path)', (d) => ({ ...recorder('relative', d), path: BUSYBOX.slice(1) })],
  ['a path that does not exist', (d) => ({ ...recorder('missing', d), path: '/conformance/no/such/hook' })],
]) {
  test(`config.md#posix-platform-hooks: ${what} is an error with no side effects`, async () => {
    const h = hookBundle((d) => ({ createRuntime: [hook(d)] }));
    const r = rt.create(h.bundle);
    assertFails(r, undefined, `create with ${what}`);
    await assertNoSideEffects(rt, r, { id: r.id, bundle: h.bundle });
  });
}

// ------------------------------------------------------------------------------------------------
// Failing hooks: runtime.md#lifecycle

for (const kind of ['prestart', 'createRuntime', 'createContainer']) {
  test(`runtime.md#lifecycle: "If any ${kind} hook fails, the runtime MUST generate an error, stop the container" - create fails, nothing is left, the program never runs`, async () => {
    const h = hookBundle((d) => ({ [kind]: [recorder(kind, d, { rc: 3 })] }), { args: ['sh', '-c', 'echo ran > /mnt/program'] });
    const r = rt.create(h.bundle);
    assertFails(r, undefined, `create with a failing ${kind} hook`);
    await assertNoSideEffects(rt, r, { id: r.id, bundle: h.bundle });
    assert.deepEqual(h.order(), [kind]);
    assert.ok(!h.has('program'), 'the user program ran');
  });

  test(`runtime.md#lifecycle: after a failing ${kind} hook the runtime MUST "continue the lifecycle at step 12" - the container is destroyed and the poststop hooks (step 13) are invoked`, async () => {
    const h = hookBundle((d) => ({ [kind]: [recorder(kind, d, { rc: 3 })], poststop: [recorder('poststop', d)] }), { args: ['true'] });
    const r = rt.create(h.bundle);
    assertFails(r, undefined, `create with a failing ${kind} hook`);
    await assertNoSideEffects(rt, r, { id: r.id, bundle: h.bundle });
    assert.deepEqual(h.order(), [kind, 'poststop'], 'the poststop hook must run once the container is destroyed');
    assert.equal(h.state('poststop').id, r.id);
  });
}

test(
  'runtime.md#lifecycle: "If any startContainer hook fails, the runtime MUST generate an error, stop the container" - start fails, the program never runs',
  runcDeviation('runtime.md#lifecycle: runc 1.1.5 start exits 0 when a startContainer hook fails (the container just stops)'),
  async () => {
    const h = hookBundle((d, m) => ({ startContainer: [recorder('startContainer', m, { rc: 3 })] }), { args: ['sh', '-c', 'echo ran > /mnt/program; sleep 30'] });
    const c = rt.create(h.bundle);
    assertOk(c, 'create');
    const { pid } = rt.state(c.id);
    const s = rt.run(['start', c.id]);
    assertFails(s, undefined, 'start with a failing startContainer hook');
    const status = await waitStoppedOrGone(c.id);
    assert.ok(status === 'stopped' || status === 'gone', `the container must be stopped (or destroyed), it is ${status}`);
    for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(20);
    assert.ok(!processAlive(pid), 'the container process is still alive');
    assert.ok(!h.has('program'), 'the user program ran');
  },
);

test(
  'runtime.md#lifecycle step 9: "If any poststart hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12" (destroy, then poststop)',
  runcDeviation('runtime.md#lifecycle: runc 1.1.5 runs poststart hooks in create, so their failure fails create instead of start'),
  async () => {
    // runtime-spec v1.0.2 to v1.2.0 said "log a warning ... continue as if the hook had succeeded";
    // the current text (runtime-spec PR #1262, what runc has always done) makes it an error.
    const h = hookBundle((d) => ({ poststart: [recorder('poststart1', d, { rc: 3 })], poststop: [recorder('poststop', d)] }));
    const c = rt.create(h.bundle);
    assertOk(c, 'create');
    const { pid } = rt.state(c.id);
    const s = rt.run(['start', c.id]);
    assertFails(s, undefined, 'start with a failing poststart hook');
    const status = await waitStoppedOrGone(c.id);
    assert.ok(status === 'stopped' || status === 'gone', `the container must be stopped (or destroyed), it is ${status}`);
    for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(20);
    assert.ok(!processAlive(pid), 'the container process is still alive');
    if (status === 'gone') assert.deepEqual(h.order(), ['poststart1', 'poststop'], 'destroyed: the poststop hooks must have run');
  },
);

test(
  'runtime.md#lifecycle: "If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue"',
  runcDeviation('runtime.md#lifecycle: runc 1.1.5 stops at the failing poststop hook (the remaining ones do not run)'),
  async () => {
    const h = hookBundle((d) => ({ poststop: [recorder('poststop1', d, { rc: 3 }), recorder('poststop2', d)] }), { args: ['true'] });
    const c = rt.create(h.bundle);
    assertOk(c, 'create');
    assertOk(rt.run(['start', c.id]), 'start');
    await waitStopped(c.id);
    const d = rt.run(['delete', c.id]);
    assertOk(d, 'delete with a failing poststop hook');
    assert.deepEqual(h.order(), ['poststop1', 'poststop2'], 'the remaining poststop hook must run');
    assert.equal(rt.tryState(c.id), null, 'the container must be gone');
  },
);

test('runtime.md#lifecycle: a failing poststop hook still leaves the container deleted (delete --force)', async () => {
  const h = hookBundle((d) => ({ poststop: [recorder('poststop1', d, { rc: 3 })] }));
  const c = rt.create(h.bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  assertOk(rt.run(['start', c.id]), 'start');
  rt.run(['delete', '--force', c.id]);
  assert.equal(rt.tryState(c.id), null, 'the container must be gone');
  await waitForFile(path.join(h.dir, 'order'));
  for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(20);
  assert.ok(!processAlive(pid), 'the container process survived');
});
