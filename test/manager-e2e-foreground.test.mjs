// End to end through dist/mydocker, a foreground `run` with the bundled runtime: the container
// runs inside the mydocker process (no `mydocker-runtime run` child), its output reaches our
// stdout/stderr and its log, an OOM kill is recorded, signals reach it, `stop` from another
// command ends it, and mydocker is back in the host's namespaces while it waits. Another
// runtime (runc) still runs under `<runtime> run`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { assertNoTraces, assertOneLineError, e2eManager, MYDOCKER, processesMentioning, removeAtEnd, sleep, until } from './lib/e2e.mjs';

const PTY_SESSION = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pty-session.py');

const RUNC = '/usr/sbin/runc';

let m;
before(async () => {
  m = e2eManager('fg');
});
after(async () => m.cleanup());



/** A foreground run as a child: its output so far, and its end. */
function startRun(args, options) {
  const child = m.spawnCli(['run', ...args], options);
  const run = { child, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => (run.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (run.stderr += d));
  run.done = new Promise((resolve) => child.once('close', (status, signal) => resolve({ status, signal })));
  return run;
}

/** The namespaces of every thread of a process, as "thread type -> inode" lines. */
function threadNamespaces(pid, types) {
  const lines = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    for (const type of types) lines.push(`${tid} ${type} ${fs.readlinkSync(`/proc/${pid}/task/${tid}/ns/${type}`)}`);
  }
  return lines;
}

/** Live processes running `<runtime> run ... <id>` (the spawn path's child). */
function runtimeRunsOf(id, runtime) {
  return processesMentioning(id).filter((pid) => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes('run') && argv.some((a) => a.endsWith(runtime));
    } catch {
      return false;
    }
  });
}

test('output goes to our stdout and stderr and into the log; the exit status comes back', async (t) => {
  const refs = ['fg-out'];
  removeAtEnd(t, m, refs);
  const r = await m.cli(['run', '--name', 'fg-out', '--network', 'none', 'busybox', 'sh', '-c', 'echo out1; echo err1 >&2; printf partial; echo; echo out2; exit 7']);
  assert.equal(r.status, 7, r.stderr);
  assert.equal(r.stdout, 'out1\npartial\nout2\n');
  assert.equal(r.stderr, 'err1\n');
  const logs = await m.cli(['logs', 'fg-out']);
  assert.equal(logs.stdout, 'out1\npartial\nout2\n');
  assert.equal(logs.stderr, 'err1\n');
  const doc = await m.inspect('fg-out');
  assert.equal(doc.State.ExitCode, 7);
  assert.equal(doc.State.OOMKilled, false);
});

test('an OOM kill of a foreground container: status 137 and OOMKilled in inspect', async (t) => {
  const refs = ['fg-hog'];
  removeAtEnd(t, m, refs);
  // tail keeps its whole input (no newline in it) in memory: 200 MiB against 32 MiB.
  const r = await m.cli(['run', '--name', 'fg-hog', '--network', 'none', '--memory', '32m', 'busybox', 'sh', '-c', 'head -c 200m /dev/zero | tail']);
  assert.equal(r.status, 137, r.stderr);
  const doc = await m.inspect('fg-hog');
  assert.equal(doc.State.ExitCode, 137);
  assert.equal(doc.State.OOMKilled, true);
  assert.match(await m.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^fg-hog Exited \(137\) /m);
  await m.ok(['rm', 'fg-hog']);
  refs.length = 0;
  await assertNoTraces(m, [doc.Id], 'the OOM-killed foreground container after rm');
});

test('in-process: no runtime child; mydocker is back in the host namespaces; its pid is recorded; SIGTERM reaches the container; --rm removes it', async () => {
  const run = startRun(['--rm', '--name', 'fg-term', '--network', 'none', 'busybox', 'sh', '-c', 'trap "echo term; exit 42" TERM; echo ready; while true; do sleep 0.1; done']);
  await until('ready', () => run.stdout.includes('ready'));
  const doc = await m.inspect('fg-term');
  assert.equal(doc.State.Running, true);
  assert.ok(doc.State.Pid > 0, `State.Pid ${doc.State.Pid}`);
  // the recorded pid is the container's sh, a child of mydocker itself
  const stat = fs.readFileSync(`/proc/${doc.State.Pid}/stat`, 'utf8');
  assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), run.child.pid, 'the container is a child of mydocker');
  assert.deepEqual(runtimeRunsOf(doc.Id, 'mydocker-runtime'), [], 'no mydocker-runtime run child');
  // Every thread of mydocker is in the host's namespaces (the runtime entered the container's on
  // the main thread during create and must have restored them).
  const types = ['mnt', 'net', 'uts', 'ipc', 'pid_for_children', 'cgroup', 'user'];
  const expected = threadNamespaces(run.child.pid, types).map((line) => {
    const [tid, type] = line.split(' ');
    return `${tid} ${type} ${fs.readlinkSync(`/proc/self/ns/${type}`)}`;
  });
  assert.deepEqual(threadNamespaces(run.child.pid, types), expected);
  const containerNet = fs.readlinkSync(`/proc/${doc.State.Pid}/ns/net`);
  assert.notEqual(containerNet, fs.readlinkSync('/proc/self/ns/net'), 'the container has a network namespace of its own');
  run.child.kill('SIGTERM');
  const { status } = await run.done;
  assert.equal(status, 42, run.stderr);
  assert.equal(run.stdout, 'ready\nterm\n');
  assert.equal((await m.cli(['inspect', 'fg-term'])).status, 1, 'removed by --rm');
  await assertNoTraces(m, [doc.Id], 'the --rm foreground container');
});

test('stop from another command ends an in-process foreground run, which reports 137 after -t', async (t) => {
  const refs = ['fg-stop'];
  removeAtEnd(t, m, refs);
  const run = startRun(['--name', 'fg-stop', '--network', 'none', 'busybox', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']);
  await until('ready', () => run.stdout.includes('ready'));
  const started = Date.now();
  await m.ok(['stop', '-t', '1', 'fg-stop']);
  const { status } = await run.done;
  assert.equal(status, 137, run.stderr);
  assert.ok(Date.now() - started >= 900, 'SIGKILL only after the timeout');
  const doc = await m.inspect('fg-stop');
  assert.equal(doc.State.ExitCode, 137);
  assert.equal(doc.State.OOMKilled, false);
});

test('a program that cannot be run: 127 / 126, one line, nothing left', async () => {
  const missing = await m.cli(['run', '--rm', '--network', 'none', 'busybox', 'no-such-program']);
  assert.equal(missing.status, 127);
  assertOneLineError(missing, /executable file not found/, 'a missing program');
  const directory = await m.cli(['run', '--rm', '--network', 'none', 'busybox', '/etc']);
  assert.equal(directory.status, 126);
  assertOneLineError(directory, /is a directory|permission denied/, 'a directory as the program');
  await assertNoTraces(m, [...m.seenIds], 'failed foreground runs');
});

test('-t -i in-process: our terminal in raw mode drives the container, its size and resizes follow, the status comes back', async () => {
  const r = spawnSync('python3', [PTY_SESSION, MYDOCKER, 'run', '-t', '-i', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo READY; exec sh'], {
    env: m.env,
    encoding: 'utf8',
    timeout: 90_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const { status, out } = JSON.parse(r.stdout);
  assert.match(out, /33 101/);
  assert.match(out, /40 120/);
  assert.equal(status, 5, out);
});

test('-t without -i (under the runtime process): the output comes through the terminal, the status back', async () => {
  const r = await m.cli(['run', '-t', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo hello-tty; exit 3']);
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, 'hello-tty\r\n');
});

test('--runtime runc: the foreground run goes through `runc run` (status, output, log, SIGTERM)', async (t) => {
  const refs = ['fg-runc'];
  removeAtEnd(t, m, refs);
  // the global flag goes before the command
  const viaRunc = m.spawnCli(['--runtime', RUNC, 'run', '--name', 'fg-runc', '--network', 'none', 'busybox', 'sh', '-c', 'trap "echo term >&2; exit 43" TERM; echo ready; while true; do sleep 0.1; done']);
  const out = { stdout: '', stderr: '' };
  viaRunc.stdout.setEncoding('utf8').on('data', (d) => (out.stdout += d));
  viaRunc.stderr.setEncoding('utf8').on('data', (d) => (out.stderr += d));
  const done = new Promise((resolve) => viaRunc.once('close', (status) => resolve(status)));
  await until('ready', () => out.stdout.includes('ready'));
  const doc = await m.inspect('fg-runc');
  assert.equal(runtimeRunsOf(doc.Id, 'runc').length, 1, 'a runc run child');
  viaRunc.kill('SIGTERM');
  assert.equal(await done, 43, out.stderr);
  assert.equal(out.stdout, 'ready\n');
  assert.equal(out.stderr, 'term\n');
  const logs = await m.cli(['logs', 'fg-runc']);
  assert.equal(logs.stdout, 'ready\n');
  assert.equal(logs.stderr, 'term\n');
  assert.equal((await m.inspect('fg-runc')).State.ExitCode, 43);
  await m.ok(['rm', 'fg-runc']);
  refs.length = 0;
  await assertNoTraces(m, [doc.Id], 'the runc foreground container');
});
