// cgroup v1 on this host's real cgroupfs: paths, resources (as podman and docker send them),
// update's zero-means-unset, devices, freezer, stats, teardown; and through the runtime, the
// limits a container sees and an OOM kill.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { setupRuntime } from '../conformance/lib/runtime.mjs';
import { assertOk, assertFails } from '../conformance/lib/checks.mjs';
import { CLIENT_CONFIGS } from './lib/fixtures.mjs';

const { cgroupPathSpec } = load('runtime/cgroups/paths');
const { CgroupV1, v1Dirs, v1Hierarchies } = load('runtime/cgroups/v1');
const { containerDeviceRules } = load('runtime/cgroups/devices');
const { isUnifiedHost } = load('runtime/cgroups/manager');
const FIXTURES = CLIENT_CONFIGS;
const readFixture = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

const rt = setupRuntime({ idPrefix: 'cg' });
const onV1 = !isUnifiedHost();
const read = (file) => fs.readFileSync(file, 'utf8').trim();

function manager(t, name = `mydocker-test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`) {
  const cg = new CgroupV1(v1Dirs(cgroupPathSpec(`/${name}`, 'x')));
  t.after(() => cg.destroy());
  return cg;
}

test('cgroupsPath: absolute from the root, relative from our own cgroup, unset a fixed default; slices and ".." refused', () => {
  assert.deepEqual(cgroupPathSpec('/docker/abc', 'id'), { path: '/docker/abc', relative: false });
  assert.deepEqual(cgroupPathSpec('pod/ctr', 'id'), { path: 'pod/ctr', relative: true });
  assert.deepEqual(cgroupPathSpec(undefined, 'id1'), { path: '/mydocker-runtime/id1', relative: false });
  assert.throws(() => cgroupPathSpec('system.slice:docker:abc', 'id'), /systemd slice:prefix:name/);
  assert.throws(() => cgroupPathSpec('../../escape', 'id'), /may not climb/);
  assert.deepEqual(cgroupPathSpec('/a/../../b', 'id'), { path: '/b', relative: false });
  const hierarchies = [{ mountPoint: '/sys/fs/cgroup/memory', key: 'memory' }];
  assert.deepEqual(v1Dirs(cgroupPathSpec('/x/y', 'id'), hierarchies), { memory: '/sys/fs/cgroup/memory/x/y' });
});

test('v1 hierarchies are read from mountinfo, co-mounted controllers and named ones included', () => {
  const info = [
    '30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
    '31 25 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
    '32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
    '33 25 0:29 / /other/cpu rw - cgroup cgroup rw,cpu,cpuacct',
  ].join('\n');
  assert.deepEqual(v1Hierarchies(info), [
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', key: 'cpu,cpuacct' },
    { mountPoint: '/sys/fs/cgroup/systemd', key: 'name=systemd' },
    { mountPoint: '/sys/fs/cgroup/unified', key: '' },
  ]);
});

test('podman --memory --cpus --pids-limit resources land in the v1 files', { skip: onV1 ? false : 'host is not cgroup v1' }, (t) => {
  const cg = manager(t);
  cg.create(readFixture('podman-run-mem-cpu-config.json').linux.resources);
  assert.equal(read(path.join(cg.dir('memory'), 'memory.limit_in_bytes')), '67108864');
  assert.equal(read(path.join(cg.dir('memory'), 'memory.memsw.limit_in_bytes')), '134217728');
  assert.equal(read(path.join(cg.dir('cpu'), 'cpu.cfs_quota_us')), '50000');
  assert.equal(read(path.join(cg.dir('cpu'), 'cpu.cfs_period_us')), '100000');
  assert.equal(read(path.join(cg.dir('pids'), 'pids.max')), '2048');
  assert.ok(read(path.join(cg.dir('cpuset'), 'cpuset.cpus')).length > 0, 'cpuset inherited from the parent');
});

test("docker update's resources: set what is given, zero leaves a knob alone; memory+swap ordering", { skip: onV1 ? false : 'host is not cgroup v1' }, (t) => {
  const cg = manager(t);
  cg.create({ cpu: { shares: 512 }, memory: { limit: 50 * 2 ** 20, swap: 60 * 2 ** 20 } });
  cg.update(readFixture('docker-update-resources-stdin.json'));
  assert.equal(read(path.join(cg.dir('memory'), 'memory.limit_in_bytes')), String(100 * 2 ** 20));
  assert.equal(read(path.join(cg.dir('memory'), 'memory.memsw.limit_in_bytes')), String(200 * 2 ** 20));
  assert.equal(read(path.join(cg.dir('cpu'), 'cpu.cfs_quota_us')), '30000');
  assert.equal(read(path.join(cg.dir('cpu'), 'cpu.shares')), '512', 'shares 0 means unset');
  // shrinking below the current memory+swap works too (swap first would fail)
  cg.update({ memory: { limit: 20 * 2 ** 20, swap: 30 * 2 ** 20 } });
  assert.equal(read(path.join(cg.dir('memory'), 'memory.limit_in_bytes')), String(20 * 2 ** 20));
  assert.equal(read(path.join(cg.dir('memory'), 'memory.memsw.limit_in_bytes')), String(30 * 2 ** 20));
  assert.throws(() => cg.update({ unified: { 'memory.high': '1M' } }), /linux.resources.unified: needs cgroup v2/);
  assert.throws(() => cg.update({ cpu: { quota: 1 } }), /linux.resources.cpu.quota: writing "1" to .*cpu.cfs_quota_us: EINVAL/);
});

test('devices: the config rules in order, then the defaults every container needs', { skip: onV1 ? false : 'host is not cgroup v1' }, (t) => {
  const cg = manager(t);
  const docker = readFixture('docker-run-config.json');
  cg.create({ devices: containerDeviceRules(docker.linux.resources, [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]) });
  const list = read(path.join(cg.dir('devices'), 'devices.list')).split('\n');
  for (const rule of ['c 1:3 rwm', 'c 1:5 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:229 rwm']) assert.ok(list.includes(rule), `${rule} in ${list}`);
  assert.ok(!list.includes('a *:* rwm'), 'deny-all first');
});

test('freezer, pids, stats and teardown with a real process inside', { skip: onV1 ? false : 'host is not cgroup v1' }, async (t) => {
  const cg = manager(t);
  cg.create({ pids: { limit: 10 } });
  const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  const gone = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal)));
  cg.addProcess(child.pid);
  assert.deepEqual(cg.pids(), [child.pid]);
  cg.freeze();
  assert.equal(cg.isFrozen(), true);
  cg.thaw();
  assert.equal(cg.isFrozen(), false);
  const stats = cg.stats();
  assert.equal(stats.pids.current, 1);
  assert.equal(stats.pids.limit, 10);
  assert.ok(stats.memory.usage >= 0 && stats.cpu.usageNanoseconds >= 0);
  cg.destroy();
  assert.equal(await gone, 'SIGKILL');
  assert.equal(cg.exists(), false);
});

test('a container sees its own limits under /sys/fs/cgroup, and run removes the cgroup', { skip: onV1 ? false : 'host is not cgroup v1' }, () => {
  const id = rt.newId('limits');
  const bundle = rt.bundle({
    args: ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'],
    edit: (c) => {
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
      c.linux.resources = { ...c.linux.resources, memory: { limit: 64 * 2 ** 20 }, pids: { limit: 33 } };
      c.linux.namespaces.push({ type: 'cgroup' });
    },
  });
  const r = rt.runBundle(bundle, { id });
  assertOk(r);
  assert.deepEqual(r.stdout.trim().split('\n'), [String(64 * 2 ** 20), '33']);
  assert.ok(!fs.existsSync(`/sys/fs/cgroup/memory/mydocker-runtime/${id}`), 'cgroup removed');
});

test('a memory hog is OOM-killed (exit 137) and events reports the kill', { skip: onV1 ? false : 'host is not cgroup v1' }, async () => {
  const bundle = rt.bundle({
    args: ['sh', '-c', 'sleep 0.5; tail /dev/zero'],
    edit: (c) => void (c.linux.resources = { ...c.linux.resources, memory: { limit: 32 * 2 ** 20, swap: 32 * 2 ** 20 } }),
  });
  const c = rt.create(bundle);
  assertOk(c);
  const events = rt.spawn(['events', '--interval', '100ms', c.id]);
  assertOk(rt.run(['start', c.id]));
  const result = await events.result;
  assert.match(result.stdout, /{"type":"oom","id":"[^"]+"}/);
  const s = rt.state(c.id);
  assert.equal(s.status, 'stopped');
  assertOk(rt.run(['delete', c.id]));
});

test('update: flags and --resources - (stdin), and a refusal for a stopped container', { skip: onV1 ? false : 'host is not cgroup v1' }, async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'], linux: { cgroupsPath: `/mydocker-test-upd-${process.pid}` } });
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c);
  const dir = `/sys/fs/cgroup`;
  assertOk(rt.run(['update', '--memory', '96m', '--cpu-quota', '20000', '--pids-limit', '77', c.id]));
  assert.equal(read(`${dir}/memory/mydocker-test-upd-${process.pid}/memory.limit_in_bytes`), String(96 * 2 ** 20));
  assert.equal(read(`${dir}/cpu/mydocker-test-upd-${process.pid}/cpu.cfs_quota_us`), '20000');
  assert.equal(read(`${dir}/pids/mydocker-test-upd-${process.pid}/pids.max`), '77');
  assertOk(rt.run(['update', '--resources', '-', c.id], { input: JSON.stringify({ pids: { limit: 55 }, cpu: { shares: 0 } }) }));
  assert.equal(read(`${dir}/pids/mydocker-test-upd-${process.pid}/pids.max`), '55');
  assertFails(rt.run(['update', '--memory', '12q', c.id]), /--memory: "12q" is not a size/);
  assertOk(rt.run(['kill', c.id, 'KILL']));
  await rt.waitForStatus(c.id, 'stopped');
  assertFails(rt.run(['update', '--pids-limit', '5', c.id]), /cannot update a stopped container/);
  assertOk(rt.run(['delete', c.id]));
  assert.ok(!fs.existsSync(`${dir}/pids/mydocker-test-upd-${process.pid}`));
});
