// The container code's pure parts and the store, without running containers: ps formatting,
// log parsing, cgroup figures (v1 and v2 on fake cgroupfs trees: this host is v1), names, ids,
// the metadata schema, name index and lookups, exec arguments, mount parsing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { load } from './lib/dist.mjs';

const format = load('manager/containers/format');
const logs = load('manager/containers/logs');
const cgroups = load('manager/containers/cgroup-stats');
const names = load('manager/containers/names');
const ids = load('manager/containers/ids');
const random = load('manager/system/random');
const { ContainerStore } = load('manager/containers/store');
const { managerPaths } = load('manager/paths');
const { execArgs, execEnv } = load('manager/containers/exec');
const { mountsUnder } = load('manager/containers/mounts');
const { filterPsOutput } = load('manager/containers/top');
const { bytesSize, humanSize, statsRow } = load('manager/containers/stats');
const { inspectView } = load('manager/containers/inspect');
const { forwardedSignals, lastRuntimeError } = load('manager/containers/foreground');
const { startFailureStatus } = load('manager/containers/runtime-client');
const { ConflictError, NotFoundError, UsageError, ManagerError } = load('manager/errors');
const { SchemaError } = load('schemas/validate');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-containers-units-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function record(overrides = {}) {
  const id = overrides.id ?? ids.newContainerId();
  return {
    schemaVersion: 1,
    id,
    name: 'brave_turing',
    created: new Date(T0).toISOString(),
    image: { ref: 'busybox:latest', id: 'sha256:abc' },
    path: 'sh',
    args: ['-c', 'while true; do echo hello; sleep 1; done'],
    config: {},
    bundle: `/var/lib/mydocker/containers/${id}`,
    logPath: `/var/lib/mydocker/containers/${id}/container.log`,
    cgroupsPath: `/mydocker/${id}`,
    state: { status: 'created', pid: 0, exitCode: 0, oomKilled: false },
    stopSignal: 'SIGTERM',
    stopTimeout: 10,
    autoRemove: false,
    stopHooksPending: false,
    ...overrides,
  };
}

describe('ps formatting', () => {
  test('human durations as docker prints them', () => {
    const cases = [
      [0, 'Less than a second'],
      [999, 'Less than a second'],
      [1000, '1 second'],
      [5500, '5 seconds'],
      [59_000, '59 seconds'],
      [60_000, 'About a minute'],
      [119_000, 'About a minute'],
      [120_000, '2 minutes'],
      [59 * 60_000, '59 minutes'],
      [60 * 60_000, 'About an hour'],
      [89 * 60_000, 'About an hour'],
      [90 * 60_000, '2 hours'],
      [47 * 3_600_000, '47 hours'],
      [48 * 3_600_000, '2 days'],
      [14 * 24 * 3_600_000, '2 weeks'],
      [60 * 24 * 3_600_000, '2 months'],
      [3 * 365 * 24 * 3_600_000, '3 years'],
    ];
    for (const [ms, text] of cases) assert.equal(format.humanDuration(ms), text, `${ms} ms`);
  });

  test('statuses: Created, Up, Exited (N) ago, paused, removing', () => {
    const now = T0 + 60_000;
    assert.equal(format.statusText(record(), now), 'Created');
    const up = record({ state: { status: 'running', pid: 5, startedAt: new Date(T0 + 57_000).toISOString(), exitCode: 0, oomKilled: false } });
    assert.equal(format.statusText(up, now), 'Up 3 seconds');
    up.state.status = 'paused';
    assert.equal(format.statusText(up, now), 'Up 3 seconds (Paused)');
    const exited = record({
      state: { status: 'exited', pid: 0, startedAt: new Date(T0).toISOString(), finishedAt: new Date(T0 + 58_000).toISOString(), exitCode: 137, oomKilled: true },
    });
    assert.equal(format.statusText(exited, now), 'Exited (137) 2 seconds ago');
    assert.equal(format.statusText(record({ state: { status: 'exited', pid: 0, exitCode: 127, oomKilled: false } }), now), 'Created');
    assert.equal(format.statusText(record({ state: { status: 'removing', pid: 0, exitCode: 0, oomKilled: false } }), now), 'Removal In Progress');
  });

  test('the command is cut to 20 characters with … and quoted', () => {
    assert.equal(format.ellipsis('short', 20), 'short');
    assert.equal(format.ellipsis('sh -c while true; do echo', 20), 'sh -c while true; d…');
    const fields = format.psFields(record(), T0 + 5000);
    assert.equal(fields.Command, '"sh -c while true; d…"');
    assert.equal(format.psFields(record(), T0, { noTrunc: true }).Command, '"sh -c while true; do echo hello; sleep 1; done"');
    assert.equal(fields.RunningFor, '5 seconds ago');
    assert.equal(fields.CreatedAt, '2026-01-01 00:00:00 +0000 UTC');
    assert.equal(fields.ID.length, 12);
  });

  test('the default table: docker headers and tabwriter columns (minimum 10, padding 3)', () => {
    const r = record({ id: `4f1c2d3e4b5a${'0'.repeat(52)}` });
    const out = format.formatPs([r], T0 + 5000);
    const [header, line, rest] = out.split('\n');
    assert.equal(rest, '');
    assert.equal(header, 'CONTAINER ID   IMAGE            COMMAND                  CREATED         STATUS    PORTS     NAMES');
    assert.equal(line, '4f1c2d3e4b5a   busybox:latest   "sh -c while true; d…"   5 seconds ago   Created             brave_turing');
  });

  test('-q, --format json, templates with \\t, table templates; unknown fields are usage errors', () => {
    const r = record();
    assert.equal(format.formatPs([r, r], T0, { quiet: true }), `${r.id.slice(0, 12)}\n${r.id.slice(0, 12)}\n`);
    const json = JSON.parse(format.formatPs([r], T0, { format: 'json' }));
    assert.equal(json.Names, 'brave_turing');
    assert.equal(json.State, 'created');
    assert.equal(format.formatPs([r], T0, { format: '{{.Names}}\\t{{.State}}' }), 'brave_turing\tcreated\n');
    assert.equal(format.formatPs([r], T0, { format: '{{json .Names}}' }), '"brave_turing"\n');
    assert.equal(format.formatPs([r], T0, { format: 'table {{.Names}}\t{{.Image}}' }), 'NAMES          IMAGE\nbrave_turing   busybox:latest\n');
    assert.throws(() => format.formatPs([r], T0, { format: '{{.Nope}}' }), (e) => e instanceof UsageError && /--format/.test(e.message) && /Nope/.test(e.message));
    assert.throws(() => format.formatPs([r], T0, { format: '{{range .}}x{{end}}' }), UsageError);
  });

  test('ports come from the network hook, only while running', () => {
    const r = record({ network: { ports: ['127.0.0.1:8080->80/tcp'] } });
    assert.equal(format.psFields(r, T0).Ports, '');
    r.state = { status: 'running', pid: 1, startedAt: r.created, exitCode: 0, oomKilled: false };
    r.monitor = { kind: 'conmon', pid: 2, startTime: 3 };
    assert.equal(format.psFields(r, T0).Ports, '127.0.0.1:8080->80/tcp');
  });

  test('inspect view: docker field names, zero times, leading slash', () => {
    const v = inspectView(record());
    assert.equal(v.Name, '/brave_turing');
    assert.equal(v.State.StartedAt, '0001-01-01T00:00:00Z');
    assert.equal(v.State.Running, false);
    assert.equal(v.Path, 'sh');
    assert.equal(v.HostConfig.AutoRemove, false);
  });
});

describe('logs (k8s-file)', () => {
  const text = [
    '2026-01-01T00:00:00.000000001+00:00 stdout F one',
    '2026-01-01T00:00:00.000000002+00:00 stderr F err one',
    '2026-01-01T00:00:00.000000003+00:00 stdout P two-',
    '2026-01-01T00:00:00.000000004+00:00 stdout F and-a-half',
    '2026-01-01T00:00:00.000000005+00:00 stdout F ',
    '2026-01-01T00:00:00.000000006+00:00 stdout P no newline yet',
    'garbage line',
    '',
  ].join('\n');

  test('parsing: streams, partial entries, empty lines, garbage skipped', () => {
    const entries = logs.parseLog(text);
    assert.equal(entries.length, 6);
    assert.deepEqual(entries[2], { time: '2026-01-01T00:00:00.000000003+00:00', stream: 'stdout', partial: true, text: 'two-' });
    assert.equal(entries[4].text, '');
    assert.equal(entries.map((e) => logs.renderEntry(e, false)).join(''), 'one\nerr one\ntwo-and-a-half\n\nno newline yet');
  });

  test('--tail counts lines, not entries; -t prints docker timestamps', () => {
    const entries = logs.parseLog(text);
    assert.deepEqual(
      logs.tailEntries(entries, 3).map((e) => e.text),
      ['two-', 'and-a-half', '', 'no newline yet'],
    );
    assert.deepEqual(
      logs.tailEntries(entries, 2).map((e) => e.text),
      ['', 'no newline yet'],
    );
    assert.deepEqual(logs.tailEntries(entries, 0), []);
    assert.equal(logs.tailEntries(entries, undefined).length, 6);
    assert.equal(logs.renderEntry(entries[0], true), '2026-01-01T00:00:00.000000001Z one\n');
    assert.equal(logs.parseTail('all'), undefined);
    assert.equal(logs.parseTail('12'), 12);
    assert.throws(() => logs.parseTail('-1'), (e) => e instanceof UsageError && /--tail/.test(e.message));
  });

  test('LogWriter writes what conmon writes; readLog reads it back', async () => {
    const file = path.join(tmp, 'writer.log');
    const w = new logs.LogWriter(file);
    w.write('stdout', Buffer.from('a\nb'));
    w.write('stdout', 'c\n');
    w.write('stderr', 'e\n');
    w.close();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+00:00 (stdout|stderr) [FP] /);
    const got = { stdout: '', stderr: '' };
    await logs.readLog(file, { write: (s, t) => (got[s] += t) });
    assert.deepEqual(got, { stdout: 'a\nbc\n', stderr: 'e\n' });
    const last = { stdout: '', stderr: '' };
    await logs.readLog(file, { tail: 1, write: (s, t) => (last[s] += t) });
    assert.deepEqual(last, { stdout: '', stderr: 'e\n' });
  });

  test('follow reads what is appended until the writer is done', async () => {
    const file = path.join(tmp, 'follow.log');
    fs.writeFileSync(file, '2026-01-01T00:00:00.1+00:00 stdout F first\n');
    let done = false;
    const got = [];
    const reading = logs.readLog(file, { follow: true, pollMs: 10, isDone: () => done, write: (_s, t) => got.push(t) });
    await new Promise((r) => setTimeout(r, 50));
    fs.appendFileSync(file, '2026-01-01T00:00:00.2+00:00 stdout F second\n2026-01-01T00:00:00.3+00:00 stdout F thi');
    await new Promise((r) => setTimeout(r, 50));
    fs.appendFileSync(file, 'rd\n');
    done = true;
    await reading;
    assert.deepEqual(got, ['first\n', 'second\n', 'third\n']);
  });
});

describe('cgroup figures', () => {
  function tree(files) {
    const root = fs.mkdtempSync(path.join(tmp, 'cg-'));
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), content);
    }
    return root;
  }

  test('cgroup v2 logic on a fake cgroupfs tree (this host is v1): stats and OOM kills', () => {
    const root = tree({
      'mydocker/c1/memory.current': '10485760\n',
      'mydocker/c1/memory.max': '33554432\n',
      'mydocker/c1/memory.stat': 'anon 4194304\nfile 6291456\ninactive_file 2097152\n',
      'mydocker/c1/memory.events': 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n',
      'mydocker/c1/cpu.stat': 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n',
      'mydocker/c1/pids.current': '3\n',
      'mydocker/c1/io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n',
    });
    const paths = { version: 2, root, path: '/mydocker/c1' };
    assert.deepEqual(cgroups.readCgroupFigures(paths), {
      cpuNanos: 2_500_000,
      memoryUsage: 10485760 - 2097152,
      memoryLimit: 33554432,
      pids: 3,
      blockRead: 4097,
      blockWrite: 8194,
    });
    assert.equal(cgroups.oomKillCount(paths), 1);
    fs.writeFileSync(path.join(root, 'mydocker/c1/memory.max'), 'max\n');
    assert.equal(cgroups.readCgroupFigures(paths).memoryLimit, os.totalmem());
    fs.writeFileSync(path.join(root, 'mydocker/c1/memory.events'), 'oom 0\noom_kill 0\n');
    assert.equal(cgroups.oomKillCount(paths), 0);
  });

  test('cgroup v1 on a fake tree: one directory per hierarchy, unlimited memory is the host', () => {
    const root = tree({
      'memory/mydocker/c1/memory.usage_in_bytes': '5000000\n',
      'memory/mydocker/c1/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/mydocker/c1/memory.stat': 'cache 100\ntotal_inactive_file 1000000\n',
      'memory/mydocker/c1/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
      'cpu,cpuacct/mydocker/c1/cpuacct.usage': '123456789\n',
      'pids/mydocker/c1/pids.current': '2\n',
      'blkio/mydocker/c1/blkio.throttle.io_service_bytes': '8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Total 600\nTotal 600\n',
    });
    const paths = {
      version: 1,
      dirs: {
        memory: path.join(root, 'memory/mydocker/c1'),
        'cpu,cpuacct': path.join(root, 'cpu,cpuacct/mydocker/c1'),
        pids: path.join(root, 'pids/mydocker/c1'),
        blkio: path.join(root, 'blkio/mydocker/c1'),
      },
    };
    assert.deepEqual(cgroups.readCgroupFigures(paths), {
      cpuNanos: 123456789,
      memoryUsage: 4000000,
      memoryLimit: os.totalmem(),
      pids: 2,
      blockRead: 100,
      blockWrite: 200,
    });
    assert.equal(cgroups.oomKillCount(paths), 2);
    assert.equal(cgroups.oomKillCount({ version: 1, dirs: {} }), 0);
  });

  test('network bytes from /proc/PID/net/dev, lo left out', () => {
    const proc = tree({
      '42/net/dev':
        'Inter-|   Receive                                                |  Transmit\n' +
        ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
        '    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n' +
        '  eth0:    2048      20    0    0    0     0          0         0      512       5    0    0    0     0       0          0\n',
    });
    assert.deepEqual(cgroups.networkBytes(42, proc), { rx: 2048, tx: 512 });
    assert.deepEqual(cgroups.networkBytes(43, proc), { rx: 0, tx: 0 });
  });

  test('stats sizes as docker prints them', () => {
    assert.equal(bytesSize(0), '0B');
    assert.equal(bytesSize(1536), '1.5KiB');
    assert.equal(bytesSize(33554432), '32MiB');
    assert.equal(bytesSize(1234567), '1.177MiB');
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1234), '1.23kB');
    assert.equal(humanSize(5_000_000), '5MB');
    const row = statsRow({ id: 'f'.repeat(64), name: 'x', cpuPercent: 12.345, memoryUsage: 1048576, memoryLimit: 2097152, memoryPercent: 50, netRx: 1000, netTx: 0, blockRead: 0, blockWrite: 4096, pids: 2 });
    assert.deepEqual(row, ['ffffffffffff', 'x', '12.35%', '1MiB / 2MiB', '50.00%', '1kB / 0B', '0B / 4.1kB', '2']);
  });
});

describe('names and ids', () => {
  test('generated names are adjective_surname; later attempts add a number', () => {
    for (let i = 0; i < 50; i++) assert.match(names.generateName(), /^[a-z]+_[a-z]+$/);
    assert.match(names.generateName(5), /^[a-z]+_[a-z]+\d+$/);
  });

  test("docker's name rule, as a one-line usage error naming --name", () => {
    for (const good of ['ab', 'web-1', 'a.b_c', 'X9']) names.checkName(good);
    for (const bad of ['a', '-ab', 'a b', 'a/b', '', 'é1', 'x'.repeat(254)]) {
      assert.throws(() => names.checkName(bad), (e) => e instanceof UsageError && e.message.startsWith('--name:') && !e.message.includes('\n'), bad);
    }
  });

  test('ids: 64 hex, short ids 12', () => {
    const id = ids.newContainerId();
    assert.match(id, ids.FULL_ID);
    assert.notEqual(id, ids.newContainerId());
    assert.equal(ids.shortId(id), id.slice(0, 12));
  });

  test('random.ts (instead of node:crypto): hex of the asked length, integers in [0, max) covering the range, bad bounds refused', () => {
    assert.match(random.randomHex(4), /^[0-9a-f]{8}$/);
    assert.equal(random.randomHex(32).length, 64);
    const seen = new Set();
    for (let i = 0; i < 400; i++) {
      const v = random.randomInt(6);
      assert.ok(Number.isInteger(v) && v >= 0 && v < 6, String(v));
      seen.add(v);
    }
    assert.equal(seen.size, 6);
    assert.equal(random.randomInt(1), 0);
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1]) assert.throws(() => random.randomInt(bad), RangeError);
  });
});

describe('the store', () => {
  function store() {
    const root = fs.mkdtempSync(path.join(tmp, 'store-'));
    const s = new ContainerStore(managerPaths(path.join(root, 'root'), path.join(root, 'run')));
    s.ensureDirs();
    return s;
  }
  function add(s, overrides = {}) {
    const r = record(overrides);
    fs.mkdirSync(s.containerDir(r.id));
    s.reserveName(r.name, r.id);
    s.write(r);
    return r;
  }

  test('metadata is validated on write and read; writes are atomic (no temporary file left)', () => {
    const s = store();
    const r = add(s);
    assert.deepEqual(s.read(r.id), r);
    assert.deepEqual(fs.readdirSync(s.containerDir(r.id)), ['container.json']);
    assert.throws(() => s.write({ ...r, state: { ...r.state, status: 'sleeping' } }), SchemaError);
    assert.throws(() => s.write({ ...r, name: 'a/b' }), SchemaError);
    assert.throws(() => s.write({ ...r, state: { ...r.state, status: 'running' } }), (e) => e instanceof SchemaError && /monitor/.test(e.message));
    fs.writeFileSync(s.metadataPath(r.id), JSON.stringify({ ...r, id: 'nothex' }));
    assert.throws(() => s.read(r.id), (e) => e instanceof SchemaError && /\/id/.test(e.message));
    fs.writeFileSync(s.metadataPath(r.id), '{"truncated');
    assert.throws(() => s.read(r.id), (e) => e instanceof ManagerError && /damaged/.test(e.message));
    assert.throws(() => s.read('0'.repeat(64)), NotFoundError);
  });

  test('lookups: full id, name, unique prefix; ambiguous and unknown references', () => {
    const s = store();
    const a = add(s, { id: `abc1${'0'.repeat(60)}`, name: 'first' });
    const b = add(s, { id: `abc2${'0'.repeat(60)}`, name: 'second' });
    assert.equal(s.resolve(a.id), a.id);
    assert.equal(s.resolve('second'), b.id);
    assert.equal(s.resolve('/second'), b.id);
    assert.equal(s.resolve('abc1'), a.id);
    assert.throws(() => s.resolve('abc'), (e) => e instanceof ManagerError && /multiple containers/.test(e.message));
    assert.throws(() => s.resolve('nope'), (e) => e instanceof NotFoundError && e.message === 'No such container: nope');
    assert.throws(() => s.resolve('../etc'), NotFoundError);
    assert.deepEqual(s.ids(), [a.id, b.id]);
  });

  test('names: a taken name conflicts; a name left by a vanished container is taken over; release', () => {
    const s = store();
    const a = add(s, { name: 'web' });
    const other = ids.newContainerId();
    fs.mkdirSync(s.containerDir(other));
    assert.throws(() => s.reserveName('web', other), (e) => e instanceof ConflictError && e.message.includes(a.id));
    // the owner disappears without releasing its name (a crash during rm)
    fs.rmSync(s.containerDir(a.id), { recursive: true });
    s.reserveName('web', other);
    assert.equal(fs.readFileSync(path.join(s.namesDir, 'web'), 'utf8'), other);
    s.releaseName('web', a.id); // not the owner: nothing happens
    assert.ok(fs.existsSync(path.join(s.namesDir, 'web')));
    s.releaseName('web', other);
    assert.equal(fs.existsSync(path.join(s.namesDir, 'web')), false);
  });

  test('remove takes the directory and the name', () => {
    const s = store();
    const a = add(s, { name: 'gone' });
    s.remove(a);
    assert.equal(fs.existsSync(s.containerDir(a.id)), false);
    assert.deepEqual(fs.readdirSync(s.namesDir), []);
    assert.deepEqual(fs.readdirSync(s.dir), []);
  });

  test('locked: one holder at a time within a process; a removed container is NotFound', async () => {
    const s = store();
    const a = add(s);
    const order = [];
    await Promise.all([
      s.locked(a.id, async () => {
        order.push('a1');
        await new Promise((r) => setTimeout(r, 30));
        order.push('a2');
      }),
      s.locked(a.id, async () => {
        order.push('b1');
      }),
    ]);
    assert.deepEqual(order, ['a1', 'a2', 'b1']);
    s.remove(a);
    await assert.rejects(s.locked(a.id, async () => 1), NotFoundError);
  });
});

describe('exec, top, foreground helpers', () => {
  test('exec arguments for the runtime', () => {
    const args = execArgs('ID', { command: ['sh', '-c', 'echo --tty'], tty: true, env: ['A=1', 'B'], workdir: '/w' }, { uid: 1000, gid: 100, additionalGids: [5] }, '/p');
    assert.deepEqual(args, ['exec', '--pid-file', '/p', '--tty', '--env', 'A=1', '--cwd', '/w', '--user', '1000:100', '--additional-gids', '5', 'ID', 'sh', '-c', 'echo --tty']);
    assert.deepEqual(execEnv(['A=1', 'HOME2', 'SET'], { SET: 'x' }), ['A=1', 'SET=x']);
    assert.throws(() => execEnv(['=x']), (e) => e instanceof UsageError && /--env/.test(e.message));
  });

  test('top keeps the container processes of ps output, the command with its spaces', () => {
    const out = 'UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 10:00 ?        00:00:01 /sbin/init\nroot         200       5  0 10:01 ?        00:00:00 sleep 1000 now\n';
    assert.deepEqual(filterPsOutput(out, new Set([200])), {
      titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      processes: [['root', '200', '5', '0', '10:01', '?', '00:00:00', 'sleep 1000 now']],
    });
    assert.throws(() => filterPsOutput('USER COMMAND\n', new Set()), /PID column/);
  });

  test('mount points under a directory, deepest first, with mountinfo escapes', () => {
    const info = [
      '22 1 0:21 / /var/lib/c1/rootfs rw - overlay overlay rw',
      '23 22 0:22 / /var/lib/c1/rootfs/with\\040space rw - tmpfs tmpfs rw',
      '24 1 0:23 / /var/lib/c10 rw - tmpfs tmpfs rw',
      '25 1 0:24 / /var/lib/c1 rw - tmpfs tmpfs rw',
    ].join('\n');
    assert.deepEqual(mountsUnder('/var/lib/c1', info), ['/var/lib/c1/rootfs/with space', '/var/lib/c1/rootfs', '/var/lib/c1']);
  });

  test('signals forwarded by a foreground run; start failure statuses; the runtime log', () => {
    assert.ok(forwardedSignals(false).includes('SIGINT'));
    assert.ok(!forwardedSignals(true).includes('SIGINT'));
    assert.ok(forwardedSignals(true).includes('SIGTERM'));
    assert.equal(startFailureStatus('exec: "x": executable file not found in $PATH'), 127);
    assert.equal(startFailureStatus('exec /bin/x: permission denied'), 126);
    assert.equal(startFailureStatus('mount failed'), 125);
    const log = path.join(tmp, 'runtime.log');
    fs.writeFileSync(log, '{"level":"warning","msg":"w","time":"t"}\n{"level":"error","msg":"first","time":"t"}\nnot json\n{"level":"error","msg":"last","time":"t"}\n');
    assert.equal(lastRuntimeError(log), 'last');
    assert.equal(lastRuntimeError(path.join(tmp, 'none.log')), undefined);
  });
});
