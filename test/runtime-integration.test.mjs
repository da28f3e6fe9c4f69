// mydocker-runtime end to end on real namespaces and mounts: what the runtime core issue
// names, and the properties runc's conformance does not check (nothing left on the host after
// a failure, stdio untouched, the caller's limits, signal forwarding, concurrent calls).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setupRuntime, RUNTIME, REPO_ROOT, cleanEnv, sleep } from '../conformance/lib/runtime.mjs';
import { assertFails, assertNoSideEffects, assertOk, bindMount, hostDir } from '../conformance/lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'itest' });

/** Host mounts that mention a path: a container's mounts must never appear in the host's table. */
function hostMountsMentioning(text) {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(text));
}

async function assertNothingLeft(r, bundle) {
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
  assert.deepEqual(hostMountsMentioning(bundle), [], 'host mounts left behind');
}

test('a busybox bundle runs: output, exit status 42, PID 1, hostname, a bind mount written from inside', () => {
  const bundle = rt.bundle({
    args: ['sh', '-c', 'echo hello; cat /proc/1/cmdline | tr "\\0" " "; echo; echo $$; hostname; echo data > /mnt/out; exit 42'],
    hostname: 'box42',
    edit: (c, dir) => void c.mounts.push(bindMount(hostDir(dir), '/mnt')),
  });
  const r = rt.runBundle(bundle);
  assert.equal(r.status, 42, r.stderr);
  const [hello, cmdline, pid, hostname] = r.stdout.split('\n');
  assert.equal(hello, 'hello');
  assert.match(cmdline, /^sh -c echo hello/);
  assert.equal(pid, '1');
  assert.equal(hostname, 'box42');
  assert.equal(fs.readFileSync(path.join(hostDir(bundle), 'out'), 'utf8'), 'data\n');
  assert.deepEqual(hostMountsMentioning(bundle), []);
  assert.ok(!rt.listIds().includes(r.id), 'run removes the container when it exits');
});

test('--log FILE --log-format json: one {"level":"error","msg","time"} object per line', () => {
  const log = path.join(rt.ioDir, 'log.json');
  const r = rt.run(['--log', log, '--log-format', 'json', 'state', 'no-such-container']);
  assertFails(r, /does not exist/);
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(entry).sort(), ['level', 'msg', 'time']);
  assert.equal(entry.level, 'error');
  assert.match(entry.msg, /container "no-such-container" does not exist/);
  assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.equal(r.stderr.trim(), entry.msg, 'stderr carries the same single line');
});

test('--log FILE in text format: time="..." level=error msg="..."', () => {
  const log = path.join(rt.ioDir, 'log.txt');
  rt.run(['--log', log, 'start', 'no-such-container']);
  assert.match(fs.readFileSync(log, 'utf8'), /^time="[^"]+" level=error msg="container \\"no-such-container\\" does not exist"\n$/);
});

// Each failing create must leave no state directory, no process and no host mount, including
// failures that happen after the namespaces were entered and the init was started.
const badCreates = {
  'missing bundle directory': { bundle: '/nonexistent/bundle', message: /bundle "\/nonexistent\/bundle" does not exist/ },
  'config.json is not JSON': { raw: '{"ociVersion": ', message: /config.json: invalid JSON/ },
  'schema error names the field': { edit: (c) => void (c.process.args = 'sh'), message: /\/process\/args/ },
  'missing rootfs': { edit: (c) => void (c.root.path = 'nope'), message: /\/root\/path: rootfs ".*nope" does not exist/ },
  'namespace path of the wrong type': {
    edit: (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((ns) => ns.type !== 'network').concat({ type: 'network', path: '/proc/self/ns/uts' });
    },
    message: /linux.namespaces\[\d\].path: "\/proc\/self\/ns\/uts" is a uts namespace, not a network namespace/,
  },
  'a bind source that does not exist': {
    edit: (c) => void c.mounts.push(bindMount('/nonexistent/source', '/mnt')),
    message: /mounts\[\d+\].source: bind source "\/nonexistent\/source" does not exist/,
  },
  'a program that is not in PATH (fails inside the new namespaces)': {
    edit: (c) => void (c.process.args = ['no-such-program']),
    message: /exec: "no-such-program": executable file not found in \$PATH/,
  },
  'a cwd that is not a directory (fails in the init, after pivot_root)': {
    edit: (c) => void (c.process.cwd = '/etc/passwd'),
    message: /chdir to cwd \("\/etc\/passwd"\) set in config.json failed: not a directory/,
  },
  'an unknown filesystem type': {
    edit: (c) => void c.mounts.push({ destination: '/mnt', type: 'nosuchfs', source: 'x' }),
    message: /mounts\[\d+\] \(\/mnt\): mount x on .*\/mnt \(nosuchfs\): no such device/,
  },
  'a sysctl that does not exist': {
    edit: (c) => void (c.linux.sysctl = { 'net.nosuch.key': '1' }),
    message: /linux.sysctl\["net.nosuch.key"\]: cannot set it to "1": \/proc\/sys\/net\/nosuch\/key: no such file or directory/,
  },
  'an rlimit above the hard limit we may grant': {
    edit: (c) => void (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]),
    message: /process.rlimits: cannot set RLIMIT_NOFILE to 1048576:1048576: operation not permitted/,
  },
};
for (const [name, c] of Object.entries(badCreates)) {
  test(`bad create, nothing left behind: ${name}`, async () => {
    const bundle = c.bundle ?? rt.bundle({ args: ['true'], edit: c.edit, ...(c.raw ? { rawConfig: c.raw } : {}) });
    const r = rt.create(bundle);
    assertFails(r, c.message, name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    await assertNothingLeft(r, bundle);
  });
}

test('bad create, nothing left behind: the init helper cannot be started', async () => {
  const bundle = rt.bundle({ args: ['true'] });
  const r = rt.create(bundle, { env: { MYDOCKER_INIT: '/nonexistent/mydocker-init' } });
  assertFails(r, /cannot start the container init helper \/nonexistent\/mydocker-init/);
  await assertNothingLeft(r, bundle);
});

test('a duplicate id is refused and the existing container is untouched', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const first = rt.create(bundle);
  assertOk(first);
  const before = rt.state(first.id);
  const again = rt.create(bundle, { id: first.id });
  assertFails(again, /container with id ".*" already exists/);
  assert.deepEqual(rt.state(first.id), before);
  assertOk(rt.run(['delete', '--force', first.id]));
});

test('concurrent creates of one id: exactly one wins, the others fail cleanly', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const id = rt.newId('race');
  const results = await Promise.all(Array.from({ length: 4 }, () => rt.spawn(['create', '--bundle', bundle, id]).result));
  assert.equal(results.filter((r) => r.status === 0).length, 1, results.map((r) => r.stderr).join('\n'));
  for (const r of results.filter((x) => x.status !== 0)) assert.match(r.stderr, /already exists/);
  assert.equal(rt.state(id).status, 'created');
  assertOk(rt.run(['delete', id]));
  assert.ok(!rt.listIds().includes(id));
});

test('illegal transitions leave the state as it was', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.create(bundle);
  assertOk(c);
  assertOk(rt.run(['start', c.id]));
  assertFails(rt.run(['start', c.id]), /cannot start an already running container/);
  assertFails(rt.run(['delete', c.id]), /cannot delete container .* that is not stopped: running/);
  assert.equal(rt.state(c.id).status, 'running');
  assertOk(rt.run(['kill', c.id, 'KILL']));
  for (let i = 0; i < 100 && rt.state(c.id).status !== 'stopped'; i++) await sleep(20);
  assertFails(rt.run(['kill', c.id]), /container not running/);
  assertFails(rt.run(['start', c.id]), /cannot start a container that has stopped/);
  assert.equal(rt.state(c.id).status, 'stopped');
  assertOk(rt.run(['delete', c.id]));
});

test('checkpoint and restore are refused in one line with the reason (here: criu fails its own check), the container untouched', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.create(bundle);
  assertOk(c);
  assertFails(rt.run(['checkpoint', c.id]), /^checkpoint: container ".*" is created, not running\n$/);
  assertOk(rt.run(['start', c.id]));
  const { criuProblem, findCriu } = await import(path.join(REPO_ROOT, 'dist/lib/runtime/operations/checkpoint.js'));
  const reason = criuProblem(findCriu()) ?? 'checkpoint/restore through criu is not implemented';
  for (const verb of ['checkpoint', 'restore']) {
    const r = rt.run([verb, c.id]);
    assertFails(r);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`${verb}: ${reason.slice(0, 40)}`), r.stderr);
  }
  assert.equal(rt.state(c.id).status, 'running');
  assertFails(rt.run(['checkpoint', 'nosuchcontainer']), /does not exist/);
  assertOk(rt.run(['delete', '--force', c.id]));
});

test('criuProblem: criu missing, failing its check (a fake criu), or working', async () => {
  const { criuProblem } = await import(path.join(REPO_ROOT, 'dist/lib/runtime/operations/checkpoint.js'));
  assert.equal(criuProblem(undefined), 'criu is not installed (apt-get install criu)');
  const dir = fs.mkdtempSync('/tmp/fake-criu-');
  try {
    const failing = path.join(dir, 'failing');
    fs.writeFileSync(failing, '#!/bin/sh\necho "Warn: noise" >&2\necho "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds" >&2\nexit 1\n', { mode: 0o755 });
    assert.equal(criuProblem(failing), `criu (${failing}) cannot work on this host: \`criu check\` fails: Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds`);
    const working = path.join(dir, 'working');
    fs.writeFileSync(working, '#!/bin/sh\necho "Looks good."\n', { mode: 0o755 });
    assert.equal(criuProblem(working), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the pid file holds the host pid of the init, without a newline', () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const pidFile = path.join(rt.ioDir, 'init.pid');
  const c = rt.create(bundle, { createArgs: ['--pid-file', pidFile] });
  assertOk(c);
  const text = fs.readFileSync(pidFile, 'utf8');
  assert.match(text, /^\d+$/);
  assert.equal(Number(text), rt.state(c.id).pid);
  assert.match(fs.readFileSync(`/proc/${text}/cmdline`, 'utf8'), /^mydocker-init/);
  assertOk(rt.run(['delete', c.id]));
});

test('stdio passes through untouched: a piped stdout stays blocking and gets the output', async () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'grep ^flags /proc/self/fdinfo/1; echo through-the-pipe'] });
  const id = rt.newId('pipe');
  const child = spawn(RUNTIME, ['--root', rt.root, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const status = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
  assert.equal(status, 0);
  const [flags, text] = out.trim().split('\n');
  const O_NONBLOCK = 0o4000;
  assert.equal(Number.parseInt(flags.split(/\s+/)[1], 8) & O_NONBLOCK, 0, `container stdout flags: ${flags}`);
  assert.equal(text, 'through-the-pipe');
});

test("the container gets the caller's RLIMIT_NOFILE soft limit, not the one Node raises itself", () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'ulimit -Sn; ulimit -Hn'], edit: (c) => void delete c.process.rlimits });
  const id = rt.newId('nofile');
  const script = `ulimit -Sn 777; exec "$0" --root "$1" run --bundle "$2" "$3"`;
  const r = spawnSync('/bin/sh', ['-c', script, RUNTIME, rt.root, bundle, id], { encoding: 'utf8', env: cleanEnv() });
  assert.equal(r.status, 0, r.stderr);
  const [soft, hard] = r.stdout.trim().split('\n');
  assert.equal(soft, '777');
  assert.equal(hard, String(fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+\S+\s+(\S+)/)[1]));
});

test('run forwards SIGTERM to the container and exits with its status', async () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'] });
  const id = rt.newId('sig');
  const child = spawn(RUNTIME, ['--root', rt.root, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'inherit'], env: cleanEnv() });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGTERM');
  const status = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
  assert.equal(status, 7);
  assert.ok(!rt.listIds().includes(id));
});

test('run with process.terminal in the foreground: a pty with our window size, input and output proxied', () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'tty; stty size; read line; echo got=$line'], process: { terminal: true } });
  const id = rt.newId('tty');
  // script(1) gives the runtime a terminal of 30 rows and 100 columns as its stdio.
  const command = `stty cols 100 rows 30; ${RUNTIME} --root ${rt.root} run --bundle ${bundle} ${id}; echo status=$?`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { input: 'hello\n', encoding: 'utf8', env: cleanEnv(), timeout: 20000 });
  const lines = r.stdout.split(/[\r\n]+/);
  assert.match(lines.find((l) => l.startsWith('/dev/pts/')) ?? '', /^\/dev\/pts\/\d+$/, r.stdout);
  assert.ok(lines.includes('30 100'), `window size: ${r.stdout}`);
  assert.ok(lines.includes('got=hello'), `input: ${r.stdout}`);
  assert.ok(lines.includes('status=0'), r.stdout);
  assert.ok(!rt.listIds().includes(id));
});

test('create with process.terminal and no --console-socket is refused, and leaves nothing', async () => {
  const bundle = rt.bundle({ args: ['true'], process: { terminal: true } });
  const r = rt.create(bundle);
  assertFails(r, /process.terminal: a detached container with a terminal needs --console-socket/);
  await assertNothingLeft(r, bundle);
});

test('--no-pivot: the rootfs becomes / by MS_MOVE and chroot, for the init and the program', () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'ls /bin/busybox && awk \'$5 == "/"\' /proc/self/mountinfo | wc -l'], root: { readonly: false } });
  const r = rt.runBundle(bundle, { runArgs: ['--no-pivot'] });
  assertOk(r, 'run --no-pivot');
  assert.deepEqual(r.stdout.trim().split('\n'), ['/bin/busybox', '1']);
});
