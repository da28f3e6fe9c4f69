// Real podman (Debian's 4.3, through conmon) driving each OCI runtime: ours (dist/mydocker-runtime)
// and runc (/usr/sbin/runc), the control: every scenario must pass with runc, or the test is wrong.
//
//   RUNTIMES=ours,runc node --test test/clients/podman.test.mjs     (the default)
//   RUNTIMES=runc ...  |  RUNTIMES=ours ...  |  RUNTIMES=name=/abs/path/to/runtime ...
//
// podman gets a private world: its own containers.conf (CONTAINERS_CONF: runtimes, runtime_supports_json,
// cgroupfs, file events, file locks, tmp dir), registries.conf (the local registry is insecure),
// storage.conf, --root/--runroot, TMPDIR, all in one temporary directory; every container runs with
// --network none and --cgroup-parent /mydocker-podman-<pid>. Images come from a docker-registry on
// 127.0.0.1 (test/clients/lib/registry.mjs): no other network traffic.
// Cleanup: containers (podman rm -f), images, conmon processes left by this run (by pid), mounts under
// the temporary directory, the cgroup parent, the temporary directory; /var/lib/containers/cache (the
// blob-info cache podman 4.3 and skopeo always write) only if it did not exist before.
// (The podman world and its cleanup: lib/podman.mjs, shared with bench/clients.mjs.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alive, CGROUP_V2 } from './lib/host.mjs';
import { CONMON, createPodman, guardContainersCache, PODMAN } from './lib/podman.mjs';
import { pushBusybox, startRegistry } from './lib/registry.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KNOWN_RUNTIMES = { ours: path.join(REPO, 'dist', 'mydocker-runtime'), runc: '/usr/sbin/runc' };
const RUNTIMES = (process.env.RUNTIMES ?? 'ours,runc')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map((spec) => {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    const bin = eq < 0 ? KNOWN_RUNTIMES[spec] : spec.slice(eq + 1);
    if (!bin) throw new Error(`RUNTIMES: unknown runtime "${spec}" (known: ours, runc, or name=/path)`);
    return { name, path: path.resolve(bin) };
  });

const CG = '/sys/fs/cgroup';
const CGROUP_PARENT = `/mydocker-podman-${process.pid}`;

function whyNotRunnable() {
  if (process.platform !== 'linux') return 'Linux only';
  if (process.getuid() !== 0) return 'needs root';
  for (const bin of [PODMAN, CONMON, '/usr/bin/script', '/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/umoci']) {
    if (!fs.existsSync(bin)) return `${bin} is not installed (scripts/install-deps.sh)`;
  }
  for (const rt of RUNTIMES) if (!fs.existsSync(rt.path)) return `runtime ${rt.name}: ${rt.path} does not exist (npm run build?)`;
  return false;
}
const SKIP = whyNotRunnable();

// ---------------------------------------------------------------------------------------------
// The private podman world (test/clients/lib/podman.mjs, shared with bench/clients.mjs)

let pm; // createPodman(): configs, dirs, env
let registry;
let image; // '127.0.0.1:PORT/busybox:latest'
let cache; // guardContainersCache()
let dirs;
const conmonPids = new Set();
const containerIds = new Set();

/** Runs a command in podman's environment; resolves {status, signal, stdout, stderr, ms}. Kills (only) it after 60 s. */
const run = (cmd, args, opts) => pm.run(cmd, args, opts);
const podmanArgs = (rt, args) => pm.args(rt, args);
const podman = (rt, args, opts) => pm.podman(rt, args, opts);

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** podman under `script`, so that it has a terminal: `-it` works as it does for a user. */
function podmanInPty(rt, args, input) {
  const line = [PODMAN, ...podmanArgs(rt, args)].map(shq).join(' ');
  return run('/usr/bin/script', ['-qec', line, '/dev/null'], { input, keepStdinOpen: true });
}

/** The flags every container of this file gets. */
const RUN_FLAGS = ['--network', 'none', '--cgroup-parent', CGROUP_PARENT];

function show(r) {
  return `$ ${r.cmd}\n-> status ${r.status}${r.signal ? ` signal ${r.signal}` : ''} in ${r.ms} ms\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}
function ok(r, what = '') {
  assert.equal(r.status, 0, `${what}\n${show(r)}`);
  return r;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
async function waitGone(pid, ms = 5000) {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  return !alive(pid);
}

async function inspect(rt, name, format) {
  const r = ok(await podman(rt, ['inspect', '--type', 'container', '-f', format, name]), `inspect ${name}`);
  return r.stdout.trim();
}

/** Detached container running a loop that exits 0 on SIGTERM; returns {name, id, pid, conmonPid}. */
async function startDetached(rt, name, extra = []) {
  const r = ok(
    await podman(rt, [
      'run', '-d', '--name', name, ...RUN_FLAGS, ...extra, image,
      'sh', '-c', 'trap "echo got-TERM; exit 0" TERM; echo started; while :; do sleep 0.1; done',
    ]),
    'podman run -d',
  );
  const id = r.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/, show(r));
  containerIds.add(id);
  const [status, pid, conmonPid] = (await inspect(rt, name, '{{.State.Status}} {{.State.Pid}} {{.State.ConmonPid}}')).split(' ');
  if (Number(conmonPid) > 0) conmonPids.add(Number(conmonPid));
  assert.equal(status, 'running');
  assert.ok(Number(pid) > 0 && alive(Number(pid)), `container pid ${pid} is not alive on the host`);
  return { name, id, pid: Number(pid), conmonPid: Number(conmonPid) };
}

/** The runtime's own view: ids in `<runtime> list -q` (its default state dir, as podman uses it). */
function runtimeIds(rt) {
  const r = spawnSync(rt.path, ['list', '-q'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** Cgroup directories named libpod-<id> under our parent, in every hierarchy. */
function containerCgroupDirs(id) {
  const found = [];
  const roots = CGROUP_V2 ? [CG] : fs.readdirSync(CG).map((d) => path.join(CG, d));
  for (const root of roots) {
    const dir = path.join(root, CGROUP_PARENT, `libpod-${id}`);
    if (fs.existsSync(dir)) found.push(dir);
  }
  return found;
}

/** Host cgroup files of a container process, from /proc/PID/cgroup (v1 controllers, else the v2 path). */
function hostCgroup(pid) {
  const entries = fs
    .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [, , ctrls, p] = l.match(/^(\d+):([^:]*):(.*)$/);
      return { ctrls: ctrls.split(','), path: p };
    });
  const v1 = (c) => entries.find((e) => e.ctrls.includes(c));
  if (!CGROUP_V2 && v1('memory')) {
    return {
      paths: [v1('memory').path, v1('cpu').path, v1('freezer').path],
      memory: () => fs.readFileSync(path.join(CG, 'memory', v1('memory').path, 'memory.limit_in_bytes'), 'utf8').trim(),
      cpu: () => {
        const d = path.join(CG, 'cpu', v1('cpu').path);
        return `${fs.readFileSync(path.join(d, 'cpu.cfs_quota_us'), 'utf8').trim()} ${fs.readFileSync(path.join(d, 'cpu.cfs_period_us'), 'utf8').trim()}`;
      },
      frozen: () => fs.readFileSync(path.join(CG, 'freezer', v1('freezer').path, 'freezer.state'), 'utf8').trim(),
    };
  }
  const p = entries.find((e) => e.ctrls.length === 1 && e.ctrls[0] === '').path;
  return {
    paths: [p],
    memory: () => fs.readFileSync(path.join(CG, p, 'memory.max'), 'utf8').trim(),
    cpu: () => fs.readFileSync(path.join(CG, p, 'cpu.max'), 'utf8').trim(),
    frozen: () => (fs.readFileSync(path.join(CG, p, 'cgroup.freeze'), 'utf8').trim() === '1' ? 'FROZEN' : 'THAWED'),
  };
}

/** Prints "<memory limit>\n<quota> <period>" from inside the container (v1 or v2 layout). */
const INSIDE_LIMITS =
  'if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max; ' +
  'else cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi';

/** What the container's runtime wrote to the --log file podman gave it (RunDir/oci-log). */
async function ociLog(rt, name) {
  const pidFile = await inspect(rt, name, '{{.ConmonPidFile}}');
  const file = path.join(path.dirname(pidFile), 'oci-log');
  return { file, text: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null };
}

async function removeContainer(rt, c) {
  const r = await podman(rt, ['rm', '-f', '-t', '0', c.name]);
  if (c.conmonPid) await waitGone(c.conmonPid);
  return r;
}

// ---------------------------------------------------------------------------------------------

describe('podman 4.3 + conmon drive the runtime', { skip: SKIP }, () => {
  before(async () => {
    cache = guardContainersCache();
    registry = await startRegistry();
    image = await pushBusybox(registry);
    pm = createPodman({ registry, runtimes: RUNTIMES });
    dirs = pm.dirs;
    const v = ok(await podman(null, ['--version']));
    assert.match(v.stdout, /podman version 4\./);
    const pull = await podman(null, ['pull', '-q', image], { timeoutMs: 120000 });
    ok(pull, 'podman pull from the local registry');
  });

  after(async () => {
    const problems = [];
    // containers, images, conmons, leftover runtime state, mounts, the temp dir, our cgroup parent
    if (pm) problems.push(...(await pm.cleanup({ conmonPids, containerIds, cgroupParent: CGROUP_PARENT })));
    // the blob-info cache podman/skopeo write under /var/lib/containers, if we made it
    cache?.restore();
    await registry?.stop();
    if (problems.length) console.log(`# podman cleanup:\n#   ${problems.join('\n#   ')}`);
  });

  for (const rt of RUNTIMES) {
    describe(`runtime ${rt.name} (${rt.path})`, () => {
      test(`${rt.name}: run --rm prints the output, gets the default ulimits, leaves nothing behind`, async () => {
        const cidfile = path.join(dirs.io, `${rt.name}-rm.cid`);
        const r = ok(
          await podman(rt, ['run', '--rm', '--cidfile', cidfile, ...RUN_FLAGS, image, 'sh', '-c', 'echo hello; id -u; ulimit -n; ulimit -Hn; echo $$']),
          'podman run --rm',
        );
        assert.deepEqual(r.stdout.trim().split('\n'), ['hello', '0', '20000', '20000', '1'], show(r));
        const id = fs.readFileSync(cidfile, 'utf8').trim();
        containerIds.add(id);
        const ps = ok(await podman(rt, ['ps', '-a', '-q', '--no-trunc']));
        assert.ok(!ps.stdout.includes(id), 'podman still lists the container');
        assert.ok(!runtimeIds(rt).includes(id), `${rt.name} list still shows ${id}`);
        assert.deepEqual(containerCgroupDirs(id), [], 'the container cgroup is left behind');
      });

      test(`${rt.name}: exit codes: exit 42 -> 42, a missing command -> 127, a non-executable file -> 126`, async () => {
        const r42 = await podman(rt, ['run', '--rm', ...RUN_FLAGS, image, 'sh', '-c', 'exit 42']);
        assert.equal(r42.status, 42, show(r42));
        const r127 = await podman(rt, ['run', '--rm', ...RUN_FLAGS, image, 'no-such-command']);
        assert.equal(r127.status, 127, show(r127));
        assert.match(r127.stderr, /executable file not found in \$PATH/, show(r127));
        const r126 = await podman(rt, ['run', '--rm', ...RUN_FLAGS, image, '/etc/passwd']);
        assert.equal(r126.status, 126, show(r126));
        assert.match(r126.stderr, /permission denied/, show(r126));
      });

      test(`${rt.name}: run -d, exec (output, status, missing command), logs, stop (SIGTERM), rm`, async () => {
        const c = await startDetached(rt, `d-${rt.name}`);
        try {
          const cgPaths = hostCgroup(c.pid).paths;
          for (const p of cgPaths) assert.equal(p, `${CGROUP_PARENT}/libpod-${c.id}`, 'cgroupsPath from podman');
          // conmon runs the runtime with what podman asked for (runtime_supports_json: --log + json)
          const conmonArgs = fs.readFileSync(`/proc/${c.conmonPid}/cmdline`, 'utf8').split('\0');
          const at = (flag) => conmonArgs[conmonArgs.indexOf(flag) + 1];
          assert.equal(at('-r'), rt.path, conmonArgs.join(' '));
          const runtimeArgs = conmonArgs.flatMap((a, i) => (a === '--runtime-arg' ? [conmonArgs[i + 1]] : a.startsWith('--runtime-arg=') ? [a.slice(14)] : []));
          assert.deepEqual(runtimeArgs.slice(0, 2), ['--log-format=json', '--log'], conmonArgs.join(' '));
          assert.match(runtimeArgs[2], /\/oci-log$/, conmonArgs.join(' '));
          const e1 = ok(await podman(rt, ['exec', c.name, 'sh', '-c', 'echo in-exec; tr "\\0" " " < /proc/1/cmdline']), 'exec');
          assert.match(e1.stdout, /^in-exec\nsh -c trap /, show(e1));
          const e7 = await podman(rt, ['exec', c.name, 'sh', '-c', 'exit 7']);
          assert.equal(e7.status, 7, show(e7));
          const e127 = await podman(rt, ['exec', c.name, 'no-such-command']);
          assert.equal(e127.status, 127, show(e127));
          assert.match(e127.stderr, /executable file not found in \$PATH/, show(e127));
          const stop = ok(await podman(rt, ['stop', '-t', '10', c.name]), 'podman stop');
          assert.ok(stop.ms < 8000, `stop took ${stop.ms} ms: SIGTERM not delivered? ${show(stop)}`);
          assert.doesNotMatch(stop.stderr, /resorting to SIGKILL/, show(stop));
          assert.equal(await inspect(rt, c.name, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0');
          const logs = ok(await podman(rt, ['logs', c.name]));
          assert.match(logs.stdout, /^started\n(.*\n)*got-TERM\n$/, show(logs));
          assert.ok(await waitGone(c.conmonPid), `conmon ${c.conmonPid} still running after the container exited`);
          ok(await podman(rt, ['rm', c.name]), 'podman rm');
          assert.ok(!runtimeIds(rt).includes(c.id), `${rt.name} list still shows ${c.id}`);
          assert.deepEqual(containerCgroupDirs(c.id), [], 'the container cgroup is left behind');
        } finally {
          await removeContainer(rt, c);
        }
      });

      test(`${rt.name}: exec of a command that exits at once, 20 times: podman always gets its status`, async () => {
        // conmon (a subreaper) learns the exec'd process's status only by reaping it itself: the runtime
        // must leave the process (or its zombie) to conmon when `exec --detach` returns.
        const c = await startDetached(rt, `q-${rt.name}`);
        try {
          const results = [];
          for (let i = 0; i < 20; i++) results.push(await podman(rt, ['exec', c.name, 'sh', '-c', 'echo out; exit 3']));
          const statuses = results.map((r) => r.status);
          const bad = results.filter((r) => r.status !== 3 || r.stdout !== 'out\n');
          assert.deepEqual(statuses, Array(20).fill(3), `exec statuses ${statuses.join(',')}\n${bad.map(show).join('\n')}`);
        } finally {
          await removeContainer(rt, c);
        }
      });

      test(`${rt.name}: run -it through a pty (script): a tty, input forwarded, exit status`, async () => {
        const r = await podmanInPty(rt, ['run', '-it', '--rm', ...RUN_FLAGS, image, 'sh', '-c', 'tty; read x; echo got=$x; exit 3'], 'hello\n');
        assert.equal(r.status, 3, show(r));
        assert.match(r.stdout, /\/dev\/pts\/\d+\r\n/, show(r));
        assert.match(r.stdout, /got=hello\r\n/, show(r));
      });

      test(`${rt.name}: exec -it into a running container through a pty`, async () => {
        const c = await startDetached(rt, `t-${rt.name}`);
        try {
          const r = await podmanInPty(rt, ['exec', '-it', c.name, 'sh', '-c', 'tty; read x; echo got=$x; exit 5'], 'hi there\n');
          assert.equal(r.status, 5, show(r));
          assert.match(r.stdout, /\/dev\/pts\/\d+\r\n/, show(r));
          assert.match(r.stdout, /got=hi there\r\n/, show(r));
          const state = await inspect(rt, c.name, '{{.State.Status}}');
          assert.equal(state, 'running', 'the container survives the exec');
        } finally {
          await removeContainer(rt, c);
        }
      });

      test(`${rt.name}: --memory 64m --cpus 0.5 are the container's cgroup limits (seen inside)`, async () => {
        const r = ok(await podman(rt, ['run', '--rm', '--memory', '64m', '--cpus', '0.5', ...RUN_FLAGS, image, 'sh', '-c', INSIDE_LIMITS]));
        const [mem, cpu] = r.stdout.trim().split('\n');
        assert.equal(mem, String(64 << 20), show(r));
        assert.equal(cpu, '50000 100000', show(r));
      });

      test(`${rt.name}: podman update --memory/--cpus changes the limits (host cgroup and inside)`, async (t) => {
        const help = await podman(rt, ['update', '--help']);
        if (help.status !== 0) return t.skip(`this podman has no update: ${help.stderr.trim()}`);
        const c = await startDetached(rt, `u-${rt.name}`, ['--memory', '64m', '--cpus', '0.5']);
        try {
          const cg = hostCgroup(c.pid);
          assert.equal(cg.memory(), String(64 << 20));
          assert.equal(cg.cpu(), '50000 100000');
          const up = ok(await podman(rt, ['update', '--memory', '96m', '--cpus', '1.5', c.name]), 'podman update');
          assert.equal(up.stdout.trim(), c.id, show(up));
          assert.equal(cg.memory(), String(96 << 20), 'host memory limit after update');
          assert.equal(cg.cpu(), '150000 100000', 'host cpu quota after update');
          const inside = ok(await podman(rt, ['exec', c.name, 'sh', '-c', INSIDE_LIMITS]));
          assert.deepEqual(inside.stdout.trim().split('\n'), [String(96 << 20), '150000 100000'], show(inside));
        } finally {
          await removeContainer(rt, c);
        }
      });

      test(`${rt.name}: pause / unpause (podman inspect State.Status, the freezer)`, async () => {
        const c = await startDetached(rt, `p-${rt.name}`);
        try {
          const cg = hostCgroup(c.pid);
          ok(await podman(rt, ['pause', c.name]), 'podman pause');
          assert.equal(await inspect(rt, c.name, '{{.State.Status}}'), 'paused');
          assert.equal(cg.frozen(), 'FROZEN');
          assert.ok(alive(c.pid), 'the paused process is still there');
          ok(await podman(rt, ['unpause', c.name]), 'podman unpause');
          assert.equal(await inspect(rt, c.name, '{{.State.Status}}'), 'running');
          assert.equal(cg.frozen(), 'THAWED');
          const e = ok(await podman(rt, ['exec', c.name, 'echo', 'thawed']), 'exec after unpause');
          assert.equal(e.stdout, 'thawed\n');
        } finally {
          await removeContainer(rt, c);
        }
      });

      test(`${rt.name}: podman passes --log FILE --log-format=json; a failed create leaves a JSON error line there`, async () => {
        const name = `j-${rt.name}`;
        const cidfile = path.join(dirs.io, `${rt.name}-json.cid`);
        const r = await podman(rt, ['run', '--name', name, '--cidfile', cidfile, ...RUN_FLAGS, image, 'no-such-command']);
        try {
          assert.equal(r.status, 127, show(r));
          containerIds.add(fs.readFileSync(cidfile, 'utf8').trim());
          const log = await ociLog(rt, name);
          assert.ok(log.text, `${log.file} was not written (did podman pass --log, runtime_supports_json?)`);
          const lines = log.text.trim().split('\n');
          const entries = lines.map((l) => {
            try {
              return JSON.parse(l);
            } catch {
              assert.fail(`${log.file}: not a JSON line: ${l}`);
            }
          });
          const err = entries.find((e) => e.level === 'error' && /executable file not found in \$PATH/.test(e.msg));
          assert.ok(err, `no {"level":"error","msg":"...executable file not found..."} in ${log.file}:\n${log.text}`);
          assert.ok(!Number.isNaN(Date.parse(err.time)), `time ${err.time}`);
          assert.ok(r.stderr.includes(err.msg), `podman reports the runtime's message: ${show(r)}`);
        } finally {
          await podman(rt, ['rm', '-f', '-t', '0', name]);
        }
      });
    });
  }
});
