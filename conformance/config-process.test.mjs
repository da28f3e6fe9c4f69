// runtime-spec config.md#process (args, env, cwd, user, rlimits, capabilities, noNewPrivileges,
// oomScoreAdj) and how stdio and file descriptors reach the container (runc's CLI conventions
// --preserve-fds and LISTEN_FDS).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setupRuntime, runcDeviation, explain, RUNTIME, cleanEnv, TOKEN_ENV } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount, hostDir } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'process' });

/** Run a container with these config overrides in the foreground; returns the RunResult. */
function runWith(overrides, invoke = {}) {
  return rt.runBundle(rt.bundle(overrides), invoke);
}

/** Run `sh -c script` in a container and return its stdout (asserting success). */
function sh(script, overrides = {}, invoke = {}) {
  const r = runWith({ ...overrides, args: ['sh', '-c', script] }, invoke);
  assertOk(r, `run of: ${script}`);
  return r.stdout;
}

// ------------------------------------------------------------------------------------------------
// args

test('config.md#process args: argv is passed as given, including spaces and empty strings', () => {
  const r = runWith({ args: ['sh', '-c', 'for a in "$@"; do echo "[$a]"; done', 'arg0', 'two words', '', '*'] });
  assertOk(r);
  assert.equal(r.stdout, '[two words]\n[]\n[*]\n');
});

test('config.md#process args[0]: resolved like execvp *file* through PATH from process.env', () => {
  let data;
  const bundle = rt.bundle({
    args: ['mytool', 'x'],
    process: { env: ['PATH=/mnt/tools'] },
    edit: (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt', ['rbind', 'ro']));
    },
  });
  fs.mkdirSync(path.join(data, 'tools'));
  fs.writeFileSync(path.join(data, 'tools', 'mytool'), '#!/bin/sh\necho "mytool ran with $1"\n', { mode: 0o755 });
  const r = rt.runBundle(bundle);
  assertOk(r, 'run of a program found through process.env PATH');
  assert.equal(r.stdout, 'mytool ran with x\n');
});

test('config.md#process args[0]: PATH comes from process.env, not from the runtime environment', () => {
  // sh is in /bin, which is on the runtime's own PATH but not on the container's.
  const r = runWith({ args: ['sh', '-c', 'true'], process: { env: ['PATH=/nonexistent'] } });
  assertFails(r, /executable file not found|no such file or directory|not found/, 'run with sh outside PATH');
});

test('config.md#process args[0]: an absolute path is executed directly', () => {
  const r = runWith({ args: ['/bin/busybox', 'echo', 'absolute'], process: { env: ['PATH=/nonexistent'] } });
  assertOk(r);
  assert.equal(r.stdout, 'absolute\n');
});

// ------------------------------------------------------------------------------------------------
// env

test('config.md#process env: "same semantics as environ" - exactly the configured variables', () => {
  const env = ['PATH=/bin:/usr/bin', 'HOME=/root', 'A=1', 'WITH_SPACE=two words', 'EMPTY=', 'EQ=a=b'];
  const r = runWith({ args: ['env'], process: { env } });
  assertOk(r);
  const got = r.stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(got, [...env].sort(), 'the container environment differs from process.env');
});

test('config.md#process env: nothing from the runtime environment leaks in (only HOME may be added)', () => {
  const r = runWith({ args: ['env'], process: { env: ['PATH=/bin', 'ONLY=this'] } }, { env: { LEAKY_HOST_VAR: 'leak' } });
  assertOk(r);
  const names = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('=')[0]);
  assert.ok(!names.includes('LEAKY_HOST_VAR'), 'a variable of the runtime environment leaked');
  assert.ok(!names.includes(TOKEN_ENV), 'a variable of the runtime environment leaked');
  // runc 1.1.5 adds HOME (from /etc/passwd, else "/") when process.env has none; nothing else.
  assert.deepEqual(
    names.filter((n) => n !== 'HOME').sort(),
    ['ONLY', 'PATH'],
    `unexpected variables: ${names.join(' ')}`,
  );
});

// ------------------------------------------------------------------------------------------------
// cwd

test('config.md#process cwd: "the working directory that will be set for the executable"', () => {
  assert.equal(sh('pwd', { process: { cwd: '/etc' } }), '/etc\n');
  assert.equal(sh('pwd', { process: { cwd: '/tmp' } }), '/tmp\n');
});

test('runc convention: a missing process.cwd is created (inside the rootfs, even under a read-only root)', () => {
  const dir = `/made-by-runtime-${process.pid}/a/b`;
  const bundle = rt.bundle({ process: { cwd: dir }, args: ['sh', '-c', 'pwd'], root: { readonly: true }, rootfs: 'copy' });
  const r = rt.runBundle(bundle);
  assertOk(r, 'run with a missing cwd');
  assert.equal(r.stdout, `${dir}\n`);
});

test('runc convention: HOME comes from the container\'s /etc/passwd when process.env has none', () => {
  assert.equal(sh('echo $HOME', { process: { env: ['PATH=/bin'] } }), '/root\n');
  assert.equal(sh('echo $HOME', { process: { env: ['PATH=/bin'], user: { uid: 1000, gid: 1000 } } }), '/home\n');
  assert.equal(sh('echo $HOME', { process: { env: ['PATH=/bin'], user: { uid: 4242, gid: 4242 } } }), '/\n');
  assert.equal(sh('echo $HOME', { process: { env: ['PATH=/bin', 'HOME=/x'] } }), '/x\n');
});

// ------------------------------------------------------------------------------------------------
// user

test('config.md#posix-user: uid, gid and additionalGids are applied', () => {
  const out = sh('id -u; id -g; id -G', { process: { user: { uid: 1000, gid: 1000, additionalGids: [5, 100] } } });
  const [uid, gid, groups] = out.trim().split('\n');
  assert.equal(uid, '1000');
  assert.equal(gid, '1000');
  assert.deepEqual(groups.split(' ').map(Number).sort((a, b) => a - b), [5, 100, 1000]);
});

test('config.md#posix-user: a uid/gid without a passwd entry is still applied numerically', () => {
  const out = sh('id -u; id -g; id -G', { process: { user: { uid: 4242, gid: 4343 } } });
  assert.deepEqual(out.trim().split('\n'), ['4242', '4343', '4343']);
});

test('config.md#posix-user: no additionalGids means no supplementary groups (the runtime drops its own)', () => {
  const out = sh('grep ^Groups: /proc/self/status', { process: { user: { uid: 1000, gid: 1000 } } });
  assert.match(out, /^Groups:\s*(1000\s*)?$/m);
});

test('config.md#posix-user: a non-root user cannot write where root could', () => {
  const r = runWith({
    args: ['sh', '-c', 'touch /mnt/by-user 2>&1; echo rc=$?'],
    process: { user: { uid: 1000, gid: 1000 } },
    edit: (c, dir) => {
      const d = hostDir(dir);
      fs.chmodSync(d, 0o755);
      c.mounts.push(bindMount(d, '/mnt'));
    },
  });
  assertOk(r);
  assert.match(r.stdout, /rc=1/, 'uid 1000 could write into a root-owned 0755 directory');
});

test('config.md#posix-user umask (runtime-spec 1.1; runc 1.1.5 supports it): the process umask is set', () => {
  assert.equal(sh('umask', { process: { user: { uid: 0, gid: 0, umask: 0o027 } } }).trim(), '0027');
  assert.equal(sh('umask', { process: { user: { uid: 0, gid: 0, umask: 0o077 } } }).trim(), '0077');
});

// ------------------------------------------------------------------------------------------------
// rlimits

test('config.md#posix-process rlimits: soft and hard "MUST match the configured value"', () => {
  const out = sh('grep -E "^Max (open files|core file size)" /proc/self/limits', {
    process: {
      rlimits: [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 1048576 },
      ],
    },
  });
  assert.match(out, /^Max core file size\s+0\s+1048576\s+bytes\s*$/m);
  assert.match(out, /^Max open files\s+512\s+1000\s+files\s*$/m);
});

test(
  'config.md#posix-process rlimits: "If rlimits contains duplicated entries with same type, the runtime MUST generate an error"',
  runcDeviation('config.md#posix-process: runc 1.1.5 accepts duplicated rlimit types (the last entry wins)'),
  async () => {
    const bundle = rt.bundle({
      args: ['true'],
      process: {
        rlimits: [
          { type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 },
          { type: 'RLIMIT_NOFILE', soft: 512, hard: 512 },
        ],
      },
    });
    const r = rt.create(bundle);
    assertFails(r, undefined, 'create with duplicated rlimits');
    await assertNoSideEffects(rt, r, { id: r.id, bundle });
  },
);

// ------------------------------------------------------------------------------------------------
// capabilities, noNewPrivileges, oomScoreAdj

const capMask = (...bits) => (bits.reduce((m, b) => m | (1n << BigInt(b)), 0n)).toString(16).padStart(16, '0');

test('config-linux.md / config.md#linux-process capabilities: the sets are exactly the configured ones', () => {
  // CAP_KILL=5, CAP_NET_BIND_SERVICE=10, CAP_AUDIT_WRITE=29 (the baseline), CAP_CHOWN=0
  const out = sh('grep ^Cap /proc/self/status', {
    process: {
      capabilities: {
        bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE', 'CAP_CHOWN'],
        effective: ['CAP_KILL', 'CAP_CHOWN'],
        permitted: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_BIND_SERVICE'],
        inheritable: ['CAP_KILL'],
        ambient: ['CAP_KILL'],
      },
    },
  });
  const caps = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/:\s*/)));
  assert.equal(caps.CapBnd, capMask(5, 10, 29, 0), 'bounding');
  assert.equal(caps.CapPrm, capMask(5, 0, 10), 'permitted');
  assert.equal(caps.CapInh, capMask(5), 'inheritable');
  assert.equal(caps.CapAmb, capMask(5), 'ambient');
  // Running as root, execve recomputes effective from permitted (effective == permitted).
  assert.equal(caps.CapEff, capMask(5, 0, 10), 'effective');
});

test('config.md#linux-process capabilities: the baseline (runc spec) set for root', () => {
  const out = sh('grep -E "^Cap(Bnd|Eff|Prm)" /proc/self/status');
  for (const line of out.trim().split('\n')) {
    assert.equal(line.split(/:\s*/)[1], capMask(5, 10, 29), line);
  }
});

test(
  'config.md#linux-process capabilities: "Any value which cannot be mapped to a relevant kernel interface ... MUST be logged as a warning"; runtimes SHOULD NOT fail',
  () => {
    // runtime-spec 1.1 changed this clause: 1.0.2 said such a value "MUST cause an error".
    const bundle = rt.bundle({ args: ['true'], edit: (c) => void c.process.capabilities.bounding.push('CAP_NO_SUCH_THING') });
    const r = rt.runBundle(bundle);
    assertOk(r, 'run with CAP_NO_SUCH_THING');
    assert.match(r.stderr, /warn.*CAP_NO_SUCH_THING/i, 'a warning names the capability');
  },
);

test('config.md#linux-process noNewPrivileges: true sets no_new_privs, false leaves it clear', () => {
  assert.match(sh('grep NoNewPrivs /proc/self/status', { process: { noNewPrivileges: true } }), /NoNewPrivs:\s*1/);
  assert.match(sh('grep NoNewPrivs /proc/self/status', { process: { noNewPrivileges: false } }), /NoNewPrivs:\s*0/);
});

test('config.md#linux-process oomScoreAdj: "the runtime MUST set oom_score_adj to the given value"', () => {
  assert.equal(sh('cat /proc/self/oom_score_adj', { process: { oomScoreAdj: 123 } }).trim(), '123');
});

test('config.md#linux-process oomScoreAdj: unset, the runtime MUST NOT change oom_score_adj', () => {
  const host = fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
  assert.equal(sh('cat /proc/self/oom_score_adj').trim(), host);
});

// ------------------------------------------------------------------------------------------------
// stdio and file descriptors (terminal: false)

test('stdio (terminal false): stdin piped to the runtime reaches the program, stdout comes back', () => {
  const r = runWith({ args: ['cat'] }, { input: 'line one\nline two\n' });
  assertOk(r);
  assert.equal(r.stdout, 'line one\nline two\n');
});

test('stdio (terminal false): stdout and stderr stay separate', () => {
  const r = runWith({ args: ['sh', '-c', 'echo to-out; echo to-err >&2'] });
  assertOk(r);
  assert.equal(r.stdout, 'to-out\n');
  assert.match(r.stderr, /^to-err$/m);
  assert.ok(!r.stdout.includes('to-err'));
});

test('stdio (terminal false, create/start): the container writes to the very stdout file given to create', async () => {
  // Detached (create, run -d) there is nobody left to copy data: the runtime must hand its own
  // stdio fds to the container (runc's "pass-through" mode that containerd and conmon rely on).
  const bundle = rt.bundle({ args: ['sh', '-c', '[ -t 1 ] && echo tty; readlink /proc/self/fd/1; echo to-err >&2'] });
  const out = path.join(bundle, 'stdout.log');
  const err = path.join(bundle, 'stderr.log');
  const c = rt.create(bundle, { stdout: out, stderr: err });
  assertOk(c, 'create');
  assertOk(rt.run(['start', c.id]), 'start');
  await rt.waitForStatus(c.id, 'stopped');
  assert.equal(fs.readFileSync(out, 'utf8'), `${out}\n`, 'fd 1 of the container is not the stdout file given to create');
  assert.match(fs.readFileSync(err, 'utf8'), /^to-err$/m);
});

test('fds: no other descriptor leaks into the container (ls /proc/self/fd: 0 1 2 + ls own)', () => {
  const extra = fs.openSync('/etc/hostname', 'r');
  try {
    const r = runWith({ args: ['ls', '/proc/self/fd'] }, { extraFds: [extra, extra] });
    assertOk(r);
    const fds = r.stdout.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);
    assert.deepEqual(fds.slice(0, 3), [0, 1, 2]);
    assert.equal(fds.length, 4, `fds in the container: ${fds.join(' ')} (expected 0 1 2 and the one ls opened)`);
  } finally {
    fs.closeSync(extra);
  }
});

test('runc --preserve-fds N: fds 3..3+N-1 given to run are open in the container', () => {
  const dir = hostDir(rt.bundle({ args: ['true'] }), 'fds');
  fs.writeFileSync(path.join(dir, 'a'), 'content of fd 3\n');
  fs.writeFileSync(path.join(dir, 'b'), 'content of fd 4\n');
  const a = fs.openSync(path.join(dir, 'a'), 'r');
  const b = fs.openSync(path.join(dir, 'b'), 'r');
  try {
    const r = runWith(
      { args: ['sh', '-c', 'cat <&3; cat <&4; ls /proc/self/fd | tr "\\n" " "'] },
      { extraFds: [a, b], runArgs: ['--preserve-fds', '2'] },
    );
    assertOk(r);
    const [l1, l2, fds] = r.stdout.split('\n');
    assert.equal(l1, 'content of fd 3');
    assert.equal(l2, 'content of fd 4');
    const list = fds.trim().split(' ').map(Number);
    assert.ok(list.includes(3) && list.includes(4), `fds: ${fds}`);
    assert.equal(list.length, 6, `only 0-4 and ls's own should be open: ${fds}`);
  } finally {
    fs.closeSync(a);
    fs.closeSync(b);
  }
});

test('runc --preserve-fds with create/start: the extra fd given to create is open when the program runs', async () => {
  let data;
  const bundle = rt.bundle({
    args: ['sh', '-c', 'cat <&3 > /mnt/out'],
    edit: (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    },
  });
  fs.writeFileSync(path.join(bundle, 'input'), 'given to create\n');
  const fd = fs.openSync(path.join(bundle, 'input'), 'r');
  let c;
  try {
    c = rt.create(bundle, { extraFds: [fd], createArgs: ['--preserve-fds', '1'] });
  } finally {
    fs.closeSync(fd); // the runtime (and its init) hold their own copy
  }
  assertOk(c, 'create --preserve-fds 1');
  assertOk(rt.run(['start', c.id]), 'start');
  await rt.waitForStatus(c.id, 'stopped');
  assert.equal(fs.readFileSync(path.join(data, 'out'), 'utf8'), 'given to create\n');
});

test('runc LISTEN_FDS: with LISTEN_PID = runtime pid, fds 3.. are passed and LISTEN_FDS/LISTEN_PID=1 set', () => {
  // systemd socket activation: runc checks LISTEN_PID against its own pid, so set it from a shell
  // that then execs the runtime (same pid).
  const bundle = rt.bundle({ args: ['sh', '-c', 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3'] });
  const file = path.join(bundle, 'activation');
  fs.writeFileSync(file, 'socket stand-in\n');
  const fd = fs.openSync(file, 'r');
  const id = rt.newId('listen');
  try {
    const r = spawnSync(
      'sh',
      ['-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', RUNTIME, '--root', rt.root, 'run', '--bundle', bundle, id],
      { stdio: ['ignore', 'pipe', 'pipe', fd], env: cleanEnv(), timeout: 30000, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, `run with LISTEN_FDS failed: ${r.stderr}`);
    assert.equal(r.stdout, '1 1\nsocket stand-in\n');
  } finally {
    fs.closeSync(fd);
  }
});

test('exit status: the program exit code is what run returns (0, 1, 127 for sh "not found")', () => {
  assert.equal(runWith({ args: ['true'] }).status, 0);
  assert.equal(runWith({ args: ['false'] }).status, 1);
  const r = runWith({ args: ['sh', '-c', 'no-such-command-here'] });
  assert.equal(r.status, 127, explain(r));
});
