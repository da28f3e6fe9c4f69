// exec: a process in a running container, from flags (runc's way) or from --process (the
// shims'), with a terminal, and what a failing exec leaves behind (nothing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setupRuntime, RUNTIME, cleanEnv } from '../conformance/lib/runtime.mjs';
import { assertFails, assertOk } from '../conformance/lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'exec' });

function running(overrides = {}) {
  const bundle = rt.bundle({ args: ['sleep', '60'], rootfs: 'copy', ...overrides });
  const r = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  return r.id;
}

/** pids of processes whose environment carries the marker. */
function processesWithMarker(marker) {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(marker);
    } catch {
      return false;
    }
  });
}

test('exec flags: --user, --additional-gids, --env, --cwd, --cap and --no-new-privs on top of the config process', () => {
  const id = running();
  const r = rt.run(['exec', '-u', '1000:1000', '-g', '5', '-e', 'FOO=bar', '--cwd', '/tmp', '--cap', 'CAP_NET_RAW', '--no-new-privs', id,
    'sh', '-c', 'id -u; id -g; id -G; echo $FOO; pwd; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status']);
  assertOk(r, 'exec');
  const [uid, gid, groups, foo, cwd, capBnd, nnp] = r.stdout.trim().split('\n');
  assert.deepEqual([uid, gid, groups, foo, cwd], ['1000', '1000', '1000 5', 'bar', '/tmp']);
  assert.equal(BigInt(`0x${capBnd.split(/\s+/)[1]}`) & (1n << 13n), 1n << 13n, 'CAP_NET_RAW added to the bounding set');
  assert.match(nnp, /NoNewPrivs:\s+1/);
});

test('exec --process FILE: the whole process from the file; the exit status comes back', () => {
  const id = running();
  const file = path.join(rt.ioDir, 'process.json');
  fs.writeFileSync(file, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'echo $ONLY; exit 9'], env: ['PATH=/bin', 'ONLY=this'], cwd: '/' }));
  const r = rt.run(['exec', '--process', file, id]);
  assert.equal(r.status, 9, r.stderr);
  assert.equal(r.stdout, 'this\n');
});

test('exec --process with a schema error names the field', () => {
  const id = running();
  const file = path.join(rt.ioDir, 'bad-process.json');
  fs.writeFileSync(file, JSON.stringify({ user: { uid: 0, gid: 0 }, args: 'sh', cwd: '/' }));
  assertFails(rt.run(['exec', '--process', file, id]), /\/args/);
});

test('a failing exec leaves no process behind and the container runs on', () => {
  const id = running();
  const marker = `EXEC_MARKER=${id}`;
  const r = rt.run(['exec', '-e', marker, id, 'no-such-program']);
  assertFails(r, /exec: "no-such-program": executable file not found in \$PATH/);
  assert.deepEqual(processesWithMarker(marker), []);
  const r2 = rt.run(['exec', '-e', marker, '--cwd', '/no/such/dir', id, 'true']);
  assertFails(r2, /chdir to cwd \("\/no\/such\/dir"\)/);
  assert.deepEqual(processesWithMarker(marker), []);
  assert.equal(rt.state(id).status, 'running');
});

test('exec -t: the process gets a pty from the container, input and output proxied', () => {
  const id = running();
  const command = `${RUNTIME} --root ${rt.root} exec -t ${id} sh -c 'tty; read x; echo got=$x; exit 4'; echo status=$?`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { input: 'typed\n', encoding: 'utf8', env: cleanEnv(), timeout: 20000 });
  const lines = r.stdout.split(/[\r\n]+/);
  assert.ok(lines.some((l) => /^\/dev\/pts\/\d+$/.test(l)), r.stdout);
  assert.ok(lines.includes('got=typed'), r.stdout);
  assert.ok(lines.includes('status=4'), r.stdout);
});

test('exec into a created (not started) container works; into a stopped one it fails', async () => {
  const bundle = rt.bundle({ args: ['sleep', '60'] });
  const c = rt.create(bundle);
  assertOk(c);
  const r = rt.run(['exec', c.id, 'echo', 'early']);
  assertOk(r);
  assert.equal(r.stdout, 'early\n');
  assertOk(rt.run(['kill', c.id, 'KILL']));
  await rt.waitForStatus(c.id, 'stopped');
  assertFails(rt.run(['exec', c.id, 'true']), /cannot exec in a stopped container/);
});
