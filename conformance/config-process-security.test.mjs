// runtime-spec config.md#linux-process (capabilities: all five sets as /proc/self/status shows
// them, noNewPrivileges, oomScoreAdj), config.md#posix-process (rlimits: values, unlimited,
// duplicates, invalid types and values) and config.md#posix-user (additionalGids, umask).
// (config-process.test.mjs has the basic checks; these go further.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, runcDeviation } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount, hostDir } from './lib/checks.mjs';
import { CAP, capMask, statusFields, probeDir, needsProbe, writeConfigWithBigNumbers } from './lib/linux-extra.mjs';
import { readConfig } from './lib/bundle.mjs';

const rt = setupRuntime({ idPrefix: 'procsec' });

function run(script, overrides = {}, invoke = {}) {
  return rt.runBundle(rt.bundle({ ...overrides, args: ['sh', '-c', script] }), invoke);
}

function sh(script, overrides = {}, invoke = {}) {
  const r = run(script, overrides, invoke);
  assertOk(r, `run of: ${script}`);
  return r.stdout;
}

const STATUS = 'cat /proc/self/status';

/** Create a container from `overrides`, expect failure and no side effects. */
async function expectCreateFails(overrides, what, edit) {
  const bundle = rt.bundle({ args: ['true'], ...overrides, edit });
  const r = rt.create(bundle);
  assertFails(r, undefined, what);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
  return r;
}

/** Start `sleep 30` detached with these overrides; returns the id. */
function runDetached(overrides = {}) {
  const r = rt.runBundle(rt.bundle({ args: ['sleep', '30'], ...overrides }), { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  return r.id;
}

// ------------------------------------------------------------------------------------------------
// capabilities

test('config.md#linux-process capabilities: a non-root user gets bounding and inheritable as configured, ambient raises permitted and effective', () => {
  const st = statusFields(
    sh(STATUS, {
      process: {
        user: { uid: 1000, gid: 1000 },
        capabilities: {
          bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN', 'CAP_AUDIT_WRITE'],
          permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
          effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
          inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          ambient: ['CAP_NET_BIND_SERVICE'],
        },
      },
    }),
  );
  assert.equal(st.CapBnd, capMask(CAP.KILL, CAP.NET_BIND_SERVICE, CAP.CHOWN, CAP.AUDIT_WRITE), 'bounding');
  assert.equal(st.CapInh, capMask(CAP.KILL, CAP.NET_BIND_SERVICE), 'inheritable');
  assert.equal(st.CapAmb, capMask(CAP.NET_BIND_SERVICE), 'ambient');
  // execve(2) by a non-root user without file capabilities: permitted = effective = ambient.
  assert.equal(st.CapPrm, capMask(CAP.NET_BIND_SERVICE), 'permitted (after execve: the ambient set)');
  assert.equal(st.CapEff, capMask(CAP.NET_BIND_SERVICE), 'effective (after execve: the ambient set)');
  assert.equal(st.Uid.split(/\s+/)[1], '1000');
});

test('config.md#linux-process capabilities: a non-root user without ambient capabilities has empty permitted/effective sets', () => {
  const st = statusFields(
    sh(STATUS, {
      process: {
        user: { uid: 1000, gid: 1000 },
        capabilities: {
          bounding: ['CAP_KILL', 'CAP_CHOWN'],
          permitted: ['CAP_KILL', 'CAP_CHOWN'],
          effective: ['CAP_KILL', 'CAP_CHOWN'],
          inheritable: ['CAP_CHOWN'],
          ambient: [],
        },
      },
    }),
  );
  assert.equal(st.CapBnd, capMask(CAP.KILL, CAP.CHOWN));
  assert.equal(st.CapInh, capMask(CAP.CHOWN));
  assert.equal(st.CapPrm, capMask());
  assert.equal(st.CapEff, capMask());
  assert.equal(st.CapAmb, capMask());
});

test('config.md#linux-process capabilities: root with noNewPrivileges false - bounding, inheritable, ambient as configured; execve makes permitted = effective = bounding', () => {
  const st = statusFields(
    sh(STATUS, {
      process: {
        noNewPrivileges: false,
        capabilities: {
          bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_SYS_CHROOT'],
          permitted: ['CAP_KILL', 'CAP_SYS_CHROOT'],
          effective: ['CAP_KILL'],
          inheritable: ['CAP_SYS_CHROOT'],
          ambient: ['CAP_SYS_CHROOT'],
        },
      },
    }),
  );
  assert.equal(st.CapBnd, capMask(CAP.KILL, CAP.CHOWN, CAP.SYS_CHROOT), 'bounding');
  assert.equal(st.CapInh, capMask(CAP.SYS_CHROOT), 'inheritable');
  assert.equal(st.CapAmb, capMask(CAP.SYS_CHROOT), 'ambient');
  // execve(2) as root without no_new_privs: P' = bounding | inheritable, E' = P'.
  assert.equal(st.CapPrm, capMask(CAP.KILL, CAP.CHOWN, CAP.SYS_CHROOT), 'permitted');
  assert.equal(st.CapEff, capMask(CAP.KILL, CAP.CHOWN, CAP.SYS_CHROOT), 'effective');
  assert.match(st.NoNewPrivs, /^0$/);
});

test('config.md#linux-process capabilities: empty arrays keep nothing - every set is empty, even for root', () => {
  const st = statusFields(
    sh(STATUS, { process: { capabilities: { bounding: [], permitted: [], effective: [], inheritable: [], ambient: [] } } }),
  );
  for (const k of ['CapBnd', 'CapPrm', 'CapEff', 'CapInh', 'CapAmb']) assert.equal(st[k], capMask(), k);
});

test('runc convention (the spec leaves it open): without process.capabilities the process keeps no capability at all', () => {
  const st = statusFields(sh(STATUS, { edit: (c) => void delete c.process.capabilities }));
  for (const k of ['CapBnd', 'CapPrm', 'CapEff', 'CapInh', 'CapAmb']) assert.equal(st[k], capMask(), `${k}: the runtime's own capabilities leaked in`);
});

test('config.md#linux-process capabilities: a capability outside the bounding set is not usable by root (chown fails), inside it is', () => {
  const script = 'touch /mnt/f; chown 1000 /mnt/f 2>/dev/null && echo chown=ok || echo chown=denied';
  const mnt = { destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] };
  const caps = (list) => ({ bounding: list, permitted: list, effective: list, inheritable: [], ambient: [] });
  const without = sh(script, { process: { noNewPrivileges: false, capabilities: caps(['CAP_KILL']) }, edit: (c) => void c.mounts.push(mnt) });
  assert.match(without, /chown=denied/, 'root chowned without CAP_CHOWN');
  const withCap = sh(script, { process: { noNewPrivileges: false, capabilities: caps(['CAP_KILL', 'CAP_CHOWN']) }, edit: (c) => void c.mounts.push(mnt) });
  assert.match(withCap, /chown=ok/, 'root could not chown with CAP_CHOWN');
});

test('runc convention: a process started by exec gets the capability sets of the container config', () => {
  const id = runDetached({
    process: {
      capabilities: {
        bounding: ['CAP_KILL', 'CAP_CHOWN'],
        permitted: ['CAP_KILL', 'CAP_CHOWN'],
        effective: ['CAP_KILL', 'CAP_CHOWN'],
        inheritable: [],
        ambient: [],
      },
    },
  });
  const e = rt.run(['exec', id, 'cat', '/proc/self/status']);
  assertOk(e, 'exec');
  const st = statusFields(e.stdout);
  assert.equal(st.CapBnd, capMask(CAP.KILL, CAP.CHOWN));
  assert.equal(st.CapEff, capMask(CAP.KILL, CAP.CHOWN));
});

// ------------------------------------------------------------------------------------------------
// noNewPrivileges

test('config.md#linux-process noNewPrivileges: true "prevents the process from gaining additional privileges" (a setuid-root program keeps euid 1000); false lets it', needsProbe(), () => {
  const runProbe = (nnp) => {
    const bundle = rt.bundle({
      args: ['/mnt/probe', 'geteuid'],
      process: { user: { uid: 1000, gid: 1000 }, noNewPrivileges: nnp },
      edit: (c, dir) => {
        const d = hostDir(dir, 'suid');
        fs.chmodSync(d, 0o755);
        fs.copyFileSync(path.join(probeDir(), 'probe'), path.join(d, 'probe'));
        fs.chownSync(path.join(d, 'probe'), 0, 0);
        fs.chmodSync(path.join(d, 'probe'), 0o4755);
        c.mounts.push(bindMount(d, '/mnt', ['rbind', 'ro']));
      },
    });
    const r = rt.runBundle(bundle);
    assertOk(r, `run of the setuid probe (noNewPrivileges ${nnp})`);
    return r.stdout.trim();
  };
  assert.equal(runProbe(true), 'geteuid: ok 1000', 'no_new_privs must stop the setuid bit');
  assert.equal(runProbe(false), 'geteuid: ok 0', 'control: without no_new_privs the setuid bit works');
});

test('runc convention: a process started by exec inherits noNewPrivileges from the config (true and false)', () => {
  for (const nnp of [true, false]) {
    const id = runDetached({ process: { noNewPrivileges: nnp } });
    const e = rt.run(['exec', id, 'grep', 'NoNewPrivs', '/proc/self/status']);
    assertOk(e, 'exec');
    assert.match(e.stdout, new RegExp(`NoNewPrivs:\\s*${nnp ? 1 : 0}`), `exec with noNewPrivileges ${nnp}`);
  }
});

// ------------------------------------------------------------------------------------------------
// oomScoreAdj

test('config.md#linux-process oomScoreAdj: the maximum 1000 is set; a child of the process inherits it', () => {
  const out = sh('cat /proc/self/oom_score_adj; sh -c "cat /proc/self/oom_score_adj"', { process: { oomScoreAdj: 1000 } });
  assert.deepEqual(out.trim().split('\n'), ['1000', '1000']);
});

test('config.md#linux-process oomScoreAdj: a value the kernel rejects (1001) is an error with no side effects', async () => {
  await expectCreateFails({ process: { oomScoreAdj: 1001 } }, 'create with oomScoreAdj 1001');
});

test('runc convention: a process started by exec gets the oomScoreAdj of the config', () => {
  const id = runDetached({ process: { oomScoreAdj: 345 } });
  const e = rt.run(['exec', id, 'cat', '/proc/self/oom_score_adj']);
  assertOk(e, 'exec');
  assert.equal(e.stdout.trim(), '345');
});

// ------------------------------------------------------------------------------------------------
// rlimits

const U64_MAX = '__U64:18446744073709551615__';

test('config.md#posix-process rlimits: every listed type gets rlim_cur/rlim_max exactly, "unlimited" (2^64-1) included', () => {
  const rlimits = [
    { type: 'RLIMIT_CPU', soft: 100, hard: 200 },
    { type: 'RLIMIT_FSIZE', soft: 1048576, hard: U64_MAX },
    { type: 'RLIMIT_CORE', soft: U64_MAX, hard: U64_MAX },
    { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 },
    { type: 'RLIMIT_NOFILE', soft: 256, hard: 512 },
    { type: 'RLIMIT_NPROC', soft: 4000, hard: 5000 },
    { type: 'RLIMIT_MEMLOCK', soft: 65536, hard: 131072 },
    { type: 'RLIMIT_SIGPENDING', soft: 1000, hard: 2000 },
    { type: 'RLIMIT_MSGQUEUE', soft: 40960, hard: 81920 },
    { type: 'RLIMIT_LOCKS', soft: 100, hard: 200 },
  ];
  const bundle = rt.bundle({ args: ['cat', '/proc/self/limits'] });
  const config = readConfig(bundle);
  config.process.rlimits = rlimits;
  writeConfigWithBigNumbers(bundle, config);
  const r = rt.runBundle(bundle);
  assertOk(r);
  const rows = {
    RLIMIT_CPU: 'Max cpu time',
    RLIMIT_FSIZE: 'Max file size',
    RLIMIT_CORE: 'Max core file size',
    RLIMIT_STACK: 'Max stack size',
    RLIMIT_NOFILE: 'Max open files',
    RLIMIT_NPROC: 'Max processes',
    RLIMIT_MEMLOCK: 'Max locked memory',
    RLIMIT_SIGPENDING: 'Max pending signals',
    RLIMIT_MSGQUEUE: 'Max msgqueue size',
    RLIMIT_LOCKS: 'Max file locks',
  };
  const show = (v) => (v === U64_MAX ? 'unlimited' : String(v));
  for (const { type, soft, hard } of rlimits) {
    const line = r.stdout.split('\n').find((l) => l.startsWith(rows[type]));
    assert.ok(line, `${rows[type]} missing from /proc/self/limits`);
    const [cur, max] = line.slice(26).trim().split(/\s+/);
    assert.equal(cur, show(soft), `${type} soft (rlim_cur)`);
    assert.equal(max, show(hard), `${type} hard (rlim_max)`);
  }
});

test('config.md#posix-process rlimits: soft above hard cannot be set: an error with no side effects', async () => {
  await expectCreateFails({ process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }] } }, 'create with soft > hard');
});

test('config.md#posix-process rlimits: "rlim.rlim_max MUST match" - a hard limit the runtime cannot grant is an error, never a silently lower limit', async () => {
  // Without CAP_SYS_RESOURCE (the case on these machines) nothing can raise the hard limit above
  // the caller's; with it, the container must get the exact value.
  const hostHard = Number(fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files')).slice(26).trim().split(/\s+/)[1]);
  const want = hostHard + 1;
  const bundle = rt.bundle({ args: ['sh', '-c', 'ulimit -Hn'], process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: want }] } });
  const r = rt.runBundle(bundle);
  if (r.status === 0) {
    assert.equal(r.stdout.trim(), String(want), 'the hard limit is not the configured one');
  } else {
    assertFails(r, undefined, `run with RLIMIT_NOFILE hard ${want}`);
    await assertNoSideEffects(rt, r, { id: r.id, bundle });
  }
});

test(
  'config.md#posix-process rlimits: duplicated entries of one type MUST generate an error, even with equal values',
  runcDeviation('config.md#posix-process: runc 1.1.5 accepts duplicated rlimit types'),
  async () => {
    await expectCreateFails(
      {
        process: {
          rlimits: [
            { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
            { type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 },
            { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
          ],
        },
      },
      'create with RLIMIT_CORE twice',
    );
  },
);

for (const [what, rlimit] of [
  ['a type without the RLIMIT_ prefix ("NOFILE")', { type: 'NOFILE', soft: 1024, hard: 1024 }],
  ['a type in the wrong case ("rlimit_nofile")', { type: 'rlimit_nofile', soft: 1024, hard: 1024 }],
  ['a soft limit given as a string', { type: 'RLIMIT_NOFILE', soft: '1024', hard: 1024 }],
  ['a negative hard limit (uint64)', { type: 'RLIMIT_NOFILE', soft: 1024, hard: -1 }],
  ['an entry without "soft" (REQUIRED)', { type: 'RLIMIT_NOFILE', hard: 1024 }],
]) {
  test(`config.md#posix-process rlimits: ${what} is an error with no side effects`, async () => {
    await expectCreateFails({ process: { rlimits: [rlimit] } }, `create with ${what}`);
  });
}

// ------------------------------------------------------------------------------------------------
// user: additionalGids, umask

test('config.md#posix-user additionalGids: root gets exactly these supplementary groups (large gids too)', () => {
  const st = statusFields(sh(STATUS, { process: { user: { uid: 0, gid: 0, additionalGids: [5, 100, 65536, 2000000] } } }));
  assert.deepEqual(st.Groups.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b), [5, 100, 65536, 2000000]);
  assert.equal(st.Gid.split(/\s+/)[0], '0');
});

test('config.md#posix-user additionalGids: a supplementary group grants access (a 0070 file of gid 100 is readable by uid 1000)', () => {
  const script = 'cat /mnt/group-only 2>/dev/null || echo denied';
  const edit = (c, dir) => {
    const d = hostDir(dir);
    fs.writeFileSync(path.join(d, 'group-only'), 'group content\n');
    fs.chownSync(path.join(d, 'group-only'), 0, 100);
    fs.chmodSync(path.join(d, 'group-only'), 0o070);
    c.mounts.push(bindMount(d, '/mnt', ['rbind', 'ro']));
  };
  assert.equal(sh(script, { process: { user: { uid: 1000, gid: 1000, additionalGids: [100] } }, edit }), 'group content\n');
  assert.equal(sh(script, { process: { user: { uid: 1000, gid: 1000 } }, edit }), 'denied\n', 'control: without the group');
});

test('runc convention: a process started by exec gets the config user with its additionalGids', () => {
  const id = runDetached({ process: { user: { uid: 1000, gid: 1000, additionalGids: [5, 100] } } });
  const e = rt.run(['exec', id, 'cat', '/proc/self/status']);
  assertOk(e, 'exec');
  const st = statusFields(e.stdout);
  assert.equal(st.Uid.split(/\s+/)[0], '1000');
  assert.deepEqual(st.Groups.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b), [5, 100]);
});

test('config.md#posix-user umask: files and directories the process creates get modes reduced by the umask', () => {
  const out = sh('touch /mnt/f; mkdir /mnt/d; stat -c %a /mnt/f /mnt/d', {
    process: { user: { uid: 0, gid: 0, umask: 0o027 } },
    edit: (c) => void c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }),
  });
  assert.deepEqual(out.trim().split('\n'), ['640', '750']);
});

test('config.md#posix-user umask: 0 is applied (not taken as "unset")', () => {
  assert.equal(sh('umask', { process: { user: { uid: 0, gid: 0, umask: 0 } } }).trim(), '0000');
});

test(
  'config.md#posix-user umask: "If unspecified, the umask should not be changed from the calling process\' umask"',
  runcDeviation('config.md#posix-user umask: runc 1.1.5 sets 0022 when process.user.umask is unset'),
  () => {
    const old = process.umask(0o037);
    let r;
    try {
      r = run('umask', { process: { user: { uid: 0, gid: 0 } } });
    } finally {
      process.umask(old);
    }
    assertOk(r);
    assert.equal(r.stdout.trim(), '0037', 'the caller\'s umask (0037) was not kept');
  },
);
