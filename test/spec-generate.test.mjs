// buildSpec (manager/spec/generate.ts): docker's defaults (checked against the config.json docker
// 20.10 itself generated on this machine kind), --privileged, capabilities, read-only rootfs,
// resources, network modes, mounts, env, and the seccomp profile resolved per capabilities,
// architecture and kernel. Every generated config passes the runtime's schema, and every
// generated seccomp profile compiles with libseccomp.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { load } from './lib/dist.mjs';
import { CLIENT_CONFIGS } from './lib/fixtures.mjs';
import { assertUsageError } from './lib/spec-assert.mjs';

const { buildSpec } = load('manager/spec/generate');
const { writeBundle } = load('manager/spec/bundle');
const { DEFAULT_CAPABILITIES, hostCapabilities } = load('manager/spec/capabilities');
const { defaultSeccompProfile } = load('manager/spec/seccomp-default');
const { resolveSeccompProfile } = load('manager/spec/seccomp');
const { validate } = load('schemas/validate');
const { compileSeccomp } = load('runtime/linux/seccomp');
const { CAPABILITY_NAMES } = load('runtime/linux/capabilities');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-generate-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const HOST = {
  capabilities: [...CAPABILITY_NAMES],
  devices: [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }],
  arch: 'amd64',
  kernel: '6.1.0',
  swapLimit: true,
};

function image(config = {}) {
  return { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Cmd: ['sh'], ...config } };
}

/** buildSpec, checked against the runtime's config schema. */
function spec(run = {}, imageConfig = {}) {
  const s = buildSpec(image(imageConfig), { rootfs: '/var/lib/x/rootfs', cgroupns: 'host', host: HOST, ...run });
  validate('config', s, 'generated config.json');
  return s;
}

const allowed = (seccomp) => new Set(seccomp.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
const rulesFor = (seccomp, name) => seccomp.syscalls.filter((r) => r.names.includes(name));

describe('docker defaults', () => {
  const docker = JSON.parse(fs.readFileSync(path.join(CLIENT_CONFIGS, 'docker-run-config.json'), 'utf8'));
  const file = (name) => docker.mounts.find((m) => m.destination === `/etc/${name}`).source;
  const s = spec(
    {
      hostname: docker.hostname,
      files: { resolvConf: file('resolv.conf'), hostname: file('hostname'), hosts: file('hosts') },
      command: docker.process.args,
      cgroupsPath: docker.linux.cgroupsPath,
      host: { ...HOST, capabilities: hostCapabilities() },
    },
    { Cmd: null },
  );

  test('mounts, namespaces, sysctls, device rules, cgroups path and hostname are what docker 20.10 wrote', () => {
    assert.deepEqual(s.mounts, docker.mounts);
    assert.deepEqual(s.linux.namespaces, docker.linux.namespaces);
    assert.deepEqual(s.linux.sysctl, docker.linux.sysctl);
    assert.deepEqual(s.linux.resources.devices, docker.linux.resources.devices);
    assert.equal(s.linux.cgroupsPath, docker.linux.cgroupsPath);
    assert.equal(s.hostname, docker.hostname);
  });
  test('the process: args, env, user, cwd, capabilities, oom score, no rlimits, no no-new-privileges', () => {
    assert.deepEqual(s.process.args, docker.process.args);
    assert.deepEqual(s.process.env, [...docker.process.env, 'HOME=/']);
    assert.deepEqual(s.process.user, docker.process.user);
    assert.equal(s.process.cwd, docker.process.cwd);
    assert.deepEqual(s.process.capabilities, docker.process.capabilities);
    assert.deepEqual(DEFAULT_CAPABILITIES, docker.process.capabilities.bounding);
    assert.equal(s.process.oomScoreAdj, 0);
    assert.equal(s.process.rlimits, undefined);
    assert.equal(s.process.noNewPrivileges, undefined);
    assert.equal(s.process.terminal, false);
  });
  test('masked and read-only paths: docker\'s, plus the powercap directory newer docker masks', () => {
    assert.deepEqual(s.linux.maskedPaths, [...docker.linux.maskedPaths, '/sys/devices/virtual/powercap']);
    assert.deepEqual(s.linux.readonlyPaths, docker.linux.readonlyPaths);
  });
  test('seccomp: docker 20.10\'s profile, plus what docker added since', () => {
    const ours = s.linux.seccomp;
    const theirs = docker.linux.seccomp;
    assert.equal(ours.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(ours.defaultErrnoRet, 1); // EPERM, what runc gives an ERRNO action without errnoRet
    assert.deepEqual(ours.architectures, theirs.architectures);
    const added = [...allowed(ours)].filter((n) => !allowed(theirs).has(n)).sort();
    const removed = [...allowed(theirs)].filter((n) => !allowed(ours).has(n)).sort();
    assert.deepEqual(added, ['name_to_handle_at', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'process_vm_readv', 'process_vm_writev']);
    // socket: allowed for every family but AF_VSOCK
    assert.deepEqual(removed, ['socket']);
    assert.deepEqual(rulesFor(ours, 'socket'), [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }]);
    // the argument-conditioned and errno rules are docker's
    const conditioned = (p) => p.syscalls.filter((r) => r.args || r.action !== 'SCMP_ACT_ALLOW').filter((r) => r.names[0] !== 'socket');
    assert.deepEqual(conditioned(ours), conditioned(theirs));
  });
  test('the seccomp profile compiles', () => {
    assert.ok(compileSeccomp(s.linux.seccomp).program.length > 0);
  });
});

describe('the default seccomp profile, per capability, architecture and kernel', () => {
  const resolve = (capabilities, ctx = {}) => resolveSeccompProfile(defaultSeccompProfile(), { capabilities, arch: 'amd64', kernel: '6.1.0', ...ctx });
  const DANGEROUS = ['unshare', 'mount', 'umount2', 'setns', 'keyctl', 'add_key', 'request_key', 'bpf', 'kexec_load', 'init_module', 'reboot', 'swapon', 'ptrace', 'userfaultfd', 'clock_settime', 'open_by_handle_at', 'perf_event_open'];
  test('default capabilities: namespace, mount, keyring, module, ... calls are not allowed', () => {
    const s = resolve(DEFAULT_CAPABILITIES);
    for (const name of DANGEROUS.filter((n) => n !== 'ptrace')) assert.deepEqual(rulesFor(s, name), [], name);
    // ptrace and process_vm_* are allowed on kernels >= 4.8 (seccomp can no longer be bypassed through them)
    assert.ok(allowed(s).has('ptrace'));
    // clone only without namespace flags, clone3 fails with ENOSYS so that libc falls back to clone
    assert.deepEqual(rulesFor(s, 'clone'), [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    assert.deepEqual(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    for (const everyday of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'epoll_wait', 'chroot', 'arch_prctl', 'modify_ldt']) {
      assert.ok(allowed(s).has(everyday), everyday);
    }
  });
  test('CAP_SYS_ADMIN opens mount, unshare, setns and plain clone/clone3', () => {
    const s = resolve([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'sethostname', 'bpf']) assert.ok(allowed(s).has(name), name);
    assert.equal(s.syscalls.filter((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO').length, 0);
    for (const name of ['keyctl', 'add_key', 'kexec_load', 'reboot']) assert.deepEqual(rulesFor(s, name), [], name);
  });
  test('each capability-guarded group follows its capability', () => {
    const cases = {
      CAP_SYS_BOOT: 'reboot',
      CAP_SYS_MODULE: 'finit_module',
      CAP_SYS_PACCT: 'acct',
      CAP_SYS_PTRACE: 'kcmp',
      CAP_SYS_RAWIO: 'iopl',
      CAP_SYS_TIME: 'clock_settime',
      CAP_SYS_TTY_CONFIG: 'vhangup',
      CAP_SYS_NICE: 'mbind',
      CAP_SYSLOG: 'syslog',
      CAP_BPF: 'bpf',
      CAP_PERFMON: 'perf_event_open',
      CAP_DAC_READ_SEARCH: 'open_by_handle_at',
    };
    for (const [cap, name] of Object.entries(cases)) {
      assert.ok(!allowed(resolve(DEFAULT_CAPABILITIES)).has(name), `${name} without ${cap}`);
      assert.ok(allowed(resolve([...DEFAULT_CAPABILITIES, cap])).has(name), `${name} with ${cap}`);
    }
    assert.ok(!allowed(resolve(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'))).has('chroot'), 'chroot needs CAP_SYS_CHROOT');
  });
  test('architecture: arm64 gets its own calls and the ARM compat architecture', () => {
    const s = resolve(DEFAULT_CAPABILITIES, { arch: 'arm64' });
    assert.deepEqual(s.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.ok(allowed(s).has('set_tls'));
    assert.ok(!allowed(s).has('arch_prctl'));
    const s390 = resolve(DEFAULT_CAPABILITIES, { arch: 's390x' });
    assert.deepEqual(rulesFor(s390, 'clone')[0].args, [{ index: 1, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }]);
  });
  test('kernel: before 4.8 no ptrace and process_vm_*', () => {
    const old = resolve(DEFAULT_CAPABILITIES, { kernel: '4.4.0-210-generic' });
    for (const name of ['ptrace', 'process_vm_readv', 'process_vm_writev']) assert.ok(!allowed(old).has(name), name);
  });
  test('resolved for this machine (arch and kernel by default), it compiles', () => {
    const s = resolveSeccompProfile(defaultSeccompProfile(), { capabilities: DEFAULT_CAPABILITIES });
    assert.ok(compileSeccomp(s).program.length > 0);
    validate('config', { ociVersion: '1.2.0', root: { path: 'rootfs' }, linux: { seccomp: s } }, 'config');
  });
});

describe('run options', () => {
  test('--privileged: every capability, no seccomp, no masked or read-only paths, /sys and cgroups writable, host devices', () => {
    const s = spec({ privileged: true });
    assert.deepEqual(s.process.capabilities.bounding, HOST.capabilities);
    assert.deepEqual(s.process.capabilities.effective, HOST.capabilities);
    assert.equal(s.linux.seccomp, undefined);
    assert.equal(s.linux.maskedPaths, undefined);
    assert.equal(s.linux.readonlyPaths, undefined);
    assert.ok(!s.mounts.find((m) => m.destination === '/sys').options.includes('ro'));
    assert.ok(!s.mounts.find((m) => m.destination === '/sys/fs/cgroup').options.includes('ro'));
    assert.deepEqual(s.linux.devices, HOST.devices);
    assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  });
  test('--privileged with an explicit profile keeps the profile; without host facts it reads /proc and /dev', () => {
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    assert.deepEqual(spec({ privileged: true, seccomp: profile }).linux.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    const s = spec({ privileged: true, host: undefined });
    assert.deepEqual(s.process.capabilities.bounding, hostCapabilities());
    assert.ok(s.linux.devices.some((d) => d.path === '/dev/null' && d.type === 'c' && d.major === 1 && d.minor === 3), 'host /dev/null');
    assert.ok(!s.linux.devices.some((d) => d.path.startsWith('/dev/pts/') || d.path === '/dev/console'));
  });
  test('--cap-add / --cap-drop, with ALL', () => {
    const caps = (capAdd, capDrop) => spec({ capAdd, capDrop }).process.capabilities.bounding;
    assert.deepEqual(caps(['net_admin'], ['CHOWN', 'cap_kill']), [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_KILL'), 'CAP_NET_ADMIN']);
    assert.deepEqual(caps(['KILL'], ['ALL']), ['CAP_KILL']);
    assert.deepEqual(caps([], ['all']), []);
    assert.deepEqual(caps(['ALL'], ['SYS_ADMIN']), HOST.capabilities.filter((c) => c !== 'CAP_SYS_ADMIN'));
    assert.deepEqual(caps(['CHOWN'], []), DEFAULT_CAPABILITIES); // no duplicates
    assertUsageError(() => spec({ capAdd: ['CAP_FLY'] }), '"--cap-add"', 'CAP_FLY');
    // the seccomp profile follows the capabilities
    assert.ok(allowed(spec({ capAdd: ['SYS_ADMIN'] }).linux.seccomp).has('mount'));
    assert.ok(!allowed(spec({ capDrop: ['SYS_CHROOT'] }).linux.seccomp).has('chroot'));
  });
  test('--security-opt seccomp=unconfined and no-new-privileges', () => {
    assert.equal(spec({ seccomp: 'unconfined' }).linux.seccomp, undefined);
    assert.equal(spec({ noNewPrivileges: true }).process.noNewPrivileges, true);
  });
  test('a docker-format profile file is resolved like the default one', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [
        { name: 'read', action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['kill'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_KILL'] } },
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '9.0' } },
        { names: ['uname'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
        { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, comment: 'x' },
      ],
    };
    assert.deepEqual(spec({ seccomp: profile }).linux.seccomp, {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      ],
    });
  });
  test('--read-only: the root and the network files are read-only', () => {
    const s = spec({ readOnly: true, files: { hosts: '/run/x/hosts' } });
    assert.equal(s.root.readonly, true);
    assert.deepEqual(s.mounts.find((m) => m.destination === '/etc/hosts').options, ['rbind', 'ro', 'rprivate']);
    assert.equal(spec({}).root.readonly, undefined);
  });
  test('resources: memory (swap twice the memory by default, -1 unlimited), cpus, shares, cpuset, pids', () => {
    const r = (resources) => spec({ resources }).linux.resources;
    assert.deepEqual(r({ memory: 64 * MiB }).memory, { limit: 64 * MiB, swap: 128 * MiB });
    assert.deepEqual(r({ memory: 64 * MiB, memorySwap: -1 }).memory, { limit: 64 * MiB, swap: -1 });
    assert.deepEqual(r({ memory: 64 * MiB, memorySwap: 100 * MiB }).memory, { limit: 64 * MiB, swap: 100 * MiB });
    assert.deepEqual(r({ cpus: { quota: 150000, period: 100000 } }).cpu, { quota: 150000, period: 100000 });
    assert.equal(r({ cpus: { quota: -1, period: 100000 } }).cpu, undefined);
    assert.deepEqual(r({ cpuShares: 512, cpusetCpus: '0-1' }).cpu, { shares: 512, cpus: '0-1' });
    assert.equal(r({ cpuShares: 1 }).cpu.shares, 2);
    assert.equal(r({ cpuShares: 10 ** 6 }).cpu.shares, 262144);
    assert.deepEqual(r({ pidsLimit: 64 }).pids, { limit: 64 });
    assert.equal(r({ pidsLimit: 0 }).pids, undefined);
    assert.deepEqual(Object.keys(r({})), ['devices']);
    // a host without swap accounting: memory only, as docker does
    assert.deepEqual(spec({ resources: { memory: 64 * MiB }, host: { ...HOST, swapLimit: false } }).linux.resources.memory, { limit: 64 * MiB });
  });
  test('resources docker refuses', () => {
    assertUsageError(() => spec({ resources: { memorySwap: 128 * MiB } }), '--memory-swap', 'set the memory limit');
    assertUsageError(() => spec({ resources: { memory: 64 * MiB, memorySwap: 32 * MiB } }), '--memory-swap', 'larger than the memory limit');
    assertUsageError(() => spec({ resources: { memory: 1 * MiB } }), '--memory', 'minimum memory limit allowed is 6MB');
  });
  test('network: bridge and none get a network namespace (or the given one) and the sysctls; host neither', () => {
    const ns = (network) => spec({ network }).linux.namespaces.map((n) => (n.path ? `${n.type}=${n.path}` : n.type));
    assert.deepEqual(ns({ mode: 'bridge' }), ['mount', 'network', 'uts', 'pid', 'ipc']);
    assert.deepEqual(ns({ mode: 'none', netnsPath: '/run/netns/x' }), ['mount', 'network=/run/netns/x', 'uts', 'pid', 'ipc']);
    assert.deepEqual(ns({ mode: 'host' }), ['mount', 'uts', 'pid', 'ipc']);
    const host = spec({ network: { mode: 'host' } });
    assert.equal(host.linux.sysctl, undefined);
    assert.equal(host.hostname, os.hostname());
    assert.ok(host.process.env.includes(`HOSTNAME=${os.hostname()}`));
    assert.deepEqual(spec({ network: { mode: 'host' }, sysctls: { 'kernel.msgmax': '1' } }).linux.sysctl, { 'kernel.msgmax': '1' });
    assert.equal(spec({ sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024' } }).linux.sysctl['net.ipv4.ip_unprivileged_port_start'], '1024');
  });
  test('cgroup namespace: private on request (and by default on a cgroup v2 host), not on v1', () => {
    assert.ok(spec({ cgroupns: 'private' }).linux.namespaces.some((n) => n.type === 'cgroup'));
    assert.ok(!spec({ cgroupns: 'host' }).linux.namespaces.some((n) => n.type === 'cgroup'));
    const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
    const s = buildSpec(image(), { rootfs: 'rootfs', host: HOST });
    assert.equal(s.linux.namespaces.some((n) => n.type === 'cgroup'), v2);
  });
  test('mounts: binds, volumes and tmpfs after the defaults, shallowest first; a mount over a default replaces it', () => {
    const s = spec({
      mounts: [
        { kind: 'bind', source: '/srv/a', target: '/data/deep/er', readonly: true },
        { kind: 'bind', source: '/srv/b', target: '/data', readonly: false, propagation: 'rslave' },
        { kind: 'tmpfs', target: '/run', options: ['exec', 'size=1m'] },
        { kind: 'bind', source: '/srv/shm', target: '/dev/shm', readonly: false },
        { kind: 'bind', source: '/srv/hosts', target: '/etc/hosts', readonly: true },
      ],
      files: { hosts: '/run/x/hosts', resolvConf: '/run/x/resolv.conf' },
    });
    const tail = s.mounts.slice(6);
    assert.deepEqual(s.mounts.slice(0, 6).map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue']);
    assert.deepEqual(tail, [
      { destination: '/data', type: 'bind', source: '/srv/b', options: ['rbind', 'rslave'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'exec', 'size=1m'] },
      { destination: '/dev/shm', type: 'bind', source: '/srv/shm', options: ['rbind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: '/srv/hosts', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: '/run/x/resolv.conf', options: ['rbind', 'rprivate'] },
      { destination: '/data/deep/er', type: 'bind', source: '/srv/a', options: ['rbind', 'ro', 'rprivate'] },
    ]);
    const dev = spec({ mounts: [{ kind: 'tmpfs', target: '/dev', options: [] }] });
    assert.deepEqual(dev.mounts.map((m) => m.destination), ['/proc', '/sys', '/sys/fs/cgroup', '/dev']);
    assert.ok(spec({ shmSize: 2 * MiB }).mounts.find((m) => m.destination === '/dev/shm').options.includes(`size=${2 * MiB}`));
  });
  test('env: docker\'s PATH, HOSTNAME and TERM, then the image\'s, then -e (a bare KEY unsets); HOME from the user', () => {
    const s = spec({ hostname: 'h1', tty: true, env: ['B=from-run', 'C', 'D=4'], user: { uid: 5, gid: 5, home: '/home/five' } }, { Env: ['PATH=/image/bin', 'B=from-image', 'C=3'] });
    assert.deepEqual(s.process.env, ['PATH=/image/bin', 'HOSTNAME=h1', 'TERM=xterm', 'B=from-run', 'D=4', 'HOME=/home/five']);
    assert.equal(s.process.terminal, true);
    assert.deepEqual(s.process.user, { uid: 5, gid: 5 });
    assert.ok(spec({ env: ['HOME=/elsewhere'] }).process.env.includes('HOME=/elsewhere'));
    assert.ok(!spec({}).process.env.some((e) => e.startsWith('HOSTNAME=')), 'no hostname, no HOSTNAME');
  });
  test('cwd: -w, else the image\'s WorkingDir, else /', () => {
    assert.equal(spec({ workdir: '/srv' }, { WorkingDir: '/app' }).process.cwd, '/srv');
    assert.equal(spec({}, { WorkingDir: '/app' }).process.cwd, '/app');
    assert.equal(spec({}, { WorkingDir: 'rel/dir' }).process.cwd, '/rel/dir');
    assert.equal(spec({}).process.cwd, '/');
  });
  test('user: the resolved ids with their groups', () => {
    assert.deepEqual(spec({ user: { uid: 1000, gid: 100, additionalGids: [100, 10] } }).process.user, { uid: 1000, gid: 100, additionalGids: [100, 10] });
  });
  test('command: no command is an error; annotations pass through', () => {
    assertUsageError(() => spec({}, { Cmd: null }), 'no command specified');
    assert.deepEqual(spec({ annotations: { 'org.example/a': 'b' } }).annotations, { 'org.example/a': 'b' });
    assert.equal(spec({ annotations: {} }).annotations, undefined);
  });
});

describe('writeBundle', () => {
  test('writes config.json through a temporary file, creating the directory, replacing an old one', () => {
    const dir = path.join(tmp, 'bundle', 'nested');
    const first = spec({ hostname: 'one' });
    const file = writeBundle(dir, first);
    assert.equal(file, path.join(dir, 'config.json'));
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), first);
    const inode = fs.statSync(file).ino;
    writeBundle(dir, spec({ hostname: 'two' }));
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).hostname, 'two');
    assert.notEqual(fs.statSync(file).ino, inode, 'replaced by rename, not rewritten in place');
    assert.deepEqual(fs.readdirSync(dir), ['config.json']);
  });
  test('a failed write leaves no temporary file behind', () => {
    const dir = path.join(tmp, 'bundle-fail');
    fs.mkdirSync(path.join(dir, 'config.json'), { recursive: true }); // a directory: rename onto it fails
    fs.writeFileSync(path.join(dir, 'config.json', 'x'), '');
    assert.throws(() => writeBundle(dir, spec({})));
    assert.deepEqual(fs.readdirSync(dir), ['config.json']);
  });
});
