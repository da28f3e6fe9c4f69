// Real containerd 1.6 + ctr driving a runc-compatible runtime through containerd-shim-runc-v2
// (`ctr run --runc-binary PATH`), for our runtime and for runc as the control: every scenario here
// must pass with runc, or the test is wrong.
//
//   node --test --test-concurrency=1 test/clients/containerd.test.mjs
//   RUNTIMES=ours node --test test/clients/containerd.test.mjs     (ours | runc | an absolute path, comma-separated)
//
// Everything is private to this process: a containerd with root, state, opt and its gRPC/ttrpc sockets
// in a temp dir (CRI plugin disabled), a docker-registry on 127.0.0.1, one containerd namespace per
// runtime (`mdtest-<pid>-<runtime>`, so the shim's runc root /run/containerd/runc/<ns> and the cgroups
// /sys/fs/cgroup/<controller>/<ns>/<id> are ours alone). Cleanup removes the containers, images and
// namespaces, stops containerd by pid (SIGTERM, then SIGKILL), kills shims left by *our* containerd
// (found by our socket address), unmounts what is left under the temp dir, removes the cgroup
// directories under our namespaces and the temp dirs (set-up and cleanup: lib/containerd.mjs, shared
// with bench/clients.mjs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exec, startContainerd } from './lib/containerd.mjs';
import { CGROUP_ROOT, CGROUP_V2, mountsUnder, sleep } from './lib/host.mjs';
import { pushBusybox, startRegistry } from './lib/registry.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OURS = path.resolve(HERE, '..', '..', 'dist', 'mydocker-runtime');
const KNOWN = { ours: OURS, runc: '/usr/sbin/runc' };
const RUNTIMES = (process.env.RUNTIMES ?? 'ours,runc')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map((name) => ({ name: KNOWN[name] ? name : path.basename(name), bin: KNOWN[name] ?? name }));

const NEEDED = ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/bin/containerd-shim-runc-v2', '/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/umoci', '/usr/bin/script'];
const missing = [...NEEDED, ...RUNTIMES.map((r) => r.bin)].filter((f) => !fs.existsSync(f));
const skip =
  process.getuid?.() !== 0 ? 'needs root' : missing.length > 0 ? `missing: ${missing.join(', ')} (scripts/install-deps.sh, npm run build)` : false;

const MEMORY_LIMIT = 64 * 1024 * 1024;

const shq = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, `'\\''`)}'`);

/** A readable account of a command's result, for assertion messages. */
function show(r, extra = '') {
  return (
    `\n$ ${r.cmd}\n-> exit ${r.code}${r.signal ? ` signal ${r.signal}` : ''}${r.timedOut ? ' (TIMED OUT)' : ''} in ${r.ms} ms` +
    `\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}${extra}`
  );
}

// ---------------------------------------------------------------------------------------------
// containerd (test/clients/lib/containerd.mjs)

let cd = null; // the private containerd
let tmp = null; // its temp dir
let SOCK = null; // its gRPC socket
let registry = null;
let imageRef = null;

function ctr(ns, args, opts) {
  return cd.ctr(ns, args, opts);
}

/** Extra failure context: the runtime's log.json and containerd's log lines about the container. */
function context(ns, id) {
  const lj = cd.bundleLog(ns, id);
  const cl = cd.log(id);
  return `${lj ? `\n--- ${ns}/${id}/log.json ---\n${lj}` : ''}${cl ? `\n--- containerd.log (${id}) ---\n${cl}` : ''}`;
}

/** Best-effort removal of a container and its task (used in finally blocks). */
function removeContainer(ns, id) {
  return cd.removeContainer(ns, id);
}

async function taskStatus(ns, id) {
  const r = await ctr(ns, ['task', 'ls']);
  const m = r.stdout.match(new RegExp(`^${id}\\s+(\\d+)\\s+(\\w+)`, 'm'));
  return m ? { pid: Number(m[1]), status: m[2] } : { pid: 0, status: 'NONE', raw: show(r) };
}

async function waitStatus(ns, id, want, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let s;
  do {
    s = await taskStatus(ns, id);
    if (s.status === want) return s;
    await sleep(50);
  } while (Date.now() < deadline);
  return s;
}

/** cgroup directories of container `id` in namespace `ns` (v1: one per controller; v2: one). */
function cgroupDirs(ns, id) {
  if (CGROUP_V2) return [path.join(CGROUP_ROOT, ns, id)].filter((d) => fs.existsSync(d));
  const out = [];
  for (const c of fs.readdirSync(CGROUP_ROOT)) {
    const base = path.join(CGROUP_ROOT, c);
    if (fs.lstatSync(base).isSymbolicLink()) continue;
    const d = path.join(base, ns, id);
    if (fs.existsSync(d)) out.push(d);
  }
  return out;
}

const namespaces = [];

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  imageRef = await pushBusybox(registry);
  cd = await startContainerd();
  ({ dir: tmp, sock: SOCK } = cd);
});

after(async () => {
  if (skip) return;
  try {
    await cd?.stop({ namespaces, images: [imageRef] });
  } finally {
    await registry?.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// the scenarios, once per runtime

for (const rt of RUNTIMES) {
  describe(`containerd + ctr with ${rt.name} (${rt.bin})`, { skip }, () => {
    const ns = `mdtest-${process.pid}-${rt.name}`.replace(/[^a-zA-Z0-9.-]/g, '-');
    let n = 0;
    const newId = (what) => `${rt.name}-${what}-${process.pid}-${++n}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
    const ids = [];
    const run = (id, opts, args, execOpts) =>
      ctr(ns, ['run', '--runc-binary', rt.bin, ...opts, imageRef, id, ...args], execOpts);

    before(async () => {
      namespaces.push(ns);
      const r = await ctr(ns, ['image', 'pull', '--plain-http', imageRef], { timeoutMs: 60000 });
      assert.equal(r.code, 0, show(r));
    });

    test('run --rm: echo hello; exit codes; a missing program', async () => {
      const hello = newId('hello');
      ids.push(hello);
      const r = await run(hello, ['--rm'], ['echo', 'hello']);
      assert.equal(r.code, 0, show(r, context(ns, hello)));
      assert.equal(r.stdout, 'hello\n', show(r));

      const e42 = newId('exit42');
      ids.push(e42);
      const r42 = await run(e42, ['--rm'], ['sh', '-c', 'echo out; echo err >&2; exit 42']);
      assert.equal(r42.code, 42, show(r42, context(ns, e42))); // ctr run exits with the task's status
      assert.equal(r42.stdout, 'out\n', show(r42));
      assert.match(r42.stderr, /^err$/m, show(r42));

      // Environment, working directory and user from the image config and ctr's flags.
      const env = newId('env');
      ids.push(env);
      const re = await run(env, ['--rm', '--env', 'FOO=bar baz', '--cwd', '/tmp'], ['sh', '-c', 'echo "$FOO|$PATH"; pwd; id -u']);
      assert.equal(re.code, 0, show(re, context(ns, env)));
      assert.equal(re.stdout, 'bar baz|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/tmp\n0\n', show(re));

      // The runtime's error reaches the user through the shim (log.json) and ctr fails.
      const nx = newId('missing');
      ids.push(nx);
      const rn = await run(nx, ['--rm'], ['/nonexistent']);
      assert.notEqual(rn.code, 0, show(rn));
      assert.match(rn.stderr, /OCI runtime create failed/, show(rn));
      assert.match(rn.stderr, /\/nonexistent.*no such file or directory/, show(rn));
      const cs = await ctr(ns, ['container', 'ls', '--quiet']);
      for (const id of [hello, e42, env, nx]) assert.doesNotMatch(cs.stdout, new RegExp(`^${id}$`, 'm'), show(cs));
      for (const id of [hello, e42, env, nx]) await removeContainer(ns, id);
    });

    test('run -d, task exec, ps, pause/resume, kill, delete, container rm', async () => {
      const id = newId('detached');
      ids.push(id);
      try {
        // sh traps TERM and exits 7 (as pid 1 it would ignore an untrapped TERM).
        const r = await run(id, ['-d'], ['sh', '-c', 'trap "exit 7" TERM; sleep 1000 & wait']);
        assert.equal(r.code, 0, show(r, context(ns, id)));
        const st = await waitStatus(ns, id, 'RUNNING');
        assert.equal(st.status, 'RUNNING', st.raw);
        assert.ok(st.pid > 0);
        // host pid of the task = the container's pid 1
        const nsPid = fs.readFileSync(`/proc/${st.pid}/status`, 'utf8').match(/^NSpid:\s+(.*)$/m)[1].trim().split(/\s+/);
        assert.equal(nsPid.at(-1), '1', `host pid ${st.pid} has NSpid ${nsPid.join(' ')}`);

        const ex = await ctr(ns, ['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo exec-out; echo exec-err >&2; echo $$; exit 3']);
        assert.equal(ex.code, 3, show(ex, context(ns, id)));
        assert.match(ex.stdout, /^exec-out\n\d+\n$/, show(ex));
        assert.notEqual(ex.stdout.split('\n')[1], '1', 'the exec process must not be pid 1');
        assert.match(ex.stderr, /exec-err/, show(ex));

        // the same exec id can be used again once the previous one has exited
        const ex2 = await ctr(ns, ['task', 'exec', '--exec-id', 'e1', id, 'cat', '/proc/1/cmdline']);
        assert.equal(ex2.code, 0, show(ex2, context(ns, id)));
        assert.equal(ex2.stdout.split('\0').filter(Boolean).join(' '), 'sh -c trap "exit 7" TERM; sleep 1000 & wait', show(ex2));

        const exm = await ctr(ns, ['task', 'exec', '--exec-id', 'e2', id, '/nonexistent']);
        assert.notEqual(exm.code, 0, show(exm));
        assert.match(exm.stderr, /OCI runtime exec failed.*\/nonexistent.*no such file or directory/, show(exm));

        const ps = await ctr(ns, ['task', 'ps', id]);
        assert.equal(ps.code, 0, show(ps, context(ns, id)));
        const pids = ps.stdout
          .split('\n')
          .slice(1)
          .map((l) => Number(l.trim().split(/\s+/)[0]))
          .filter((p) => p > 0);
        assert.ok(pids.includes(st.pid), `init pid ${st.pid} in ctr task ps${show(ps)}`);
        assert.equal(pids.length, 2, `sh and sleep${show(ps)}`);

        const pa = await ctr(ns, ['task', 'pause', id]);
        assert.equal(pa.code, 0, show(pa, context(ns, id)));
        assert.equal((await taskStatus(ns, id)).status, 'PAUSED');
        if (!CGROUP_V2) {
          assert.equal(fs.readFileSync(path.join(CGROUP_ROOT, 'freezer', ns, id, 'freezer.state'), 'utf8').trim(), 'FROZEN');
        }
        const stat = fs.readFileSync(`/proc/${st.pid}/stat`, 'utf8');
        assert.match(stat.slice(stat.lastIndexOf(')') + 2), /^[DS]/, 'a frozen task sleeps in the freezer');
        const re = await ctr(ns, ['task', 'resume', id]);
        assert.equal(re.code, 0, show(re, context(ns, id)));
        assert.equal((await taskStatus(ns, id)).status, 'RUNNING');
        // still working after the thaw
        const ex3 = await ctr(ns, ['task', 'exec', '--exec-id', 'e3', id, 'echo', 'thawed']);
        assert.equal(ex3.stdout, 'thawed\n', show(ex3, context(ns, id)));

        const k = await ctr(ns, ['task', 'kill', id]); // SIGTERM
        assert.equal(k.code, 0, show(k, context(ns, id)));
        const stopped = await waitStatus(ns, id, 'STOPPED');
        assert.equal(stopped.status, 'STOPPED', stopped.raw);
        const logBefore = cd.bundleLog(ns, id);
        const d = await ctr(ns, ['task', 'delete', id]);
        assert.equal(d.code, 0, show(d, context(ns, id)));
        assert.match(d.stderr, /exit code 7\b/, show(d, logBefore)); // ctr reports the task's exit status
        assert.equal((await taskStatus(ns, id)).status, 'NONE');
        assert.deepEqual(cgroupDirs(ns, id), [], 'the runtime removes the container cgroups on delete');
        const rm = await ctr(ns, ['container', 'rm', id]);
        assert.equal(rm.code, 0, show(rm));
        assert.doesNotMatch((await ctr(ns, ['container', 'ls', '-q'])).stdout, new RegExp(`^${id}$`, 'm'));
      } finally {
        await removeContainer(ns, id);
      }
    });

    test('kill --all SIGKILL: every process dies by the signal, the init included (exit 137)', async () => {
      // runc freezes the cgroup, signals every process, then thaws: the init cannot see its children
      // die and exit 0 on its own before its own SIGKILL arrives. Several containers, as the window is small.
      const list = [0, 1, 2, 3, 4, 5].map((i) => newId(`killall${i}`));
      ids.push(...list);
      const scripts = list.map((_, i) => (i === 0 ? 'sleep 1000 & sleep 1001 & wait' : 'sleep 1000 & wait'));
      try {
        const started = await Promise.all(list.map((id, i) => run(id, ['-d'], ['sh', '-c', scripts[i]])));
        started.forEach((r, i) => assert.equal(r.code, 0, show(r, context(ns, list[i]))));
        for (const [i, id] of list.entries()) {
          assert.equal((await waitStatus(ns, id, 'RUNNING')).status, 'RUNNING');
          const want = i === 0 ? 3 : 2; // sh and its sleeps
          let ps;
          const deadline = Date.now() + 10000;
          do {
            ps = await ctr(ns, ['task', 'ps', id]);
            if (ps.stdout.trim().split('\n').length - 1 === want) break;
            await sleep(50);
          } while (Date.now() < deadline);
          assert.equal(ps.stdout.trim().split('\n').length - 1, want, show(ps, context(ns, id)));
        }
        const results = [];
        for (const id of list) {
          const k = await ctr(ns, ['task', 'kill', '--all', '--signal', 'SIGKILL', id]);
          assert.equal(k.code, 0, show(k, context(ns, id)));
          assert.equal((await waitStatus(ns, id, 'STOPPED')).status, 'STOPPED');
          const d = await ctr(ns, ['task', 'delete', id]);
          assert.equal(d.code, 0, show(d, context(ns, id)));
          // ctr warns "task ID exit with non-zero exit code N" and says nothing for 0
          results.push({ id, exit: Number(d.stderr.match(/exit code (\d+)/)?.[1] ?? 0), stderr: d.stderr.trim() });
          assert.deepEqual(cgroupDirs(ns, id), []);
        }
        assert.deepEqual(
          results.map((r) => r.exit),
          list.map(() => 137),
          `exit statuses after ctr task kill --all --signal SIGKILL:\n${JSON.stringify(results, null, 1)}`,
        );
      } finally {
        for (const id of list) await removeContainer(ns, id);
      }
    });

    test('task delete --force of a running task', async () => {
      const b = newId('forcedel');
      ids.push(b);
      try {
        const r2 = await run(b, ['-d'], ['sleep', '1000']);
        assert.equal(r2.code, 0, show(r2, context(ns, b)));
        const st = await waitStatus(ns, b, 'RUNNING');
        assert.equal(st.status, 'RUNNING');
        const df = await ctr(ns, ['task', 'delete', '--force', b]);
        assert.equal(df.code, 0, show(df, context(ns, b)));
        assert.equal((await taskStatus(ns, b)).status, 'NONE');
        assert.equal(fs.existsSync(`/proc/${st.pid}`) && !/^State:\s+Z/m.test(safeRead(`/proc/${st.pid}/status`)), false, `pid ${st.pid} gone`);
        assert.deepEqual(cgroupDirs(ns, b), []);
        const rm = await ctr(ns, ['container', 'rm', b]);
        assert.equal(rm.code, 0, show(rm));
      } finally {
        await removeContainer(ns, b);
      }
    });

    test('-t: run and exec with a terminal (through script(1))', async () => {
      const id = newId('tty');
      ids.push(id);
      try {
        const cmd = ['ctr', '--address', SOCK, '--namespace', ns, 'run', '-t', '--rm', '--runc-binary', rt.bin, imageRef, id, 'sh', '-c', 'tty; read x; echo got=$x; exit 5'];
        let sent = false;
        const r = await exec('script', ['-qec', cmd.map(shq).join(' '), '/dev/null'], {
          keepStdinOpen: true,
          timeoutMs: 30000,
          onStdout: (out, child) => {
            if (!sent && /\/dev\/pts\/\d+/.test(out)) {
              sent = true;
              child.stdin.write('hello-in\n');
            }
          },
        });
        assert.equal(r.code, 5, show(r, context(ns, id)));
        assert.match(r.stdout, /^\/dev\/pts\/\d+\r+\n/, show(r)); // the program's stdin is a pty (onlcr: \r\n)
        assert.match(r.stdout, /got=hello-in\r+\n/, show(r)); // input crossed ctr -> shim -> pty master

        const d = newId('ttyexec');
        ids.push(d);
        const rd = await run(d, ['-d'], ['sleep', '1000']);
        assert.equal(rd.code, 0, show(rd, context(ns, d)));
        const ecmd = ['ctr', '--address', SOCK, '--namespace', ns, 'task', 'exec', '-t', '--exec-id', 'tx', d, 'sh', '-c', 'tty; read a; echo got=$a; exit 6'];
        let sent2 = false;
        const re = await exec('script', ['-qec', ecmd.map(shq).join(' '), '/dev/null'], {
          keepStdinOpen: true,
          timeoutMs: 30000,
          onStdout: (out, child) => {
            if (!sent2 && /\/dev\/pts\/\d+/.test(out)) {
              sent2 = true;
              child.stdin.write('exec-in\n');
            }
          },
        });
        assert.equal(re.code, 6, show(re, context(ns, d)));
        assert.match(re.stdout, /\/dev\/pts\/\d+\r+\n/, show(re));
        assert.match(re.stdout, /got=exec-in\r+\n/, show(re));
        await removeContainer(ns, d);
      } finally {
        await removeContainer(ns, id);
      }
    });

    test('--memory-limit and --cpus: the container cgroup, seen on the host and inside', async () => {
      const id = newId('limits');
      ids.push(id);
      try {
        // A cgroup mount (as docker adds) makes the container's own cgroups visible inside (v1).
        const inside = CGROUP_V2
          ? 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max'
          : 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us; grep -E "^[0-9]+:memory:" /proc/self/cgroup';
        let ready = false;
        let checked = null;
        const r = await run(
          id,
          ['--rm', '--memory-limit', String(MEMORY_LIMIT), '--cpus', '0.5', '--mount', 'type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=ro'],
          ['sh', '-c', `${inside}; echo READY; read x; echo bye`],
          {
            keepStdinOpen: true,
            onStdout: (out, child) => {
              if (!ready && /READY\n/.test(out)) {
                ready = true;
                // while it waits on stdin: the host view of its cgroup (cgroupsPath /<ns>/<id>)
                try {
                  checked = CGROUP_V2
                    ? {
                        memory: fs.readFileSync(path.join(CGROUP_ROOT, ns, id, 'memory.max'), 'utf8').trim(),
                        cpu: fs.readFileSync(path.join(CGROUP_ROOT, ns, id, 'cpu.max'), 'utf8').trim(),
                      }
                    : {
                        memory: fs.readFileSync(path.join(CGROUP_ROOT, 'memory', ns, id, 'memory.limit_in_bytes'), 'utf8').trim(),
                        cpu: `${fs.readFileSync(path.join(CGROUP_ROOT, 'cpu', ns, id, 'cpu.cfs_quota_us'), 'utf8').trim()} ${fs.readFileSync(path.join(CGROUP_ROOT, 'cpu', ns, id, 'cpu.cfs_period_us'), 'utf8').trim()}`,
                      };
                } catch (e) {
                  checked = { error: String(e) };
                }
                child.stdin.end('\n');
              }
            },
          },
        );
        assert.equal(r.code, 0, show(r, context(ns, id)));
        assert.ok(ready, show(r));
        assert.deepEqual(checked, { memory: String(MEMORY_LIMIT), cpu: '50000 100000' }, show(r));
        const expected = CGROUP_V2
          ? `${MEMORY_LIMIT}\n50000 100000\nREADY\nbye\n`
          : `${MEMORY_LIMIT}\n50000\n100000\nmemory:/${ns}/${id}\nREADY\nbye\n`;
        assert.equal(r.stdout.replace(/^\d+:memory:/m, 'memory:'), expected, show(r));
        assert.deepEqual(cgroupDirs(ns, id), [], 'cgroups removed after run --rm');
      } finally {
        await removeContainer(ns, id);
      }
    });

    test('ctr run options that reach the runtime: --read-only, --net-host, --privileged, caps, --seccomp, --no-pivot, --pid-file, --cpu-shares, --with-ns, exec --user/--cwd, signals', async () => {
      const mine = [];
      const one = async (what, opts, script, execOpts) => {
        const id = newId(what);
        ids.push(id);
        mine.push(id);
        const r = await run(id, ['--rm', ...opts], ['sh', '-c', script], execOpts);
        assert.equal(r.code, execOpts?.expectCode ?? 0, show(r, context(ns, id)));
        return r;
      };
      const capEff = (out) => out.match(/^CapEff:\s+([0-9a-f]+)$/m)?.[1];
      const hostStatus = fs.readFileSync('/proc/self/status', 'utf8');
      try {
        const ro = await one('readonly', ['--read-only'], 'touch /x 2>&1; echo rc=$?; grep -E "^[^ ]+ / " /proc/mounts');
        assert.match(ro.stdout, /Read-only file system\nrc=1\n/, show(ro));
        assert.match(ro.stdout, /^overlay \/ overlay ro[, ]/m, show(ro));

        const nh = await one('nethost', ['--net-host'], 'readlink /proc/self/ns/net');
        assert.equal(nh.stdout.trim(), fs.readlinkSync('/proc/self/ns/net'), show(nh));

        // containerd's default capability set (CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
        // NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP), no seccomp, no_new_privs off? (ctr: on)
        const df = await one('defaults', [], 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; ls /dev | tr "\\n" " "');
        assert.equal(capEff(df.stdout), '00000000a80425fb', show(df));
        assert.match(df.stdout, /^Seccomp:\s+0$/m, show(df));
        assert.match(df.stdout, /^NoNewPrivs:\s+1$/m, show(df));
        for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'ptmx', 'pts', 'shm', 'mqueue', 'fd', 'stdin', 'stdout', 'stderr']) {
          assert.match(df.stdout, new RegExp(`(^|\\s)${dev}(\\s|$)`), `/dev/${dev}${show(df)}`);
        }

        const pv = await one('privileged', ['--privileged'], 'grep -E "^CapEff:" /proc/self/status; ls /dev | wc -l');
        assert.equal(capEff(pv.stdout), capEff(hostStatus), `privileged: every capability this host grants${show(pv)}`);
        assert.ok(Number(pv.stdout.trim().split('\n').at(-1)) > 20, `privileged: the host's devices${show(pv)}`);

        const caps = await one('caps', ['--cap-drop', 'CAP_CHOWN', '--cap-add', 'CAP_SYS_ADMIN'], 'grep CapEff /proc/self/status; chown 1 /tmp 2>/dev/null; echo chown=$?');
        assert.equal(capEff(caps.stdout), (((0xa80425fb & ~1) | (1 << 21)) >>> 0).toString(16).padStart(16, '0'), show(caps));
        assert.match(caps.stdout, /chown=1/, show(caps));

        const sc = await one('seccomp', ['--seccomp'], 'grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null; echo unshare=$?');
        assert.match(sc.stdout, /^Seccomp:\s+2$/m, show(sc));
        assert.match(sc.stdout, /unshare=1/, `containerd's default profile refuses unshare(CLONE_NEWUSER) without CAP_SYS_ADMIN${show(sc)}`);

        const np = await one('nopivot', ['--no-pivot'], 'echo nopivot; ls /');
        assert.match(np.stdout, /^nopivot\n/, show(np));

        const pidFile = path.join(tmp, `${rt.name}.pid`);
        let hostPid = null;
        const pf = await one('pidfile', ['--pid-file', pidFile, '--cpu-shares', '512'], 'echo READY; read x', {
          keepStdinOpen: true,
          onStdout: (out, child) => {
            if (hostPid === null && /READY\n/.test(out)) {
              hostPid = safeRead(pidFile);
              const cid = mine.at(-1);
              hostPid = {
                pid: hostPid,
                cmdline: safeRead(`/proc/${hostPid}/cmdline`).split('\0').join(' ').trim(),
                shares: CGROUP_V2
                  ? safeRead(path.join(CGROUP_ROOT, ns, cid, 'cpu.weight')).trim()
                  : safeRead(path.join(CGROUP_ROOT, 'cpu', ns, cid, 'cpu.shares')).trim(),
              };
              child.stdin.end('\n');
            }
          },
        });
        assert.ok(hostPid, show(pf));
        assert.match(hostPid.pid, /^\d+$/, `ctr --pid-file holds the host pid: ${JSON.stringify(hostPid)}`);
        assert.equal(hostPid.cmdline, 'sh -c echo READY; read x', JSON.stringify(hostPid));
        assert.equal(hostPid.shares, CGROUP_V2 ? '20' : '512', JSON.stringify(hostPid)); // v2: runc's 512 -> weight 20

        // ctr run (no -t) forwards the signals it gets to the task (through the shim: runtime `kill ID 10`).
        let signalled = false;
        const sig = await one('signal', [], 'trap "echo got-usr1; exit 9" USR1; echo READY; while :; do sleep 0.1; done', {
          expectCode: 9,
          onStdout: (out, child) => {
            if (!signalled && /READY\n/.test(out)) {
              signalled = true;
              setTimeout(() => child.kill('SIGUSR1'), 100);
            }
          },
        });
        assert.match(sig.stdout, /got-usr1/, show(sig));

        // exec --user / --cwd, and joining an existing network namespace with --with-ns
        const d = newId('withns');
        ids.push(d);
        mine.push(d);
        const rd = await run(d, ['-d'], ['sleep', '1000']);
        assert.equal(rd.code, 0, show(rd, context(ns, d)));
        const st = await waitStatus(ns, d, 'RUNNING');
        const u = await ctr(ns, ['task', 'exec', '--exec-id', 'u', '--user', '65534', '--cwd', '/tmp', d, 'sh', '-c', 'id; pwd']);
        assert.equal(u.code, 0, show(u, context(ns, d)));
        assert.equal(u.stdout, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/tmp\n', show(u));
        const netns = fs.readlinkSync(`/proc/${st.pid}/ns/net`);
        assert.notEqual(netns, fs.readlinkSync('/proc/self/ns/net'), 'a container of its own network namespace');
        const wn = await one('joinns', ['--with-ns', `network:/proc/${st.pid}/ns/net`], 'readlink /proc/self/ns/net');
        assert.equal(wn.stdout.trim(), netns, show(wn));
      } finally {
        for (const id of mine) await removeContainer(ns, id);
      }
    });

    test('nothing left behind: containers, runtime state, cgroups, mounts', async () => {
      const cs = await ctr(ns, ['container', 'ls', '--quiet']);
      const ts = await ctr(ns, ['task', 'ls', '--quiet']);
      assert.equal(cs.stdout.trim(), '', show(cs));
      assert.equal(ts.stdout.trim(), '', show(ts));
      const stateDir = path.join('/run/containerd/runc', ns);
      // Container state only: our runtime keeps compiled seccomp programs in DIR/@seccomp-cache on
      // purpose (no container id can start with "@"); runc leaves the directory empty.
      const left = fs.existsSync(stateDir) ? fs.readdirSync(stateDir).filter((e) => !e.startsWith('@')) : [];
      assert.deepEqual(left, [], `container state left in ${stateDir}`);
      for (const id of ids) assert.deepEqual(cgroupDirs(ns, id), [], `cgroups of ${id}`);
      const m = mountsUnder(path.join(tmp, 'state'));
      assert.deepEqual(m, [], 'rootfs mounts left under the containerd state dir');
    });
  });
}

function safeRead(f) {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}
