// cgroup v2: the conversions, every file the manager writes (on a fake cgroupfs tree that
// emulates what the kernel does on mkdir, rmdir and writes), and, on this host's real cgroup2
// mount (/sys/fs/cgroup/unified: a hybrid host, only hugetlb is bound to it), the eBPF device
// filter, the freezer, cgroup.kill and hugetlb for real.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from './lib/dist.mjs';
import { CLIENT_CONFIGS } from './lib/fixtures.mjs';

const { CgroupV2, cpuSharesToWeight, blkioWeightToIoWeight, memorySwapToV2, isCgroup2Mount } = load('runtime/cgroups/v2');
const ebpf = load('runtime/cgroups/devices-ebpf');

const FIXTURES = CLIENT_CONFIGS;
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const DIST_LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'lib');

// --- a fake cgroupfs: the files the kernel would create, and what it does on writes

const ALL = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];
const CONTROLLER_FILES = {
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': '0-1\n', 'cpuset.mems.effective': '0\n' },
  cpu: { 'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n' },
  io: { 'io.weight': 'default 100\n', 'io.max': '', 'io.stat': '' },
  memory: {
    'memory.current': '0\n',
    'memory.max': 'max\n',
    'memory.low': '0\n',
    'memory.high': 'max\n',
    'memory.peak': '0\n',
    'memory.swap.max': 'max\n',
    'memory.swap.current': '0\n',
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
  },
  hugetlb: { 'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.rsvd.max': 'max\n', 'hugetlb.2MB.current': '0\n', 'hugetlb.1GB.max': 'max\n', 'hugetlb.1GB.rsvd.max': 'max\n' },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  rdma: { 'rdma.max': '', 'rdma.current': '' },
  misc: { 'misc.max': '', 'misc.current': '' },
};
const CORE_FILES = {
  'cgroup.procs': '',
  'cgroup.subtree_control': '',
  'cgroup.events': 'populated 0\nfrozen 0\n',
  'cgroup.freeze': '0\n',
  'cgroup.kill': '',
  'cgroup.type': 'domain\n',
  'cgroup.max.depth': 'max\n',
  'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
};

/** /proc/PID/stat's state, or null once the process is gone. */
function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Waits (synchronously: the manager's calls are) until the process exited. */
function waitDead(pid) {
  for (let i = 0; i < 400; i++) {
    const s = procState(pid);
    if (s === null || s === 'Z') return; // a zombie leaves cgroup.procs (cgroup-v2.rst)
    Atomics.wait(sleepCell, 0, 0, 5);
  }
  throw new Error(`pid ${pid} did not die`);
}

/**
 * A temporary directory laid out like a cgroup2 mount, and hooks that do what the kernel does:
 * mkdir fills a cgroup with the core files and those of the controllers its parent enabled,
 * cgroup.subtree_control takes "+x -y" and reads back as a list, io.max merges per device,
 * cgroup.procs lists its members, cgroup.freeze sets "frozen" in cgroup.events, cgroup.kill
 * SIGKILLs the members, a cpu.max.burst above the quota is EINVAL. `log` records mkdir, rmdir
 * and every write in order.
 */
function fakeCgroupfs(t, { controllers = ALL, omit = [], extra = {} } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-cgroup2-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const rel = (p) => '/' + path.relative(root, p);
  const log = [];
  const removed = {};
  const kernel = { reapOnThaw: false }; // the test is about to SIGKILL the members: thaw lets them exit
  const state = new Map(); // dir -> { subtree: Set, procs: Set, io: Map, quota }
  const st = (dir) => {
    if (!state.has(dir)) state.set(dir, { subtree: new Set(), procs: new Set(), io: new Map(), quota: Infinity });
    return state.get(dir);
  };
  const put = (dir, files) => {
    for (const [name, content] of Object.entries(files)) if (!omit.includes(name)) fs.writeFileSync(path.join(dir, name), content);
  };
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), controllers.join(' ') + '\n');
  put(root, { 'cgroup.subtree_control': '', 'cgroup.procs': '1\n', 'cgroup.max.depth': 'max\n', 'cpu.stat': 'usage_usec 5\n' });

  const kernelError = (code) => Object.assign(new Error(`${code} (fake kernel)`), { code });
  const hooks = {
    created(dir) {
      log.push(['mkdir', rel(dir)]);
      const enabled = [...st(path.dirname(dir)).subtree];
      fs.writeFileSync(path.join(dir, 'cgroup.controllers'), enabled.join(' ') + '\n');
      put(dir, CORE_FILES);
      for (const c of enabled) put(dir, { ...CONTROLLER_FILES[c], ...(extra[c] ?? {}) });
    },
    removing(dir) {
      log.push(['rmdir', rel(dir)]);
      removed[rel(dir)] = {};
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!e.isFile()) continue;
        removed[rel(dir)][e.name] = fs.readFileSync(path.join(dir, e.name), 'utf8');
        fs.unlinkSync(path.join(dir, e.name));
      }
    },
    written(file, value) {
      log.push(['write', rel(file), value]);
      const dir = path.dirname(file);
      const s = st(dir);
      switch (path.basename(file)) {
        case 'cgroup.subtree_control': {
          const available = fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
          for (const token of value.split(/\s+/).filter(Boolean)) {
            const name = token.slice(1);
            if (!available.includes(name)) throw kernelError('EINVAL');
            if (token[0] === '+') s.subtree.add(name);
            else s.subtree.delete(name);
          }
          fs.writeFileSync(file, ALL.filter((c) => s.subtree.has(c)).join(' ') + '\n');
          break;
        }
        case 'cgroup.procs':
          s.procs.add(Number(value));
          fs.writeFileSync(file, [...s.procs].map((p) => `${p}\n`).join(''));
          break;
        case 'cgroup.freeze':
          if (value === '0') {
            // thawed: the members killed meanwhile exit now
            if (kernel.reapOnThaw) for (const pid of s.procs) waitDead(pid);
            for (const pid of s.procs) if (procState(pid) === null || procState(pid) === 'Z') s.procs.delete(pid);
            fs.writeFileSync(path.join(dir, 'cgroup.procs'), [...s.procs].map((p) => `${p}\n`).join(''));
          }
          fs.writeFileSync(path.join(dir, 'cgroup.events'), `populated ${s.procs.size ? 1 : 0}\nfrozen ${value}\n`);
          break;
        case 'cgroup.kill':
          for (const pid of s.procs) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone */
            }
            waitDead(pid);
          }
          s.procs.clear();
          fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
          break;
        case 'io.max': {
          const [dev, setting] = value.split(' ');
          const [key, v] = setting.split('=');
          const limits = s.io.get(dev) ?? { rbps: 'max', wbps: 'max', riops: 'max', wiops: 'max' };
          limits[key] = v;
          s.io.set(dev, limits);
          fs.writeFileSync(file, [...s.io].map(([d, l]) => `${d} rbps=${l.rbps} wbps=${l.wbps} riops=${l.riops} wiops=${l.wiops}\n`).join(''));
          break;
        }
        case 'cpu.max': {
          const q = value.split(' ')[0];
          s.quota = q === 'max' ? Infinity : Number(q);
          break;
        }
        case 'cpu.max.burst':
          if (Number(value) > s.quota) {
            fs.writeFileSync(file, '0\n');
            throw kernelError('EINVAL');
          }
          break;
      }
    },
  };
  const recordingLoader = { calls: [], apply(dir, rules, field) { this.calls.push({ dir: rel(dir), rules, field }); } };
  const read = (p) => fs.readFileSync(path.join(root, p), 'utf8').trim();
  const writesTo = (name) => log.filter((e) => e[0] === 'write' && path.basename(e[1]) === name).map((e) => e[2]);
  return { root, hooks, kernel, log, removed, read, writesTo, devices: recordingLoader, rel };
}

function fakeManager(t, opts = {}, cgroupPath = '/mydocker-runtime/c1') {
  const fake = fakeCgroupfs(t, opts);
  const cg = new CgroupV2(fake.root, cgroupPath, { hooks: fake.hooks, devices: fake.devices, timeoutMs: opts.timeoutMs ?? 2000 });
  return { fake, cg, leaf: (name) => fake.read(path.join(cgroupPath, name)) };
}

const DOCKER_DEVICES = fixture('docker-run-config.json').linux.resources.devices;

// --- conversions

test('conversions: shares -> cpu.weight, blkio weight -> io.weight, OCI memory+swap -> memory.swap.max (runc formulas)', () => {
  // 1 + ((shares - 2) * 9999) / 262142
  assert.deepEqual([0, 2, 512, 1024, 2048, 262144, 1, 300000].map(cpuSharesToWeight), [0, 1, 20, 39, 79, 10000, 1, 10000]);
  // 1 + (weight - 10) * 9999 / 990
  assert.deepEqual([0, 10, 100, 500, 1000].map(blkioWeightToIoWeight), [0, 1, 910, 4950, 10000]);
  // (swap, limit) -> swap.max: -1 is "max", 0 is unset
  assert.equal(memorySwapToV2(0, -1), -1);
  assert.equal(memorySwapToV2(-1, 100), -1);
  assert.equal(memorySwapToV2(0, 100), 0);
  assert.equal(memorySwapToV2(300, 100), 200);
  assert.equal(memorySwapToV2(100, 100), 0);
  assert.equal(memorySwapToV2(300, -1), 300);
  assert.throws(() => memorySwapToV2(300, 0), /without memory limit/);
  assert.throws(() => memorySwapToV2(50, 100), /should be >= memory limit/);
});

// --- the fake tree

test('create (fake cgroupfs tree): every file for a full set of resources, controllers enabled top-down, the leaf left a leaf', (t) => {
  const { fake, cg, leaf } = fakeManager(t);
  const resources = {
    devices: DOCKER_DEVICES,
    memory: { limit: 104857600, reservation: 52428800, swap: 209715200, kernel: 0, kernelTCP: 0, swappiness: 60, disableOOMKiller: false },
    cpu: { shares: 1024, quota: 50000, period: 100000, burst: 20000, idle: 0, cpus: '0-1', mems: '0', realtimeRuntime: 0, realtimePeriod: 0 },
    pids: { limit: 2048 },
    blockIO: {
      weight: 500,
      leafWeight: 300,
      weightDevice: [{ major: 8, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 0 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }, { pageSize: '1GB', limit: 0 }],
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
    unified: { 'memory.high': '90000000', 'cgroup.max.depth': '5' },
  };
  cg.create(resources);
  assert.equal(cg.dir, path.join(fake.root, 'mydocker-runtime/c1'));
  assert.ok(cg.exists());

  // top-down: the root enables for /mydocker-runtime before it is made, which enables for c1
  const structure = fake.log.filter((e) => e[0] === 'mkdir' || path.basename(e[1]) === 'cgroup.subtree_control');
  const every = ALL.map((c) => `+${c}`).join(' ');
  assert.deepEqual(structure, [
    ['write', '/cgroup.subtree_control', every],
    ['mkdir', '/mydocker-runtime'],
    ['write', '/mydocker-runtime/cgroup.subtree_control', every],
    ['mkdir', '/mydocker-runtime/c1'],
  ]);
  assert.equal(fake.read('cgroup.subtree_control'), ALL.join(' '));
  assert.equal(leaf('cgroup.subtree_control'), '', 'nothing enabled in the leaf');
  assert.equal(leaf('cgroup.controllers'), ALL.join(' '));
  assert.equal(leaf('cgroup.procs'), '', 'create moves no process anywhere');

  assert.equal(leaf('memory.max'), '104857600');
  assert.equal(leaf('memory.low'), '52428800');
  assert.equal(leaf('memory.swap.max'), '104857600'); // 209715200 memory+swap - 104857600 memory
  assert.equal(leaf('cpu.weight'), '39');
  assert.equal(leaf('cpu.max'), '50000 100000');
  assert.equal(leaf('cpu.max.burst'), '20000');
  assert.equal(leaf('cpu.idle'), '0');
  assert.equal(leaf('cpuset.cpus'), '0-1');
  assert.equal(leaf('cpuset.mems'), '0');
  assert.equal(leaf('pids.max'), '2048');
  assert.equal(leaf('io.weight'), '4950'); // no BFQ here: converted
  assert.deepEqual(fake.writesTo('io.max'), ['8:0 rbps=1048576', '8:0 wbps=2097152', '8:16 riops=100'], 'a zero rate is not written');
  assert.equal(leaf('io.max'), '8:0 rbps=1048576 wbps=2097152 riops=max wiops=max\n8:16 rbps=max wbps=max riops=100 wiops=max');
  assert.equal(leaf('hugetlb.2MB.max'), '4194304');
  assert.equal(leaf('hugetlb.2MB.rsvd.max'), '4194304');
  assert.equal(leaf('hugetlb.1GB.max'), '0', 'a hugetlb limit of 0 is a limit');
  assert.equal(leaf('rdma.max'), 'mlx5_1 hca_handle=3 hca_object=10000');
  assert.equal(leaf('memory.high'), '90000000');
  assert.equal(leaf('cgroup.max.depth'), '5');
  // the device list goes to the loader as given, in runc's order (after cpu, before cpuset)
  assert.deepEqual(fake.devices.calls, [{ dir: '/mydocker-runtime/c1', rules: DOCKER_DEVICES, field: 'linux.resources.devices' }]);
  const order = fake.log.filter((e) => e[0] === 'write' && e[1].startsWith('/mydocker-runtime/c1/')).map((e) => path.basename(e[1]));
  assert.deepEqual([...new Set(order)], [
    'pids.max', 'memory.swap.max', 'memory.max', 'memory.low', 'io.weight', 'io.max', 'cpu.idle', 'cpu.weight',
    'cpu.max.burst', 'cpu.max', 'cpuset.cpus', 'cpuset.mems', 'hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max',
    'hugetlb.1GB.max', 'hugetlb.1GB.rsvd.max', 'rdma.max', 'memory.high', 'cgroup.max.depth',
  ]);
  // nothing for what v2 has no file for: kernel, swappiness, realtime, leafWeight, weightDevice without BFQ
  assert.ok(!fake.log.some((e) => /swappiness|kmem|rt_|leaf_weight|bfq/.test(e[1] ?? '')));
});

test('create (fake cgroupfs tree): BFQ takes blkio weights as they are, per-device ones too', (t) => {
  const { fake, cg, leaf } = fakeManager(t, { extra: { io: { 'io.bfq.weight': 'default 100\n' } } });
  cg.create({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 200 }, { major: 8, minor: 16, leafWeight: 10 }] } });
  assert.deepEqual(fake.writesTo('io.bfq.weight'), ['500', '8:0 200']);
  assert.equal(leaf('io.weight'), 'default 100', 'io.weight is left alone');
});

test('create (fake cgroupfs tree): the docker and podman configs, then their `update --resources` (zero means unset)', (t) => {
  // docker: everything zero but the devices
  {
    const { fake, cg, leaf } = fakeManager(t, {}, '/docker/be526cc7d8c3');
    cg.create(fixture('docker-run-config.json').linux.resources);
    const leafWrites = fake.log.filter((e) => e[0] === 'write' && e[1].startsWith('/docker/be526cc7d8c3/'));
    assert.deepEqual(leafWrites, [], 'shares 0, blkio weight 0, disableOOMKiller false write nothing');
    assert.equal(fake.devices.calls.length, 1);
    assert.equal(leaf('cpu.weight'), '100');

    cg.update(fixture('docker-update-resources-stdin.json'));
    assert.equal(leaf('memory.max'), '104857600');
    assert.equal(leaf('memory.swap.max'), '104857600');
    assert.equal(leaf('memory.low'), '0', 'reservation 0: untouched');
    assert.equal(leaf('cpu.max'), '30000 100000');
    assert.equal(leaf('cpu.weight'), '100', 'shares 0: untouched');
    assert.equal(leaf('io.weight'), 'default 100', 'blkio weight 0: untouched');
    assert.equal(fake.devices.calls.length, 1, 'no devices in the update: the program stays');
  }
  // podman: memory+swap, quota, pids, deny-all devices
  {
    const { cg, leaf, fake } = fakeManager(t, {}, '/libpod_parent/libpod-6bd2ecafaf1a');
    cg.create(fixture('podman-run-mem-cpu-config.json').linux.resources);
    assert.equal(leaf('memory.max'), '67108864');
    assert.equal(leaf('memory.swap.max'), '67108864');
    assert.equal(leaf('cpu.max'), '50000 100000');
    assert.equal(leaf('pids.max'), '2048');
    assert.deepEqual(fake.devices.calls[0].rules, [{ allow: false, access: 'rwm' }]);
    cg.update(fixture('podman-update-resources.json'));
    assert.equal(leaf('memory.max'), '100663296');
    assert.equal(leaf('memory.swap.max'), '100663296');
    assert.equal(leaf('cpu.max'), '25000 100000');
    assert.equal(leaf('pids.max'), '2048');
  }
});

test('resources (fake cgroupfs tree): -1 means "max", swap rules, update keeps what it does not name', (t) => {
  const { cg, leaf, fake } = fakeManager(t);
  cg.create({ memory: { limit: -1 }, pids: { limit: -1 }, cpu: { quota: -1 } });
  assert.equal(leaf('memory.max'), 'max');
  assert.equal(leaf('memory.swap.max'), 'max', 'unlimited memory and no swap: unlimited swap');
  assert.equal(leaf('pids.max'), 'max');
  assert.equal(leaf('cpu.max'), 'max 100000');

  cg.update({ memory: { limit: 1000000, swap: 1000000 } });
  assert.equal(leaf('memory.swap.max'), '0', 'swap == limit: no swap');
  cg.update({ memory: { swap: 3000000 } });
  assert.equal(leaf('memory.swap.max'), '2000000', 'update: swap against the limit in force');
  assert.equal(leaf('memory.max'), '1000000');
  cg.update({ memory: { swap: -1 } });
  assert.equal(leaf('memory.swap.max'), 'max');

  cg.update({ cpu: { quota: 20000, period: 50000 } });
  assert.equal(leaf('cpu.max'), '20000 50000');
  cg.update({ cpu: { quota: 30000 } });
  assert.equal(leaf('cpu.max'), '30000 50000', 'update: the period in force stays');
  cg.update({ cpu: { period: 80000 } });
  assert.equal(leaf('cpu.max'), '30000 80000', 'update: the quota in force stays');

  // a burst above the quota in force is EINVAL until the new quota is in: written again after it
  const before = fake.writesTo('cpu.max.burst').length;
  cg.update({ cpu: { quota: 90000, burst: 50000 } });
  assert.deepEqual(fake.writesTo('cpu.max.burst').slice(before), ['50000', '50000']);
  assert.equal(leaf('cpu.max.burst'), '50000');
  assert.equal(leaf('cpu.max'), '90000 80000');

  // idle 1: no cpu.weight (the kernel refuses weights for idle groups)
  cg.update({ cpu: { idle: 1, shares: 2048 } });
  assert.equal(leaf('cpu.idle'), '1');
  assert.equal(leaf('cpu.weight'), '100');
  cg.update({ cpu: { idle: 0, shares: 2048 } });
  assert.equal(leaf('cpu.weight'), '79');

  // all zeros: nothing written at all
  const writes = fake.log.length;
  cg.update({ memory: { limit: 0, reservation: 0, swap: 0, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, pids: { limit: 0 }, blockIO: { weight: 0 } });
  assert.equal(fake.log.length, writes);

  // a bad value writes nothing before failing
  assert.throws(() => cg.update({ pids: { limit: 10 }, memory: { limit: 500, swap: 100 } }), /linux\.resources\.memory\.swap: memory\+swap limit \(100\) should be >= memory limit \(500\)/);
  assert.equal(leaf('pids.max'), 'max');
  assert.throws(() => new CgroupV2(fake.root, '/x', { hooks: fake.hooks, devices: fake.devices }).create({ memory: { swap: 100 } }), /linux\.resources\.memory\.swap: unable to set swap limit without memory limit/);
  assert.ok(!fs.existsSync(path.join(fake.root, 'x')), 'a failed create removes what it made');

  // checkBeforeUpdate: not below the usage
  fs.writeFileSync(path.join(cg.dir, 'memory.current'), '5000000\n');
  assert.throws(() => cg.update({ memory: { limit: 4000000, checkBeforeUpdate: true } }), /rejecting memory limit 4000000 <= usage 5000000/);
});

test('resources (fake cgroupfs tree): without swap accounting "max"/"0" swap is fine, a real swap limit is an error', (t) => {
  const { cg, leaf } = fakeManager(t, { omit: ['memory.swap.max'] });
  cg.create({ memory: { limit: 1000, swap: 1000 } });
  assert.equal(leaf('memory.max'), '1000');
  assert.throws(() => cg.update({ memory: { limit: 1000, swap: 3000 } }), /linux\.resources\.memory\.swap: writing "2000" to .*\/memory\.swap\.max: no such cgroup file/);
});

test('errors (fake cgroupfs tree): a missing controller names the resource, a bad unified key names the key, write errors name file and field', (t) => {
  {
    const { fake, cg } = fakeManager(t, { controllers: ['cpu', 'pids'] });
    assert.throws(
      () => cg.create({ memory: { limit: 1000 } }),
      (err) => err.message === `linux.resources.memory: the memory controller is not available in ${fake.root} (cgroup v2)`,
    );
    assert.throws(() => cg.create({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), /linux\.resources\.hugepageLimits: the hugetlb controller is not available in/);
    assert.throws(() => cg.create({ unified: { 'io.max': '8:0 rbps=1' } }), /linux\.resources\.unified\["io\.max"\]: the io controller is not available in/);
    assert.deepEqual(fs.readdirSync(fake.root).filter((n) => !n.includes('.')), [], 'nothing left behind');
    cg.create({ cpu: { shares: 512 }, pids: { limit: 10 } });
    assert.equal(fake.read('mydocker-runtime/c1/cpu.weight'), '20');
  }
  {
    const { cg, fake } = fakeManager(t);
    cg.create({});
    assert.throws(() => cg.update({ unified: { 'memory.no_such_knob': '1' } }), /: linux\.resources\.unified\["memory\.no_such_knob"\]: there is no .*\/memory\.no_such_knob \(this kernel has no such cgroup v2 file\)$/m);
    assert.throws(() => cg.update({ unified: { 'nodot': '1' } }), /unified\["nodot"\]: there is no .*nodot; unified keys have the form CONTROLLER\.PARAMETER/);
    assert.throws(() => cg.update({ unified: { '../cgroup.procs': '1' } }), /unified\["\.\.\/cgroup\.procs"\]: a unified key must be a file name/);
    assert.throws(() => cg.update({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }), /linux\.resources\.hugepageLimits\[0\]\.limit: writing "1" to .*\/hugetlb\.3MB\.max: no such cgroup file/);
    assert.throws(() => cg.update({ hugepageLimits: [{ pageSize: '2 MB', limit: 1 }] }), /hugepageLimits\[0\]\.pageSize: "2 MB" is not a huge page size/);
    assert.throws(() => cg.update({ devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwx' }] }), /linux\.resources\.devices\[0\]\.access: "rwx" may only contain r, w and m/);
    // a write the "kernel" refuses: cpu.max replaced by a directory -> EISDIR
    fs.rmSync(path.join(cg.dir, 'cpu.max'));
    fs.mkdirSync(path.join(cg.dir, 'cpu.max'));
    assert.throws(
      () => cg.update({ cpu: { quota: 50000, period: 100000 } }),
      (err) => err.message === `linux.resources.cpu.quota: writing "50000 100000" to ${cg.dir}/cpu.max: is a directory` && err.code === 'EISDIR',
    );
    fs.rmdirSync(path.join(cg.dir, 'cpu.max'));
    assert.equal(fake.devices.calls.length, 0, 'a bad device list never reaches the loader');
  }
  assert.throws(() => new CgroupV2('/tmp', '/'), /names the root cgroup/);
  assert.throws(() => new CgroupV2('/tmp', '/a/../b'), /may not contain "\.\."/);
  const notMount = fs.mkdtempSync(path.join(os.tmpdir(), 'not-cgroup-'));
  t.after(() => fs.rmSync(notMount, { recursive: true, force: true }));
  assert.equal(isCgroup2Mount(notMount), false);
  assert.throws(() => new CgroupV2(notMount, '/c').create({}), /is not a cgroup2 mount/);
});

test('processes, freezer, stats, destroy (fake cgroupfs tree): cgroup.kill, then rmdir of the leaf only', async (t) => {
  const { fake, cg, leaf } = fakeManager(t);
  cg.create({ pids: { limit: 100 } });
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal)));
  t.after(() => child.kill('SIGKILL'));
  cg.addProcess(child.pid);
  assert.deepEqual(cg.pids(), [child.pid]);
  fs.mkdirSync(path.join(cg.dir, 'inner')); // a cgroup the container made inside its own
  fake.hooks.created(path.join(cg.dir, 'inner'));

  cg.freeze();
  assert.equal(leaf('cgroup.freeze'), '1');
  assert.ok(cg.isFrozen());
  cg.thaw();
  assert.equal(cg.isFrozen(), false);

  fs.writeFileSync(path.join(cg.dir, 'memory.current'), '123456\n');
  fs.writeFileSync(path.join(cg.dir, 'memory.max'), '1000000\n');
  fs.writeFileSync(path.join(cg.dir, 'memory.events'), 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n');
  fs.writeFileSync(path.join(cg.dir, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 2\n');
  fs.writeFileSync(path.join(cg.dir, 'pids.current'), '1\n');
  assert.deepEqual(cg.stats(), {
    memory: { usage: 123456, limit: 1000000, maxUsage: 0, oomKills: 1, failcnt: 7 },
    cpu: { usageNanoseconds: 1500000, userNanoseconds: 1000000, systemNanoseconds: 500000, throttledPeriods: 2 },
    pids: { current: 1, limit: 100 },
  });

  cg.destroy();
  assert.equal(await exited, 'SIGKILL');
  assert.equal(cg.exists(), false);
  assert.ok(fs.existsSync(path.join(fake.root, 'mydocker-runtime')), 'the parent stays (runc removes only the container cgroup)');
  assert.deepEqual(fake.writesTo('cgroup.kill'), ['1']);
  assert.deepEqual(fake.log.filter((e) => e[0] === 'rmdir'), [['rmdir', '/mydocker-runtime/c1/inner'], ['rmdir', '/mydocker-runtime/c1']]);
  cg.destroy(); // twice: nothing to do
});

test('destroy (fake cgroupfs tree): without cgroup.kill, freeze + SIGKILL + thaw; freeze times out and thaws back', async (t) => {
  const { fake, cg } = fakeManager(t, { omit: ['cgroup.kill'] });
  cg.create({});
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal)));
  t.after(() => child.kill('SIGKILL'));
  cg.addProcess(child.pid);
  fake.kernel.reapOnThaw = true;
  cg.destroy();
  assert.equal(await exited, 'SIGKILL');
  assert.deepEqual(fake.writesTo('cgroup.freeze'), ['1', '0']);
  assert.equal(cg.exists(), false);

  // a freezer that never reports frozen: bounded wait, then thawed again
  const slow = fakeManager(t, { timeoutMs: 100 });
  slow.cg.create({});
  slow.fake.hooks.written = () => {}; // the "kernel" ignores cgroup.freeze
  const started = Date.now();
  assert.throws(() => slow.cg.freeze(), /cgroup\.events did not say "frozen 1" within 100 ms; thawed it again/);
  assert.ok(Date.now() - started < 1000);
  assert.equal(slow.leaf('cgroup.freeze'), '0');
});

// --- the device program: semantics, checked against an interpreter of the emitted instructions

/** Runs our instruction subset the way the kernel would, for one request. */
function runProgram(insns, type, major, minor, access) {
  const ctx = [(access << 16) | type, major, minor];
  const r = new Array(11).fill(0);
  r[1] = 'ctx';
  for (let pc = 0, steps = 0; steps < 10000; pc++, steps++) {
    const i = insns[pc];
    assert.ok(i, `ran off the end at ${pc}`);
    const imm32 = i.imm >>> 0;
    switch (i.code) {
      case 0x61: assert.equal(r[i.src], 'ctx'); r[i.dst] = ctx[i.off / 4] >>> 0; break;
      case 0x54: r[i.dst] = (r[i.dst] & imm32) >>> 0; break;
      case 0x74: r[i.dst] = r[i.dst] >>> i.imm; break;
      case 0xb4: r[i.dst] = imm32; break;
      case 0x55: if (r[i.dst] !== i.imm) pc += i.off; break;
      case 0x45: if ((r[i.dst] & imm32) !== 0) pc += i.off; break;
      case 0x05: pc += i.off; break;
      case 0x95: return r[0];
      default: assert.fail(`unexpected opcode 0x${i.code.toString(16)}`);
    }
    assert.ok(i.off >= 0, 'only forward jumps');
  }
  assert.fail('no exit');
}

test('device program: last match wins per access, exactly as the reference semantics, for docker-like and tricky lists', () => {
  const lists = {
    docker: DOCKER_DEVICES,
    holes: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, access: 'rwm' },
      { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'rw' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'm' },
      { allow: false, type: 'c', major: 1, minor: 9, access: 'w' },
      { allow: true, type: 'b', major: 8, minor: -1, access: 'r' },
      { allow: true, type: 'c', major: null, minor: 7, access: 'r' },
    ],
    allowAll: [{ allow: true, access: 'rwm' }, { allow: false, type: 'b', major: 8, minor: 0, access: 'w' }],
    empty: [],
    noAccess: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: '' }],
  };
  const devices = [[2, 1, 3], [2, 1, 5], [2, 1, 7], [2, 1, 9], [2, 5, 0], [2, 10, 200], [2, 10, 229], [2, 136, 4], [1, 8, 0], [1, 8, 1], [2, 4000, 7], [1, 1, 3]];
  for (const [name, list] of Object.entries(lists)) {
    const rules = ebpf.normalizeDeviceRules(list);
    const insns = ebpf.compileDeviceFilter(rules);
    for (const [type, major, minor] of devices) {
      for (let access = 1; access <= 7; access++) {
        const want = ebpf.deviceAccessAllowed(rules, type, major, minor, access) ? 1 : 0;
        assert.equal(runProgram(insns, type, major, minor, access), want, `${name}: type ${type} ${major}:${minor} access ${access}`);
      }
    }
  }
  const allowed = (list, ...req) => ebpf.deviceAccessAllowed(ebpf.normalizeDeviceRules(list), ...req);
  const R = 2, W = 4, M = 1, C = 2, B = 1;
  assert.equal(allowed(lists.holes, C, 10, 200, R | W), true);
  assert.equal(allowed(lists.holes, C, 10, 229, R), false, 'a deny after a wildcard allow punches a hole');
  assert.equal(allowed(lists.holes, C, 1, 9, R | M), true, 'accesses allowed by different rules add up');
  assert.equal(allowed(lists.holes, C, 1, 9, R | W), false, 'a later deny of w refuses a read-write open');
  assert.equal(allowed(lists.holes, B, 8, 3, R), true);
  assert.equal(allowed(lists.holes, C, 4000, 7, R), true, 'null major is any major');
  assert.equal(allowed(lists.docker, C, 10, 229, R), false);
  assert.equal(allowed(lists.empty, C, 1, 3, R), false, 'no rule: refused (runc starts from deny-all)');
  assert.equal(allowed(lists.allowAll, B, 8, 0, R), true);
  assert.equal(allowed(lists.allowAll, B, 8, 0, R | W), false);
  assert.equal(allowed(lists.noAccess, C, 1, 3, R), false, 'an empty access grants nothing (runc)');
  // dead rules before the last catch-all are left out
  assert.equal(ebpf.compileDeviceFilter(ebpf.normalizeDeviceRules([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, access: 'rwm' }])).length, 8);
  assert.throws(() => ebpf.normalizeDeviceRules([{ allow: true, type: 'p', access: 'r' }]), /devices\[0\]\.type: "p" is not one of a, b, c/);
  assert.throws(() => ebpf.normalizeDeviceRules([{ allow: 'yes', access: 'r' }]), /devices\[0\]\.allow: must be true or false/);
  assert.throws(() => ebpf.normalizeDeviceRules([{ allow: true, type: 'c', major: 1.5, access: 'r' }]), /devices\[0\]\.major: 1\.5 is not a device number/);
});

// --- the real kernel: /sys/fs/cgroup/unified

const UNIFIED = '/sys/fs/cgroup/unified';
const haveUnified = isCgroup2Mount(UNIFIED) && process.getuid() === 0;
const unique = () => `mydocker-v2test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;

/** A parent cgroup of our own under the real cgroup2 mount (removed after the test, with anything left in it). */
function realParent(t) {
  const dir = path.join(UNIFIED, unique());
  fs.mkdirSync(dir);
  t.after(() => {
    const rm = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(d, e.name));
      try {
        if (fs.existsSync(path.join(d, 'cgroup.kill'))) fs.writeFileSync(path.join(d, 'cgroup.kill'), '1');
      } catch { /* best effort */ }
      for (let i = 0; i < 100; i++) {
        try {
          fs.rmdirSync(d);
          return;
        } catch (err) {
          if (err.code === 'ENOENT') return;
          Atomics.wait(sleepCell, 0, 0, 10);
        }
      }
    };
    rm(dir);
  });
  return dir;
}

// Run inside the cgroup: joins it, then opens and mknods devices, reporting each result.
const DEVICE_PROBE = `
const fs = require('fs');
const [procs, tmp, lib] = process.argv.slice(1);
fs.writeFileSync(procs, String(process.pid));
const { mknod, makedev } = require(lib + '/native/libc.js');
const out = {};
const tryOpen = (dev, flags) => { try { fs.closeSync(fs.openSync(dev, flags)); return 'ok'; } catch (e) { return e.code; } };
for (const [dev, flags] of [['/dev/null', 'r'], ['/dev/null', 'r+'], ['/dev/zero', 'r'], ['/dev/urandom', 'r+'], ['/dev/full', 'r'], ['/dev/kmsg', 'r'], ['/dev/ptmx', 'r+']]) out[dev + ':' + flags] = tryOpen(dev, flags);
let n = 0;
for (const [major, minor] of [[1, 3], [1, 9], [1, 7], [10, 200], [10, 229], [136, 7]]) {
  const p = tmp + '/dev' + n++;
  try { mknod(p, fs.constants.S_IFCHR | 0o600, makedev(major, minor)); out['mknod ' + major + ':' + minor] = 'ok'; } catch (e) { out['mknod ' + major + ':' + minor] = e.code; }
}
process.stdout.write(JSON.stringify(out));
`;

function probeDevices(cgroupDir, t) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'v2-devprobe-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, ['-e', DEVICE_PROBE, path.join(cgroupDir, 'cgroup.procs'), tmp, DIST_LIB], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('device filter (real cgroup2 at /sys/fs/cgroup/unified): a docker-like list loads, attaches and is enforced; update replaces it', { skip: !haveUnified && 'no cgroup2 mount at /sys/fs/cgroup/unified, or not root' }, (t) => {
  const parent = realParent(t);
  const cg = new CgroupV2(parent, '/c1');
  t.after(() => cg.destroy());
  const rules = [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 9, access: 'rw' },
    { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
    { allow: true, type: 'c', major: 10, access: 'm' },
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
  cg.create({ devices: rules });
  const first = ebpf.attachedDeviceFilters(cg.dir);
  assert.equal(first.length, 1, 'one BPF_CGROUP_DEVICE program attached');

  const seen = probeDevices(cg.dir, t);
  assert.deepEqual(seen, {
    '/dev/null:r': 'ok',
    '/dev/null:r+': 'ok',
    '/dev/zero:r': 'ok',
    '/dev/urandom:r+': 'ok', // 1:9 rw
    '/dev/full:r': 'EPERM', // 1:7: no rule
    '/dev/kmsg:r': 'EPERM', // 1:11
    '/dev/ptmx:r+': 'EPERM', // 5:2
    'mknod 1:3': 'ok',
    'mknod 1:9': 'EPERM', // rw only, no m
    'mknod 1:7': 'EPERM',
    'mknod 10:200': 'ok', // c 10:* m
    'mknod 10:229': 'EPERM', // denied after it
    'mknod 136:7': 'ok',
  });

  cg.update({ devices: [...rules, { allow: true, type: 'c', major: 1, minor: 7, access: 'r' }] });
  const second = ebpf.attachedDeviceFilters(cg.dir);
  assert.equal(second.length, 1, 'the update replaced the program, not added one');
  assert.notEqual(second[0], first[0]);
  const after = probeDevices(cg.dir, t);
  assert.equal(after['/dev/full:r'], 'ok');
  assert.equal(after['mknod 1:7'], 'EPERM');

  cg.destroy();
  assert.equal(cg.exists(), false);
});

test('device filter (real kernel): the verifier accepts every list shape; its log explains a refusal', { skip: !haveUnified && 'not root or no cgroup2' }, () => {
  for (const rules of [[], [{ allow: true, access: 'rwm' }], DOCKER_DEVICES, fixture('ctr-run-config.json').linux.resources.devices]) {
    const fd = ebpf.loadDeviceFilter(rules);
    assert.ok(fd > 2);
    fs.closeSync(fd);
  }
  const { bpfProgLoad, BPF_PROG_TYPE_CGROUP_DEVICE } = load('native/bpf');
  const exitOnly = Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]); // exit without setting r0
  assert.throws(() => bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: exitOnly, license: 'GPL', name: 'bad' }), /bpf\(BPF_PROG_LOAD\) bad: permission denied \(verifier: .*R0 !read_ok/);
});

test('lifecycle (real cgroup2 at /sys/fs/cgroup/unified): addProcess, pids, freeze/thaw for real, stats, destroy with cgroup.kill', { skip: !haveUnified && 'not root or no cgroup2' }, async (t) => {
  const parent = realParent(t);
  const cg = new CgroupV2(parent, '/ctr/leaf');
  t.after(() => cg.destroy());
  cg.create({ unified: { 'cgroup.max.descendants': '3' } });
  assert.equal(fs.readFileSync(path.join(cg.dir, 'cgroup.max.descendants'), 'utf8').trim(), '3');
  assert.throws(() => cg.update({ memory: { limit: 100000000 } }), (err) => err.message === `linux.resources.memory: the memory controller is not available in ${parent} (cgroup v2)`);
  assert.throws(() => cg.update({ unified: { 'hugetlb.2MB.max': '1' } }), /unified\["hugetlb\.2MB\.max"\]: the hugetlb controller is not available/);

  const child = spawn('sh', ['-c', 'while :; do sleep 0.05; done'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal)));
  t.after(() => child.kill('SIGKILL'));
  cg.addProcess(child.pid);
  const members = () => cg.pids().sort();
  assert.ok(members().includes(child.pid));
  assert.match(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'), new RegExp(`^0::/${path.basename(parent)}/ctr/leaf$`, 'm'));

  cg.freeze();
  assert.ok(cg.isFrozen());
  assert.match(fs.readFileSync(path.join(cg.dir, 'cgroup.events'), 'utf8'), /frozen 1/);
  const frozenMembers = members();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(members(), frozenMembers, 'frozen: the loop forks no new sleep');
  cg.thaw();
  assert.equal(cg.isFrozen(), false);
  assert.match(fs.readFileSync(path.join(cg.dir, 'cgroup.events'), 'utf8'), /frozen 0/);

  const stats = cg.stats();
  assert.ok(stats.cpu.usageNanoseconds >= 0);
  assert.ok(stats.pids.current >= 1, 'no pids controller here: counted from cgroup.procs');
  assert.equal(stats.memory, undefined, 'no memory controller on this mount');

  cg.destroy();
  assert.equal(await exited, 'SIGKILL');
  assert.equal(cg.exists(), false);
  assert.ok(fs.existsSync(path.join(parent, 'ctr')), 'the parent stays');
});

test('hugetlb (real cgroup2 at /sys/fs/cgroup/unified): enabled from the root down, limits written, a bad value is the kernel\'s EINVAL', { skip: !haveUnified && 'not root or no cgroup2' }, (t) => {
  const controllers = fs.readFileSync(path.join(UNIFIED, 'cgroup.controllers'), 'utf8').split(/\s+/);
  if (!controllers.includes('hugetlb') || !fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB')) {
    t.skip('no hugetlb controller or 2MB pages on the cgroup2 mount');
    return;
  }
  // enabling hugetlb in the mount's root is a host-wide change: undo it afterwards if we made it
  const rootControl = path.join(UNIFIED, 'cgroup.subtree_control');
  const wasEnabled = fs.readFileSync(rootControl, 'utf8').split(/\s+/).includes('hugetlb');
  const name = unique();
  const cg = new CgroupV2(UNIFIED, `/${name}/c1`);
  t.after(() => {
    cg.destroy();
    try {
      fs.rmdirSync(path.join(UNIFIED, name));
    } catch { /* already gone */ }
    if (!wasEnabled) {
      try {
        fs.writeFileSync(rootControl, '-hugetlb');
      } catch { /* someone else uses it now */ }
    }
  });
  cg.create({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] });
  assert.ok(fs.readFileSync(rootControl, 'utf8').split(/\s+/).includes('hugetlb'));
  assert.equal(fs.readFileSync(path.join(UNIFIED, name, 'cgroup.subtree_control'), 'utf8').trim(), 'hugetlb');
  assert.equal(fs.readFileSync(path.join(cg.dir, 'cgroup.subtree_control'), 'utf8').trim(), '', 'the leaf enables nothing');
  assert.equal(fs.readFileSync(path.join(cg.dir, 'hugetlb.2MB.max'), 'utf8').trim(), '4194304');
  if (fs.existsSync(path.join(cg.dir, 'hugetlb.2MB.rsvd.max'))) assert.equal(fs.readFileSync(path.join(cg.dir, 'hugetlb.2MB.rsvd.max'), 'utf8').trim(), '4194304');
  assert.throws(
    () => cg.update({ unified: { 'hugetlb.2MB.max': 'lots' } }),
    (err) => err.message === `linux.resources.unified["hugetlb.2MB.max"]: writing "lots" to ${cg.dir}/hugetlb.2MB.max: invalid argument` && err.code === 'EINVAL',
  );
  assert.throws(() => cg.update({ hugepageLimits: [{ pageSize: '4MB', limit: 1 }] }), /hugepageLimits\[0\]\.limit: writing "1" to .*hugetlb\.4MB\.max: no such cgroup file/);
});
