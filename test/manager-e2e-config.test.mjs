// End to end through dist/mydocker, what a container is given: volumes (bind, read-only,
// named), the memory limit (an OOM kill reported by ps and inspect), the CPU quota in the
// cgroup, the foreground --rm exit status, and the run flags that shape the process
// (-e, --env-file, -w, -u, --entrypoint, -h, --read-only, --tmpfs, --privileged, --cap-add/--cap-drop).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoTraces, e2eManager, removeAtEnd, sleep } from './lib/e2e.mjs';

let m;
before(async () => {
  m = e2eManager('cfg');
});
after(async () => m.cleanup());


/** run --rm in the foreground: { status, stdout, stderr }. */
const runRm = (flags, command) => m.cli(['run', '--rm', ...flags, 'busybox', ...command], { timeout: 60_000 });

/** Waits until the container is no longer running; its inspect document. */
async function waitExited(ref, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await m.inspect(ref);
    if (!doc.State.Running) return doc;
    if (Date.now() > deadline) assert.fail(`${ref} still running after ${timeoutMs} ms`);
    await sleep(200);
  }
}

test('volumes: a bind mount written inside is seen on the host, :ro is enforced, a named volume survives its container', async (t) => {
  const refs = [];
  removeAtEnd(t, m, refs);
  const host = fs.mkdtempSync(path.join(m.dir, 'bind-'));
  const w = await runRm(['--network', 'none', '-v', `${host}:/data`], ['sh', '-c', 'echo written inside > /data/out && id -u']);
  assert.equal(w.status, 0, w.stderr);
  assert.equal(fs.readFileSync(path.join(host, 'out'), 'utf8'), 'written inside\n');

  fs.writeFileSync(path.join(host, 'in'), 'from the host\n');
  const ro = await runRm(['--network', 'none', '-v', `${host}:/data:ro`], ['sh', '-c', 'cat /data/in; echo nope > /data/new']);
  assert.notEqual(ro.status, 0, 'a write into a :ro volume succeeded');
  assert.equal(ro.stdout, 'from the host\n');
  assert.match(ro.stderr, /Read-only file system/);
  assert.equal(fs.existsSync(path.join(host, 'new')), false);

  const volume = `vol${path.basename(m.dir).slice(-6)}`;
  refs.push('writer');
  await m.ok(['run', '--name', 'writer', '--network', 'none', '-v', `${volume}:/v`, 'busybox', 'sh', '-c', 'echo kept > /v/file']);
  const [vdoc] = JSON.parse(await m.ok(['volume', 'inspect', volume]));
  assert.equal(fs.readFileSync(path.join(vdoc.Mountpoint, 'file'), 'utf8'), 'kept\n');
  await m.ok(['rm', 'writer']);
  refs.length = 0;
  assert.match(await m.ok(['volume', 'ls', '-q']), new RegExp(`^${volume}$`, 'm'), 'the named volume went with its container');
  const reader = await runRm(['--network', 'none', '-v', `${volume}:/v`], ['cat', '/v/file']);
  assert.equal(reader.status, 0, reader.stderr);
  assert.equal(reader.stdout, 'kept\n');
  await m.ok(['volume', 'rm', volume]);
});

test('--memory 32m: a memory hog is OOM-killed, Exited (137) in ps -a and OOMKilled in inspect; a plain kill is not an OOM', async (t) => {
  const refs = ['hog', 'killed'];
  removeAtEnd(t, m, refs);
  // tail keeps the whole of its input (no newline in it) in memory: 200 MiB against 32 MiB.
  // The limit is printed first (the cgroup is gone by the time run -d returns, on a slow day).
  const hog = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; head -c 200m /dev/zero | tail';
  const id = (await m.ok(['run', '-d', '--name', 'hog', '--network', 'none', '--memory', '32m', 'busybox', 'sh', '-c', hog])).trim();
  const doc = await waitExited('hog');
  assert.equal(await m.ok(['logs', 'hog']), `${32 * 1024 * 1024}\n`);
  assert.equal(doc.State.ExitCode, 137);
  assert.equal(doc.State.OOMKilled, true);
  assert.match(await m.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^hog Exited \(137\) /m);

  // the same status from a SIGKILL that is not the OOM killer's
  await m.ok(['run', '-d', '--name', 'killed', '--network', 'none', '--memory', '32m', 'busybox', 'sleep', '600']);
  await m.ok(['kill', 'killed']);
  const killed = await waitExited('killed');
  assert.equal(killed.State.ExitCode, 137);
  assert.equal(killed.State.OOMKilled, false);
  await m.ok(['rm', 'hog', 'killed']);
  refs.length = 0;
  await assertNoTraces(m, [id], 'the OOM-killed container after rm');
});

test('--cpus 0.5: cpu.cfs_quota_us 50000 per 100000, seen from the host and from inside', async (t) => {
  const refs = ['half'];
  removeAtEnd(t, m, refs);
  const id = (await m.ok(['run', '-d', '--name', 'half', '--network', 'none', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '50', 'busybox', 'sleep', '600'])).trim();
  const cg = `/sys/fs/cgroup/cpu/mydocker/${id}`;
  assert.equal(fs.readFileSync(`${cg}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
  assert.equal(fs.readFileSync(`${cg}/cpu.cfs_period_us`, 'utf8').trim(), '100000');
  assert.equal(fs.readFileSync(`${cg}/cpu.shares`, 'utf8').trim(), '512');
  assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids/mydocker/${id}/pids.max`, 'utf8').trim(), '50');
  const pid = (await m.inspect('half')).State.Pid;
  assert.ok(fs.readFileSync(`${cg}/tasks`, 'utf8').split('\n').includes(String(pid)), 'the container process is not in its cgroup');
  const inside = await m.ok(['exec', 'half', 'sh', '-c', 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us']);
  assert.equal(inside, '50000\n100000\n');
  await m.ok(['rm', '-f', 'half']);
  refs.length = 0;
  await assertNoTraces(m, [id], '--cpus container after rm -f');
});

test('run --rm in the foreground: the exit status is propagated and the container is gone', async () => {
  const before = m.snapshot();
  const r = await runRm([], ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const ids = [...m.seenIds];
  assert.deepEqual(m.snapshot(), before, 'run --rm left something');
  assert.equal((await m.ok(['ps', '-aq'])).trim(), '');
  await assertNoTraces(m, ids, 'run --rm');
  assert.equal((await runRm(['--network', 'none'], ['false'])).status, 1);
  const missing = await runRm(['--network', 'none'], ['nosuchcommand']);
  assert.equal(missing.status, 127, 'a command that is not there: 127, as docker');
  assert.match(missing.stderr, /^mydocker: .*"nosuchcommand": executable file not found in \$PATH\n$/);
  assert.equal((await m.ok(['ps', '-aq'])).trim(), '', 'the container of a failed start is removed');
});

test('-e, --env-file, -w, -u, --entrypoint, -h shape the process', async () => {
  const envFile = path.join(m.dir, 'env.list');
  fs.writeFileSync(envFile, '# a comment\nFROM_FILE=file value\n');
  const checks = await Promise.all([
    runRm(['--network', 'none', '-e', 'GREETING=hello world', '--env-file', envFile], ['sh', '-c', 'echo "$GREETING|$FROM_FILE|$PATH"']),
    runRm(['--network', 'none', '-w', '/made/by/workdir'], ['pwd']),
    runRm(['--network', 'none', '-u', '1234:5678'], ['id']),
    runRm(['--network', 'none', '--entrypoint', 'echo'], ['from', 'entrypoint']),
    runRm(['-h', 'box.example'], ['sh', '-c', 'hostname; grep -c box.example /etc/hosts']),
  ]);
  for (const c of checks) assert.equal(c.status, 0, c.stderr);
  const [env, workdir, user, entrypoint, host] = checks.map((c) => c.stdout);
  assert.equal(env, 'hello world|file value|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
  assert.equal(workdir, '/made/by/workdir\n');
  assert.match(user, /^uid=1234 gid=5678/);
  assert.equal(entrypoint, 'from entrypoint\n');
  assert.equal(host, 'box.example\n1\n');
});

test('--read-only with --tmpfs: the rootfs refuses writes, the tmpfs takes them', async () => {
  const r = await runRm(['--network', 'none', '--read-only', '--tmpfs', '/scratch'], [
    'sh', '-c', 'touch /rootfile 2>&1; echo touch=$?; echo ok > /scratch/f && cat /scratch/f; grep " /scratch " /proc/mounts | cut -d" " -f3',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /Read-only file system/);
  assert.equal(lines[1], 'touch=1');
  assert.deepEqual(lines.slice(2), ['ok', 'tmpfs']);
  const writable = await runRm(['--network', 'none'], ['sh', '-c', 'touch /rootfile && echo yes']);
  assert.equal(writable.stdout, 'yes\n', 'without --read-only the rootfs is writable');
});

test('--privileged and --cap-add/--cap-drop change what the process may do', async () => {
  const capEff = 'grep CapEff /proc/self/status | cut -f2';
  // NET_ADMIN: bring the namespace's loopback down; CHOWN: give a file away
  const tryNetAdmin = `${capEff}; ip link set lo down && echo netadmin=yes || echo netadmin=no`;
  const [plain, added, privileged, dropped] = await Promise.all([
    runRm(['--network', 'none'], ['sh', '-c', tryNetAdmin]),
    runRm(['--network', 'none', '--cap-add', 'NET_ADMIN'], ['sh', '-c', tryNetAdmin]),
    runRm(['--network', 'none', '--privileged'], ['sh', '-c', `${tryNetAdmin}; ls /dev | grep -c -x -E "loop[0-9]+|mem|kmsg"`]),
    runRm(['--network', 'none', '--cap-drop', 'CHOWN'], ['sh', '-c', 'touch /f && chown 1 /f && echo chown=yes || echo chown=no']),
  ]);
  const bit = (hex, n) => (BigInt(`0x${hex}`) >> BigInt(n)) & 1n;
  const NET_ADMIN = 12;
  const [plainCaps, plainResult] = plain.stdout.trim().split('\n');
  assert.equal(bit(plainCaps, NET_ADMIN), 0n, plain.stdout);
  assert.equal(plainResult, 'netadmin=no');
  const [addedCaps, addedResult] = added.stdout.trim().split('\n');
  assert.equal(bit(addedCaps, NET_ADMIN), 1n, added.stdout);
  assert.equal(addedResult, 'netadmin=yes');
  const [privCaps, privResult, devices] = privileged.stdout.trim().split('\n');
  const full = fs.readFileSync('/proc/self/status', 'utf8').match(/CapBnd:\s+([0-9a-f]+)/)[1];
  assert.equal(privCaps, full, 'privileged: every capability of the bounding set');
  assert.equal(privResult, 'netadmin=yes');
  assert.ok(Number(devices) >= 2, `privileged: host devices in /dev (${devices})`);
  assert.equal(dropped.stdout, 'chown=no\n', dropped.stderr);
  const chownOk = await runRm(['--network', 'none'], ['sh', '-c', 'touch /f && chown 1 /f && echo chown=yes']);
  assert.equal(chownOk.stdout, 'chown=yes\n', 'CHOWN is in the default set');
});

test('the root filesystem of a --rm container is a volatile overlay (no sync of changes that are discarded), of a kept one not', async (t) => {
  const VOLATILE = /,(fsync=)?volatile(,|$)/;
  const rootLine = (mountinfo) => mountinfo.split('\n').find((line) => line.split(' ')[4] === '/');
  const rm = await runRm(['--network', 'none'], ['cat', '/proc/self/mountinfo']);
  assert.equal(rm.status, 0, rm.stderr);
  assert.match(rootLine(rm.stdout), / - overlay /);
  assert.match(rootLine(rm.stdout), VOLATILE);
  const refs = ['kept-rootfs'];
  removeAtEnd(t, m, refs);
  const kept = await m.cli(['run', '--name', 'kept-rootfs', '--network', 'none', 'busybox', 'cat', '/proc/self/mountinfo'], { timeout: 60_000 });
  assert.equal(kept.status, 0, kept.stderr);
  assert.doesNotMatch(rootLine(kept.stdout), VOLATILE);
});
