// runtime-spec fields runc 1.1.5 predates or only partly has, and a few Linux details:
// config-linux.md#personality, #offset-for-time-namespace (timeOffsets with a time namespace),
// config.md#linux-process scheduler, ioPriority and execCPUAffinity, the cgroup mount
// (config.md#mounts type "cgroup"), /dev/console with a terminal (config-linux.md#default-devices),
// and idmapped mounts (config.md#posix-platform-mounts uidMappings/gidMappings, idmap/ridmap).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, runcDeviation } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount, hostDir } from './lib/checks.mjs';
import { needsPython, startPython, within, statusFields, scratchDir } from './lib/linux-extra.mjs';

const rt = setupRuntime({ idPrefix: 'misc' });

function run(script, overrides = {}, invoke = {}) {
  return rt.runBundle(rt.bundle({ ...overrides, args: ['sh', '-c', script] }), invoke);
}

function sh(script, overrides = {}) {
  const r = run(script, overrides);
  assertOk(r, `run of: ${script}`);
  return r.stdout;
}

async function expectRefused(overrides, what) {
  const bundle = rt.bundle({ args: ['true'], ...overrides });
  const r = rt.create(bundle);
  assertFails(r, undefined, what);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
}

const NOT_IN_RUNC = (clause, what) => runcDeviation(`${clause}: runc 1.1.5 does not implement ${what}`);
const ONLINE_CPUS = fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
const TWO_CPUS = /^0-[1-9]/.test(ONLINE_CPUS);

// ------------------------------------------------------------------------------------------------
// personality

test(
  'config-linux.md#personality: domain LINUX32 makes uname report a 32-bit machine (i686 on x86_64)',
  { ...NOT_IN_RUNC('config-linux.md#personality', 'linux.personality (ignored)'), ...(process.arch !== 'x64' ? { skip: 'x86_64 only' } : {}) },
  () => {
    assert.equal(sh('uname -m; sh -c "uname -m"', { linux: { personality: { domain: 'LINUX32' } } }), 'i686\ni686\n', 'children inherit the personality');
  },
);

test('config-linux.md#personality: domain LINUX keeps the native machine', () => {
  assert.equal(sh('uname -m', { linux: { personality: { domain: 'LINUX' } } }).trim(), fs.readFileSync('/proc/sys/kernel/arch', 'utf8').trim());
});

for (const [what, personality] of [
  ['an unknown domain', { domain: 'LINUX64' }],
  ['a flag ("Currently no flag values are supported")', { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }],
]) {
  test(`config-linux.md#personality: ${what} is invalid (config.md#valid-values: an error)`, NOT_IN_RUNC('config-linux.md#personality', 'linux.personality (any value is accepted)'), async () => {
    await expectRefused({ linux: { personality } }, `create with personality ${JSON.stringify(personality)}`);
  });
}

// ------------------------------------------------------------------------------------------------
// time namespace and timeOffsets

const withTimens = (timeOffsets) => ({
  linux: timeOffsets ? { timeOffsets } : {},
  edit: (c) => void c.linux.namespaces.push({ type: 'time' }),
});

test(
  'config-linux.md#namespaces time + #offset-for-time-namespace: the offsets of monotonic and boottime are set (timens_offsets, /proc/uptime)',
  NOT_IN_RUNC('config-linux.md#namespaces', 'the time namespace'),
  () => {
    const day = 86400;
    const out = sh('cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime; readlink /proc/self/ns/time', withTimens({ monotonic: { secs: 1000 * day, nanosecs: 5 }, boottime: { secs: 2000 * day } }));
    const lines = out.trim().split('\n');
    const offsets = Object.fromEntries(lines.slice(0, 2).map((l) => l.trim().split(/\s+/)).map(([k, s, n]) => [k, [Number(s), Number(n)]]));
    assert.deepEqual(offsets.monotonic, [1000 * day, 5]);
    assert.deepEqual(offsets.boottime, [2000 * day, 0]);
    const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    assert.ok(Number(lines[2]) - hostUptime > 1999 * day, `the container uptime ${lines[2]} does not carry the boottime offset`);
    assert.notEqual(lines[3], fs.readlinkSync('/proc/self/ns/time'), 'a new time namespace');
  },
);

test('config-linux.md#namespaces time: without timeOffsets a new time namespace has zero offsets', NOT_IN_RUNC('config-linux.md#namespaces', 'the time namespace'), () => {
  const out = sh('cat /proc/self/timens_offsets; readlink /proc/self/ns/time', withTimens());
  const lines = out.trim().split('\n');
  assert.match(lines[0], /^monotonic\s+0\s+0$/);
  assert.match(lines[1], /^boottime\s+0\s+0$/);
  assert.notEqual(lines[2], fs.readlinkSync('/proc/self/ns/time'));
});

test('runc convention: exec joins the container\'s time namespace (it sees the same clocks)', NOT_IN_RUNC('config-linux.md#namespaces', 'the time namespace'), () => {
  const bundle = rt.bundle({ args: ['sleep', '30'], ...withTimens({ boottime: { secs: 864000 } }) });
  const r = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  const { pid } = rt.state(r.id);
  const e = rt.run(['exec', r.id, 'readlink', '/proc/self/ns/time']);
  assertOk(e, 'exec');
  assert.equal(e.stdout.trim(), fs.readlinkSync(`/proc/${pid}/ns/time`));
});

// ------------------------------------------------------------------------------------------------
// scheduler, ioPriority

/** policy (field 41) and nice (field 19) of /proc/<pid>/stat, from the text after the comm. */
const POLICY_NICE = 'sed "s/.*) //" /proc/self/stat | cut -d" " -f17,39';

test('config.md#linux-process scheduler: SCHED_BATCH with nice 7 (policy 3)', NOT_IN_RUNC('config.md#linux-process', 'process.scheduler (ignored)'), () => {
  const [nice, policy] = sh(POLICY_NICE, { process: { scheduler: { policy: 'SCHED_BATCH', nice: 7 } } }).trim().split(' ');
  assert.equal(policy, '3', 'SCHED_BATCH');
  assert.equal(nice, '7');
});

test('config.md#linux-process scheduler: SCHED_IDLE (policy 5), inherited by the process\'s children', NOT_IN_RUNC('config.md#linux-process', 'process.scheduler (ignored)'), () => {
  const out = sh(`${POLICY_NICE}; sh -c '${POLICY_NICE}'`, { process: { scheduler: { policy: 'SCHED_IDLE' } } });
  const [self, child] = out.trim().split('\n').map((l) => l.split(' ')[1]);
  assert.equal(self, '5');
  assert.equal(child, '5');
});

test('config.md#linux-process scheduler: an unknown policy is an error with no side effects', NOT_IN_RUNC('config.md#linux-process', 'process.scheduler (any value is accepted)'), async () => {
  await expectRefused({ process: { scheduler: { policy: 'SCHED_CONFORMANCE' } } }, 'create with scheduler.policy SCHED_CONFORMANCE');
});

test('config.md#linux-process ioPriority: class and priority are applied, and children have them too', NOT_IN_RUNC('config.md#linux-process', 'process.ioPriority (ignored)'), () => {
  const out = sh('ionice -p $$; sh -c \'ionice -p $$\'', { process: { ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 6 } } });
  assert.deepEqual(out.trim().split('\n'), ['best-effort: prio 6', 'best-effort: prio 6']);
});

test('config.md#linux-process ioPriority: IOPRIO_CLASS_IDLE', NOT_IN_RUNC('config.md#linux-process', 'process.ioPriority (ignored)'), () => {
  assert.match(sh('ionice -p $$', { process: { ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 0 } } }), /^idle/);
});

for (const [what, ioPriority] of [
  ['an unknown class', { class: 'IOPRIO_CLASS_CONFORMANCE', priority: 1 }],
  ['a priority above 7', { class: 'IOPRIO_CLASS_BE', priority: 8 }],
]) {
  test(`config.md#linux-process ioPriority: ${what} is an error with no side effects`, NOT_IN_RUNC('config.md#linux-process', 'process.ioPriority (any value is accepted)'), async () => {
    await expectRefused({ process: { ioPriority } }, `create with ioPriority ${JSON.stringify(ioPriority)}`);
  });
}

// ------------------------------------------------------------------------------------------------
// execCPUAffinity

test('config.md#linux-process execCPUAffinity: "not applicable to the container\'s init process" - the init keeps the container\'s CPUs', { skip: !TWO_CPUS && 'needs two CPUs' }, () => {
  const st = statusFields(sh('cat /proc/self/status', { process: { execCPUAffinity: { initial: '0' } } }));
  assert.equal(st.Cpus_allowed_list, ONLINE_CPUS, 'the init process was pinned by execCPUAffinity.initial');
});

for (const cpus of ['1', undefined]) {
  const want = cpus ?? ONLINE_CPUS;
  test(`config.md#linux-process execCPUAffinity: an exec process with only "initial" ("0") ends on the container's CPUs (${cpus ? `cpu.cpus "${cpus}"` : 'no cpu.cpus: all'}), not on "initial"`, { skip: !TWO_CPUS && 'needs two CPUs' }, (t) => {
    const bundle = rt.bundle({ args: ['sleep', '30'], linux: cpus ? { resources: { cpu: { cpus } } } : {} });
    const r = rt.runBundle(bundle, { runArgs: ['-d'] });
    assertOk(r, 'run -d');
    const proc = path.join(scratchDir(), `exec-affinity-${r.id}.json`);
    t.after(() => fs.rmSync(proc, { force: true }));
    fs.writeFileSync(
      proc,
      JSON.stringify({
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: ['cat', '/proc/self/status'],
        env: ['PATH=/bin'],
        cwd: '/',
        execCPUAffinity: { initial: '0' },
      }),
    );
    const e = rt.run(['exec', '--process', proc, r.id]);
    assertOk(e, 'exec --process with execCPUAffinity.initial');
    assert.equal(statusFields(e.stdout).Cpus_allowed_list, want, '"final" omitted: "the container\'s default CPU affinity, as defined by cpu.cpus" applies');
  });
}

test('config.md#linux-process execCPUAffinity: a list that is not CPU ranges is an error with no side effects', NOT_IN_RUNC('config.md#linux-process', 'process.execCPUAffinity (any value is accepted)'), async () => {
  await expectRefused({ process: { execCPUAffinity: { initial: 'x-y' } } }, 'create with execCPUAffinity.initial "x-y"');
});

// ------------------------------------------------------------------------------------------------
// cgroup mount

const CGROUP_MOUNT = { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] };
const HOST_V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
const PIDS_MAX = HOST_V2 ? '/sys/fs/cgroup/pids.max' : '/sys/fs/cgroup/pids/pids.max';

for (const cgroupns of [false, true]) {
  test(`config.md#mounts type cgroup${cgroupns ? ' with a cgroup namespace' : ''}: the container sees its own cgroup (pids.max is its limit), read-only`, () => {
    const out = sh(`cat ${PIDS_MAX}; echo 5 > ${PIDS_MAX} 2>/dev/null && echo written || echo refused; cat ${PIDS_MAX}`, {
      linux: { resources: { pids: { limit: 77 } } },
      edit: (c) => {
        c.mounts.push(CGROUP_MOUNT);
        if (cgroupns) c.linux.namespaces.push({ type: 'cgroup' });
      },
    });
    assert.deepEqual(out.trim().split('\n'), ['77', 'refused', '77']);
  });
}

test(
  'config.md#mounts type cgroup, option "ro": the whole /sys/fs/cgroup tree is read-only (nothing can be created at its top)',
  runcDeviation('config.md#mounts options: on a cgroup v1 host runc 1.1.5 mounts the /sys/fs/cgroup tmpfs read-write despite "ro"'),
  () => {
    // CAP_DAC_OVERRIDE: only the mount's read-only flag may refuse the mkdir.
    const out = sh('mkdir /sys/fs/cgroup/conformance 2>/dev/null && echo created || echo refused', {
      edit: (c) => {
        c.mounts.push(CGROUP_MOUNT);
        for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_DAC_OVERRIDE');
      },
    });
    assert.equal(out.trim(), 'refused');
  },
);

// ------------------------------------------------------------------------------------------------
// /dev/console with a terminal

const CONSOLE_RECEIVER = String.raw`
import json, os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
print("ready", flush=True)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 4096, 8)
out = b""
if fds:
    while True:
        try:
            chunk = os.read(fds[0], 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if b"END" in out:
            break
print(json.dumps({"nfds": len(fds), "output": out.decode(errors="replace")}), flush=True)
`;

test('config-linux.md#default-devices: with terminal true, /dev/console is the container\'s pty (the same device as its stdio)', needsPython(), async (t) => {
  const dir = fs.mkdtempSync(path.join(scratchDir(), 'console-'));
  const sock = path.join(dir, 'console.sock');
  const rx = await startPython(t, CONSOLE_RECEIVER, [sock]);
  const bundle = rt.bundle({
    args: ['sh', '-c', 'echo "console=$(stat -c %t:%T /dev/console)"; echo "stdin=$(stat -L -c %t:%T /proc/self/fd/0)"; echo "tty=$(tty)"; echo END'],
    process: { terminal: true },
  });
  const c = rt.create(bundle, { createArgs: ['--console-socket', sock] });
  assertOk(c, 'create --console-socket');
  assertOk(rt.run(['start', c.id]), 'start');
  await within(rx.exited, 15000);
  const line = rx.output().split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no report from the console receiver: ${rx.output()} ${rx.errors()}`);
  const report = JSON.parse(line);
  assert.equal(report.nfds, 1);
  const f = Object.fromEntries(
    report.output
      .split(/\r?\n/)
      .filter((l) => /^(console|stdin|tty)=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
  assert.match(f.tty ?? '', /^\/dev\/pts\/\d+$/, report.output);
  assert.ok(f.console && f.console !== '?', `/dev/console is missing: ${report.output}`);
  assert.equal(f.console, f.stdin, '/dev/console is not the pty of the process');
  assert.equal(parseInt(f.console.split(':')[0], 16), 136, 'a Unix98 pty slave (major 136)');
});

// ------------------------------------------------------------------------------------------------
// idmapped mounts

const NO_IDMAP = NOT_IN_RUNC('config.md#posix-platform-mounts', 'idmapped mounts (uidMappings/gidMappings on a mount are ignored)');

/** A bind of <bundle>/data at /mnt with these extra mount fields; `files` are made with owners. */
function idmapBundle({ mount = {}, files = {}, userns, args, dirOwner }) {
  let data;
  const bundle = rt.bundle({
    args,
    ...(userns
      ? { linux: { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] } }
      : {}),
    edit: (c, dir) => {
      data = hostDir(dir);
      if (dirOwner) fs.chownSync(data, ...dirOwner);
      for (const [name, [uid, gid]] of Object.entries(files)) {
        fs.writeFileSync(path.join(data, name), '');
        fs.chownSync(path.join(data, name), uid, gid);
      }
      if (userns) c.linux.namespaces.push({ type: 'user' });
      c.mounts.push({ ...bindMount(data, '/mnt', ['rbind', 'idmap']), ...mount });
    },
  });
  return { bundle, data };
}

const map = (containerID, hostID, size) => [{ containerID, hostID, size }];

test('config.md#posix-platform-mounts uidMappings/gidMappings (no user namespace): a file owned by containerID on disk shows as hostID; a file created through the mount by hostID is stored as containerID', NO_IDMAP, () => {
  const { bundle, data } = idmapBundle({
    mount: { uidMappings: map(1000, 3000, 10), gidMappings: map(1000, 4000, 10) },
    files: { owned: [1001, 1002] },
    // (the kernel refuses to create in a directory whose owner the mount does not map)
    dirOwner: [1000, 1000],
    args: ['sh', '-c', 'stat -c %u:%g /mnt/owned; touch /mnt/created'],
  });
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  config.process.user = { uid: 3005, gid: 4006 };
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
  const r = rt.runBundle(bundle);
  assertOk(r, 'run as 3005:4006 with an idmapped mount');
  assert.equal(r.stdout.trim(), '3001:4002', 'on-disk 1001:1002 through the mapping 1000->3000 / 1000->4000');
  const st = fs.statSync(path.join(data, 'created'));
  assert.equal(`${st.uid}:${st.gid}`, '1005:1006', 'created by 3005:4006 through the mount: stored as 1005:1006');
});

test('config.md#posix-platform-mounts uidMappings/gidMappings in a user namespace: host root files mapped to the container root show as 0:0, not the overflow id', NO_IDMAP, () => {
  const { bundle, data } = idmapBundle({
    userns: true,
    mount: { uidMappings: map(0, 100000, 65536), gidMappings: map(0, 100000, 65536) },
    files: { rootfile: [0, 0], userfile: [1000, 1000] },
    args: ['sh', '-c', 'stat -c "%n %u:%g" /mnt/rootfile /mnt/userfile; touch /mnt/created'],
  });
  const r = rt.runBundle(bundle);
  assertOk(r);
  assert.match(r.stdout, /^\/mnt\/rootfile 0:0$/m, r.stdout);
  assert.match(r.stdout, /^\/mnt\/userfile 1000:1000$/m, r.stdout);
  const st = fs.statSync(path.join(data, 'created'));
  assert.equal(`${st.uid}:${st.gid}`, '0:0', 'a file the container root creates is stored as on-disk root');
});

test('config.md#posix-platform-mounts: uidMappings without gidMappings ("MUST be specified along with") is an error', NOT_IN_RUNC('config.md#posix-platform-mounts', 'idmapped mounts (the fields are not validated)'), async () => {
  const bundle = rt.bundle({
    args: ['true'],
    edit: (c, dir) => void c.mounts.push({ ...bindMount(hostDir(dir), '/mnt', ['rbind', 'idmap']), uidMappings: map(0, 1000, 1) }),
  });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with uidMappings alone');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('config.md#linux-mount-options idmap: "If there are no uidMappings and gidMappings specified and the container isn\'t using user namespaces, an error MUST be returned"', NOT_IN_RUNC('config.md#linux-mount-options', 'the idmap option (it is passed on as filesystem data)'), async () => {
  const bundle = rt.bundle({ args: ['true'], edit: (c, dir) => void c.mounts.push(bindMount(hostDir(dir), '/mnt', ['rbind', 'idmap'])) });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with idmap and no mapping at all');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

