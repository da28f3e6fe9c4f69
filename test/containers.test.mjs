// Container lifecycle with the real parts: conmon (Debian's) as the monitor of detached
// containers, dist/mydocker-runtime as the runtime, busybox containers, this file's own root
// and run root. Every test checks that what it made is gone afterwards.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DRIVER, makeWorld, processesMentioning, RUNTIME, until } from './lib/containers.mjs';
import { load } from './lib/dist.mjs';

const lifecycle = load('manager/containers/lifecycle');
const { runContainer } = load('manager/containers/foreground');
const { containerLogs } = load('manager/containers/container-logs');
const { formatPs } = load('manager/containers/format');
const { topContainer } = load('manager/containers/top');
const { statsContainer } = load('manager/containers/stats');
const { ConflictError, UsageError, NotFoundError, ManagerError } = load('manager/errors');
const { ContainerStore } = load('manager/containers/store');

let world;
before(() => {
  world = makeWorld('containers');
});
after(async () => {
  const problems = await world.cleanup();
  assert.deepEqual(problems, [], 'the world had to be cleaned by force');
});

/** Runs the driver (another mydocker-like process) and collects its output. */
function driver(args, { timeoutMs = 60000 } = {}) {
  const r = spawnSync(process.execPath, [DRIVER, world.root, world.runRoot, RUNTIME, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startDriver(args) {
  const child = spawn(process.execPath, [DRIVER, world.root, world.runRoot, RUNTIME, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const result = { stdout: '', stderr: '', child };
  child.stdout.on('data', (d) => (result.stdout += d));
  child.stderr.on('data', (d) => (result.stderr += d));
  result.done = new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal })));
  return result;
}

async function runDetached(args, extra = {}, edit) {
  const { record } = await runContainer(world.ctx, world.create(args, extra, edit), { ...world.lc, detach: true });
  return record;
}

async function logsOf(ref, options = {}) {
  const chunks = { stdout: '', stderr: '' };
  await containerLogs(world.ctx, ref, { ...options, write: (stream, text) => (chunks[stream] += text) });
  return chunks;
}

async function rmAndCheck(id) {
  await lifecycle.removeContainer(world.ctx, id, { ...world.lc, force: true });
  assert.deepEqual(world.leftoversOf(id), [], `container ${id} left something behind`);
}

describe('detached containers under conmon', () => {
  test('logs return what the container printed: all, --tail, -t; -f ends when it exits; the exit command reaps it', async () => {
    const c = await runDetached(['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; sleep 1; echo late']);
    assert.match(c.id, /^[0-9a-f]{64}$/);
    assert.equal(c.state.status, 'running');
    assert.equal(c.monitor.kind, 'conmon');
    await until(async () => (await logsOf(c.id)).stderr.includes('oops'), 'the first lines');
    const first = await logsOf(c.name);
    assert.equal(first.stdout, 'line1\nline2\nline3\nline4\nline5\n');
    assert.equal(first.stderr, 'oops\n');
    const tail = await logsOf(c.id.slice(0, 10), { tail: 2 });
    assert.equal(tail.stdout, 'line5\n');
    assert.equal(tail.stderr, 'oops\n');
    const stamped = await logsOf(c.id, { tail: 1, timestamps: true });
    assert.match(stamped.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z oops\n$/);
    // -f: what comes later, and the end when the container exits
    const t0 = Date.now();
    const followed = await logsOf(c.id, { follow: true });
    assert.ok(followed.stdout.endsWith('line5\nlate\n'), followed.stdout);
    assert.ok(Date.now() - t0 < 10000);
    // conmon's exit command reaped it without anyone asking: metadata, hooks, runtime state
    const store = new ContainerStore(world.ctx.paths);
    const reaped = await until(() => (store.read(c.id).state.status === 'exited' ? store.read(c.id) : undefined), 'the exit command');
    assert.equal(reaped.state.exitCode, 0);
    assert.equal(reaped.state.oomKilled, false);
    assert.ok(Date.parse(reaped.state.finishedAt) >= Date.parse(reaped.state.startedAt));
    assert.equal(reaped.stopHooksPending, false);
    assert.match(world.hookLog(), new RegExp(`beforeStart ${c.id}\\n(.*\\n)*afterStop ${c.id}`));
    assert.equal(fs.existsSync(path.join(world.runRoot, 'runtime', c.id)), false);
    await rmAndCheck(c.id);
  });

  test('the exit status is propagated: Exited (3)', async () => {
    const c = await runDetached(['sh', '-c', 'exit 3']);
    assert.equal(await lifecycle.waitContainer(world.ctx, c.name, world.lc), 3);
    const [record] = (await lifecycle.listContainers(world.ctx, { ...world.lc, all: true })).filter((r) => r.id === c.id);
    assert.equal(record.state.status, 'exited');
    const line = formatPs([record], Date.now()).split('\n')[1];
    assert.match(line, /Exited \(3\) (Less than a second|\d+ seconds?) ago/);
    assert.ok(line.includes(c.id.slice(0, 12)) && line.includes(c.name) && line.includes('"sh -c exit 3"'));
    // not listed without -a
    assert.equal((await lifecycle.listContainers(world.ctx, world.lc)).some((r) => r.id === c.id), false);
    await rmAndCheck(c.id);
  });

  test('stop honours the stop signal (a trap ends it at once)', async () => {
    const c = await runDetached(['sh', '-c', 'trap "echo got TERM; exit 0" TERM; echo ready; while true; do sleep 0.1; done']);
    await until(async () => (await logsOf(c.id)).stdout.includes('ready'), 'ready');
    const t0 = Date.now();
    await lifecycle.stopContainer(world.ctx, c.id, { ...world.lc, timeout: 10 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 5000, `stop took ${elapsed} ms`);
    const record = await lifecycle.inspectContainer(world.ctx, c.id, world.lc);
    assert.equal(record.state.status, 'exited');
    assert.equal(record.state.exitCode, 0);
    assert.match((await logsOf(c.id)).stdout, /got TERM/);
    await rmAndCheck(c.id);
  });

  test('stop falls back to SIGKILL after -t: Exited (137) after at least the timeout', async () => {
    const c = await runDetached(['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']);
    await until(async () => (await logsOf(c.id)).stdout.includes('ready'), 'ready');
    const t0 = Date.now();
    await lifecycle.stopContainer(world.ctx, c.id, { ...world.lc, timeout: 1 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 1000, `stop returned after ${elapsed} ms, before the timeout`);
    assert.ok(elapsed < 8000, `stop took ${elapsed} ms`);
    const record = await lifecycle.inspectContainer(world.ctx, c.id, world.lc);
    assert.equal(record.state.exitCode, 137);
    assert.equal(record.state.oomKilled, false);
    await rmAndCheck(c.id);
  });

  test('the image stop signal is used by stop', async () => {
    const c = await runDetached(['sh', '-c', 'trap "echo got USR1; exit 5" USR1; echo ready; while true; do sleep 0.1; done'], { stopSignal: 'SIGUSR1' });
    await until(async () => (await logsOf(c.id)).stdout.includes('ready'), 'ready');
    await lifecycle.stopContainer(world.ctx, c.id, { ...world.lc, timeout: 10 });
    assert.equal((await lifecycle.inspectContainer(world.ctx, c.id, world.lc)).state.exitCode, 5);
    await rmAndCheck(c.id);
  });

  test('kill -s sends the signal; a bad signal is a usage error; kill of a stopped one is an error', async () => {
    const c = await runDetached(['sh', '-c', 'trap "echo got HUP" HUP; echo ready; while true; do sleep 0.1; done']);
    await until(async () => (await logsOf(c.id)).stdout.includes('ready'), 'ready');
    await lifecycle.killContainer(world.ctx, c.id, 'HUP', world.lc);
    await until(async () => (await logsOf(c.id)).stdout.includes('got HUP'), 'the HUP trap');
    await assert.rejects(lifecycle.killContainer(world.ctx, c.id, 'NOPE', world.lc), (e) => e instanceof UsageError && /--signal/.test(e.message));
    await lifecycle.killContainer(world.ctx, c.id, undefined, world.lc);
    assert.equal(await lifecycle.waitContainer(world.ctx, c.id, world.lc), 137);
    await assert.rejects(lifecycle.killContainer(world.ctx, c.id, 'KILL', world.lc), (e) => e instanceof ConflictError && /is not running/.test(e.message));
    await rmAndCheck(c.id);
  });

  test('an OOM kill shows as Exited (137) with oomKilled', async () => {
    const c = await runDetached(['sh', '-c', 'head -c 400m /dev/zero | tail'], {}, (s) => {
      s.linux.resources = { ...(s.linux.resources ?? {}), memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } };
    });
    assert.equal(await lifecycle.waitContainer(world.ctx, c.id, world.lc), 137);
    const record = await lifecycle.inspectContainer(world.ctx, c.id, world.lc);
    assert.equal(record.state.exitCode, 137);
    assert.equal(record.state.oomKilled, true);
    assert.match(formatPs([record], Date.now()), /Exited \(137\)/);
    await rmAndCheck(c.id);
  });

  test('start again after exit; restart; the log keeps both runs', async () => {
    const c = await runDetached(['sh', '-c', 'trap "exit 0" TERM; echo started; while true; do sleep 0.1; done']);
    await until(async () => (await logsOf(c.id)).stdout.includes('started'), 'started');
    await lifecycle.stopContainer(world.ctx, c.id, world.lc);
    const started = await lifecycle.startContainer(world.ctx, c.name, world.lc);
    assert.equal(started.state.status, 'running');
    await until(async () => (await logsOf(c.id)).stdout === 'started\nstarted\n', 'the second start');
    const restarted = await lifecycle.restartContainer(world.ctx, c.id, { ...world.lc, timeout: 5 });
    assert.equal(restarted.state.status, 'running');
    assert.notEqual(restarted.state.pid, started.state.pid);
    await until(async () => (await logsOf(c.id)).stdout === 'started\nstarted\nstarted\n', 'the restart');
    await rmAndCheck(c.id);
  });

  test('--rm -d: removed once it exits; wait still reports its status', async () => {
    const c = await runDetached(['sh', '-c', 'sleep 0.3; exit 6'], { autoRemove: true });
    assert.equal(await lifecycle.waitContainer(world.ctx, c.id, world.lc), 6);
    await until(() => world.leftoversOf(c.id).length === 0, 'the removal');
    assert.match(world.hookLog(), new RegExp(`beforeRemove ${c.id}`));
  });

  test('a terminal (-t) under conmon: the output is logged', async () => {
    const c = await runDetached(['sh', '-c', 'test -t 1 && echo on a tty'], { config: { tty: true } }, (s) => {
      s.process.terminal = true;
    });
    assert.equal(await lifecycle.waitContainer(world.ctx, c.id, world.lc), 0);
    assert.match((await logsOf(c.id)).stdout, /on a tty\r?\n/);
    await rmAndCheck(c.id);
  });
});

describe('exec, top, stats', () => {
  test('exec sees the same processes; -e, -w, -u; exit status', async () => {
    const c = await runDetached(['sh', '-c', 'echo ready; exec sleep 1000']);
    await until(async () => (await logsOf(c.id)).stdout.includes('ready'), 'ready');
    const ps = driver(['exec', c.name, '--', 'ps', '-o', 'pid,comm']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.match(ps.stdout, /^\s*1\s+sleep$/m);
    const env = driver(['exec', c.id, '-e', 'GREETING=hi', '-w', '/tmp', '-u', '1000:1000', '--', 'sh', '-c', 'echo $GREETING $(pwd) $(id -u):$(id -g); exit 4']);
    assert.equal(env.status, 4, env.stderr);
    assert.equal(env.stdout, 'hi /tmp 1000:1000\n');
    const missing = driver(['exec', c.id, '--', 'no-such-program']);
    assert.equal(missing.status, 127);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /executable file not found/);
    const top = await topContainer(world.ctx, c.id, ['-ef'], world.lc);
    assert.ok(top.titles.includes('PID'));
    assert.ok(top.processes.some((row) => row.at(-1) === 'sleep 1000'), JSON.stringify(top.processes));
    const stats = await statsContainer(world.ctx, c.id, { ...world.lc, sampleMs: 100 });
    assert.ok(stats.memoryUsage > 0 && stats.memoryLimit > stats.memoryUsage, JSON.stringify(stats));
    assert.ok(stats.pids >= 1);
    assert.equal(fs.readdirSync(c.bundle).filter((f) => f.startsWith('exec-')).length, 0);
    await rmAndCheck(c.id);
  });

  test('exec -i gets our stdin; exec -d returns at once and the process runs on', async () => {
    const c = await runDetached(['sh', '-c', 'echo ready; exec sleep 1000']);
    await until(async () => (await logsOf(c.id)).stdout.includes('ready'), 'ready');
    const r = spawnSync(process.execPath, [DRIVER, world.root, world.runRoot, RUNTIME, 'exec', c.id, '--interactive', '--', 'sh', '-c', 'read line; echo "got $line"'], {
      input: 'hello\n',
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'got hello\n');
    // without -i the process reads /dev/null
    const closed = driver(['exec', c.id, '--', 'sh', '-c', 'read line || echo eof']);
    assert.equal(closed.stdout, 'eof\n');
    const detached = driver(['exec', c.id, '--detach', '--', 'sh', '-c', 'sleep 0.3; echo bg > /tmp/bg']);
    assert.equal(detached.status, 0, detached.stderr);
    assert.equal(detached.stdout, '');
    await until(() => driver(['exec', c.id, '--', 'cat', '/tmp/bg']).stdout === 'bg\n', 'the detached process');
    // SIGTERM to mydocker exec reaches the process
    const run = startDriver(['exec', c.id, '--', 'sh', '-c', 'trap "echo term; exit 9" TERM; echo ready; while true; do sleep 0.1; done']);
    await until(() => run.stdout.includes('ready'), 'the exec to be ready');
    run.child.kill('SIGTERM');
    assert.equal((await run.done).status, 9, run.stderr);
    assert.equal(run.stdout, 'ready\nterm\n');
    assert.deepEqual(fs.readdirSync(c.bundle).filter((f) => f.startsWith('exec-')), []);
    await rmAndCheck(c.id);
  });

  test('exec into a stopped container: one-line error, non-zero exit, nothing left', async () => {
    const c = await runDetached(['true']);
    await lifecycle.waitContainer(world.ctx, c.id, world.lc);
    const before = fs.readdirSync(c.bundle).sort();
    const r = driver(['exec', c.name, '--', 'true']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr, `driver: container ${c.name} is not running\n`);
    assert.deepEqual(fs.readdirSync(c.bundle).sort(), before);
    await assert.rejects(topContainer(world.ctx, c.id, [], world.lc), /is not running/);
    await rmAndCheck(c.id);
  });
});

describe('names, bad input, removal', () => {
  test('a name already used: one-line conflict, nothing left; bad names and no command are usage errors', async () => {
    const c = await runDetached(['sleep', '1000'], { name: 'taken-name' });
    const before = fs.readdirSync(path.join(world.root, 'containers')).sort();
    const namesBefore = fs.readdirSync(path.join(world.root, 'container-names')).sort();
    await assert.rejects(runContainer(world.ctx, world.create(['true'], { name: 'taken-name' }), { ...world.lc, detach: true }), (e) => {
      assert.ok(e instanceof ConflictError);
      assert.equal(e.message.split('\n').length, 1);
      assert.match(e.message, /The container name "\/taken-name" is already in use by container/);
      return true;
    });
    await assert.rejects(runContainer(world.ctx, world.create(['true'], { name: 'bad/name' }), world.lc), UsageError);
    await assert.rejects(runContainer(world.ctx, world.create([], {}), world.lc), (e) => e instanceof UsageError && /no command/.test(e.message));
    assert.deepEqual(fs.readdirSync(path.join(world.root, 'containers')).sort(), before);
    assert.deepEqual(fs.readdirSync(path.join(world.root, 'container-names')).sort(), namesBefore);
    // rm without -f refuses a running container; with -f it goes, hooks included
    await assert.rejects(lifecycle.removeContainer(world.ctx, 'taken-name', world.lc), (e) => e instanceof ConflictError && /cannot remove a running container/.test(e.message));
    await rmAndCheck(c.id);
    assert.match(world.hookLog(), new RegExp(`afterStop ${c.id}\\n(.*\\n)*beforeRemove ${c.id}`));
    await assert.rejects(lifecycle.removeContainer(world.ctx, 'taken-name', world.lc), NotFoundError);
    // the name is free again
    const again = await runDetached(['true'], { name: 'taken-name' });
    await lifecycle.waitContainer(world.ctx, again.id, world.lc);
    await rmAndCheck(again.id);
  });

  test('a program that does not exist: 127, one line, nothing left', async () => {
    const before = fs.readdirSync(path.join(world.root, 'containers'));
    const namesBefore = fs.readdirSync(path.join(world.root, 'container-names'));
    const runtimeBefore = fs.readdirSync(path.join(world.runRoot, 'runtime'));
    for (const detach of [true, false]) {
      await assert.rejects(runContainer(world.ctx, world.create(['no-such-program'], { name: `missing-${detach}` }), { ...world.lc, detach }), (e) => {
        assert.ok(e instanceof ManagerError);
        assert.equal(e.exitCode, 127);
        assert.equal(e.message.split('\n').length, 1);
        assert.match(e.message, /executable file not found/);
        return true;
      });
    }
    assert.deepEqual(fs.readdirSync(path.join(world.root, 'containers')), before);
    assert.deepEqual(fs.readdirSync(path.join(world.root, 'container-names')), namesBefore);
    assert.deepEqual(fs.readdirSync(path.join(world.runRoot, 'runtime')), runtimeBefore);
    assert.deepEqual(processesMentioning('missing-'), []);
  });

  test('twenty parallel run -d (separate processes) get unique ids and names, and all clean up', async () => {
    const spec = world.specFile(['sleep', '1000']);
    const runs = await Promise.all(Array.from({ length: 20 }, () => startDriver(['run', spec, '--detach'])).map(async (r) => ({ ...(await r.done), ...r })));
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const ids = runs.map((r) => r.stdout.trim());
    ids.forEach((id) => world.ids.add(id));
    assert.equal(new Set(ids).size, 20);
    const listed = (await lifecycle.listContainers(world.ctx, world.lc)).filter((c) => ids.includes(c.id));
    assert.equal(listed.length, 20);
    assert.equal(new Set(listed.map((c) => c.name)).size, 20);
    for (const c of listed) assert.match(c.name, /^[a-z]+_[a-z]+\d*$/);
    assert.ok(listed.every((c) => c.state.status === 'running'));
    await Promise.all(ids.map((id) => lifecycle.removeContainer(world.ctx, id, { ...world.lc, force: true })));
    for (const id of ids) assert.deepEqual(world.leftoversOf(id), []);
    for (const c of listed) assert.equal(fs.existsSync(path.join(world.root, 'container-names', c.name)), false);
  });
});

test('concurrent rm -f of one container from three processes: one removes it, nothing is left or damaged', async () => {
  const c = await runDetached(['sleep', '1000']);
  const runs = await Promise.all([0, 1, 2].map(() => startDriver(['rm', c.id, '--force'])).map(async (r) => ({ ...(await r.done), ...r })));
  for (const r of runs) assert.ok(r.status === 0 || /No such container/.test(r.stderr), r.stderr);
  assert.ok(runs.some((r) => r.status === 0));
  assert.deepEqual(world.leftoversOf(c.id), []);
  assert.equal(fs.existsSync(path.join(world.root, 'container-names', c.name)), false);
});

describe('crashes: the next command reconciles', () => {
  test('metadata says running but the process and its monitor are dead; a stale runtime container is deleted', async () => {
    const c = await lifecycle.createContainer(world.ctx, world.create(['sleep', '1000']));
    // a runtime container left behind (created, never started), as after a crash during start
    // (the init keeps its stdio open while it waits: no pipes, or spawnSync would wait for it)
    const created = spawnSync(RUNTIME, ['--root', path.join(world.runRoot, 'runtime'), 'create', '--bundle', c.bundle, c.id], { stdio: 'ignore' });
    assert.equal(created.status, 0);
    const dead = spawnSync('true').pid;
    const store = new ContainerStore(world.ctx.paths);
    const record = store.read(c.id);
    record.state = { status: 'running', pid: dead, pidStartTime: 1, startedAt: new Date().toISOString(), exitCode: 0, oomKilled: false };
    record.monitor = { kind: 'conmon', pid: dead, startTime: 1 };
    record.stopHooksPending = true;
    store.write(record);
    const ps = driver(['ps']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`${c.id} ${c.name} exited 255`));
    const after = store.read(c.id);
    assert.match(after.state.error, /monitor/);
    assert.equal(after.stopHooksPending, false);
    assert.match(world.hookLog(), new RegExp(`afterStop ${c.id}`));
    assert.equal(fs.existsSync(path.join(world.runRoot, 'runtime', c.id)), false);
    await rmAndCheck(c.id);
  });

  test('the container died while no command was looking (no exit command): the next ps records Exited (137)', async () => {
    const { record: c } = await runContainer(world.ctx, world.create(['sleep', '1000']), { hooks: world.lc.hooks, detach: true });
    process.kill(c.state.pid, 'SIGKILL');
    await until(() => fs.existsSync(path.join(c.bundle, 'exit')), 'conmon to record the exit');
    const ps = driver(['ps']);
    assert.match(ps.stdout, new RegExp(`${c.id} ${c.name} exited 137`));
    assert.equal(fs.existsSync(path.join(world.runRoot, 'runtime', c.id)), false);
    await rmAndCheck(c.id);
  });

  test('an interrupted create (a directory without metadata) and removal are swept', async () => {
    const store = new ContainerStore(world.ctx.paths);
    const orphan = path.join(world.root, 'containers', 'a'.repeat(64));
    fs.mkdirSync(orphan);
    fs.utimesSync(orphan, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    const trash = path.join(world.root, 'containers', `.removing-${'b'.repeat(64)}`);
    fs.mkdirSync(trash);
    await lifecycle.listContainers(world.ctx, world.lc);
    assert.equal(fs.existsSync(orphan), false);
    assert.equal(fs.existsSync(trash), false);
    assert.deepEqual(store.ids().filter((id) => id === 'a'.repeat(64)), []);
  });
});

describe('foreground run', () => {
  test('the exit status is propagated and the output is logged', async () => {
    const r = driver(['run', world.specFile(['sh', '-c', 'echo out; echo err >&2; exit 7']), '--name', 'fg-status']);
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const record = await lifecycle.inspectContainer(world.ctx, 'fg-status', world.lc);
    world.ids.add(record.id);
    assert.equal(record.state.status, 'exited');
    assert.equal(record.state.exitCode, 7);
    assert.deepEqual(await logsOf(record.id), { stdout: 'out\n', stderr: 'err\n' });
    await rmAndCheck(record.id);
  });

  test('SIGTERM to mydocker reaches the container; ps meanwhile shows it Up; --rm removes it', async () => {
    const run = startDriver(['run', world.specFile(['sh', '-c', 'trap "echo term; exit 42" TERM; echo ready; while true; do sleep 0.1; done']), '--rm', '--name', 'fg-term']);
    await until(() => run.stdout.includes('ready'), 'ready');
    const running = await lifecycle.inspectContainer(world.ctx, 'fg-term', world.lc);
    world.ids.add(running.id);
    assert.equal(running.state.status, 'running');
    assert.equal(running.monitor.kind, 'foreground');
    assert.match(formatPs([running], Date.now()), /Up (Less than a second|\d+ seconds?)/);
    run.child.kill('SIGTERM');
    const { status } = await run.done;
    assert.equal(status, 42, run.stderr);
    assert.equal(run.stdout, 'ready\nterm\n');
    assert.deepEqual(world.leftoversOf(running.id), []);
  });

  test('stop from another command ends a foreground run, which reports 137 after -t', async () => {
    const run = startDriver(['run', world.specFile(['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']), '--name', 'fg-stop']);
    await until(() => run.stdout.includes('ready'), 'ready');
    await lifecycle.stopContainer(world.ctx, 'fg-stop', { ...world.lc, timeout: 1 });
    const { status } = await run.done;
    assert.equal(status, 137);
    const record = await lifecycle.inspectContainer(world.ctx, 'fg-stop', world.lc);
    world.ids.add(record.id);
    assert.equal(record.state.status, 'exited');
    assert.equal(record.state.exitCode, 137);
    await rmAndCheck(record.id);
  });

  test('-t -i: our terminal in raw mode drives the container, its size and resizes follow, the status comes back', async () => {
    const file = world.specFile(['sh', '-c', 'echo READY; exec sh'], (s) => {
      s.process.terminal = true;
    });
    const session = path.join(path.dirname(DRIVER), '..', 'fixtures', 'pty-session.py');
    const r = spawnSync('python3', [session, process.execPath, DRIVER, world.root, world.runRoot, RUNTIME, 'run', file, '--tty', '--interactive', '--rm'], { encoding: 'utf8', timeout: 90000 });
    assert.equal(r.status, 0, r.stderr);
    const { status, out } = JSON.parse(r.stdout);
    assert.match(out, /33 101/);
    assert.match(out, /40 120/);
    assert.equal(status, 5, out);
  });

  test('a foreground mydocker killed with SIGKILL: the next ps finds the container and reaps it', async () => {
    const run = startDriver(['run', world.specFile(['sh', '-c', 'echo ready; exec sleep 1000']), '--name', 'fg-killed']);
    await until(() => run.stdout.includes('ready'), 'ready');
    run.child.kill('SIGKILL');
    await run.done;
    const record = await lifecycle.inspectContainer(world.ctx, 'fg-killed', world.lc);
    world.ids.add(record.id);
    // the runtime's `run` still waits for it: still running
    assert.equal(record.state.status, 'running');
    await lifecycle.stopContainer(world.ctx, 'fg-killed', { ...world.lc, timeout: 1 });
    const stopped = await lifecycle.inspectContainer(world.ctx, 'fg-killed', world.lc);
    assert.equal(stopped.state.status, 'exited');
    assert.equal(stopped.state.exitCode, 255);
    await until(() => processesMentioning(record.id).length === 0, 'the runtime to finish');
    await rmAndCheck(record.id);
  });
});

