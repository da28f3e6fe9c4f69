// Our JSON Schemas (schemas/*.schema.json, compiled ahead of time into schemas/generated/validators.js)
// held against the UPSTREAM OCI runtime-spec schemas Debian ships (draft-04, runtime-spec 1.0.2-dev).
//
// Build first:  node schemas/compile.mjs && npx tsc -p tsconfig.json
// Run:          node --test test/schemas.test.mjs
//
// Where Debian's upstream schema is older or looser than the spec text we follow, the document is kept
// out of the same-verdict comparison (see SPEC_STRICTER and UPSTREAM_OLDER below, each with the field
// and the spec sentence): our verdict is still tested, and so is upstream's, so that a newer Debian
// schema that closes the gap shows up here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { upstreamAvailable, upstreamStateVerdict, upstreamVerdict } from './lib/upstream-schemas.mjs';
import { CLIENT_CONFIGS } from './lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = CLIENT_CONFIGS;
const VALIDATE_JS = join(repo, 'dist/lib/schemas/validate.js');
const GENERATED_JS = join(repo, 'schemas/generated/validators.js');

for (const f of [GENERATED_JS, VALIDATE_JS]) {
  if (!existsSync(f)) throw new Error(`${f} is missing: run "node schemas/compile.mjs && npx tsc -p tsconfig.json" first`);
}
const validators = require(GENERATED_JS);
const { validate, SchemaError } = require(VALIDATE_JS);

/** our verdict */
const ours = (name, doc) => validators[name](doc) === true;
const clone = (x) => structuredClone(x);
const mutate = (base, fn) => {
  const d = clone(base);
  fn(d);
  return d;
};
/** upstream has no process or resources schema: judge those documents inside a config */
const asConfig = {
  config: (d) => d,
  process: (p) => ({ ociVersion: '1.0.2', root: { path: 'rootfs' }, process: p }),
  resources: (r) => ({ ociVersion: '1.0.2', root: { path: 'rootfs' }, linux: { resources: r } }),
};

let compared = 0; // documents on which both verdicts were required to agree
let oursOnly = 0; // documents tested only against our expected verdict (known upstream gaps)

function sameVerdict(name, doc, expected, label) {
  const o = ours(name, doc);
  const errs = validators[name].errors;
  assert.equal(o, expected, `${label}: our verdict ${o}, expected ${expected} ${o ? '' : JSON.stringify(errs)}`);
  if (upstreamAvailable) {
    const u = name === 'state' ? upstreamStateVerdict(doc) : upstreamVerdict(asConfig[name](doc));
    assert.equal(u, expected, `${label}: upstream verdict ${u}, expected ${expected}`);
  }
  compared++;
}

/** a document where our verdict follows the spec text and Debian's upstream schema differs */
function specVerdict(name, doc, expected, upstreamExpected, label) {
  assert.equal(ours(name, doc), expected, `${label}: our verdict`);
  if (upstreamAvailable) {
    const u = name === 'state' ? upstreamStateVerdict(doc) : upstreamVerdict(asConfig[name](doc));
    assert.equal(u, upstreamExpected, `${label}: upstream verdict ${u} (if it now matches ours, move the case to the compared set)`);
  }
  oursOnly++;
}

// ---------------------------------------------------------------------------------------------
// Documents

const fixtureFiles = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort() : [];
const fixtureKind = (f) => (f.includes('resources') ? 'resources' : f.endsWith('process.json') ? 'process' : 'config');
const readJSON = (p) => JSON.parse(readFileSync(p, 'utf8'));

const MINIMAL = { ociVersion: '1.0.2', root: { path: 'rootfs' } };

const PROCESS = {
  terminal: false,
  consoleSize: { height: 25, width: 80 },
  user: { uid: 1000, gid: 1000, umask: 18, additionalGids: [5, 100] },
  args: ['/bin/sh', '-c', 'echo hi'],
  env: ['PATH=/usr/bin:/bin', 'TERM=xterm', 'EMPTY='],
  cwd: '/home/user',
  capabilities: {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    effective: ['CAP_CHOWN'],
    inheritable: [],
    permitted: ['CAP_CHOWN', 'CAP_KILL'],
    ambient: [],
  },
  rlimits: [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
    { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
  ],
  noNewPrivileges: true,
  apparmorProfile: 'docker-default',
  selinuxLabel: 'system_u:system_r:container_t:s0:c1,c2',
  oomScoreAdj: -500,
};

/** a config exercising nearly everything runtime-spec 1.0.2 defines for Linux (all known to Debian's schema) */
const FULL = {
  ociVersion: '1.0.2-dev',
  process: PROCESS,
  root: { path: '/var/lib/mydocker/c1/rootfs', readonly: true },
  hostname: 'box',
  domainname: 'example.org',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] },
    {
      destination: '/idmapped',
      type: 'bind',
      source: '/srv/idm',
      options: ['bind', 'idmap'],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    },
  ],
  hooks: {
    prestart: [{ path: '/usr/bin/netns-setup', args: ['netns-setup', 'x'], env: ['A=b'], timeout: 5 }],
    createRuntime: [{ path: '/usr/bin/true' }],
    createContainer: [{ path: '/usr/bin/true', timeout: 1 }],
    startContainer: [{ path: '/bin/echo', args: ['echo', 'start'] }],
    poststart: [{ path: '/usr/bin/true' }],
    poststop: [{ path: '/usr/bin/cleanup', timeout: 30 }],
  },
  annotations: { 'org.example.key': 'value', 'org.example.empty': '' },
  linux: {
    namespaces: [
      { type: 'pid' },
      { type: 'network', path: '/var/run/netns/n1' },
      { type: 'mount' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'user' },
      { type: 'cgroup' },
    ],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    devices: [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 },
      { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 432 },
      { path: '/dev/myfifo', type: 'p' },
      { path: '/dev/ttyX', type: 'u', major: 4, minor: 64 },
    ],
    cgroupsPath: '/mydocker/c1',
    resources: {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
        { allow: true, type: 'b', major: 8, access: 'r' },
        { allow: true, type: 'a' },
      ],
      memory: {
        limit: 536870912,
        reservation: 268435456,
        swap: -1,
        kernel: -1,
        kernelTCP: -1,
        swappiness: 0,
        disableOOMKiller: false,
        useHierarchy: true,
        checkBeforeUpdate: true,
      },
      cpu: {
        shares: 1024,
        quota: 100000,
        burst: 50000,
        period: 100000,
        realtimeRuntime: 950000,
        realtimePeriod: 1000000,
        cpus: '0-1',
        mems: '0',
        idle: 0,
      },
      blockIO: {
        weight: 500,
        leafWeight: 300,
        weightDevice: [
          { major: 8, minor: 0, weight: 500, leafWeight: 300 },
          { major: 8, minor: 16, weight: 200 },
          { major: 8, minor: 32, leafWeight: 100 },
        ],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
        throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 1000 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }],
      },
      hugepageLimits: [
        { pageSize: '2MB', limit: 209715200 },
        { pageSize: '1GB', limit: 0 },
      ],
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
      pids: { limit: 32771 },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } },
      unified: { 'memory.high': '1073741824', 'io.max': '8:0 rbps=2097152' },
    },
    rootfsPropagation: 'slave',
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_RISCV64'],
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      listenerPath: '/run/seccomp-agent.sock',
      listenerMetadata: 'meta',
      syscalls: [
        { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['mknod'], action: 'SCMP_ACT_NOTIFY' },
        { names: ['kexec_load'], action: 'SCMP_ACT_LOG' },
      ],
    },
    sysctl: { 'net.ipv4.ip_forward': '1', 'net.core.somaxconn': '256' },
    maskedPaths: ['/proc/kcore', '/proc/keys'],
    readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    mountLabel: 'system_u:object_r:container_file_t:s0:c1,c2',
    intelRdt: { closID: 'guaranteed', l3CacheSchema: 'L3:0=7f0;1=1f', memBwSchema: 'MB:0=20;1=70', enableCMT: true, enableMBM: false },
    personality: { domain: 'LINUX32', flags: [] },
  },
};

/** fields of runtime-spec 1.1-1.3 that Debian's 1.0.2-dev schema does not know: it ignores them (accepts) */
const NEWER_FIELDS = mutate(FULL, (d) => {
  d.ociVersion = '1.3.0';
  d.process.scheduler = { policy: 'SCHED_DEADLINE', nice: -5, priority: 0, flags: ['SCHED_FLAG_RESET_ON_FORK'], runtime: 10000000, deadline: 20000000, period: 30000000 };
  d.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
  d.process.execCPUAffinity = { initial: '0', final: '0-1' };
  d.linux.netDevices = { eth1: { name: 'ctr_eth1' }, ens4: {} };
  d.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] };
  d.linux.intelRdt.schemata = ['L2:0=f', 'MB:0=20'];
  d.linux.intelRdt.enableMonitoring = true;
  d.linux.seccomp.flags.push('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
});

// ---------------------------------------------------------------------------------------------
// Valid documents: both verdicts true

test('every client-generated document in fixtures/client-configs is accepted (ours and upstream)', () => {
  assert.ok(fixtureFiles.length >= 10, `expected the client fixtures in ${FIXTURES}`);
  for (const f of fixtureFiles) {
    const kind = fixtureKind(f);
    sameVerdict(kind, readJSON(join(FIXTURES, f)), true, f);
    // and through the typed wrapper
    validate(kind, readJSON(join(FIXTURES, f)), f);
  }
});

test('configs written by `runc spec` and `runc spec --rootless` are accepted', (t) => {
  const probe = spawnSync('runc', ['--version']);
  if (probe.error || probe.status !== 0) return t.skip('runc is not installed');
  for (const flags of [[], ['--rootless']]) {
    const dir = mkdtempSync(join(tmpdir(), 'mydocker-schema-'));
    try {
      execFileSync('runc', ['spec', ...flags, '--bundle', dir]);
      const spec = readJSON(join(dir, 'config.json'));
      sameVerdict('config', spec, true, `runc spec ${flags.join(' ')}`);
      // a few realistic edits of it
      sameVerdict('config', mutate(spec, (d) => { d.process.terminal = false; d.process.args = ['sleep', '10']; }), true, 'runc spec edited');
      sameVerdict('config', mutate(spec, (d) => { d.hooks = { poststop: [{ path: '/bin/true' }] }; }), true, 'runc spec + hook');
      sameVerdict('process', spec.process, true, `runc spec ${flags.join(' ')} process`);
      if (spec.linux.resources) sameVerdict('resources', spec.linux.resources, true, 'runc spec resources');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('hand-written valid configs are accepted (ours and upstream)', () => {
  const valid = {
    minimal: MINIMAL,
    'minimal with process': { ...MINIMAL, process: { cwd: '/', args: ['sh'] } },
    'process with user only': { ...MINIMAL, process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } } },
    full: FULL,
    'prerelease and build metadata version': mutate(MINIMAL, (d) => { d.ociVersion = '1.1.0-rc.1+build.5'; }),
    'ociVersion 0.1.0': mutate(MINIMAL, (d) => { d.ociVersion = '0.1.0'; }),
    'relative root path': mutate(MINIMAL, (d) => { d.root.path = 'rootfs'; }),
    'empty hooks object': { ...MINIMAL, hooks: {} },
    'hooks only poststop': { ...MINIMAL, hooks: { poststop: [{ path: '/bin/true', args: [] }] } },
    'mount with only destination': { ...MINIMAL, mounts: [{ destination: '/tmp' }] },
    'mount with empty options': { ...MINIMAL, mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] }] },
    'namespaces only': { ...MINIMAL, linux: { namespaces: [{ type: 'mount' }, { type: 'pid', path: '/proc/1/ns/pid' }] } },
    'empty linux': { ...MINIMAL, linux: {} },
    'empty resources': { ...MINIMAL, linux: { resources: {} } },
    'pids limit -1 (unlimited)': { ...MINIMAL, linux: { resources: { pids: { limit: -1 } } } },
    'memory -1 everywhere': { ...MINIMAL, linux: { resources: { memory: { limit: -1, swap: -1, reservation: -1 } } } },
    'cpu quota -1': { ...MINIMAL, linux: { resources: { cpu: { quota: -1, period: 100000 } } } },
    'big uint64 hugepage limit': { ...MINIMAL, linux: { resources: { hugepageLimits: [{ pageSize: '64KB', limit: 9223372036854772000 }] } } },
    'rlimit at uint64 max': { ...MINIMAL, process: { cwd: '/', args: ['sh'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 18446744073709551615, hard: 18446744073709551615 }] } },
    'seccomp default only': { ...MINIMAL, linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } } },
    'seccomp kill thread / trap / trace': {
      ...MINIMAL,
      linux: { seccomp: { defaultAction: 'SCMP_ACT_KILL', syscalls: [{ names: ['a'], action: 'SCMP_ACT_KILL_THREAD' }, { names: ['b'], action: 'SCMP_ACT_TRAP' }, { names: ['c'], action: 'SCMP_ACT_TRACE', errnoRet: 1 }] } },
    },
    'every seccomp operator': {
      ...MINIMAL,
      linux: {
        seccomp: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'].map((op, index) => ({ index, value: 1, op })) }],
        },
      },
    },
    'rootless-style user namespace': {
      ...MINIMAL,
      process: { cwd: '/', args: ['id'], user: { uid: 0, gid: 0 } },
      linux: { namespaces: [{ type: 'user' }, { type: 'mount' }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] },
    },
    'every rootfsPropagation': { ...MINIMAL, linux: { rootfsPropagation: 'unbindable' } },
    'personality LINUX': { ...MINIMAL, linux: { personality: { domain: 'LINUX' } } },
    'unknown extension properties are ignored': {
      ...MINIMAL,
      'org.example.extension': { any: ['thing', 1] },
      process: { cwd: '/', args: ['sh'], 'org.example.x': 1 },
      linux: { 'org.example.y': true, resources: { 'org.example.z': 'q' } },
    },
    'other platforms are not ours to judge': { ...MINIMAL, solaris: { milestone: 'x' }, vm: { hypervisor: { path: '/usr/bin/qemu' }, kernel: { path: '/vmlinuz' } } },
    'devices fileMode 0 and uid/gid': { ...MINIMAL, linux: { devices: [{ type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0, uid: 65534, gid: 65534 }] } },
    'terminal with console size': { ...MINIMAL, process: { cwd: '/', args: ['sh'], terminal: true, consoleSize: { height: 0, width: 0 } } },
    'runtime-spec 1.2/1.3 fields (upstream ignores them)': NEWER_FIELDS,
    'sched_other without flags': { ...MINIMAL, process: { cwd: '/', args: ['sh'], scheduler: { policy: 'SCHED_OTHER' } } },
    'memoryPolicy default without nodes': { ...MINIMAL, linux: { memoryPolicy: { mode: 'MPOL_DEFAULT' } } },
  };
  for (const [label, doc] of Object.entries(valid)) sameVerdict('config', doc, true, label);
  sameVerdict('process', PROCESS, true, 'PROCESS');
  sameVerdict('resources', FULL.linux.resources, true, 'FULL resources');
  sameVerdict('resources', {}, true, 'empty resources');
  sameVerdict('resources', { memory: { limit: 0, reservation: 0, swap: 0, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } }, true, 'all zero (unset) resources');
});

// ---------------------------------------------------------------------------------------------
// Broken documents on which upstream and we must agree (both reject)

const BROKEN = {
  'not an object (array)': [],
  'not an object (null)': null,
  'not an object (string)': 'config',
  'ociVersion missing': mutate(FULL, (d) => { delete d.ociVersion; }),
  'ociVersion a number': mutate(FULL, (d) => { d.ociVersion = 1; }),
  'process not an object': mutate(FULL, (d) => { d.process = 'sh'; }),
  'process.args a string': mutate(FULL, (d) => { d.process.args = '/bin/sh -c x'; }),
  'process.args holds a number': mutate(FULL, (d) => { d.process.args = ['sleep', 10]; }),
  'process.cwd missing': mutate(FULL, (d) => { delete d.process.cwd; }),
  'process.cwd a number': mutate(FULL, (d) => { d.process.cwd = 0; }),
  'process.env a string': mutate(FULL, (d) => { d.process.env = 'PATH=/bin'; }),
  'process.env holds an object': mutate(FULL, (d) => { d.process.env = [{ PATH: '/bin' }]; }),
  'process.terminal a string': mutate(FULL, (d) => { d.process.terminal = 'yes'; }),
  'process.user.uid negative': mutate(FULL, (d) => { d.process.user.uid = -1; }),
  'process.user.gid above uint32': mutate(FULL, (d) => { d.process.user.gid = 4294967296; }),
  'process.user.uid a string': mutate(FULL, (d) => { d.process.user.uid = '0'; }),
  'process.user.uid fractional': mutate(FULL, (d) => { d.process.user.uid = 1.5; }),
  'process.user.additionalGids holds a string': mutate(FULL, (d) => { d.process.user.additionalGids = ['wheel']; }),
  'process.user.additionalGids negative': mutate(FULL, (d) => { d.process.user.additionalGids = [-5]; }),
  'process.user.umask negative': mutate(FULL, (d) => { d.process.user.umask = -1; }),
  'process.consoleSize without width': mutate(FULL, (d) => { delete d.process.consoleSize.width; }),
  'process.consoleSize negative height': mutate(FULL, (d) => { d.process.consoleSize.height = -1; }),
  'process.capabilities.bounding a string': mutate(FULL, (d) => { d.process.capabilities.bounding = 'CAP_CHOWN'; }),
  'process.capabilities.effective holds a number': mutate(FULL, (d) => { d.process.capabilities.effective = [0]; }),
  'process.rlimits type without RLIMIT_': mutate(FULL, (d) => { d.process.rlimits[0].type = 'NOFILE'; }),
  'process.rlimits type lower case': mutate(FULL, (d) => { d.process.rlimits[0].type = 'RLIMIT_nofile'; }),
  'process.rlimits without soft': mutate(FULL, (d) => { delete d.process.rlimits[0].soft; }),
  'process.rlimits without type': mutate(FULL, (d) => { delete d.process.rlimits[1].type; }),
  'process.rlimits negative hard': mutate(FULL, (d) => { d.process.rlimits[0].hard = -1; }),
  'process.rlimits not an array': mutate(FULL, (d) => { d.process.rlimits = { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }; }),
  'process.oomScoreAdj fractional': mutate(FULL, (d) => { d.process.oomScoreAdj = 1.5; }),
  'process.noNewPrivileges a string': mutate(FULL, (d) => { d.process.noNewPrivileges = 'true'; }),
  'process.apparmorProfile a number': mutate(FULL, (d) => { d.process.apparmorProfile = 1; }),
  'root.path missing': mutate(FULL, (d) => { d.root = { readonly: true }; }),
  'root.readonly a string': mutate(FULL, (d) => { d.root.readonly = 'no'; }),
  'root a string': mutate(FULL, (d) => { d.root = '/rootfs'; }),
  'hostname a number': mutate(FULL, (d) => { d.hostname = 42; }),
  'mounts an object': mutate(FULL, (d) => { d.mounts = { '/proc': { type: 'proc' } }; }),
  'mount without destination': mutate(FULL, (d) => { delete d.mounts[1].destination; }),
  'mount options as one string': mutate(FULL, (d) => { d.mounts[1].options = 'nosuid,mode=755'; }),
  'mount options holding a number': mutate(FULL, (d) => { d.mounts[1].options = ['size', 65536]; }),
  'mount uidMappings without size': mutate(FULL, (d) => { delete d.mounts[3].uidMappings[0].size; }),
  'hooks not an object': mutate(FULL, (d) => { d.hooks = ['/bin/true']; }),
  'hook without path': mutate(FULL, (d) => { d.hooks.prestart = [{ args: ['x'] }]; }),
  'hook timeout 0': mutate(FULL, (d) => { d.hooks.poststop[0].timeout = 0; }),
  'hook timeout a string': mutate(FULL, (d) => { d.hooks.poststop[0].timeout = '30'; }),
  'hook args a string': mutate(FULL, (d) => { d.hooks.prestart[0].args = 'netns-setup x'; }),
  'hooks.poststart not an array': mutate(FULL, (d) => { d.hooks.poststart = { path: '/bin/true' }; }),
  'annotations value an object (junk)': mutate(FULL, (d) => { d.annotations['org.example.obj'] = { nested: 'x' }; }),
  'annotations value a number': mutate(FULL, (d) => { d.annotations['org.example.n'] = 1; }),
  'annotations an array': mutate(FULL, (d) => { d.annotations = ['a=b']; }),
  'linux an array': mutate(FULL, (d) => { d.linux = []; }),
  'namespace type "net"': mutate(FULL, (d) => { d.linux.namespaces[1].type = 'net'; }),
  'namespace type upper case': mutate(FULL, (d) => { d.linux.namespaces[0].type = 'PID'; }),
  'namespace without type': mutate(FULL, (d) => { d.linux.namespaces.push({ path: '/proc/1/ns/ipc' }); }),
  'namespaces an object': mutate(FULL, (d) => { d.linux.namespaces = { pid: {} }; }),
  'uidMappings without size': mutate(FULL, (d) => { delete d.linux.uidMappings[0].size; }),
  'uidMappings negative containerID': mutate(FULL, (d) => { d.linux.uidMappings[0].containerID = -1; }),
  'gidMappings hostID a string': mutate(FULL, (d) => { d.linux.gidMappings[0].hostID = '100000'; }),
  'device type "x"': mutate(FULL, (d) => { d.linux.devices[0].type = 'x'; }),
  'device type "char"': mutate(FULL, (d) => { d.linux.devices[0].type = 'char'; }),
  'device without path': mutate(FULL, (d) => { delete d.linux.devices[1].path; }),
  'device without type': mutate(FULL, (d) => { delete d.linux.devices[1].type; }),
  'device negative fileMode': mutate(FULL, (d) => { d.linux.devices[0].fileMode = -1; }),
  'device uid negative': mutate(FULL, (d) => { d.linux.devices[0].uid = -1; }),
  'device major a string': mutate(FULL, (d) => { d.linux.devices[0].major = '10'; }),
  'cgroupsPath a number': mutate(FULL, (d) => { d.linux.cgroupsPath = 1; }),
  'resources.devices entry without allow': mutate(FULL, (d) => { delete d.linux.resources.devices[1].allow; }),
  'resources.devices allow a string': mutate(FULL, (d) => { d.linux.resources.devices[0].allow = 'false'; }),
  'memory.limit a string': mutate(FULL, (d) => { d.linux.resources.memory.limit = '512M'; }),
  'memory.swappiness negative': mutate(FULL, (d) => { d.linux.resources.memory.swappiness = -1; }),
  'memory.disableOOMKiller a number': mutate(FULL, (d) => { d.linux.resources.memory.disableOOMKiller = 1; }),
  'cpu.shares negative': mutate(FULL, (d) => { d.linux.resources.cpu.shares = -1; }),
  'cpu.period negative': mutate(FULL, (d) => { d.linux.resources.cpu.period = -100000; }),
  'cpu.quota fractional': mutate(FULL, (d) => { d.linux.resources.cpu.quota = 0.5; }),
  'cpu.cpus a number': mutate(FULL, (d) => { d.linux.resources.cpu.cpus = 0; }),
  'blockIO.weight above uint16': mutate(FULL, (d) => { d.linux.resources.blockIO.weight = 70000; }),
  'blockIO.weightDevice without minor': mutate(FULL, (d) => { delete d.linux.resources.blockIO.weightDevice[0].minor; }),
  'blockIO throttle without major': mutate(FULL, (d) => { delete d.linux.resources.blockIO.throttleReadBpsDevice[0].major; }),
  'blockIO throttle negative rate': mutate(FULL, (d) => { d.linux.resources.blockIO.throttleWriteIOPSDevice[0].rate = -1; }),
  'hugepage pageSize "2M"': mutate(FULL, (d) => { d.linux.resources.hugepageLimits[0].pageSize = '2M'; }),
  'hugepage pageSize "0MB"': mutate(FULL, (d) => { d.linux.resources.hugepageLimits[0].pageSize = '0MB'; }),
  'hugepage without limit': mutate(FULL, (d) => { delete d.linux.resources.hugepageLimits[1].limit; }),
  'hugepage negative limit': mutate(FULL, (d) => { d.linux.resources.hugepageLimits[0].limit = -1; }),
  'network priority without priority': mutate(FULL, (d) => { delete d.linux.resources.network.priorities[0].priority; }),
  'network classID negative': mutate(FULL, (d) => { d.linux.resources.network.classID = -1; }),
  'pids without limit': mutate(FULL, (d) => { d.linux.resources.pids = {}; }),
  'pids limit a string': mutate(FULL, (d) => { d.linux.resources.pids.limit = 'max'; }),
  'rdma hcaHandles a string': mutate(FULL, (d) => { d.linux.resources.rdma.mlx5_1.hcaHandles = 'many'; }),
  'rdma an array (junk)': mutate(FULL, (d) => { d.linux.resources.rdma = [{ device: 'mlx5_1', hcaHandles: 3 }]; }),
  'unified value a number (junk)': mutate(FULL, (d) => { d.linux.resources.unified['pids.max'] = 10; }),
  'rootfsPropagation "recursive"': mutate(FULL, (d) => { d.linux.rootfsPropagation = 'recursive'; }),
  'seccomp without defaultAction': mutate(FULL, (d) => { delete d.linux.seccomp.defaultAction; }),
  'seccomp defaultAction unknown': mutate(FULL, (d) => { d.linux.seccomp.defaultAction = 'SCMP_ACT_FOO'; }),
  'seccomp defaultAction lower case': mutate(FULL, (d) => { d.linux.seccomp.defaultAction = 'allow'; }),
  'seccomp defaultErrnoRet negative': mutate(FULL, (d) => { d.linux.seccomp.defaultErrnoRet = -1; }),
  'seccomp architecture "x86_64"': mutate(FULL, (d) => { d.linux.seccomp.architectures = ['x86_64']; }),
  'seccomp flag "TSYNC"': mutate(FULL, (d) => { d.linux.seccomp.flags = ['TSYNC']; }),
  'syscall with empty names': mutate(FULL, (d) => { d.linux.seccomp.syscalls[0].names = []; }),
  'syscall without action': mutate(FULL, (d) => { delete d.linux.seccomp.syscalls[0].action; }),
  'syscall names a string': mutate(FULL, (d) => { d.linux.seccomp.syscalls[0].names = 'read'; }),
  'syscall arg op "EQ"': mutate(FULL, (d) => { d.linux.seccomp.syscalls[1].args[0].op = 'EQ'; }),
  'syscall arg without value': mutate(FULL, (d) => { delete d.linux.seccomp.syscalls[1].args[0].value; }),
  'syscall arg negative index': mutate(FULL, (d) => { d.linux.seccomp.syscalls[1].args[0].index = -1; }),
  'syscall errnoRet a string': mutate(FULL, (d) => { d.linux.seccomp.syscalls[3].errnoRet = 'ENOSYS'; }),
  'sysctl value a number (junk)': mutate(FULL, (d) => { d.linux.sysctl['net.ipv4.ip_forward'] = 1; }),
  'maskedPaths a string': mutate(FULL, (d) => { d.linux.maskedPaths = '/proc/kcore'; }),
  'readonlyPaths holds a number': mutate(FULL, (d) => { d.linux.readonlyPaths = [1]; }),
  'intelRdt memBwSchema without MB:': mutate(FULL, (d) => { d.linux.intelRdt.memBwSchema = 'L3:0=20'; }),
  'intelRdt memBwSchema with a newline': mutate(FULL, (d) => { d.linux.intelRdt.memBwSchema = 'MB:0=20\nMB:1=70'; }),
  'intelRdt enableCMT a string': mutate(FULL, (d) => { d.linux.intelRdt.enableCMT = 'yes'; }),
  'personality domain "LINUX64"': mutate(FULL, (d) => { d.linux.personality.domain = 'LINUX64'; }),
  'personality flags a string': mutate(FULL, (d) => { d.linux.personality.flags = 'none'; }),
  'mountLabel a number': mutate(FULL, (d) => { d.linux.mountLabel = 0; }),
};

test(`broken configs are rejected by both schemas (${Object.keys(BROKEN).length} documents)`, () => {
  assert.ok(Object.keys(BROKEN).length >= 30);
  for (const [label, doc] of Object.entries(BROKEN)) sameVerdict('config', doc, false, label);
});

test('broken process.json and resources documents are rejected by both', () => {
  const brokenProcess = {
    'args not an array': mutate(PROCESS, (p) => { p.args = 'sh'; }),
    'no cwd': mutate(PROCESS, (p) => { delete p.cwd; }),
    'negative uid': mutate(PROCESS, (p) => { p.user.uid = -1; }),
    'terminal a string': mutate(PROCESS, (p) => { p.terminal = 'true'; }),
    'bad rlimit': mutate(PROCESS, (p) => { p.rlimits = [{ type: 'nofile', soft: 1, hard: 1 }]; }),
  };
  for (const [label, doc] of Object.entries(brokenProcess)) sameVerdict('process', doc, false, `process: ${label}`);
  const brokenResources = {
    'memory.limit a string': { memory: { limit: '100m' } },
    'cpu.shares negative': { cpu: { shares: -2 } },
    'blockIO.weight a string': { blockIO: { weight: '10' } },
    'pids without limit': { pids: {} },
    'devices entry without allow': { devices: [{ access: 'rwm' }] },
    'hugepage bad pageSize': { hugepageLimits: [{ pageSize: 'huge', limit: 1 }] },
  };
  for (const [label, doc] of Object.entries(brokenResources)) sameVerdict('resources', doc, false, `resources: ${label}`);
});

// ---------------------------------------------------------------------------------------------
// Where the spec text is stricter than Debian's upstream schema: we follow the spec (we reject,
// upstream accepts). Each entry names the field and the spec sentence.

const SPEC_STRICTER = {
  // config.md: "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format"; upstream: any string
  'ociVersion "1.0" is not SemVer': mutate(FULL, (d) => { d.ociVersion = '1.0'; }),
  'ociVersion "v1.0.2" is not SemVer': mutate(FULL, (d) => { d.ociVersion = 'v1.0.2'; }),
  'ociVersion "1.0.02" is not SemVer': mutate(FULL, (d) => { d.ociVersion = '1.0.02'; }),
  // config.md: "root (object) ... On all other platforms [than Windows], this field is REQUIRED"
  'root missing': mutate(FULL, (d) => { delete d.root; }),
  // config.md hooks: "path ... This specification extends the IEEE standard in that path MUST be absolute"
  'hook path relative': mutate(FULL, (d) => { d.hooks.prestart[0].path = 'bin/netns-setup'; }),
  'hook path empty': mutate(FULL, (d) => { d.hooks.poststop[0].path = ''; }),
  // config.md: "cwd (string, REQUIRED) ... This value MUST be an absolute path"
  'process.cwd relative': mutate(FULL, (d) => { d.process.cwd = 'home/user'; }),
  // config.md: args: "at least one entry is REQUIRED (non-Windows)"
  'process.args empty': mutate(FULL, (d) => { d.process.args = []; }),
  'process.args missing': mutate(FULL, (d) => { delete d.process.args; }),
  // config.md: env "Elements in the array are specified as Strings in the form KEY=value"
  'process.env entry without "="': mutate(FULL, (d) => { d.process.env.push('NOVALUE'); }),
  'process.env entry with empty key': mutate(FULL, (d) => { d.process.env.push('=value'); }),
  'hook env entry without "="': mutate(FULL, (d) => { d.hooks.prestart[0].env = ['A']; }),
  // config.md POSIX user: "uid (int, REQUIRED)", "gid (int, REQUIRED)"
  'process.user without uid': mutate(FULL, (d) => { delete d.process.user.uid; }),
  'process.user without gid': mutate(FULL, (d) => { delete d.process.user.gid; }),
  // capability names (upstream's own features-linux.json uses ^CAP_[A-Z_]+$; its config schema any string)
  'capability "chown"': mutate(FULL, (d) => { d.process.capabilities.bounding.push('chown'); }),
  'capability "SYS_ADMIN"': mutate(FULL, (d) => { d.process.capabilities.ambient = ['SYS_ADMIN']; }),
  // config.md annotations: "Keys MUST NOT be an empty string" (upstream's ".{1,}" patternProperties skips "")
  'annotation with an empty key': mutate(FULL, (d) => { d.annotations[''] = 'x'; }),
  // config-linux.md namespaces: path "MUST be an absolute path in the runtime mount namespace"
  'namespace path relative': mutate(FULL, (d) => { d.linux.namespaces[1].path = 'var/run/netns/n1'; }),
  // config-linux.md devices: "major, minor (int64, REQUIRED unless type is p)"
  'char device without major/minor': mutate(FULL, (d) => { d.linux.devices.push({ type: 'c', path: '/dev/x' }); }),
  'block device without minor': mutate(FULL, (d) => { delete d.linux.devices[1].minor; }),
  // config-linux.md devices: path "full path to device inside container"
  'device path relative': mutate(FULL, (d) => { d.linux.devices[0].path = 'dev/fuse'; }),
  // config-linux.md allowed device list: type "a (all), c (char), or b (block)"; access "a composition of r, w and m"
  'resources.devices type "x"': mutate(FULL, (d) => { d.linux.resources.devices[1].type = 'x'; }),
  'resources.devices access "rwx"': mutate(FULL, (d) => { d.linux.resources.devices[1].access = 'rwx'; }),
  // config-linux.md blockIO weightDevice: "You MUST specify at least one of weight or leafWeight"
  'weightDevice without weight and leafWeight': mutate(FULL, (d) => { d.linux.resources.blockIO.weightDevice.push({ major: 8, minor: 48 }); }),
  // config-linux.md blockIO throttle*: "rate (uint64, REQUIRED)"
  'throttle device without rate': mutate(FULL, (d) => { delete d.linux.resources.blockIO.throttleReadBpsDevice[0].rate; }),
  // config-linux.md rdma: "You MUST specify at least one of the hcaHandles or hcaObjects in a given entry"
  'rdma entry with neither limit': mutate(FULL, (d) => { d.linux.resources.rdma.rxe3 = {}; }),
  // config-linux.md personality: "domain (string, REQUIRED)"
  'personality without domain': mutate(FULL, (d) => { d.linux.personality = { flags: [] }; }),
  // config-linux.md masked/readonly paths: "The values MUST be absolute paths"
  'maskedPaths relative': mutate(FULL, (d) => { d.linux.maskedPaths.push('proc/kcore'); }),
  'readonlyPaths relative': mutate(FULL, (d) => { d.linux.readonlyPaths.push('sys'); }),
  // Fields of runtime-spec 1.1-1.3 that Debian's schema does not know, so it accepts anything in them:
  // process.scheduler (1.2): policy is one of the SCHED_* names and REQUIRED
  'scheduler policy unknown': mutate(NEWER_FIELDS, (d) => { d.process.scheduler.policy = 'SCHED_FAST'; }),
  'scheduler without policy': mutate(NEWER_FIELDS, (d) => { delete d.process.scheduler.policy; }),
  'scheduler flag unknown': mutate(NEWER_FIELDS, (d) => { d.process.scheduler.flags = ['RESET_ON_FORK']; }),
  // process.ioPriority (1.2): class is one of IOPRIO_CLASS_RT, _BE, _IDLE; class and priority REQUIRED
  'ioPriority class unknown': mutate(NEWER_FIELDS, (d) => { d.process.ioPriority.class = 'IOPRIO_CLASS_NONE'; }),
  'ioPriority without priority': mutate(NEWER_FIELDS, (d) => { delete d.process.ioPriority.priority; }),
  // process.execCPUAffinity (1.2): strings
  'execCPUAffinity.initial a number': mutate(NEWER_FIELDS, (d) => { d.process.execCPUAffinity.initial = 0; }),
  // linux.timeOffsets (1.1): secs int64, nanosecs uint32
  'timeOffsets nanosecs negative': mutate(MINIMAL, (d) => { d.linux = { timeOffsets: { monotonic: { secs: 1, nanosecs: -1 } } }; }),
  // linux.memoryPolicy (1.3): mode REQUIRED, one of the MPOL_* modes; flags MPOL_F_*
  'memoryPolicy mode unknown': mutate(NEWER_FIELDS, (d) => { d.linux.memoryPolicy.mode = 'MPOL_RANDOM'; }),
  'memoryPolicy without mode': mutate(NEWER_FIELDS, (d) => { delete d.linux.memoryPolicy.mode; }),
  'memoryPolicy flag unknown': mutate(NEWER_FIELDS, (d) => { d.linux.memoryPolicy.flags = ['STATIC']; }),
  // linux.netDevices (1.3): name is a string
  'netDevices name a number': mutate(NEWER_FIELDS, (d) => { d.linux.netDevices.eth1.name = 1; }),
  // linux.intelRdt.schemata (1.2): array of strings
  'intelRdt.schemata a string': mutate(NEWER_FIELDS, (d) => { d.linux.intelRdt.schemata = 'L2:0=f'; }),
};

test(`spec-stricter cases: we reject, Debian's upstream schema accepts (${Object.keys(SPEC_STRICTER).length} documents)`, () => {
  for (const [label, doc] of Object.entries(SPEC_STRICTER)) specVerdict('config', doc, false, true, label);
});

// Where Debian's upstream schema is OLDER than the spec and rejects what the spec allows.
const UPSTREAM_OLDER = {
  // "time" namespace type: added in runtime-spec 1.1 (Debian's NamespaceType enum lacks it)
  'time namespace with timeOffsets': mutate(MINIMAL, (d) => {
    d.linux = { namespaces: [{ type: 'time' }], timeOffsets: { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: -10 } } };
  }),
  // SCMP_ARCH_LOONGARCH64: a later addition to the spec's architecture list (Debian's SeccompArch lacks it)
  'seccomp architecture SCMP_ARCH_LOONGARCH64': mutate(MINIMAL, (d) => {
    d.linux = { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_LOONGARCH64'] } };
  }),
  // rootfsPropagation "rslave"/"rshared": config-linux.md lists only shared, slave, private and
  // unbindable, but containerd's CRI plugin sends rslave and rshared (mount propagation for
  // Kubernetes) and runc accepts them: a deliberate deviation, for drop-in compatibility
  'rootfsPropagation "rslave" (containerd CRI)': mutate(MINIMAL, (d) => { d.linux = { rootfsPropagation: 'rslave' }; }),
  'rootfsPropagation "rshared" (containerd CRI)': mutate(MINIMAL, (d) => { d.linux = { rootfsPropagation: 'rshared' }; }),
  // devices fileMode: config-linux.md says uint32 (a mode with file-type bits, 0o20666 = 8630, is a valid
  // uint32); Debian's FileMode caps it at 512
  'device fileMode with type bits (8630)': mutate(MINIMAL, (d) => {
    d.linux = { devices: [{ type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 8630 }] };
  }),
};

test(`upstream-older cases: we accept, Debian's upstream schema rejects (${Object.keys(UPSTREAM_OLDER).length} documents)`, () => {
  for (const [label, doc] of Object.entries(UPSTREAM_OLDER)) specVerdict('config', doc, true, false, label);
});

// ---------------------------------------------------------------------------------------------
// Systematic mutations of real documents: every distinct field of every client config (and of FULL)
// gets its type swapped, and every object property gets removed; both schemas must agree except on
// the properties the spec requires and Debian's schema does not (SPEC_ONLY_REQUIRED).

const SPEC_ONLY_REQUIRED = [
  /^\/root$/, // config.md: root REQUIRED on Linux
  /^\/process\/args$/, // config.md: at least one args entry on Linux
  /^\/process\/user\/(uid|gid)$/, // config.md: POSIX user uid/gid REQUIRED
  /^\/linux\/devices\/\d+\/(major|minor)$/, // config-linux.md: REQUIRED unless type is p
  /^\/linux\/resources\/blockIO\/throttle\w+\/\d+\/rate$/, // config-linux.md: rate REQUIRED
  /^\/linux\/resources\/blockIO\/weightDevice\/2\/leafWeight$/, // the only weight of that entry
  /^\/linux\/resources\/blockIO\/weightDevice\/1\/weight$/, // idem
  /^\/linux\/resources\/rdma\/mlx4_0\/hcaObjects$/, // the only limit of that entry
  /^\/linux\/personality\/domain$/, // config-linux.md: domain REQUIRED
];

function* leaves(node, path = '') {
  yield [path, node];
  if (Array.isArray(node)) for (let i = 0; i < node.length; i++) yield* leaves(node[i], `${path}/${i}`);
  else if (node && typeof node === 'object') for (const k of Object.keys(node)) yield* leaves(node[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
}

function setAt(doc, path, fn) {
  const parts = path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let o = doc;
  for (const p of parts.slice(0, -1)) o = o[p];
  fn(o, parts[parts.length - 1]);
}

/** a value of another JSON type than v (never one the schema could also accept) */
function swapType(v) {
  if (typeof v === 'string') return 12345;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (Array.isArray(v)) return { not: 'an array' };
  if (v && typeof v === 'object') return ['not', 'an', 'object'];
  return 'null';
}

test('systematic mutations of client configs and FULL: same verdict as upstream', (t) => {
  const bases = [['FULL', FULL]];
  for (const f of fixtureFiles) if (fixtureKind(f) === 'config') bases.push([f, readJSON(join(FIXTURES, f))]);
  let n = 0;
  for (const [name, base] of bases) {
    const seenShape = new Set();
    for (const [path, value] of leaves(base)) {
      if (path === '') continue;
      // maps whose keys are data, not schema properties: their values are strings, test one key only
      const shape = path.replace(/\/\d+(?=\/|$)/g, '/*').replace(/^(\/(annotations|linux\/sysctl|linux\/resources\/unified))\/.*$/, '$1/*');
      if (seenShape.has(shape)) continue;
      seenShape.add(shape);
      // 1. type swap: everything we know is typed, and so is everything upstream knows
      sameVerdict('config', mutate(base, (d) => setAt(d, path, (o, k) => { o[k] = swapType(value); })), false, `${name}: ${path} type-swapped`);
      n++;
      // 2. removal of an object property
      let parentValue;
      setAt(base, path, (o) => { parentValue = o; });
      if (parentValue && !Array.isArray(parentValue)) {
        const doc = mutate(base, (d) => setAt(d, path, (o, k) => { delete o[k]; }));
        const expectUpstream = upstreamAvailable ? upstreamVerdict(doc) : ours('config', doc);
        if (SPEC_ONLY_REQUIRED.some((re) => re.test(path))) {
          specVerdict('config', doc, false, true, `${name}: ${path} removed (spec requires it)`);
        } else {
          sameVerdict('config', doc, expectUpstream, `${name}: ${path} removed`);
        }
        n++;
      }
    }
  }
  t.diagnostic(`${n} mutated documents`);
  assert.ok(n > 200, `only ${n} mutations`);
});

// ---------------------------------------------------------------------------------------------
// state and features

test('state documents: ours against upstream state-schema.json', () => {
  const runcState = {
    ociVersion: '1.0.2-dev',
    id: 'c1',
    pid: 4242,
    status: 'created',
    bundle: '/run/bundles/c1',
    rootfs: '/run/bundles/c1/rootfs',
    created: '2024-01-01T12:00:00.123456789Z',
    owner: '',
    annotations: { 'org.example': 'x' },
  };
  for (const status of ['creating', 'created', 'running', 'stopped']) sameVerdict('state', { ...runcState, status }, true, `state ${status}`);
  sameVerdict('state', { ociVersion: '1.0.2', id: 'c', status: 'stopped', bundle: '/b' }, true, 'stopped without pid');
  sameVerdict('state', { ociVersion: '1.0.2', id: 'c', status: 'creating', bundle: '/b' }, true, 'creating without pid');
  sameVerdict('state', { ...runcState, status: 'stopped', pid: 0 }, true, 'stopped with pid 0 (runc prints it)');
  const brokenState = {
    'no id': mutate(runcState, (d) => { delete d.id; }),
    'no status': mutate(runcState, (d) => { delete d.status; }),
    'no bundle': mutate(runcState, (d) => { delete d.bundle; }),
    'no ociVersion': mutate(runcState, (d) => { delete d.ociVersion; }),
    'status "exited"': { ...runcState, status: 'exited' },
    'status upper case': { ...runcState, status: 'RUNNING' },
    'pid negative': { ...runcState, pid: -1 },
    'pid a string': { ...runcState, pid: '4242' },
    'bundle a number': { ...runcState, bundle: 1 },
    'annotations value a number': { ...runcState, annotations: { a: 1 } },
    'not an object': ['c1'],
  };
  for (const [label, doc] of Object.entries(brokenState)) sameVerdict('state', doc, false, `state: ${label}`);
  // runc's "paused" status is not in runtime.md; runc prints it, so we accept it and upstream does not
  specVerdict('state', { ...runcState, status: 'paused' }, true, false, 'state paused (runc)');
  // runtime.md: "pid (int, REQUIRED when status is created or running on Linux)"
  specVerdict('state', mutate(runcState, (d) => { delete d.pid; }), false, true, 'created without pid');
  specVerdict('state', mutate(runcState, (d) => { delete d.pid; d.status = 'running'; }), false, true, 'running without pid');
  // runtime.md: "bundle (string, REQUIRED) is the absolute path to the container's bundle directory"
  specVerdict('state', { ...runcState, bundle: 'bundles/c1' }, false, true, 'relative bundle');
  specVerdict('state', { ...runcState, ociVersion: 'latest' }, false, true, 'ociVersion not SemVer');
  specVerdict('state', { ...runcState, id: '' }, false, true, 'empty id');
});

test('features documents (no upstream schema in Debian: ours only)', () => {
  const features = {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['bind', 'rbind', 'ro', 'rw', 'nosuid', 'nodev', 'noexec', 'idmap'],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts', 'time'],
      capabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_CHECKPOINT_RESTORE'],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_MASKED_EQ'],
        archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        knownFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_LOG'],
        supportedFlags: ['SECCOMP_FILTER_FLAG_TSYNC'],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
      memoryPolicy: { modes: ['MPOL_DEFAULT', 'MPOL_BIND'], flags: ['MPOL_F_STATIC_NODES'] },
      netDevices: { enabled: true },
    },
    annotations: { 'org.opencontainers.runc.version': '1.1.5', 'io.github.seccomp.libseccomp.version': '2.5.4' },
    potentiallyUnsafeConfigAnnotations: ['org.systemd.property.', 'org.criu.config'],
  };
  assert.ok(ours('features', features));
  assert.ok(ours('features', { ociVersionMin: '1.0.0', ociVersionMax: '1.0.2' }), 'minimal');
  // features.md: every property but ociVersionMin/Max may be absent or null
  assert.ok(ours('features', { ociVersionMin: '1.0.0', ociVersionMax: '1.2.0', hooks: null, mountOptions: null, annotations: null, linux: null }), 'top-level nulls');
  assert.ok(ours('features', mutate(features, (d) => { d.linux.seccomp = { enabled: null, actions: null }; d.linux.cgroup.v1 = null; d.linux.mountExtensions.idmap = null; })), 'nested nulls');
  const broken = {
    'missing ociVersionMax': mutate(features, (d) => { delete d.ociVersionMax; }),
    'missing ociVersionMin': mutate(features, (d) => { delete d.ociVersionMin; }),
    'ociVersionMax null': mutate(features, (d) => { d.ociVersionMax = null; }),
    'ociVersionMin not SemVer': mutate(features, (d) => { d.ociVersionMin = '1'; }),
    'hooks a string': mutate(features, (d) => { d.hooks = 'prestart'; }),
    'namespace unknown': mutate(features, (d) => { d.linux.namespaces.push('net'); }),
    'capability lower case': mutate(features, (d) => { d.linux.capabilities.push('cap_chown'); }),
    'cgroup.v2 a string': mutate(features, (d) => { d.linux.cgroup.v2 = 'yes'; }),
    'seccomp action unknown': mutate(features, (d) => { d.linux.seccomp.actions.push('SCMP_ACT_NOPE'); }),
    'seccomp operator unknown': mutate(features, (d) => { d.linux.seccomp.operators.push('EQ'); }),
    'seccomp arch unknown': mutate(features, (d) => { d.linux.seccomp.archs.push('amd64'); }),
    'seccomp flag unknown': mutate(features, (d) => { d.linux.seccomp.knownFlags.push('TSYNC'); }),
    'apparmor.enabled a number': mutate(features, (d) => { d.linux.apparmor.enabled = 1; }),
    'annotations value a number': mutate(features, (d) => { d.annotations.x = 1; }),
    'potentiallyUnsafeConfigAnnotations a string': mutate(features, (d) => { d.potentiallyUnsafeConfigAnnotations = 'org.'; }),
  };
  for (const [label, doc] of Object.entries(broken)) assert.equal(ours('features', doc), false, `features: ${label}`);
  oursOnly += 4 + Object.keys(broken).length;
});

// ---------------------------------------------------------------------------------------------
// The typed wrapper: messages name the JSON path and the expectation

test('validate() throws SchemaError naming the JSON path and what was expected', () => {
  const cases = [
    ['config', mutate(FULL, (d) => { d.process.args = 'sh'; }), '/process/args', 'config.json: /process/args: must be array'],
    ['config', mutate(FULL, (d) => { delete d.process.cwd; }), '/process', 'config.json: /process: missing required property "cwd"'],
    ['config', mutate(FULL, (d) => { d.linux.namespaces[0].type = 'net'; }), '/linux/namespaces/0/type', 'config.json: /linux/namespaces/0/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time'],
    ['config', mutate(FULL, (d) => { delete d.ociVersion; }), '/', 'config.json: /: missing required property "ociVersion"'],
    ['config', mutate(FULL, (d) => { d.ociVersion = '1.0'; }), '/ociVersion', 'config.json: /ociVersion: must be a SemVer 2.0.0 version (like 1.2.0)'],
    ['config', mutate(FULL, (d) => { d.hooks.prestart[0].path = 'x'; }), '/hooks/prestart/0/path', 'config.json: /hooks/prestart/0/path: must be an absolute path (pattern "^/")'],
    ['config', mutate(FULL, (d) => { d.process.user.uid = -1; }), '/process/user/uid', 'config.json: /process/user/uid: must be >= 0'],
    ['config', mutate(FULL, (d) => { d.process.rlimits[0].type = 'NOFILE'; }), '/process/rlimits/0/type', 'config.json: /process/rlimits/0/type: must be an RLIMIT_* name (pattern "^RLIMIT_[A-Z]+$")'],
    ['config', mutate(FULL, (d) => { d.linux.seccomp.syscalls[0].action = 'ALLOW'; }), '/linux/seccomp/syscalls/0/action', null],
    ['config', mutate(FULL, (d) => { d.linux.resources.blockIO.weightDevice.push({ major: 1, minor: 1 }); }), '/linux/resources/blockIO/weightDevice/3', 'config.json: /linux/resources/blockIO/weightDevice/3: missing required property "weight" or "leafWeight"'],
    ['config', mutate(FULL, (d) => { d.linux.devices.push({ type: 'c', path: '/dev/z' }); }), '/linux/devices/4', 'config.json: /linux/devices/4: missing required property "major"'],
    ['config', mutate(FULL, (d) => { d.annotations[''] = 'x'; }), '/annotations', 'config.json: /annotations: property name "" is invalid: must have at least 1 character'],
    ['config', mutate(FULL, (d) => { d.process.args = []; }), '/process/args', 'config.json: /process/args: must have at least 1 item'],
    ['config', [], '/', 'config.json: /: must be object'],
    ['process', mutate(PROCESS, (p) => { p.env = ['PATH']; }), '/env/0', 'process.json: /env/0: must be KEY=value (pattern "^[^=]+=")'],
    ['resources', { memory: { limit: '1g' } }, '/memory/limit', 'resources: /memory/limit: must be integer'],
    ['state', { ociVersion: '1.0.2', id: 'x', status: 'gone', bundle: '/b' }, '/status', 'state.json: /status: must be one of creating, created, running, stopped, paused'],
    ['state', { ociVersion: '1.0.2', id: 'x', status: 'running', bundle: '/b' }, '/', 'state.json: /: missing required property "pid"'],
    ['features', { ociVersionMin: '1.0.0', ociVersionMax: '1.1.0', hooks: 1 }, '/hooks', 'features.json: /hooks: must be array or null'],
  ];
  const whatOf = { config: 'config.json', process: 'process.json', resources: 'resources', state: 'state.json', features: 'features.json' };
  for (const [name, doc, path, message] of cases) {
    assert.throws(
      () => validate(name, doc, whatOf[name]),
      (e) => {
        assert.ok(e instanceof SchemaError, `${name}: not a SchemaError: ${e}`);
        assert.ok(e instanceof Error);
        assert.equal(e.name, 'SchemaError');
        assert.equal(e.path, path, e.message);
        if (message) assert.equal(e.message, message);
        else assert.match(e.message, /^config\.json: \/linux\/seccomp\/syscalls\/0\/action: must be one of SCMP_ACT_KILL, .*SCMP_ACT_ALLOW/);
        return true;
      },
    );
  }
  // valid documents do not throw
  validate('config', FULL, 'config.json');
  validate('config', NEWER_FIELDS, 'config.json');
});

// ---------------------------------------------------------------------------------------------
// Build properties

test('compile.mjs builds well under a second and the generated module is up to date', async () => {
  const { buildValidatorsSource } = await import('../schemas/compile.mjs');
  const t0 = performance.now();
  const source = buildValidatorsSource();
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `compile took ${ms.toFixed(0)} ms`);
  assert.equal(source, readFileSync(GENERATED_JS, 'utf8'), 'schemas/generated/validators.js is stale: run node schemas/compile.mjs');
  for (const name of ['config', 'process', 'state', 'features', 'resources']) assert.equal(typeof validators[name], 'function', name);
});

test('the runtime wrapper never loads the ajv compiler', () => {
  const script = `
    const { validate } = require(${JSON.stringify(VALIDATE_JS)});
    validate('config', { ociVersion: '1.0.2', root: { path: 'r' }, annotations: { a: 'b' } }, 'config.json');
    try { validate('config', {}, 'config.json'); } catch {}
    const loaded = Object.keys(require.cache).filter((k) => k.includes('/node_modules/'));
    process.stdout.write(JSON.stringify(loaded));`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  const loaded = JSON.parse(out);
  assert.ok(!loaded.some((k) => /ajv\/dist\/(ajv|core|compile)/.test(k)), `ajv compiler loaded: ${loaded.join(', ')}`);
  assert.ok(loaded.every((k) => k.includes('/ajv/dist/runtime/')), `unexpected modules: ${loaded.join(', ')}`);
});

test('summary', (t) => {
  t.diagnostic(`${compared} documents with the same verdict as upstream; ${oursOnly} documents where only the spec decides`);
  assert.ok(compared >= 300, `compared only ${compared}`);
});
