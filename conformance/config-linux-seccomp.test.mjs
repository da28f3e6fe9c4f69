// runtime-spec config-linux.md#seccomp: defaultAction, defaultErrnoRet, every action, errnoRet,
// the argument operators, architectures, flags, listenerPath/listenerMetadata (SCMP_ACT_NOTIFY and
// the container process state), and docker's default profile (fixtures/docker-20.10-seccomp.json:
// the seccomp section docker 20.10 sends to its runtime for a default `docker run`).
//
// Most checks filter kill(2) and call it through the shell on a pid that does not exist in the
// container's pid namespace: allowed, it fails with ESRCH ("No such process"); a rule's errno, a
// signal (SIGSYS: exit status 159 from a subshell) or ENOSYS tell which action ran.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupRuntime, runcDeviation } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount } from './lib/checks.mjs';
import { probeDir, needsProbe, needsPython, startPython, within, statusFields, scratchDir } from './lib/linux-extra.mjs';

const rt = setupRuntime({ idPrefix: 'seccomp' });

const DOCKER_PROFILE = JSON.parse(
  fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'docker-20.10-seccomp.json'), 'utf8'),
);
const IS_X86_64 = os.arch() === 'x64';

const ESRCH = /No such process/;
const EPERM = /Operation not permitted/;
const EACCES = /Permission denied/;
const ENOSYS = /Function not implemented/;

/** `kill -0 PID` in a subshell, printing the error and then "rc=<status>". */
const killProbe = (pid = 200, sig = 0) => `( kill -${sig} ${pid} ) 2>&1; echo rc=$?`;

function run(script, seccomp, extra = {}) {
  return rt.runBundle(rt.bundle({ ...extra, args: ['sh', '-c', script], linux: { ...extra.linux, seccomp } }));
}

function sh(script, seccomp, extra = {}) {
  const r = run(script, seccomp, extra);
  assertOk(r, `run of: ${script}`);
  return r.stdout;
}

const allowAllBut = (...syscalls) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });

async function expectRefused(seccomp, what, extra = {}) {
  const bundle = rt.bundle({ ...extra, args: ['true'], linux: { seccomp } });
  const r = rt.create(bundle);
  assertFails(r, undefined, what);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
}

// ------------------------------------------------------------------------------------------------
// defaultAction, actions, errnoRet

test('config-linux.md#seccomp: a filter is installed for the process ("Seccomp: 2" in /proc/self/status)', () => {
  const st = statusFields(sh('cat /proc/self/status', allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO' })));
  assert.equal(st.Seccomp, '2');
  assert.ok(Number(st.Seccomp_filters) >= 1, `Seccomp_filters: ${st.Seccomp_filters}`);
});

test('config-linux.md#seccomp: without linux.seccomp no filter is installed ("Seccomp: 0")', () => {
  const st = statusFields(sh('cat /proc/self/status', undefined));
  assert.equal(st.Seccomp, '0');
});

test('config-linux.md#seccomp: defaultAction SCMP_ACT_ALLOW with no rules lets everything run', () => {
  const out = sh(`${killProbe()}; ls / > /dev/null && echo ls-ok`, { defaultAction: 'SCMP_ACT_ALLOW' });
  assert.match(out, ESRCH);
  assert.match(out, /ls-ok/);
});

test('config-linux.md#seccomp: SCMP_ACT_ERRNO without errnoRet returns EPERM ("If not specified its default value is EPERM")', () => {
  const out = sh(killProbe(), allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO' }));
  assert.match(out, EPERM, out);
});

test('config-linux.md#seccomp: SCMP_ACT_ERRNO with errnoRet returns that errno (13: EACCES)', () => {
  const out = sh(killProbe(), allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }));
  assert.match(out, EACCES, out);
});

for (const action of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP']) {
  test(`config-linux.md#seccomp: ${action} ends the calling process with SIGSYS (a subshell exits 128+31)`, () => {
    const out = sh(`${killProbe()}; echo after`, allowAllBut({ names: ['kill'], action }));
    assert.match(out, /rc=159/, out);
    assert.match(out, /^after$/m, 'only the calling process must die');
  });
}

test('config-linux.md#seccomp: SCMP_ACT_TRACE without a tracer makes the call fail with ENOSYS', () => {
  const out = sh(killProbe(), allowAllBut({ names: ['kill'], action: 'SCMP_ACT_TRACE', errnoRet: 1 }));
  assert.match(out, ENOSYS, out);
});

test('config-linux.md#seccomp: SCMP_ACT_LOG lets the call run (it fails with its own ESRCH)', () => {
  const out = sh(killProbe(), allowAllBut({ names: ['kill'], action: 'SCMP_ACT_LOG' }));
  assert.match(out, ESRCH, out);
});

test('config-linux.md#seccomp: SCMP_ACT_ALLOW rules under defaultAction SCMP_ACT_ERRNO (docker\'s allow list): listed calls run, others get EPERM', () => {
  const out = sh(`${killProbe()}; unshare -U true 2>&1; echo unshare-rc=$?`, DOCKER_PROFILE);
  assert.match(out, ESRCH, 'kill is allowed by the profile');
  assert.match(out, EPERM, 'unshare is not in the allow list: the default action');
  assert.match(out, /unshare-rc=[1-9]/);
});

test('config-linux.md#seccomp: defaultErrnoRet is the errno of the default action (38: ENOSYS)', () => {
  const out = sh('unshare -U true 2>&1; echo rc=$?', { ...DOCKER_PROFILE, defaultErrnoRet: 38 });
  assert.match(out, ENOSYS, out);
});

test('config-linux.md#seccomp: defaultAction SCMP_ACT_KILL_PROCESS kills a process making an unlisted call', () => {
  const out = sh('( unshare -U true ); echo rc=$?', { ...DOCKER_PROFILE, defaultAction: 'SCMP_ACT_KILL_PROCESS' });
  assert.match(out, /rc=159/, out);
});

test('config-linux.md#seccomp: rules are matched per syscall - the other syscalls of a rule\'s "names" are all filtered', () => {
  const out = sh(`${killProbe()}; mkdir /mnt/d 2>&1; echo mkdir-rc=$?`, allowAllBut({ names: ['mkdir', 'mkdirat', 'kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }), {
    edit: (c) => void c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }),
  });
  assert.match(out, /can't kill pid 200: Permission denied/);
  assert.match(out, /mkdir-rc=1/);
});

for (const [action, field, seccomp] of [
  ['SCMP_ACT_KILL', 'errnoRet', allowAllBut({ names: ['kill'], action: 'SCMP_ACT_KILL', errnoRet: 5 })],
  ['SCMP_ACT_ALLOW', 'errnoRet', allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ALLOW', errnoRet: 5 })],
  ['SCMP_ACT_ALLOW', 'defaultErrnoRet', { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 5, syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO' }] }],
]) {
  test(
    `config-linux.md#seccomp ${field}: "When the action doesn't support an errno, the runtime MUST print and error and fail" (${action})`,
    runcDeviation(`config-linux.md#seccomp ${field}: runc 1.1.5 ignores an errno given with ${action}`),
    async () => {
      await expectRefused(seccomp, `create with ${field} on ${action}`);
    },
  );
}

// ------------------------------------------------------------------------------------------------
// Argument operators: kill(pid, 0) with pid 100, 200 or 300 (none exists), a rule on args[0].

const OPERATORS = [
  ['SCMP_CMP_EQ', { value: 200 }, [200]],
  ['SCMP_CMP_NE', { value: 200 }, [100, 300]],
  ['SCMP_CMP_LT', { value: 200 }, [100]],
  ['SCMP_CMP_LE', { value: 200 }, [100, 200]],
  ['SCMP_CMP_GE', { value: 200 }, [200, 300]],
  ['SCMP_CMP_GT', { value: 200 }, [300]],
  // (arg & value) == valueTwo: 100 = 0x64 -> 0x4, 200 = 0xc8 -> 0x8, 300 = 0x12c -> 0xc.
  ['SCMP_CMP_MASKED_EQ', { value: 0x0c, valueTwo: 0x08 }, [200]],
];

for (const [op, values, blocked] of OPERATORS) {
  test(`config-linux.md#seccomp args op ${op} ${JSON.stringify(values)}: matches exactly kill(${blocked.join(', ')})`, () => {
    const out = sh(
      [100, 200, 300].map((pid) => `echo "${pid}: $(kill -0 ${pid} 2>&1)"`).join('; '),
      allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, op, ...values }] }),
    );
    for (const pid of [100, 200, 300]) {
      const line = out.split('\n').find((l) => l.startsWith(`${pid}:`));
      assert.match(line ?? '', blocked.includes(pid) ? EACCES : ESRCH, `kill(${pid}) with ${op}:\n${out}`);
    }
  });
}

test('config-linux.md#seccomp args: several args of one rule must all match (AND)', () => {
  const out = sh(
    'echo "a: $(kill -0 200 2>&1)"; echo "b: $(kill -10 200 2>&1)"; echo "c: $(kill -0 100 2>&1)"',
    allowAllBut({
      names: ['kill'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 13,
      args: [
        { index: 0, value: 200, op: 'SCMP_CMP_EQ' },
        { index: 1, value: 0, op: 'SCMP_CMP_EQ' },
      ],
    }),
  );
  assert.match(out, /^a: .*Permission denied/m, out);
  assert.match(out, /^b: .*No such process/m, out);
  assert.match(out, /^c: .*No such process/m, out);
});

test('config-linux.md#seccomp args: two rules for one syscall each apply (OR)', () => {
  const out = sh(
    [100, 200, 300].map((pid) => `echo "${pid}: $(kill -0 ${pid} 2>&1)"`).join('; '),
    allowAllBut(
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 100, op: 'SCMP_CMP_EQ' }] },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 300, op: 'SCMP_CMP_EQ' }] },
    ),
  );
  assert.match(out, /^100: .*Permission denied/m, out);
  assert.match(out, /^200: .*No such process/m, out);
  assert.match(out, /^300: .*Permission denied/m, out);
});

// ------------------------------------------------------------------------------------------------
// architectures, flags, invalid input

test('config-linux.md#seccomp architectures: the native one with X86 and X32 (docker\'s list) filters native calls', { skip: !IS_X86_64 && 'x86_64 only' }, () => {
  const out = sh(killProbe(), {
    ...allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }),
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  });
  assert.match(out, EACCES, out);
});

test(
  'config-linux.md#seccomp flags: SECCOMP_FILTER_FLAG_LOG and SECCOMP_FILTER_FLAG_SPEC_ALLOW are accepted; the filter works',
  runcDeviation('config-linux.md#seccomp flags: runc 1.1.5 refuses every flag ("seccomp flags are not yet supported by runc")'),
  () => {
    const out = sh(killProbe(), {
      ...allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }),
      flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    });
    assert.match(out, EACCES, out);
  },
);

for (const [what, seccomp] of [
  ['an unknown defaultAction', { defaultAction: 'SCMP_ACT_NO_SUCH' }],
  ['an unknown action', allowAllBut({ names: ['kill'], action: 'SCMP_ACT_NO_SUCH' })],
  ['an unknown architecture', { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_NO_SUCH'] }],
  ['an unknown operator', allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_NO_SUCH' }] })],
  ['an argument index above 5', allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] })],
  ['an unknown flag', { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NO_SUCH'] }],
]) {
  test(`config-linux.md#seccomp: ${what} is an error with no side effects`, async () => {
    await expectRefused(seccomp, `create with ${what}`);
  });
}

test(
  'config-linux.md#seccomp syscalls: "names MUST contain at least one entry" (an empty list is an error)',
  runcDeviation('config-linux.md#seccomp: runc 1.1.5 accepts a rule with an empty names list'),
  async () => {
    await expectRefused(allowAllBut({ names: [], action: 'SCMP_ACT_ERRNO' }), 'create with names: []');
  },
);

test('runc convention: an unknown syscall name is skipped (profiles list calls newer than the kernel); the rule\'s other names still apply', () => {
  const out = sh(killProbe(), allowAllBut({ names: ['conformance_no_such_syscall', 'kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }));
  assert.match(out, EACCES, out);
});

// ------------------------------------------------------------------------------------------------
// Who gets the filter

test('config-linux.md#seccomp: a non-root process with noNewPrivileges false still gets the filter', () => {
  const out = sh(`grep -E "^(Seccomp|NoNewPrivs|Uid):" /proc/self/status; ${killProbe()}`, allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }), {
    process: { user: { uid: 1000, gid: 1000 }, noNewPrivileges: false },
  });
  const st = statusFields(out);
  assert.equal(st.Seccomp, '2');
  assert.equal(st.NoNewPrivs, '0');
  assert.equal(st.Uid.split(/\s+/)[0], '1000');
  assert.match(out, EACCES);
});

test('runc convention: a process started by exec gets the container\'s filter', () => {
  const bundle = rt.bundle({ args: ['sleep', '30'], linux: { seccomp: allowAllBut({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }) } });
  const r = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  const e = rt.run(['exec', r.id, 'sh', '-c', `grep ^Seccomp: /proc/self/status; ${killProbe()}`]);
  assertOk(e, 'exec');
  assert.match(e.stdout, /Seccomp:\s*2/);
  assert.match(e.stdout, EACCES);
});

// ------------------------------------------------------------------------------------------------
// docker's default profile

/** CAP_SYS_ADMIN added, so that only seccomp can refuse unshare/mount. */
const withSysAdmin = (c) => {
  for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN');
};

function probeMount(c) {
  c.mounts.push(bindMount(probeDir(), '/opt', ['rbind', 'ro']));
}

const DOCKER_SCRIPT =
  '/opt/probe unshare 0x20000; /opt/probe mount s:none s:/tmp s:tmpfs 0 0; /opt/probe keyctl 0 -3 0; ' +
  'ls /bin > /dev/null && echo ls-ok; date +%Y > /dev/null && echo date-ok; ps -o pid | wc -l > /dev/null && echo ps-ok; ' +
  'echo abc | sed s/b/B/ | grep aBc > /dev/null && echo pipe-ok; id -u; grep ^Seccomp: /proc/self/status';

test('config-linux.md#seccomp: docker\'s default profile - unshare, mount and keyctl fail with EPERM (even with CAP_SYS_ADMIN); ordinary programs work; "Seccomp: 2"', needsProbe(), () => {
  const out = sh(DOCKER_SCRIPT, DOCKER_PROFILE, {
    root: { readonly: true },
    edit: (c) => {
      withSysAdmin(c);
      probeMount(c);
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
  });
  assert.match(out, /^unshare: errno 1 \(Operation not permitted\)$/m, out);
  assert.match(out, /^mount: errno 1 \(Operation not permitted\)$/m, out);
  assert.match(out, /^keyctl: errno 1 \(Operation not permitted\)$/m, out);
  for (const ok of ['ls-ok', 'date-ok', 'ps-ok', 'pipe-ok']) assert.match(out, new RegExp(`^${ok}$`, 'm'), `${ok} missing:\n${out}`);
  assert.match(out, /^0$/m);
  assert.match(out, /Seccomp:\s*2/);
});

test('config-linux.md#seccomp: control for the docker profile check - without seccomp the same unshare, mount and keyctl succeed', needsProbe(), () => {
  const out = sh(DOCKER_SCRIPT, undefined, {
    edit: (c) => {
      withSysAdmin(c);
      probeMount(c);
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
  });
  assert.match(out, /^unshare: ok 0$/m, out);
  assert.match(out, /^mount: ok 0$/m, out);
  assert.match(out, /^keyctl: ok \d+$/m, out);
  assert.match(out, /Seccomp:\s*0/);
});

// ------------------------------------------------------------------------------------------------
// SCMP_ACT_NOTIFY, listenerPath, listenerMetadata

// A seccomp agent: accepts one connection on argv[1], reads the container process state (JSON)
// and its fds (SCM_RIGHTS) until EOF, answers the first notification with EACCES, and reports.
const AGENT = String.raw`
import json, os, select, socket, struct, sys, fcntl
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(4)
print("ready", flush=True)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 1 << 20, 8)
data = msg
conn.settimeout(5)
eof = False
try:
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            eof = True
            break
        data += chunk
except socket.timeout:
    pass
report = {"nfds": len(fds), "eof": eof, "fdkinds": [os.readlink("/proc/self/fd/%d" % fd) for fd in fds]}
try:
    report["state"] = json.loads(data)
except Exception as e:
    report["raw"] = data.decode(errors="replace")
print(json.dumps(report), flush=True)
if fds:
    fd = fds[0]
    p = select.poll(); p.register(fd, select.POLLIN)
    if p.poll(15000):
        buf = bytearray(80)
        fcntl.ioctl(fd, 0xC0502100, buf, True)
        nid, pid, fl, nr, arch, ip = struct.unpack_from("=QIIiIQ", buf, 0)
        args = struct.unpack_from("=6Q", buf, 32)
        resp = bytearray(struct.pack("=QqiI", nid, 0, -13, 0))
        fcntl.ioctl(fd, 0xC0182101, resp, True)
        print(json.dumps({"notified": {"nr": nr, "arg0": args[0]}}), flush=True)
srv.settimeout(1)
try:
    srv.accept()
    print(json.dumps({"second": True}), flush=True)
except socket.timeout:
    print(json.dumps({"second": False}), flush=True)
`;

test('config-linux.md#seccomp listenerPath: SCMP_ACT_NOTIFY - one connection carries the container process state and the seccompFd, then is closed; the agent answers the call', needsPython(), async (t) => {
  const dir = fs.mkdtempSync(path.join(scratchDir(), 'agent-'));
  const sock = path.join(dir, 'agent.sock');
  const agent = await startPython(t, AGENT, [sock]);
  const bundle = rt.bundle({
    args: ['sh', '-c', 'kill -0 200 2>&1; echo done'],
    annotations: { 'org.example.conformance': 'notify' },
    linux: {
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: sock,
        listenerMetadata: 'conformance-metadata',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_NOTIFY' }],
      },
    },
  });
  const out = path.join(bundle, 'out.log');
  const c = rt.create(bundle, { stdout: out, stderr: out });
  assertOk(c, 'create with a seccomp listener');
  const { pid } = rt.state(c.id);
  assertOk(rt.run(['start', c.id]), 'start');
  await rt.waitForStatus(c.id, 'stopped', 20000);
  await within(agent.exited, 5000);
  const reports = agent
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const first = reports[0];
  assert.ok(first, `no report from the agent: ${agent.output()} ${agent.errors()}`);
  assert.equal(first.nfds, 1, 'exactly one fd by SCM_RIGHTS');
  assert.match(first.fdkinds[0], /seccomp/, `the fd is not a seccomp notify fd: ${first.fdkinds[0]}`);
  assert.ok(first.eof, 'the runtime must close the connection after sending the state');
  const s = first.state;
  assert.ok(s, `the payload is not JSON: ${first.raw}`);
  assert.equal(typeof s.ociVersion, 'string', 'ociVersion (REQUIRED)');
  assert.deepEqual(s.fds, ['seccompFd'], 'fds names the passed descriptor');
  assert.equal(s.pid, pid, 'pid: the container process as seen by the runtime');
  assert.equal(s.metadata, 'conformance-metadata', 'metadata = listenerMetadata');
  assert.equal(s.state?.id, c.id, 'state.id');
  assert.equal(s.state?.pid, pid, 'state.pid');
  assert.equal(fs.realpathSync(s.state?.bundle), fs.realpathSync(bundle), 'state.bundle');
  assert.equal(s.state?.annotations?.['org.example.conformance'], 'notify', 'state.annotations');
  assert.equal(typeof s.state?.status, 'string', 'state.status');
  const notified = reports.find((r) => r.notified)?.notified;
  assert.ok(notified, `the agent saw no notification: ${agent.output()}`);
  assert.equal(notified.arg0, 200, 'the notification carries kill\'s arguments');
  assert.match(fs.readFileSync(out, 'utf8'), /Permission denied/, 'the agent\'s answer (EACCES) reached the process');
  assert.equal(reports.find((r) => 'second' in r)?.second, false, 'exactly one connection per container');
});

test('config-linux.md#seccomp listenerPath: "If sending to this socket fails, the runtime MUST generate an error" (no listener)', async () => {
  const dir = fs.mkdtempSync(path.join(scratchDir(), 'agent-'));
  await expectRefused(
    {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: path.join(dir, 'nobody-listens.sock'),
      syscalls: [{ names: ['kill'], action: 'SCMP_ACT_NOTIFY' }],
    },
    'create with a listenerPath nobody listens on',
  );
});

test(
  'config-linux.md#seccomp listenerMetadata: "This field MUST NOT be set if listenerPath is not set" (an error)',
  runcDeviation('config-linux.md#seccomp listenerMetadata: runc 1.1.5 accepts it without listenerPath'),
  async () => {
    await expectRefused(
      { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'orphan', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO' }] },
      'create with listenerMetadata and no listenerPath',
    );
  },
);
