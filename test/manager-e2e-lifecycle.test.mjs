// End to end through dist/mydocker, a container's life: exec into its namespaces, logs of a
// detached container (--tail, -t), stop (the stop signal honoured, SIGKILL after -t), rm -f
// waiting for the monitor, and a manager SIGKILLed midway whose leftovers the next commands
// clean up.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoTraces, commandOf, e2eManager, mountsUnder, processesMentioning, removeAtEnd, sleep, until } from './lib/e2e.mjs';

let m;
before(async () => {
  m = e2eManager('life');
});
after(async () => m.cleanup());



test('exec runs in the container: it sees the container\'s pid 1 and files, its status comes back', async (t) => {
  const refs = ['execme'];
  removeAtEnd(t, m, refs);
  await m.ok(['run', '-d', '--name', 'execme', 'busybox', 'sh', '-c', 'echo inside > /tmp/marker; exec sleep 600']);
  await until('the marker file', async () => (await m.cli(['exec', 'execme', 'cat', '/tmp/marker'])).stdout === 'inside\n');
  const ps = await m.ok(['exec', 'execme', 'ps', '-o', 'pid,args']);
  const rows = ps.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.find((r) => r[0] === '1')?.slice(1), ['sleep', '600'], ps);
  assert.ok(rows.some((r) => r[1] === 'ps'), `exec's own ps is listed: ${ps}`);
  assert.equal(rows.length, 2, `only pid 1 and the exec'd ps: ${ps}`);
  const hostname = (await m.ok(['exec', 'execme', 'hostname'])).trim();
  assert.equal(hostname, (await m.inspect('execme')).Id.slice(0, 12));
  assert.equal((await m.cli(['exec', 'execme', 'sh', '-c', 'exit 5'])).status, 5);
  const env = await m.ok(['exec', '-e', 'X=y', '-w', '/tmp', '-u', '99', 'execme', 'sh', '-c', 'echo $X $(pwd) $(id -u)']);
  assert.equal(env, 'y /tmp 99\n');
  // top from the host lists the same pid 1
  assert.match(await m.ok(['top', 'execme']), /sleep 600/);
});

test('logs: what the detached container printed, --tail N, -t timestamps, stderr on stderr', async (t) => {
  const refs = ['talker'];
  removeAtEnd(t, m, refs);
  const started = Date.now();
  await m.ok(['run', '-d', '--name', 'talker', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; echo done; exec sleep 600']);
  const all = await until('the whole output in the log', async () => {
    const r = await m.cli(['logs', 'talker']);
    return r.stdout.endsWith('done\n') && r;
  });
  assert.equal(all.status, 0);
  assert.equal(all.stdout, 'line1\nline2\nline3\nline4\nline5\ndone\n');
  assert.equal(all.stderr, 'oops\n');
  const tail = await m.cli(['logs', '--tail', '2', 'talker']);
  // the last two lines: "oops" (stderr) then "done" (stdout)
  assert.equal(tail.stdout, 'done\n');
  assert.equal(tail.stderr, 'oops\n');
  const stamped = await m.cli(['logs', '-t', '--tail', '3', 'talker']);
  const lines = stamped.stdout.trim().split('\n');
  assert.equal(lines.length, 2, stamped.stdout);
  for (const line of lines) {
    const [time, text] = line.split(' ');
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/, line);
    const ms = Date.parse(time);
    assert.ok(ms >= started - 1000 && ms <= Date.now(), `${time} is not the time of the run`);
    assert.match(text, /^(line5|done)$/);
  }
  assert.match(stamped.stderr, /^\S+Z oops\n$/);
  const bad = await m.cli(['logs', '--tail', 'many', 'talker']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^mydocker: --tail: "many" is not a number of lines or "all"\n$/);
});

test('stop: a shell trapping TERM exits 0 at once; one ignoring TERM is killed after -t 1 (137)', async (t) => {
  const refs = ['polite', 'stubborn'];
  removeAtEnd(t, m, refs);
  const loop = (trap) => ['sh', '-c', `trap ${trap} TERM; echo ready; while true; do sleep 0.1; done`];
  await m.ok(['run', '-d', '--name', 'polite', 'busybox', ...loop(`'echo bye; exit 0'`)]);
  // its own stop time-out is a minute: a -t 1 that was not honoured would show
  await m.ok(['run', '-d', '--name', 'stubborn', '--stop-timeout', '60', 'busybox', ...loop(`''`)]);
  for (const name of refs) await until(`${name} ready`, async () => (await m.cli(['logs', name])).stdout.includes('ready'));

  // -t 30: a TERM that did not work would show as 30 s and status 137
  const polite = await m.cli(['stop', '-t', '30', 'polite']);
  assert.equal(polite.status, 0, polite.stderr);
  assert.equal(polite.stdout, 'polite\n');
  const politeDoc = await m.inspect('polite');
  assert.equal(politeDoc.State.Status, 'exited');
  assert.equal(politeDoc.State.ExitCode, 0, 'the trap did not end the shell: killed');
  assert.ok(polite.ms < 20_000, `stop of a container that honours TERM took ${Math.round(polite.ms)} ms`);
  assert.match(await m.ok(['logs', 'polite']), /ready\nbye\n$/);

  const stubborn = await m.cli(['stop', '-t', '1', 'stubborn']);
  assert.equal(stubborn.status, 0, stubborn.stderr);
  assert.ok(stubborn.ms >= 1000, `stop -t 1 returned after ${Math.round(stubborn.ms)} ms, before the time-out`);
  assert.ok(stubborn.ms < 30_000, `stop -t 1 took ${Math.round(stubborn.ms)} ms: not the container's 60 s`);
  const stubbornDoc = await m.inspect('stubborn');
  assert.equal(stubbornDoc.State.ExitCode, 137);
  assert.equal(stubbornDoc.State.OOMKilled, false);
  assert.match(await m.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^stubborn Exited \(137\) /m);
  // a stopped container starts again, with a new process
  await m.ok(['start', 'polite']);
  assert.equal((await m.inspect('polite')).State.Running, true);
});

test('rm -f returns once the container\'s monitor (conmon and the exit command it waits for) has ended', async (t) => {
  // The exit command conmon runs (`mydocker container cleanup ID`; conmon waits for it) is held
  // until rm -f has returned, or for 5 s: a loaded machine delays it the same way. rm -f should
  // not return while the monitor of the container it removed is still there.
  const release = path.join(m.dir, 'release-exit-command');
  const heldSelf = path.join(m.dir, 'held-mydocker');
  fs.writeFileSync(heldSelf, `#!/bin/sh\nwhile [ ! -e ${release} ]; do sleep 0.05; done\nexec ${path.resolve('dist/mydocker')} "$@"\n`, { mode: 0o755 });
  const refs = ['monitored'];
  removeAtEnd(t, m, refs);
  t.after(() => fs.writeFileSync(release, ''));
  const id = (await m.ok(['run', '-d', '--name', 'monitored', '--network', 'none', 'busybox', 'sleep', '600'], { env: { MYDOCKER_SELF: heldSelf } })).trim();
  const timer = setTimeout(() => fs.writeFileSync(release, ''), 5000);
  const rm = await m.cli(['rm', '-f', 'monitored']);
  const left = processesMentioning(id).map(commandOf);
  clearTimeout(timer);
  fs.writeFileSync(release, '');
  assert.equal(rm.status, 0, rm.stderr);
  refs.length = 0;
  assert.deepEqual(left, [], 'processes of the removed container still running when rm -f returned');
});

/**
 * Starts `run -d --name NAME` and SIGKILLs it when `stage(id)` holds for the container it makes;
 * resolves to the id, or undefined when the run got past the stage first.
 */
async function killRunAt(name, stage) {
  const before = new Set(fs.readdirSync(m.paths.containers));
  const child = m.spawnCli(['run', '-d', '--name', name, 'busybox', 'sleep', '600']);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let id;
  let hit = false;
  while (child.exitCode === null && child.signalCode === null) {
    id ??= fs.readdirSync(m.paths.containers).find((e) => /^[0-9a-f]{64}$/.test(e) && !before.has(e));
    if (id !== undefined && stage(id)) {
      child.kill('SIGKILL');
      hit = true;
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await exited;
  return hit ? id : undefined;
}

const containerFile = (id, file) => path.join(m.paths.containers, id, file);
function recordedStatus(id) {
  try {
    return JSON.parse(fs.readFileSync(containerFile(id, 'container.json'), 'utf8')).state.status;
  } catch {
    return undefined;
  }
}
const STAGES = {
  // during create: the rootfs mounted for the user lookup, no metadata yet
  'create (rootfs mounted, no metadata)': (id) => !fs.existsSync(containerFile(id, 'container.json')) && mountsUnder(path.join(m.paths.containers, id)).length > 0,
  // during the start hook: the namespace made, the CNI ADD running
  'start hook (netns made)': (id) => fs.existsSync(path.join(m.paths.runRoot, 'netns', id)),
  // conmon launched (the runtime's create done), the start not recorded yet
  'conmon launched, start not recorded': (id) => fs.existsSync(containerFile(id, 'conmon.pid')) && recordedStatus(id) === 'created',
};

for (const [stage, reached] of Object.entries(STAGES)) {
  test(`a manager SIGKILLed midway (${stage}): ps -a and rm -f clean up, the name is free again`, async (t) => {
    const name = `killed${Object.keys(STAGES).indexOf(stage)}`;
    const refs = [name];
    removeAtEnd(t, m, refs);
    let id;
    for (let attempt = 0; attempt < 5 && id === undefined; attempt++) {
      id = await killRunAt(name, reached);
      if (id === undefined) await m.cli(['rm', '-f', name]); // got past the stage: again
    }
    assert.ok(id, `could not catch a run at the stage "${stage}" in 5 attempts`);

    const ps = await m.cli(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.equal(ps.stderr, '');
    // ps -a alone gives the network back (no namespace, veth, lease or CNI record of it) unless
    // the run got as far as a running container before the kill. Once conmon was launched it
    // may be conmon's exit command that does it (conmon ends the container when its parent
    // dies): ps -a shows a container another command holds as it is, so give that a moment.
    const status = ps.stdout.split('\n').find((line) => line.startsWith(id))?.split(' ').slice(2).join(' ') ?? '(not listed)';
    if (!status.startsWith('Up')) {
      const networkLeft = () => {
        const network = m.traces([id]);
        return { netns: network.netns, leases: network.leases, cniCache: network.cniCache, veths: m.snapshot().bridgePorts };
      };
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && Object.values(networkLeft()).some((v) => v.length > 0)) await sleep(200);
      assert.deepEqual(networkLeft(), { netns: [], leases: [], cniCache: [], veths: [] }, `after ps -a (status "${status}") the network is still there`);
    }
    if (ps.stdout.includes(id)) await m.ok(['rm', '-f', name]);
    if (fs.existsSync(path.join(m.paths.containers, id))) {
      // a create in progress looks the same as a killed one for a minute (the store's rule):
      // let that minute pass, and ask again
      const old = new Date(Date.now() - 120_000);
      fs.utimesSync(path.join(m.paths.containers, id), old, old);
      await m.cli(['ps', '-a']);
    }
    refs.length = 0;
    await assertNoTraces(m, [id], `after a kill at "${stage}"`);
    const snap = m.snapshot();
    assert.deepEqual(snap.netns, [], 'namespaces left');
    assert.deepEqual(snap.bridgePorts, [], 'veths left on the bridge');
    assert.deepEqual(snap.leases, [], 'leases left');
    assert.deepEqual(snap.cniCache, [], 'CNI cache records left');
    const again = await m.cli(['run', '--rm', '--name', name, 'busybox', 'true']);
    assert.equal(again.status, 0, `the name ${name} cannot be used again: ${again.stderr}`);
  });
}
