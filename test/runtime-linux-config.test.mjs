// The Linux fields of config.json beyond the basics: sysctls and their namespaces, fields this
// host cannot serve, personality, time offsets, scheduling, devices, and the docker profile's
// seccomp and capabilities as seen from inside.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setupRuntime } from '../conformance/lib/runtime.mjs';
import { CLIENT_CONFIGS } from './lib/fixtures.mjs';
import { assertFails, assertNoSideEffects, assertOk } from '../conformance/lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'lcfg' });
const FIXTURES = CLIENT_CONFIGS;

function run(args, overrides = {}) {
  const bundle = rt.bundle({ args: ['sh', '-c', args], ...overrides });
  const r = rt.runBundle(bundle);
  assertOk(r, args);
  return r.stdout.trim();
}

async function refused(overrides, message) {
  const bundle = rt.bundle({ args: ['true'], ...overrides });
  const r = rt.create(bundle);
  assertFails(r, message);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
}

test('sysctl: namespaced keys are applied inside the container', () => {
  const out = run('cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni', {
    linux: { sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shmmni': '1234' } },
  });
  assert.deepEqual(out.split('\n'), ['0', '1234']);
});

test('sysctl: keys outside the container namespaces are refused, nothing left behind', async () => {
  await refused({ linux: { sysctl: { 'vm.swappiness': '10' } } }, /linux.sysctl\["vm.swappiness"\]: not a namespaced sysctl/);
  await refused(
    { edit: (c) => void ((c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network')), (c.linux.sysctl = { 'net.ipv4.ip_forward': '1' })) },
    /linux.sysctl\["net.ipv4.ip_forward"\]: needs a "network" namespace/,
  );
});

test('fields this host cannot serve are refused with the field named', async () => {
  await refused({ linux: { intelRdt: { closID: 'x' } } }, /linux.intelRdt: Intel RDT/);
  await refused({ linux: { memoryPolicy: { mode: 'MPOL_BIND', nodes: '0' } } }, /linux.memoryPolicy/);
  await refused({ process: { apparmorProfile: 'docker-default' } }, /process.apparmorProfile: AppArmor is not available/);
  await refused({ process: { selinuxLabel: 'system_u:system_r:container_t:s0' } }, /process.selinuxLabel: SELinux is not available/);
  await refused({ linux: { personality: { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] } } }, /linux.personality.flags/);
  await refused({ process: { execCPUAffinity: { final: '0-x' } } }, /process.execCPUAffinity.final: "0-x" is not a CPU list/);
  await refused({ linux: { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } }, /only with a "user" namespace/);
});

test('personality LINUX32: the program sees a 32-bit machine', () => {
  assert.equal(run('uname -m', { linux: { personality: { domain: 'LINUX32' } } }), 'i686');
});

test('timeOffsets in a new time namespace shift the boottime clock the program sees', () => {
  const host = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const out = run('cut -d" " -f1 /proc/uptime', {
    edit: (c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 100000, nanosecs: 0 } };
    },
  });
  const seen = Number(out);
  assert.ok(seen - host > 99990 && seen - host < 100060, `uptime ${seen} vs host ${host}`);
});

test('scheduler and ioPriority are applied before the program runs', () => {
  const out = run('cut -d" " -f19,41 /proc/self/stat; ionice -p $$', {
    process: { scheduler: { policy: 'SCHED_BATCH', nice: 7 }, ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 6 } },
  });
  const [niceAndPolicy, ionice] = out.split('\n');
  assert.equal(niceAndPolicy, '7 3', 'nice 7, policy SCHED_BATCH (3)');
  assert.match(ionice, /best-effort: prio 6/);
});

test('execCPUAffinity: not for the init; for exec, final after joining the cgroup', () => {
  const bundle = rt.bundle({ args: ['sleep', '30'], process: { execCPUAffinity: { initial: '0' } } });
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c);
  const all = fs.readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s+(\S+)/)[1];
  const { pid } = rt.state(c.id);
  assert.equal(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/Cpus_allowed_list:\s+(\S+)/)[1], all, 'the init is not pinned');
  const file = path.join(rt.ioDir, `affinity-${c.id}.json`);
  fs.writeFileSync(file, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['grep', 'Cpus_allowed_list', '/proc/self/status'], env: ['PATH=/bin'], cwd: '/', execCPUAffinity: { initial: '0', final: '0' } }));
  const e = rt.run(['exec', '--process', file, c.id]);
  assertOk(e);
  assert.match(e.stdout, /Cpus_allowed_list:\s+0\n/);
});

test('linux.devices: created with type, numbers, mode and owner; a colliding one is refused', async () => {
  const out = run('ls -ln /dev/mine | cut -c1-10; stat -c "%u %g %t %T" /dev/mine', {
    linux: { devices: [{ path: '/dev/mine', type: 'c', major: 1, minor: 5, fileMode: 0o640, uid: 1000, gid: 5 }] },
  });
  assert.deepEqual(out.split('\n'), ['crw-r-----', '1000 5 1 5']);
  await refused(
    { linux: { devices: [{ path: '/dev/twice', type: 'c', major: 1, minor: 3 }, { path: '/dev/twice', type: 'b', major: 7, minor: 0 }] } },
    /linux.devices\[1\]: \/dev\/twice already exists in the rootfs and is not the requested device/,
  );
});

test("docker's config: its capabilities, seccomp and masked paths as the container sees them", () => {
  const docker = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'docker-run-config.json'), 'utf8'));
  const out = run('grep -E "^(CapBnd|CapEff|Seccomp):" /proc/self/status; unshare -m true 2>&1; mount -t tmpfs t /mnt 2>&1; echo end', {
    edit: (c) => {
      c.process.capabilities = docker.process.capabilities;
      c.linux.seccomp = docker.linux.seccomp;
      c.linux.maskedPaths = docker.linux.maskedPaths;
      c.linux.readonlyPaths = docker.linux.readonlyPaths;
    },
  });
  const lines = out.split('\n');
  assert.ok(lines.includes('CapBnd:\t00000000a80425fb'), out);
  assert.ok(lines.includes('CapEff:\t00000000a80425fb'), out);
  assert.ok(lines.includes('Seccomp:\t2'), out);
  assert.ok(lines.some((l) => /unshare.*Operation not permitted/.test(l)), out);
  assert.ok(lines.some((l) => /mount.*(permission denied|Operation not permitted)/i.test(l)), out);
  assert.equal(lines.at(-1), 'end');
});
