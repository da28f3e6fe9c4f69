// End to end through dist/mydocker, bad input: each a clear one-line error on stderr, a
// non-zero status, and nothing left behind (no container directory, name, namespace, veth,
// lease, mount, cgroup, process or iptables rule), even when the container was already made
// when the error came (a host port taken).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { assertNoTraces, assertOneLineError, e2eManager, freePort, processesMentioning, sleep } from './lib/e2e.mjs';

let m;
before(async () => {
  m = e2eManager('err');
  await m.ok(['images']);
});
after(async () => m.cleanup());

/**
 * Runs a command that must fail with one line matching `re` and change nothing; resolves to
 * the ids of the containers it made (and removed) meanwhile.
 */
async function failsCleanly(args, re, what = args.join(' ')) {
  const before = m.snapshot();
  const seen = new Set(m.seenIds);
  const r = await m.cli(args);
  assertOneLineError({ status: r.status, stdout: r.stdout, stderr: r.stderr }, re, what);
  await sleep(100); // the directory watcher's last events
  const made = [...m.seenIds].filter((id) => !seen.has(id));
  assert.deepEqual(m.snapshot(), before, `${what}: something was left`);
  await assertNoTraces(m, made, what, 0);
  return { ...r, made };
}

test('flags and images that cannot work: nothing is made', async () => {
  const cases = [
    [['run', '--pull', 'never', 'nosuchimage'], /^mydocker: .*No such image: nosuchimage/],
    [['run', '-d', '-p', '99999:80', 'busybox', 'true'], /^mydocker: .*"99999:80".*-p, --publish.*invalid host port: 99999/],
    [['run', '--memory', '12q', 'busybox', 'true'], /^mydocker: .*"12q".*--memory.*invalid size/],
    [['run', '-v', 'relative:path', 'busybox', 'true'], /^mydocker: .*"relative:path".*-v, --volume.*mount path must be absolute/],
    [['run', '--cpus', 'lots', 'busybox', 'true'], /^mydocker: .*"lots".*--cpus/],
    [['run', '--network', 'nosuchnet', 'busybox', 'true'], /^mydocker: .*"nosuchnet".*--network/],
    [['create', '--pids-limit', 'x', 'busybox'], /^mydocker: .*"x".*--pids-limit/],
    [['run', '--frobnicate', 'busybox'], /^mydocker: .*frobnicate/],
  ];
  for (const [args, re] of cases) {
    const r = await failsCleanly(args, re);
    assert.deepEqual(r.made, [], `${args.join(' ')}: a container was made for a bad flag`);
    assert.ok(r.status === 125 || r.status === 1, `${args.join(' ')}: status ${r.status}`);
  }
});

test('a docker run error exits 125 (the status that tells it from the container\'s own)', async () => {
  const r = await m.cli(['run', '--pull', 'never', 'nosuchimage']);
  assert.equal(r.status, 125, r.stderr);
});

test('a host port taken by a listener on 127.0.0.1: one line, and the container made for it is gone', async (t) => {
  const port = await freePort();
  const server = net.createServer();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const taken = await failsCleanly(['run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80'], new RegExp(`^mydocker: .*127\\.0\\.0\\.1:${port}.*(already allocated|in use)`));
  assert.equal(taken.made.length, 1, 'the container is made before its network: the test must see it made and removed');
  await failsCleanly(['run', '-d', '-p', `${port}:80`, 'busybox', 'httpd', '-f', '-p', '80'], new RegExp(`^mydocker: .*:${port}.*(already allocated|in use)`));
  // in the foreground the runtime has created the container while the network was attached: the
  // port error is the one reported, with docker's 125, and the created container is gone too
  const foreground = await failsCleanly(['run', '--rm', '-p', `127.0.0.1:${port}:80`, 'busybox', 'true'], new RegExp(`^mydocker: .*127\\.0\\.0\\.1:${port}.*(already allocated|in use)`));
  assert.equal(foreground.status, 125);
});

test('a host port another container publishes; a name in use; exec into a stopped container', async (t) => {
  const refs = ['holder', 'sleeper'];
  t.after(() => m.cli(['rm', '-f', ...refs]));
  const port = await freePort();
  const holderId = (await m.ok(['run', '-d', '--name', 'holder', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80'])).trim();
  await failsCleanly(['run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'true'], new RegExp(`^mydocker: .*127\\.0\\.0\\.1:${port}.*already allocated`));

  const conflict = await failsCleanly(['run', '-d', '--name', 'holder', 'busybox', 'true'], /^mydocker: .*"\/holder" is already in use/);
  assert.equal(conflict.status, 125);
  const holder = await m.inspect('holder');
  assert.equal(holder.Id, holderId, 'the name still means the first container');
  assert.equal(holder.State.Running, true);

  await m.ok(['run', '-d', '--name', 'sleeper', '--network', 'none', 'busybox', 'sleep', '600']);
  const sleeperId = (await m.inspect('sleeper')).Id;
  await m.ok(['kill', 'sleeper']);
  assert.equal(await m.ok(['wait', 'sleeper']), '137\n');
  while (processesMentioning(sleeperId).length > 0) await sleep(100); // its monitor's last moments
  const notRunning = await failsCleanly(['exec', 'sleeper', 'true'], /^mydocker: .*sleeper.* is not running/);
  assert.notEqual(notRunning.status, 0);
  await failsCleanly(['exec', 'nosuchcontainer', 'true'], /^mydocker: No such container: nosuchcontainer$/);
  await failsCleanly(['stop', 'nosuchcontainer'], /^mydocker: No such container: nosuchcontainer$/);
  await failsCleanly(['logs', 'nosuchcontainer'], /^mydocker: No such container: nosuchcontainer$/);
  await m.ok(['rm', '-f', 'holder', 'sleeper']);
  refs.length = 0;
});
