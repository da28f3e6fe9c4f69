// The runc command-line conventions that real clients rely on (containerd's go-runc and shim,
// podman's conmon, docker): pid files, delete --force, list formats, JSON logs, --version, spec,
// features, exec, ps, pause/resume, update. Not part of the OCI runtime-spec (runtime.md#operations:
// "these operations are not specifying any command-line APIs"), so runc 1.1.5 is the reference.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setupRuntime, RuntimeHarness, processAlive, sleep, explain, notYetInMydocker } from './lib/runtime.mjs';
import { sharedRootfs } from './lib/bundle.mjs';
import { spawn } from 'node:child_process';
import { assertOk, assertFails, bindMount, hostDir, waitForFile, waitForProcessGone } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'cli' });

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function tmpdir(t, prefix = 'conformance-cli-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runDetached(args = ['sleep', '30'], extra = {}) {
  const r = rt.runBundle(rt.bundle({ args, ...extra }), { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  return r.id;
}

// ------------------------------------------------------------------------------------------------
// pid files

test('create --pid-file: the host pid of the container process, with no trailing newline', (t) => {
  const pidFile = path.join(tmpdir(t), 'init.pid');
  const c = rt.create(rt.bundle({ args: ['sleep', '30'] }), { createArgs: ['--pid-file', pidFile] });
  assertOk(c, 'create --pid-file');
  const text = fs.readFileSync(pidFile, 'utf8');
  assert.match(text, /^\d+$/, `pid file content ${JSON.stringify(text)}`);
  assert.equal(Number(text), rt.state(c.id).pid);
  assert.ok(processAlive(Number(text)));
});

test('run -d --pid-file: the host pid of the container process, with no trailing newline', (t) => {
  const pidFile = path.join(tmpdir(t), 'run.pid');
  const r = rt.runBundle(rt.bundle({ args: ['sleep', '30'] }), { runArgs: ['-d', '--pid-file', pidFile] });
  assertOk(r, 'run -d --pid-file');
  const text = fs.readFileSync(pidFile, 'utf8');
  assert.match(text, /^\d+$/, `pid file content ${JSON.stringify(text)}`);
  assert.equal(Number(text), rt.state(r.id).pid);
});

// ------------------------------------------------------------------------------------------------
// delete

test('delete of an unknown id: exit status 1 and "does not exist" on stderr (containerd matches it)', () => {
  const r = rt.run(['delete', rt.newId('unknown')]);
  assert.equal(r.status, 1, explain(r));
  assert.match(r.stderr, /does not exist/);
});

test('delete --force of an unknown id exits 0 (containerd deletes twice)', () => {
  const r = rt.run(['delete', '--force', rt.newId('unknown')]);
  assert.equal(r.status, 0, explain(r));
});

test('delete --force of a running container kills it and removes it', async () => {
  const id = runDetached();
  const { pid } = rt.state(id);
  assertOk(rt.run(['delete', '--force', id]), 'delete --force');
  assert.ok(await waitForProcessGone(pid), 'the container process survived delete --force');
  assert.ok(!rt.listIds().includes(id));
  assertFails(rt.run(['state', id]), /does not exist/);
});

test('delete --force twice: the second one exits 0 too', () => {
  const id = runDetached(['true']);
  assertOk(rt.run(['delete', '--force', id]), 'first delete --force');
  assertOk(rt.run(['delete', '--force', id]), 'second delete --force');
});

// ------------------------------------------------------------------------------------------------
// kill conventions

test('kill of a stopped container: exit status 1 and "container not running" (containerd matches it)', async () => {
  const id = runDetached(['true']);
  await rt.waitForStatus(id, 'stopped');
  const r = rt.run(['kill', id, 'KILL']);
  assert.equal(r.status, 1, explain(r));
  assert.match(r.stderr, /container not running/);
});

test('kill --all of a stopped container exits 0 (the shim sends it after the init died)', async () => {
  const id = runDetached(['true']);
  await rt.waitForStatus(id, 'stopped');
  assertOk(rt.run(['kill', '--all', id, '9']), 'kill --all of a stopped container');
});

// ------------------------------------------------------------------------------------------------
// list

const HEADER = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];

test('list with no containers: only the header ID PID STATUS BUNDLE CREATED OWNER', (t) => {
  const empty = new RuntimeHarness({ idPrefix: 'cli-empty' });
  t.after(() => empty.cleanup());
  const r = empty.run(['list']);
  assertOk(r, 'list');
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stdout);
  assert.deepEqual(lines[0].trim().split(/\s+/), HEADER);
});

test('list --format json with no containers prints null (runc 1.1.5; [] accepted)', (t) => {
  const empty = new RuntimeHarness({ idPrefix: 'cli-empty' });
  t.after(() => empty.cleanup());
  const r = empty.run(['list', '--format', 'json']);
  assertOk(r, 'list --format json');
  const v = JSON.parse(r.stdout);
  assert.ok(v === null || (Array.isArray(v) && v.length === 0), `got ${r.stdout}`);
});

test('list -q with no containers prints nothing', (t) => {
  const empty = new RuntimeHarness({ idPrefix: 'cli-empty' });
  t.after(() => empty.cleanup());
  const r = empty.run(['list', '-q']);
  assertOk(r, 'list -q');
  assert.equal(r.stdout.trim(), '');
});

test('list, list --format json and list -q show created, running and stopped containers', async (t) => {
  const own = new RuntimeHarness({ idPrefix: 'cli-list' });
  t.after(() => own.cleanup());
  const created = own.create(own.bundle({ args: ['sleep', '30'] }));
  assertOk(created, 'create');
  const runningBundle = own.bundle({ args: ['sleep', '30'], annotations: { 'org.example': 'yes' } });
  const running = own.runBundle(runningBundle, { runArgs: ['-d'] });
  assertOk(running, 'run -d');
  const stopped = own.runBundle(own.bundle({ args: ['true'] }), { runArgs: ['-d'] });
  assertOk(stopped, 'run -d');
  await own.waitForStatus(stopped.id, 'stopped');
  const want = { [created.id]: 'created', [running.id]: 'running', [stopped.id]: 'stopped' };

  // table
  const table = own.run(['list']);
  assertOk(table, 'list');
  const [header, ...rows] = table.stdout.split('\n').filter(Boolean);
  assert.deepEqual(header.trim().split(/\s+/), HEADER);
  assert.equal(rows.length, 3, table.stdout);
  for (const row of rows) {
    const [id, pid, status, bundle, created, owner] = row.trim().split(/\s+/);
    assert.equal(status, want[id], row);
    assert.match(pid, /^\d+$/);
    if (status !== 'stopped') assert.equal(Number(pid), own.state(id).pid, row);
    assert.ok(path.isAbsolute(bundle), row);
    assert.match(created, RFC3339, row);
    assert.equal(owner, 'root', row);
  }

  // json (go-runc's Container: id, pid, status, bundle, rootfs, created, annotations)
  const json = own.run(['list', '--format', 'json']);
  assertOk(json, 'list --format json');
  const list = JSON.parse(json.stdout);
  assert.ok(Array.isArray(list));
  assert.deepEqual(Object.fromEntries(list.map((c) => [c.id, c.status])), want);
  for (const c of list) {
    assert.equal(typeof c.pid, 'number');
    assert.ok(path.isAbsolute(c.bundle));
    assert.equal(typeof c.rootfs, 'string');
    assert.match(c.created, RFC3339);
  }
  const r = list.find((c) => c.id === running.id);
  assert.equal(fs.realpathSync(r.bundle), fs.realpathSync(runningBundle));
  assert.deepEqual(r.annotations, { 'org.example': 'yes' });

  // quiet
  const q = own.run(['list', '-q']);
  assertOk(q, 'list -q');
  assert.deepEqual(q.stdout.split('\n').filter(Boolean).sort(), Object.keys(want).sort());
});

// ------------------------------------------------------------------------------------------------
// logs

function checkJsonLog(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.ok(lines.length > 0, 'the log file is empty');
  const entries = lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      assert.fail(`log line is not one JSON object: ${l}`);
    }
  });
  const errors = entries.filter((e) => e.level === 'error');
  assert.ok(errors.length > 0, `no {"level":"error"} entry: ${lines.join('\n')}`);
  for (const e of entries) {
    assert.equal(typeof e.level, 'string', 'level must be a string');
    assert.equal(typeof e.msg, 'string', 'msg must be a string');
    assert.match(e.time, RFC3339);
  }
  return errors;
}

test('--log FILE --log-format json: a failure appends {"level":"error","msg":...,"time":...} lines', (t) => {
  const log = path.join(tmpdir(t), 'log.json');
  const id = rt.newId('unknown');
  const r = rt.run(['start', id], { globalArgs: ['--log', log, '--log-format', 'json'] });
  assertFails(r, undefined, 'start of an unknown id');
  const errors = checkJsonLog(log);
  assert.ok(errors.some((e) => /does not exist/.test(e.msg)), JSON.stringify(errors));
  // A second failure appends to the same file (containerd decodes the whole file as a JSON stream).
  const r2 = rt.run(['kill', id], { globalArgs: ['--log', log, '--log-format', 'json'] });
  assertFails(r2, undefined, 'kill of an unknown id');
  assert.ok(checkJsonLog(log).length >= 2, 'the log file was truncated instead of appended to');
});

test('--log-format=json --log=FILE (podman\'s "=" spelling) works the same', (t) => {
  const log = path.join(tmpdir(t), 'podman.json');
  const r = rt.run(['delete', rt.newId('unknown')], { globalArgs: [`--log=${log}`, '--log-format=json'] });
  assertFails(r, /does not exist/, 'delete of an unknown id');
  checkJsonLog(log);
});

test('--log FILE --log-format json on a failing create logs the reason', (t) => {
  const log = path.join(tmpdir(t), 'create.json');
  const bundle = rt.bundle({ args: ['true'], rootfs: 'none' });
  const r = rt.create(bundle, { globalArgs: ['--log', log, '--log-format', 'json'] });
  assertFails(r, undefined, 'create with a missing rootfs');
  checkJsonLog(log);
});

test('--log FILE on success writes no error entry', (t) => {
  const log = path.join(tmpdir(t), 'ok.json');
  const r = rt.runBundle(rt.bundle({ args: ['true'] }), { globalArgs: ['--log', log, '--log-format', 'json'] });
  assertOk(r, 'run');
  const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  for (const l of text.split('\n').filter(Boolean)) assert.notEqual(JSON.parse(l).level, 'error', l);
});

// ------------------------------------------------------------------------------------------------
// --version, spec, features

test('--version: "<name> version X", then "commit: ..." and "spec: <semver>" lines (parsed by go-runc)', () => {
  const r = rt.run(['--version'], { noRoot: true });
  assertOk(r, '--version');
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^\S+ version \S+$/);
  assert.ok(lines.some((l) => /^commit: \S+/.test(l)), r.stdout);
  const spec = lines.find((l) => l.startsWith('spec: '));
  assert.ok(spec, r.stdout);
  assert.match(spec.slice(6), SEMVER);
});

test('spec: writes a config.json in the current directory (terminal true, args ["sh"], root "rootfs")', (t) => {
  const dir = tmpdir(t);
  const r = rt.run(['spec'], { noRoot: true, cwd: dir });
  assertOk(r, 'spec');
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.match(c.ociVersion, SEMVER);
  assert.equal(c.process.terminal, true);
  assert.deepEqual(c.process.args, ['sh']);
  assert.equal(c.root.path, 'rootfs');
  const types = c.linux.namespaces.map((n) => n.type).sort();
  assert.deepEqual(types, ['ipc', 'mount', 'network', 'pid', 'uts']);
});

test('spec --bundle DIR writes DIR/config.json, and refuses to overwrite an existing one', (t) => {
  const dir = tmpdir(t);
  assertOk(rt.run(['spec', '--bundle', dir], { noRoot: true }), 'spec --bundle');
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, '{"mine": true}');
  const r = rt.run(['spec', '--bundle', dir], { noRoot: true });
  assertFails(r, /exists/, 'spec over an existing config.json');
  assert.equal(fs.readFileSync(file, 'utf8'), '{"mine": true}', 'the existing config.json was changed');
});

test('spec: the generated config runs once terminal is false and a rootfs is present', (t) => {
  const dir = tmpdir(t);
  assertOk(rt.run(['spec'], { noRoot: true, cwd: dir }), 'spec');
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  c.process.terminal = false;
  c.process.args = ['sh', '-c', 'echo spec works'];
  c.root = { path: sharedRootfs(), readonly: true };
  const bundle = rt.bundle({ rawConfig: JSON.stringify(c) });
  const r = rt.runBundle(bundle);
  assertOk(r, 'run of the spec config (with its /sys/fs/cgroup mount)');
  assert.equal(r.stdout, 'spec works\n');
});

test('features: JSON with ociVersionMin and ociVersionMax (runtime-spec features.md)', () => {
  const r = rt.run(['features'], { noRoot: true });
  assertOk(r, 'features');
  const f = JSON.parse(r.stdout);
  assert.match(f.ociVersionMin, SEMVER);
  assert.match(f.ociVersionMax, SEMVER);
  if (f.hooks !== undefined) assert.ok(Array.isArray(f.hooks));
  if (f.mountOptions !== undefined) {
    assert.ok(Array.isArray(f.mountOptions));
    for (const o of ['ro', 'rbind', 'nosuid']) assert.ok(f.mountOptions.includes(o), `mountOptions lacks ${o}`);
  }
  if (f.linux?.namespaces !== undefined) {
    for (const ns of ['pid', 'network', 'ipc', 'uts', 'mount']) assert.ok(f.linux.namespaces.includes(ns), `namespaces lacks ${ns}`);
  }
});

// ------------------------------------------------------------------------------------------------
// exec, ps, pause/resume, update (what the containerd shim and conmon call)

test('exec: runs a command in a running container, passes its output and exit status', () => {
  const id = runDetached();
  const r = rt.run(['exec', id, 'sh', '-c', 'echo in the container; exit 5']);
  assert.equal(r.status, 5, explain(r));
  assert.equal(r.stdout, 'in the container\n');
});

test('exec: the process joins the container namespaces', () => {
  const id = runDetached();
  const { pid } = rt.state(id);
  const r = rt.run(['exec', id, 'sh', '-c', 'for n in pid net mnt; do readlink /proc/self/ns/$n; done']);
  assertOk(r, 'exec');
  const want = ['pid', 'net', 'mnt'].map((n) => fs.readlinkSync(`/proc/${pid}/ns/${n}`));
  assert.deepEqual(r.stdout.trim().split('\n'), want);
});

test('exec --process FILE: process.json gives args, env and cwd (containerd and podman use it)', (t) => {
  const id = runDetached();
  const file = path.join(tmpdir(t), 'process.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      terminal: false,
      user: { uid: 1000, gid: 1000 },
      args: ['sh', '-c', 'echo "$GREETING from $(pwd) as $(id -u)"'],
      env: ['PATH=/bin', 'GREETING=hello'],
      cwd: '/tmp',
    }),
  );
  const r = rt.run(['exec', '--process', file, id]);
  assertOk(r, 'exec --process');
  assert.equal(r.stdout, 'hello from /tmp as 1000\n');
});

test('exec --detach --pid-file P: returns at once, the pid file holds the exec process pid', async (t) => {
  const id = runDetached();
  const pidFile = path.join(tmpdir(t), 'exec.pid');
  const r = rt.run(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30'], { timeoutMs: 10000 });
  assertOk(r, 'exec --detach');
  const text = fs.readFileSync(pidFile, 'utf8');
  assert.match(text, /^\d+$/);
  const pid = Number(text);
  assert.ok(processAlive(pid), 'the exec process is not running');
  assert.equal(fs.readlinkSync(`/proc/${pid}/ns/pid`), fs.readlinkSync(`/proc/${rt.state(id).pid}/ns/pid`));
  assertOk(rt.run(['delete', '--force', id]), 'delete --force');
  assert.ok(await waitForProcessGone(pid), 'the exec process survived delete --force of its container');
});

test('exec into a stopped container fails', async () => {
  const id = runDetached(['true']);
  await rt.waitForStatus(id, 'stopped');
  const r = rt.run(['exec', id, 'true']);
  assertFails(r, undefined, 'exec into a stopped container');
});

test('ps --format json: a JSON array of the host pids in the container', () => {
  const id = runDetached();
  const r = rt.run(['ps', '--format', 'json', id]);
  assertOk(r, 'ps --format json');
  const pids = JSON.parse(r.stdout);
  assert.ok(Array.isArray(pids) && pids.every(Number.isInteger), r.stdout);
  assert.ok(pids.includes(rt.state(id).pid), `${r.stdout} lacks the init pid`);
});

test('pause / resume: status "paused" while frozen (no progress), "running" again after resume', async () => {
  let data;
  const bundle = rt.bundle({
    args: ['sh', '-c', 'while true; do echo x >> /mnt/ticks; sleep 0.02; done'],
    edit: (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    },
  });
  const r = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  const ticks = path.join(data, 'ticks');
  await waitForFile(ticks);
  assertOk(rt.run(['pause', r.id]), 'pause');
  assert.equal(rt.state(r.id).status, 'paused');
  const frozen = fs.statSync(ticks).size;
  await sleep(300);
  assert.equal(fs.statSync(ticks).size, frozen, 'the container made progress while paused');
  assertOk(rt.run(['resume', r.id]), 'resume');
  assert.equal(rt.state(r.id).status, 'running');
  const deadline = Date.now() + 5000;
  while (fs.statSync(ticks).size === frozen && Date.now() < deadline) await sleep(20);
  assert.ok(fs.statSync(ticks).size > frozen, 'no progress after resume');
});

test('update --resources -: LinuxResources JSON on stdin is applied (pids limit)', () => {
  const id = runDetached();
  const r = rt.run(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 42 } }) });
  assertOk(r, 'update --resources -');
  const { pid } = rt.state(id);
  // Check through the container's own view of its pids cgroup (v1 or v2).
  const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = cg.find((l) => l.split(':')[1]?.split(',').includes('pids'));
  const file = v1 ? path.join('/sys/fs/cgroup/pids', v1.split(':')[2], 'pids.max') : path.join('/sys/fs/cgroup', cg.find((l) => l.startsWith('0::')).slice(3), 'pids.max');
  assert.equal(fs.readFileSync(file, 'utf8').trim(), '42');
});

test('state directory: <root>/<id>/state.json exists while the container exists (runc layout)', async () => {
  const id = runDetached();
  assert.ok(fs.existsSync(path.join(rt.root, id, 'state.json')), 'no state.json under --root');
  assertOk(rt.run(['delete', '--force', id]), 'delete --force');
  assert.ok(!fs.existsSync(path.join(rt.root, id)), 'the state directory survived delete');
});

// ------------------------------------------------------------------------------------------------
// terminal: --console-socket (containerd and conmon with -t)

// A console-socket receiver in Python (Node cannot receive SCM_RIGHTS): accepts one connection,
// counts the fds it carries, then relays what the container writes on the pty master.
const CONSOLE_RECEIVER = `
import json, os, socket, sys
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path); srv.listen(1)
print("listening", flush=True)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 4096, 8)
out = b""
if fds:
    master = fds[0]
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if b"END" in out:
            break
print(json.dumps({"nfds": len(fds), "output": out.decode(errors="replace"), "name": msg.decode(errors="replace")}), flush=True)
`;

const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));

test('terminal true + --console-socket: exactly one pty master fd arrives by SCM_RIGHTS; the process has a tty', { skip: PYTHON ? false : 'python3 is needed to receive SCM_RIGHTS' }, async (t) => {
  const dir = tmpdir(t);
  const sock = path.join(dir, 'console.sock');
  const py = spawn(PYTHON, ['-c', CONSOLE_RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (py.exitCode === null && py.signalCode === null) py.kill('SIGKILL');
  });
  let output = '';
  py.stdout.on('data', (d) => (output += d));
  const exited = new Promise((res) => py.once('exit', res));
  const deadline = Date.now() + 5000;
  while (!output.includes('listening') && Date.now() < deadline) await sleep(10);
  assert.ok(output.includes('listening'), 'the console receiver did not start');

  const bundle = rt.bundle({
    args: ['sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo "TTY=$(tty)"; stty size; echo END'],
    process: { terminal: true, consoleSize: { height: 25, width: 80 } },
  });
  const c = rt.create(bundle, { createArgs: ['--console-socket', sock] });
  assertOk(c, 'create --console-socket');
  assertOk(rt.run(['start', c.id]), 'start');
  let timer;
  await Promise.race([exited, new Promise((res) => (timer = setTimeout(res, 10000)))]);
  clearTimeout(timer);
  const line = output.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no report from the console receiver: ${output}`);
  const report = JSON.parse(line);
  assert.equal(report.nfds, 1, 'the console socket must get exactly one fd');
  assert.match(report.output, /TTY=\/dev\/pts\/\d+/, report.output);
  // process.consoleSize (config.md#process) applied to the pty.
  assert.match(report.output, /25 80/, report.output);
});
