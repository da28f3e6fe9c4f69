// Real docker (Debian's docker.io 20.10: dockerd + its own containerd + containerd-shim-runc-v2)
// driving mydocker-runtime, with runc as the control: every scenario must pass with runc too.
//
//   node --test test/clients/docker.test.mjs                  # RUNTIMES=ours,runc (the default)
//   RUNTIMES=ours node --test test/clients/docker.test.mjs    # only ours ("runc" for only the control)
//
// A private dockerd: data-root, exec-root, pidfile, trust key and a unix socket in a temporary
// directory, `"runtimes": {"mydocker": {"path": "<repo>/dist/mydocker-runtime"}}`, its containers'
// cgroups under a cgroup parent of its own, and a bridge of its own (created and deleted here) as the
// default bridge network. iptables, ip-forward and ip-masq are off, so dockerd leaves the host's
// firewall and sysctls alone: a port published on 127.0.0.1 is served by docker-proxy (as it is with
// iptables on: docker's DNAT rules skip 127.0.0.0/8), and the host reaches the container addresses
// over the bridge directly. Traffic goes only to 127.0.0.1 and the containers made here.
// The image is busybox pulled from a local docker-registry (test/clients/lib/registry.mjs).
//
// Cleanup (after the tests, or on SIGINT/SIGTERM/exit): containers and the image, dockerd then its
// containerd (SIGTERM, then SIGKILL) and the shims of that containerd, by pid; mounts under the
// temporary directory, the directory itself, the cgroups under our parent, our bridge, and any
// DOCKER* iptables chain or rule that was not there before. (The dockerd set-up and cleanup:
// lib/dockerd.mjs, shared with bench/clients.mjs.)
//
// When a scenario fails, its error message carries the runtime's log.json (in the bundle directory
// under the exec-root), the container's state from `docker inspect` and dockerd's log lines about it.
// DOCKER_TEST_KEEP_LOG=1 keeps dockerd's log (its path is printed) after the cleanup.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cleanEnv, createDockerd, DOCKER, DOCKERD, tryRun } from './lib/dockerd.mjs';
import { alive, sleep } from './lib/host.mjs';
import { freePort, pushBusybox, startRegistry } from './lib/registry.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUR_RUNTIME = path.join(REPO, 'dist', 'mydocker-runtime');

/** RUNTIMES=ours,runc: test name -> docker runtime name. */
const RUNTIME_NAMES = { ours: 'mydocker', runc: 'runc' };
const RUNTIMES = (process.env.RUNTIMES ?? 'ours,runc')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const r of RUNTIMES) {
  if (!RUNTIME_NAMES[r]) throw new Error(`RUNTIMES: unknown runtime "${r}" (known: ${Object.keys(RUNTIME_NAMES).join(', ')})`);
}

const TAG = crypto.randomBytes(3).toString('hex');
const BRIDGE = `mdkd${TAG}`; // <= 15 characters
const CGROUP_PARENT = `mydocker-test-docker-${TAG}`;
const LABEL = `mydocker.test=docker-${TAG}`;

const show = (r) => `\n$ ${r.cmd}\nexit: ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
// The container's stderr: without the docker CLI's own warning about the host, which it prints on
// the same stream when net.ipv4.ip_forward is 0 (a fresh machine; our dockerd runs "ip-forward": false).
const containerStderr = (stderr) => stderr.replace(/^WARNING: IPv4 forwarding is disabled\. Networking will not work\.\n/m, '');

// ---------------------------------------------------------------------------------------------
// cgroups: the directory of a process's cgroup for a controller (v1, or a pure v2 host)

const CGROUP_ROOT = '/sys/fs/cgroup';
const PURE_V2 = fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));

function cgroupDir(pid, controller) {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  for (const line of lines) {
    const [, ctrls, ...rest] = line.split(':');
    const p = rest.join(':');
    if (PURE_V2 && ctrls === '') return path.join(CGROUP_ROOT, p);
    if (ctrls.split(',').includes(controller)) {
      for (const base of [path.join(CGROUP_ROOT, ctrls), path.join(CGROUP_ROOT, controller)]) {
        if (fs.existsSync(base)) return path.join(base, p);
      }
    }
  }
  throw new Error(`no ${controller} cgroup for pid ${pid}: ${lines.join(' | ')}`);
}

const readCg = (dir, file) => fs.readFileSync(path.join(dir, file), 'utf8').trim();

// ---------------------------------------------------------------------------------------------
// the private dockerd (test/clients/lib/dockerd.mjs, shared with bench/clients.mjs); D.registry and
// D.image are this file's

/** createDockerd(): set in before(); its cleanup() also runs at exit and on SIGINT/SIGTERM. */
let D = null;

/** `docker ARGS` against our dockerd. */
function docker(args, opts = {}) {
  return D.docker(args, opts);
}

async function dockerOk(args, opts) {
  const r = await docker(args, opts);
  assert.equal(r.code, 0, `docker ${args[0]} failed:${show(r)}`);
  return r.stdout;
}

async function inspect(name) {
  const r = await docker(['inspect', '--type', 'container', name]);
  if (r.code !== 0) return null;
  return JSON.parse(r.stdout)[0];
}

const logTail = (n, filter) => D.logTail(n, filter);

function onSignal(sig) {
  D?.cleanup();
  D?.registry?.stop?.();
  process.exit(128 + os.constants.signals[sig]);
}
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

// ---------------------------------------------------------------------------------------------
// a scenario: its containers, removed at its end; diagnostics appended to a failure

const TASK_DIR = () => path.join(D.execRoot, 'containerd', 'daemon', 'io.containerd.runtime.v2.task', 'moby');

class Scenario {
  constructor(runtime, name) {
    this.runtime = runtime; // docker runtime name
    this.slug = name;
    this.names = [];
    // The shim deletes a bundle (and the runtime's log.json in it) when a create fails: copy every
    // log.json while the scenario runs, and remember where dockerd's log stood at its start.
    this.runtimeLogs = new Map();
    try {
      this.logOffset = fs.statSync(D.log).size;
    } catch {
      this.logOffset = 0;
    }
    this.poller = setInterval(() => this.collectLogs(), 50);
  }

  collectLogs() {
    let ids = [];
    try {
      ids = fs.readdirSync(TASK_DIR());
    } catch {
      return;
    }
    for (const id of ids) {
      try {
        const text = fs.readFileSync(path.join(TASK_DIR(), id, 'log.json'), 'utf8');
        if (text) this.runtimeLogs.set(id, text);
      } catch {
        /* no log yet, or gone */
      }
    }
  }

  stop() {
    clearInterval(this.poller);
  }

  name(suffix) {
    const n = `mdk-${TAG}-${this.runtime}-${this.slug}-${suffix}`;
    this.names.push(n);
    return n;
  }

  /** `docker run --runtime R --label L ARGS` */
  run(args, opts) {
    return docker(['run', '--runtime', this.runtime, '--label', LABEL, ...args], opts);
  }

  /** `docker run -d --name N ...`; resolves the container's inspect once it runs. */
  async runDetached(suffix, args, cmd) {
    const name = this.name(suffix);
    const r = await this.run(['-d', '--name', name, ...args, D.image, ...cmd]);
    assert.equal(r.code, 0, `docker run -d failed:${show(r)}`);
    const c = await inspect(name);
    assert.ok(c, `container ${name} exists after run -d`);
    assert.equal(c.State.Status, 'running', `container ${name} runs: ${JSON.stringify(c.State)}`);
    assert.equal(c.HostConfig.Runtime, this.runtime);
    this.checkRuntimeState(c);
    return c;
  }

  /** The runtime that docker asked for is the one that holds the container's state. */
  checkRuntimeState(c) {
    const rootBase = path.join(D.execRoot, `runtime-${this.runtime}`, 'moby');
    const fallback = path.join(D.execRoot, 'runtime-runc', 'moby');
    const root = fs.existsSync(path.join(rootBase, c.Id)) ? rootBase : fallback;
    const bin = this.runtime === 'runc' ? 'runc' : OUR_RUNTIME;
    const r = tryRun(bin, ['--root', root, 'state', c.Id]);
    assert.ok(r, `${bin} --root ${root} state ${c.Id} knows the container (so ${this.runtime} made it)`);
    assert.equal(JSON.parse(r).pid, c.State.Pid, 'the runtime state has the pid docker reports');
  }

  async diagnose() {
    this.collectLogs();
    const parts = [];
    const ids = new Set();
    for (const name of this.names) {
      const c = await inspect(name);
      if (!c) {
        parts.push(`--- container ${name}: gone (or never created)`);
        continue;
      }
      ids.add(c.Id);
      parts.push(`--- container ${name} (${c.Id.slice(0, 12)}): State ${JSON.stringify(c.State)}\ndockerd log about it:\n${logTail(12, c.Id)}`);
    }
    for (const [id, text] of this.runtimeLogs) {
      parts.push(`--- runtime log ${path.join(TASK_DIR(), id, 'log.json')}${ids.has(id) ? '' : ' (bundle of a container docker no longer has)'}:\n${text.slice(-6000)}`);
    }
    if (!this.runtimeLogs.size) parts.push('--- no runtime log.json was written during this scenario');
    let dockerdLog = '';
    try {
      const fd = fs.openSync(D.log, 'r');
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - this.logOffset));
      fs.readSync(fd, buf, 0, buf.length, this.logOffset);
      fs.closeSync(fd);
      dockerdLog = buf
        .toString('utf8')
        .split('\n')
        .filter((l) => /level=(error|warning|fatal)/.test(l))
        .slice(-30)
        .join('\n');
    } catch {
      /* no log */
    }
    parts.push(`--- dockerd warnings and errors during this scenario:\n${dockerdLog || '(none)'}`);
    return parts.join('\n');
  }

  async removeAll() {
    const existing = [];
    for (const n of this.names) if (await inspect(n)) existing.push(n);
    if (existing.length) await docker(['rm', '-f', ...existing], { timeout: 60000 });
  }
}

function scenario(runtime, title, slug, fn, timeout = 120000) {
  it(title, { timeout }, async () => {
    const s = new Scenario(runtime, slug);
    try {
      await fn(s);
    } catch (e) {
      try {
        e.message += `\n\n[diagnostics: docker --runtime ${runtime}]\n${await s.diagnose()}`;
      } catch {
        /* keep the original error */
      }
      throw e;
    } finally {
      s.stop();
      await s.removeAll();
    }
  });
}

async function waitFor(what, fn, ms = 15000, every = 100) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

// ---------------------------------------------------------------------------------------------

describe('docker (dockerd 20.10 + containerd shim) drives the runtime', { concurrency: 1 }, () => {
  before(async () => {
    assert.equal(process.getuid(), 0, 'this test runs as root');
    for (const bin of [DOCKERD, DOCKER.startsWith('/') ? DOCKER : null].filter(Boolean)) {
      assert.ok(fs.existsSync(bin), `${bin} is missing: install docker.io (scripts/install-deps.sh)`);
    }
    if (RUNTIMES.includes('ours')) assert.ok(fs.existsSync(OUR_RUNTIME), `${OUR_RUNTIME} is missing: run node build.mjs`);
    D = createDockerd({
      tag: TAG,
      bridge: BRIDGE,
      cgroupParent: CGROUP_PARENT,
      runtimes: { mydocker: OUR_RUNTIME },
      keepLogAs: process.env.DOCKER_TEST_KEEP_LOG === '1' ? path.join(os.tmpdir(), `mydocker-dockerd-${TAG}.log`) : undefined,
    });
    D.registry = await startRegistry();
    await D.start({ insecureRegistries: [D.registry.host] });
    D.image = await pushBusybox(D.registry, `busybox-${TAG}`);
    const pull = await docker(['pull', '--quiet', D.image], { timeout: 120000 });
    assert.equal(pull.code, 0, `docker pull from the local registry:${show(pull)}`);
  }, { timeout: 150000 });

  after(async () => {
    D?.cleanup();
    await D?.registry?.stop();
  }, { timeout: 90000 });

  it('docker info lists our runtime and runc; the image came from the local registry', async () => {
    const info = JSON.parse(await dockerOk(['info', '--format', '{{json .}}']));
    assert.equal(info.Runtimes.mydocker?.path, OUR_RUNTIME);
    assert.ok(info.Runtimes.runc, `runc in ${JSON.stringify(info.Runtimes)}`);
    // docker's "runc" is looked up in dockerd's PATH by the shim: Debian's /usr/sbin/runc
    assert.ok(tryRun('sh', ['-c', 'command -v runc'], { env: cleanEnv() }), 'runc is in PATH');
    assert.equal(info.DefaultRuntime, 'runc');
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.CgroupDriver, 'cgroupfs');
    const img = JSON.parse(await dockerOk(['image', 'inspect', D.image]))[0];
    assert.deepEqual(img.RepoTags, [D.image]);
    assert.deepEqual(img.Config.Cmd, ['sh']);
  });

  for (const rtName of RUNTIMES) {
    const runtime = RUNTIME_NAMES[rtName];
    describe(`--runtime ${runtime} (${rtName})`, { concurrency: 1 }, () => {
      scenario(runtime, 'docker run --rm: output, stderr and exit status 42', 'rm', async (s) => {
        const name = s.name('once');
        const r = await s.run(['--rm', '--name', name, D.image, 'sh', '-c', 'echo "hello from $(hostname)"; echo "to stderr" >&2; exit 42']);
        assert.equal(r.code, 42, `exit status of the container:${show(r)}`);
        assert.match(r.stdout, /^hello from [0-9a-f]{12}\n$/, show(r));
        assert.equal(containerStderr(r.stderr), 'to stderr\n', show(r));
        assert.equal(await inspect(name), null, '--rm removed the container');
      });

      scenario(runtime, 'docker run of a missing command exits 127, of a non-executable file 126', 'notfound', async (s) => {
        let r = await s.run(['--rm', '--name', s.name('missing'), D.image, 'no-such-command']);
        assert.equal(r.code, 127, `docker maps the runtime's "executable file not found" / "no such file or directory" error to 127:${show(r)}`);
        r = await s.run(['--rm', '--name', s.name('noexec'), D.image, '/etc/passwd']);
        assert.equal(r.code, 126, `docker maps the runtime's "permission denied" error to 126:${show(r)}`);
      });

      scenario(runtime, 'docker run -d, exec (status, env, user, workdir, pid namespace), logs, stop, rm', 'life', async (s) => {
        const c = await s.runDetached('bg', [], ['sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo started; sleep 300 & wait']);
        const name = c.Name.slice(1);
        let r = await docker(['exec', name, 'sh', '-c', 'echo $((6*7)) $$; tr "\\0" " " < /proc/1/cmdline']);
        assert.equal(r.code, 0, show(r));
        const [first, cmdline] = r.stdout.split('\n');
        assert.match(first, /^42 \d+$/, show(r));
        assert.notEqual(first.split(' ')[1], '1', 'exec is not pid 1');
        assert.match(cmdline, /^sh -c trap /, `pid 1 in the exec's pid namespace is the container's init:${show(r)}`);
        r = await docker(['exec', name, 'sh', '-c', 'exit 5']);
        assert.equal(r.code, 5, `exec's exit status:${show(r)}`);
        r = await docker(['exec', '-e', 'FOO=bar', '-u', '65534:65534', '-w', '/tmp', name, 'sh', '-c', 'echo "$FOO $(id -u):$(id -g) $(pwd)"']);
        assert.equal(r.code, 0, show(r));
        assert.equal(r.stdout, 'bar 65534:65534 /tmp\n', show(r));
        r = await docker(['exec', name, 'no-such-command']);
        assert.notEqual(r.code, 0, `exec of a missing command fails:${show(r)}`);
        assert.ok([126, 127].includes(r.code), `docker maps "executable file not found" to 126 or 127:${show(r)}`);
        await waitFor('"started" in docker logs', async () => (await dockerOk(['logs', name])).includes('started'), 5000);

        const t0 = Date.now();
        r = await docker(['stop', '-t', '20', name]);
        assert.equal(r.code, 0, show(r));
        assert.ok(Date.now() - t0 < 10000, `stop delivered SIGTERM to the init (took ${Date.now() - t0} ms)`);
        const stopped = await inspect(name);
        assert.equal(stopped.State.Status, 'exited');
        assert.equal(stopped.State.ExitCode, 7, `the TERM trap's exit status: ${JSON.stringify(stopped.State)}`);
        assert.match(await dockerOk(['logs', name]), /got TERM/);
        // start again after a stop: a new create/start on the same bundle id
        r = await docker(['start', name]);
        assert.equal(r.code, 0, `docker start after stop:${show(r)}`);
        assert.equal((await inspect(name)).State.Status, 'running');
        r = await docker(['kill', name]);
        assert.equal(r.code, 0, show(r));
        await waitFor('exited after docker kill', async () => (await inspect(name)).State.Status === 'exited', 10000);
        assert.equal((await inspect(name)).State.ExitCode, 137, 'SIGKILL -> 137');
        r = await docker(['rm', name]);
        assert.equal(r.code, 0, show(r));
        assert.equal(await inspect(name), null, 'rm removed the container');
      });

      scenario(runtime, 'docker run -t and exec -t: a pty through the console socket', 'tty', async (s) => {
        const name = s.name('once');
        let r = await s.run(['--rm', '-t', '--name', name, D.image, 'sh', '-c', 'tty; test -t 1 && echo stdout-is-a-tty; exit 3']);
        assert.equal(r.code, 3, show(r));
        assert.match(r.stdout, /^\/dev\/pts\/\d+\r\nstdout-is-a-tty\r\n$/, show(r));
        const c = await s.runDetached('bg', [], ['sleep', '300']);
        r = await docker(['exec', '-t', c.Id, 'sh', '-c', 'tty; test -t 0 && echo stdin-is-a-tty']);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, /^\/dev\/pts\/\d+\r\nstdin-is-a-tty\r\n$/, show(r));
      });

      scenario(runtime, '-p 127.0.0.1:HOSTPORT:80: busybox httpd reachable from the host (libnetwork prestart hook)', 'port', async (s) => {
        const hostPort = await freePort();
        const body = `hello from httpd under ${runtime} ${TAG}\n`;
        const c = await s.runDetached('httpd', ['-p', `127.0.0.1:${hostPort}:80`], [
          'sh',
          '-c',
          `mkdir -p /www && printf '%s\\n' '${body.trim()}' > /www/index.html && exec httpd -f -p 80 -h /www`,
        ]);
        const ip = c.NetworkSettings.IPAddress;
        assert.ok(ip.startsWith(`${D.subnet}.`), `the container has an address on our bridge ${BRIDGE} (${D.subnet}.0/24): "${ip}" ${JSON.stringify(c.NetworkSettings)}`);
        // the container's network namespace holds the veth libnetwork moved in (through the prestart hook)
        const links = tryRun('nsenter', ['-t', String(c.State.Pid), '-n', 'ip', '-o', '-4', 'addr', 'show']) ?? '';
        assert.match(links, new RegExp(`eth0\\s+inet ${ip.replace(/\./g, '\\.')}/24`), `eth0 in the container's netns:\n${links}`);
        assert.equal((await dockerOk(['port', c.Id, '80/tcp'])).trim(), `127.0.0.1:${hostPort}`);
        const get = async (url) => {
          const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
          const text = await res.text();
          return res.status === 200 ? text : null;
        };
        const viaPort = await waitFor(`http://127.0.0.1:${hostPort}/`, () => get(`http://127.0.0.1:${hostPort}/`), 15000, 200);
        assert.equal(viaPort, body);
        assert.equal(await get(`http://${ip}/`), body, 'the container address answers from the host');
        const log = await dockerOk(['logs', c.Id]);
        assert.doesNotMatch(log, /error/i);
      });

      scenario(runtime, 'docker update --memory/--memory-swap/--cpus/--pids-limit on a running container: host cgroup files', 'update', async (s) => {
        const c = await s.runDetached('bg', [], ['sleep', '300']);
        const pid = c.State.Pid;
        const r = await docker(['update', '--memory', '64m', '--memory-swap', '128m', '--cpus', '0.5', '--pids-limit', '99', c.Id]);
        assert.equal(r.code, 0, `docker update:${show(r)}`);
        const mem = cgroupDir(pid, 'memory');
        const cpu = cgroupDir(pid, 'cpu');
        const pids = cgroupDir(pid, 'pids');
        assert.ok(mem.includes(`/${CGROUP_PARENT}/${c.Id}`), `the container's cgroup is under the daemon's cgroup-parent: ${mem}`);
        if (PURE_V2) {
          assert.equal(readCg(mem, 'memory.max'), String(64 << 20));
          assert.equal(readCg(mem, 'memory.swap.max'), String(64 << 20));
          assert.equal(readCg(cpu, 'cpu.max'), '50000 100000');
        } else {
          assert.equal(readCg(mem, 'memory.limit_in_bytes'), String(64 << 20));
          if (fs.existsSync(path.join(mem, 'memory.memsw.limit_in_bytes'))) {
            assert.equal(readCg(mem, 'memory.memsw.limit_in_bytes'), String(128 << 20));
          }
          assert.equal(readCg(cpu, 'cpu.cfs_quota_us'), '50000');
          assert.equal(readCg(cpu, 'cpu.cfs_period_us'), '100000');
        }
        assert.equal(readCg(pids, 'pids.max'), '99');
        const after = await inspect(c.Id);
        assert.equal(after.State.Status, 'running', 'still running after update');
        assert.equal(after.HostConfig.Memory, 64 << 20);
        assert.equal(after.HostConfig.NanoCpus, 5e8);
        assert.equal(after.HostConfig.PidsLimit, 99);
        assert.equal(alive(pid), true);
      });

      scenario(runtime, 'docker top lists the container processes', 'top', async (s) => {
        const c = await s.runDetached('bg', [], ['sh', '-c', 'sleep 301 & sleep 302 & wait']);
        await waitFor('both sleeps started', async () => (await docker(['top', c.Id])).stdout.includes('sleep 302'), 5000);
        const r = await docker(['top', c.Id]);
        assert.equal(r.code, 0, show(r));
        const lines = r.stdout.trim().split('\n');
        assert.match(lines[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/, show(r));
        const rows = lines.slice(1).map((l) => l.trim().split(/\s+/));
        assert.equal(rows.length, 3, `init and two sleeps:${show(r)}`);
        assert.ok(rows.some((row) => row[1] === String(c.State.Pid) && row.slice(7).join(' ').startsWith('sh -c')), `the init (pid ${c.State.Pid}):${show(r)}`);
        for (const n of ['301', '302']) {
          assert.ok(rows.some((row) => row[2] === String(c.State.Pid) && row.slice(7).join(' ') === `sleep ${n}`), `sleep ${n}, child of the init:${show(r)}`);
        }
        const custom = await docker(['top', c.Id, '-o', 'pid,comm']);
        assert.equal(custom.code, 0, show(custom));
        assert.match(custom.stdout, /^\s*PID\s+COMMAND\n/, show(custom));
        assert.equal(custom.stdout.trim().split('\n').length, 4, show(custom));
      });

      scenario(runtime, 'docker pause / unpause: frozen cgroup, no progress, then progress again', 'pause', async (s) => {
        const c = await s.runDetached('bg', [], ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done']);
        const counter = `/proc/${c.State.Pid}/root/tmp/count`;
        const count = () => Number(fs.readFileSync(counter, 'utf8').trim() || 0);
        await waitFor('the counter to run', () => fs.existsSync(counter) && count() > 2, 5000);
        const freezer = cgroupDir(c.State.Pid, 'freezer');
        const frozen = () => (PURE_V2 ? readCg(freezer, 'cgroup.freeze') === '1' : readCg(freezer, 'freezer.state') === 'FROZEN');

        let r = await docker(['pause', c.Id]);
        assert.equal(r.code, 0, `docker pause:${show(r)}`);
        assert.equal((await inspect(c.Id)).State.Status, 'paused');
        assert.equal((await inspect(c.Id)).State.Paused, true);
        assert.ok(frozen(), `the container's freezer cgroup is frozen (${freezer})`);
        await sleep(150);
        const n1 = count();
        await sleep(600);
        assert.equal(count(), n1, 'a paused container makes no progress');
        r = await docker(['exec', c.Id, 'true']);
        assert.notEqual(r.code, 0, 'docker refuses exec into a paused container');

        r = await docker(['unpause', c.Id]);
        assert.equal(r.code, 0, `docker unpause:${show(r)}`);
        const st = (await inspect(c.Id)).State;
        assert.equal(st.Status, 'running');
        assert.equal(st.Paused, false);
        assert.ok(!frozen(), 'thawed');
        await waitFor('the counter to move again', () => count() > n1 + 2, 5000);
        r = await docker(['exec', c.Id, 'true']);
        assert.equal(r.code, 0, show(r));
        // stop of a paused container (docker thaws it to deliver the signal)
        assert.equal((await docker(['pause', c.Id])).code, 0);
        r = await docker(['stop', '-t', '1', c.Id]);
        assert.equal(r.code, 0, `docker stop of a paused container:${show(r)}`);
        assert.equal((await inspect(c.Id)).State.Status, 'exited');
      });

      it('leaves no container behind', async () => {
        const left = (await dockerOk(['ps', '-aq', '--filter', `label=${LABEL}`, '--filter', `name=-${runtime}-`])).trim();
        assert.equal(left, '', 'containers left by the scenarios');
      });
    });
  }
});
