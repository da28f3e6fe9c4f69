// Moving the container's init into its cgroup with a head start on worker threads (the kernel's
// first cgroup migration after a quiet spell waits for an RCU grace period; create overlaps it
// with the rootfs set-up), and the no-op migration that starts that wait early.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { setupRuntime } from '../conformance/lib/runtime.mjs';
import { assertOk } from '../conformance/lib/checks.mjs';

const { JoinHeadStart } = load('runtime/cgroups/fsutil');
const { ownProcsFile } = load('runtime/cgroups/migration-warmup');
const { ownCgroups } = load('runtime/cgroups/paths');
const { CgroupV1, v1Dirs } = load('runtime/cgroups/v1');
const { cgroupPathSpec } = load('runtime/cgroups/paths');
const { isUnifiedHost } = load('runtime/cgroups/manager');
const { CgroupV2, isCgroup2Mount } = load('runtime/cgroups/v2');

const onV1 = !isUnifiedHost();
// This host is hybrid: a real cgroup2 hierarchy (no controllers bound) at /sys/fs/cgroup/unified.
const UNIFIED = '/sys/fs/cgroup/unified';
const haveUnified = isCgroup2Mount(UNIFIED);
const rt = setupRuntime({ idPrefix: 'cj' });

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-join-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('warm-up target (fake mountinfo): our own cgroup in the first hierarchy mounted at its root', () => {
  const hybrid = [
    '29 25 0:25 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
    '30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
  ].join('\n');
  const own = ownCgroups('2:cpu,cpuacct:/user.slice\n0::/user.slice/session-1.scope\n');
  assert.equal(ownProcsFile(hybrid, own), '/sys/fs/cgroup/unified/user.slice/session-1.scope/cgroup.procs');
  // v2 only, the root cgroup: no doubled slash
  assert.equal(ownProcsFile('30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw', ownCgroups('0::/\n')), '/sys/fs/cgroup/cgroup.procs');
  // A bind mount of a sub-tree (root field not "/") does not map our paths: skipped.
  const nested = [
    '40 25 0:26 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '41 25 0:27 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
  ].join('\n');
  assert.equal(ownProcsFile(nested, ownCgroups('5:memory:/docker/abc\n4:pids:/docker/abc\n')), '/sys/fs/cgroup/pids/docker/abc/cgroup.procs');
  // A hierarchy we have no line for, or a cgroup mount with no known controller: nothing.
  assert.equal(ownProcsFile('41 25 0:27 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids', ownCgroups('5:memory:/\n')), undefined);
  assert.equal(ownProcsFile('41 25 0:27 / /x rw - cgroup cgroup rw,noprefix', ownCgroups('0::/\n')), undefined);
});

test('warm-up target on this host is our own cgroup: writing our pid there moves nothing', () => {
  const file = ownProcsFile(fs.readFileSync('/proc/self/mountinfo', 'utf8'), ownCgroups());
  assert.ok(file, 'no cgroup hierarchy found on this host');
  const before = fs.readFileSync('/proc/self/cgroup', 'utf8');
  fs.writeFileSync(file, String(process.pid));
  assert.equal(fs.readFileSync('/proc/self/cgroup', 'utf8'), before);
  assert.ok(fs.readFileSync(file, 'utf8').split('\n').includes(String(process.pid)));
});

test('join head start (fake cgroup.procs files): the workers write the pid; finish() makes the move once, synchronously', async (t) => {
  const dir = tempDir(t);
  const files = ['a', 'b', 'c'].map((n) => path.join(dir, n));
  for (const file of files) fs.writeFileSync(file, '');
  const join = new JoinHeadStart();
  join.start(files, 4242);
  for (let i = 0; i < 100 && !files.every((f) => fs.readFileSync(f, 'utf8') === '4242'); i++) await new Promise((r) => setTimeout(r, 10));
  for (const file of files) assert.equal(fs.readFileSync(file, 'utf8'), '4242');
  const moves = [];
  join.finish((pid) => moves.push(pid));
  join.finish((pid) => moves.push(pid));
  assert.deepEqual(moves, [4242]);
  // Without a start, finish does nothing.
  new JoinHeadStart().finish((pid) => moves.push(pid));
  assert.deepEqual(moves, [4242]);
});

test('join head start: a file that cannot be opened or written is left to finish(), whose error is the one thrown', (t) => {
  const dir = tempDir(t);
  const join = new JoinHeadStart();
  // /dev/full opens but refuses every write (ENOSPC); the missing directory cannot be opened.
  assert.doesNotThrow(() => join.start(['/dev/full', path.join(dir, 'missing', 'cgroup.procs')], 9));
  assert.throws(
    () =>
      join.finish((pid) => {
        throw new Error(`cgroup ${dir}/missing: writing "${pid}": ENOENT`);
      }),
    /missing: writing "9": ENOENT/,
  );
});

test('join head start on the real v1 hierarchies: the process is in every one after finishAddProcess', { skip: onV1 ? false : 'host is not cgroup v1' }, async (t) => {
  const name = `mydocker-test-join-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const cg = new CgroupV1(v1Dirs(cgroupPathSpec(`/${name}`, 'x')));
  t.after(() => cg.destroy());
  cg.create(undefined);
  const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  cg.startAddProcess(child.pid);
  cg.finishAddProcess();
  const lines = fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8').trim().split('\n');
  for (const key of Object.keys(cg.dirs)) {
    const line = lines.find((l) => l.split(':')[1] === key);
    assert.ok(line?.endsWith(`:/${name}`), `${key}: ${line}`);
  }
  // A process that is gone: the synchronous move's error, naming the cgroup.
  const gone = spawn('/bin/true');
  await new Promise((resolve) => gone.on('exit', resolve));
  cg.startAddProcess(gone.pid);
  assert.throws(() => cg.finishAddProcess(), /cgroup \/sys\/fs\/cgroup\/.*: writing "\d+" to .*cgroup\.procs: ESRCH/);
});

test('join head start on a real cgroup2 hierarchy (/sys/fs/cgroup/unified): the process is in the leaf after finishAddProcess', { skip: haveUnified ? false : 'no cgroup2 mount' }, async (t) => {
  // Rooted at a directory of our own: CgroupV2 enables in its root every controller the root has
  // (as runc does), which at the mount's root would be a host-wide change.
  const parent = path.join(UNIFIED, `mydocker-test-join2-${process.pid}-${Math.random().toString(16).slice(2, 8)}`);
  fs.mkdirSync(parent);
  const rootControl = fs.readFileSync(path.join(UNIFIED, 'cgroup.subtree_control'), 'utf8');
  const cg = new CgroupV2(parent, '/leaf');
  t.after(() => {
    cg.destroy();
    fs.rmdirSync(parent);
    assert.equal(fs.readFileSync(path.join(UNIFIED, 'cgroup.subtree_control'), 'utf8'), rootControl, 'the mount root was left alone');
  });
  cg.create(undefined);
  const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  cg.startAddProcess(child.pid);
  cg.finishAddProcess();
  assert.match(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'), new RegExp(`^0::/${path.basename(parent)}/leaf$`, 'm'));
  assert.deepEqual(cg.pids(), [child.pid]);
});

test('create: the init is in the container cgroup of every hierarchy once create returns', { skip: onV1 ? false : 'host is not cgroup v1' }, () => {
  const bundle = rt.bundle({ args: ['true'] });
  const r = rt.create(bundle);
  assertOk(r, 'create');
  const { pid } = rt.state(r.id);
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  assert.ok(lines.length > 1);
  for (const line of lines) assert.ok(line.endsWith(`/mydocker-runtime/${r.id}`), line);
  assertOk(rt.run(['delete', '--force', r.id]), 'delete');
  assert.ok(!fs.existsSync(`/sys/fs/cgroup/pids/mydocker-runtime/${r.id}`), 'cgroup left behind');
});
