// runtime-spec runtime.md#kill, and the runc `kill` command line: signals by number, by name
// and by SIG-name, the default signal (SIGTERM), and `kill --all`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, processesOfBundle, sleep, notYetInMydocker } from './lib/runtime.mjs';
import { assertOk, bindMount, hostDir, waitForFile, waitForProcessGone } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'kill' });

// PID 1 of a pid namespace only receives signals it has a handler for, so the program traps
// each signal and records its name in /mnt/signals.
const TRAPPER = [
  'sh',
  '-c',
  'for s in HUP USR1 USR2 INT; do trap "echo $s >> /mnt/signals" $s; done; ' +
    'trap "echo TERM >> /mnt/signals; exit 0" TERM; ' +
    'echo ready > /mnt/ready; while true; do sleep 0.05; done',
];

function trapperBundle() {
  let data;
  const bundle = rt.bundle({
    args: TRAPPER,
    edit: (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    },
  });
  return { bundle, data };
}

async function signalsAfter(file, count, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (got.length >= count || Date.now() > deadline) return got;
    await sleep(20);
  }
}

test('runtime.md#kill: "MUST send the specified signal to the container process": by number, name and SIG-name', async () => {
  const { bundle, data } = trapperBundle();
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c, 'run -d');
  await waitForFile(path.join(data, 'ready'));
  const file = path.join(data, 'signals');
  const sent = [
    ['10', 'USR1'], // SIGUSR1 by number (x86_64 and arm64 numbering)
    ['USR2', 'USR2'], // by name
    ['SIGHUP', 'SIGHUP'.slice(3)], // by SIG-name
    ['2', 'INT'], // SIGINT by number
  ];
  for (let i = 0; i < sent.length; i++) {
    const [arg, expected] = sent[i];
    assertOk(rt.run(['kill', c.id, arg]), `kill ${arg}`);
    const got = await signalsAfter(file, i + 1);
    assert.equal(got[i], expected, `kill ${arg}: the container saw ${JSON.stringify(got)}`);
  }
  assert.equal(rt.state(c.id).status, 'running', 'trapped signals must not stop the container');
});

test('runc kill: the default signal is SIGTERM', async () => {
  const { bundle, data } = trapperBundle();
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c, 'run -d');
  await waitForFile(path.join(data, 'ready'));
  assertOk(rt.run(['kill', c.id]), 'kill without a signal');
  assert.deepEqual(await signalsAfter(path.join(data, 'signals'), 1), ['TERM']);
  await rt.waitForStatus(c.id, 'stopped');
});

test('runtime.md#kill: SIGTERM by name stops a container that exits on it ("status MUST be stopped")', async () => {
  const { bundle, data } = trapperBundle();
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c, 'run -d');
  await waitForFile(path.join(data, 'ready'));
  assertOk(rt.run(['kill', c.id, 'TERM']), 'kill TERM');
  const s = await rt.waitForStatus(c.id, 'stopped');
  assert.equal(s.status, 'stopped');
});

test('runtime.md#kill: SIGKILL by SIG-name stops a running container', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c, 'run -d');
  const { pid } = rt.state(c.id);
  assertOk(rt.run(['kill', c.id, 'SIGKILL']), 'kill SIGKILL');
  await rt.waitForStatus(c.id, 'stopped');
  assert.ok(await waitForProcessGone(pid), 'container process survived SIGKILL');
});

test('runtime.md#kill: a created container can be signalled (kill 9) and is then stopped', async () => {
  let data;
  const bundle = rt.bundle({
    args: ['sh', '-c', 'echo ran > /mnt/ran'],
    edit: (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    },
  });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  assertOk(rt.run(['kill', c.id, '9']), 'kill 9 of a created container');
  await rt.waitForStatus(c.id, 'stopped');
  assert.ok(await waitForProcessGone(pid));
  assert.ok(!fs.existsSync(path.join(data, 'ran')), 'the program ran');
  assertOk(rt.run(['delete', c.id]), 'delete');
});

test('runc kill --all: signals every process of a container that shares the host pid namespace', async () => {
  // Without a pid namespace, killing the container process does not take its children with it:
  // only --all (the container's cgroup) reaches them.
  const bundle = rt.bundle({
    args: ['sh', '-c', 'sleep 30 & sleep 30 & echo started > /mnt/ready; wait'],
        edit: (c, dir) => {
      c.linux.namespaces = c.linux.namespaces.filter((ns) => ns.type !== 'pid');
      c.mounts.push(bindMount(hostDir(dir), '/mnt'));
    },
  });
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c, 'run -d');
  await waitForFile(path.join(bundle, 'data', 'ready'));
  const pids = processesOfBundle(bundle);
  assert.ok(pids.length >= 3, `expected sh and two sleeps in the container, found ${pids.length}`);
  assertOk(rt.run(['kill', '--all', c.id, 'KILL']), 'kill --all KILL');
  await rt.waitForStatus(c.id, 'stopped');
  for (const p of pids) assert.ok(await waitForProcessGone(p), `process ${p} survived kill --all`);
  assertOk(rt.run(['delete', c.id]), 'delete');
  // (rt.cleanup() SIGKILLs, by pid, any process of this bundle a failing runtime left behind.)
});

test('runc kill --all: signals every process in a container with its own pid namespace', async () => {
  const bundle = rt.bundle({
    args: ['sh', '-c', 'sleep 30 & sleep 30 & echo started > /mnt/ready; wait'],
        edit: (c, dir) => void c.mounts.push(bindMount(hostDir(dir), '/mnt')),
  });
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c, 'run -d');
  await waitForFile(path.join(bundle, 'data', 'ready'));
  const pids = processesOfBundle(bundle);
  assert.ok(pids.length >= 3, `expected sh and two sleeps in the container, found ${pids.length}`);
  assertOk(rt.run(['kill', '--all', c.id, 'TERM']), 'kill --all TERM');
  // The sleeps die of SIGTERM; sh (pid 1 of the namespace, which ignores an untrapped SIGTERM)
  // then returns from `wait` and exits, so the whole container stops.
  for (const p of pids) assert.ok(await waitForProcessGone(p), `process ${p} survived kill --all TERM`);
  await rt.waitForStatus(c.id, 'stopped');
});
