#!/usr/bin/env node
// Benchmark: end-to-end latency of the real clients running busybox `true` with our runtime versus runc.
//
//   node bench/clients.mjs [--clients ctr,podman,docker] [--rounds N] [--warmup N] [--json]
//
//   ctr     `ctr run --rm --runc-binary <runtime> IMAGE ID true`     (a private containerd 1.6)
//   podman  `podman --runtime <name> run --rm --network none IMAGE true`   (podman 4.3 + conmon, private world)
//   docker  `docker run --rm --runtime mydocker|runc IMAGE true`     (a private dockerd 20.10, its default
//           bridge network: a bridge of its own; --docker-network NAME to pass --network NAME)
//
// env: ROUNDS            timed rounds per client (default 15; --rounds wins)
//      MYDOCKER_RUNTIME  our runtime (default <repo>/dist/mydocker-runtime)
//
// For each client: its daemon is started (in temp dirs, as test/clients/*.test.mjs do, through the same
// test/clients/lib modules), the image is pulled from a docker-registry on 127.0.0.1 (no other traffic),
// then 2 warm-up rounds and ROUNDS timed rounds; each round runs runc once and ours once, alternating
// which goes first. Each run is one client command, timed with process.hrtime around spawnSync (wall
// time: the client's start, the daemon, shim/conmon, the runtime's create/start/delete, the exit).
// A run fails if its command exits non-zero (or takes over 60 s): it is counted, not timed, and its
// container is removed. Then the daemon is stopped and everything is removed (containers, images,
// daemons by pid, shims/conmons, mounts, cgroups, the bridge, the temp dirs). Only the daemon of the
// client being measured runs during its rounds.
//
// Every process gets the environment without NODE_EXTRA_CA_CERTS (shared/FACTS.md: with it every Node
// start, so every start of our runtime, parses a CA bundle: ~30 ms most users do not pay), NODE_OPTIONS,
// LISTEN_FDS/LISTEN_PID and proxy variables: it is removed from this process's own environment first,
// so the daemons, shims and runtimes inherit the clean one.
//
// SIGINT/SIGTERM stop the rounds after the run in progress, then everything is cleaned up as usual
// (exit status 128+N); a second signal kills at once.
//
// Output: a table per client (median, p90, min, mean in ms, timed runs, failed runs, ratio ours/runc)
// with the load average before and after it, then a summary; --json prints one JSON document instead.
// Exit status 1 if any run failed.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startContainerd } from '../test/clients/lib/containerd.mjs';
import { cleanEnv, createDockerd, DOCKER } from '../test/clients/lib/dockerd.mjs';
import { createPodman, guardContainersCache } from '../test/clients/lib/podman.mjs';
import { pushBusybox, startRegistry } from '../test/clients/lib/registry.mjs';
import { summarize } from './lib/stats.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLIENTS = ['ctr', 'podman', 'docker'];
const RUNC = '/usr/sbin/runc';
const RUN_TIMEOUT_MS = 60000;

// The clean environment first (the lib modules read process.env only when they start a process).
for (const k of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'LISTEN_FDS', 'LISTEN_PID']) delete process.env[k];
for (const k of Object.keys(process.env)) if (/^(https?|all|no)_proxy$/i.test(k)) delete process.env[k];

function parseArgs(argv) {
  const opts = { clients: CLIENTS, rounds: Number(process.env.ROUNDS || 15), warmup: 2, json: false, dockerNetwork: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--clients' || a.startsWith('--clients=')) opts.clients = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--rounds' || a.startsWith('--rounds=')) opts.rounds = Number(value());
    else if (a === '--warmup' || a.startsWith('--warmup=')) opts.warmup = Number(value());
    else if (a === '--docker-network' || a.startsWith('--docker-network=')) opts.dockerNetwork = value();
    else if (a === '--json') opts.json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/clients.mjs [--clients ctr,podman,docker] [--rounds N] [--warmup N] [--docker-network NAME] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const c of opts.clients) if (!CLIENTS.includes(c)) throw new Error(`--clients: unknown client "${c}" (known: ${CLIENTS.join(', ')})`);
  if (!opts.clients.length) throw new Error('--clients: none given');
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`bad round count ${opts.rounds}`);
  if (!Number.isInteger(opts.warmup) || opts.warmup < 0) throw new Error(`bad warm-up count ${opts.warmup}`);
  return opts;
}

// ---------------------------------------------------------------------------------------------
// formatting

const round1 = (x) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const ratio = (x, y) => (x !== null && y !== null && y > 0 ? Math.round((x / y) * 1000) / 1000 : null);
const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

// ---------------------------------------------------------------------------------------------
// one side of a comparison: a runtime as a client names it

class Contender {
  /**
   * @param {string} name 'runc' | 'ours'
   * @param {string} runtime what the runtime is (path)
   * @param {(id: string) => { cmd: string, args: string[], env: object }} command the client command for container `id`
   * @param {(id: string) => Promise<void>} removeLeft removes container `id` after a failed run
   */
  constructor(name, runtime, command, removeLeft) {
    Object.assign(this, { name, runtime, command, removeLeft });
    this.times = [];
    this.failures = 0;
    this.warmupFailures = 0;
    this.errors = [];
    this.n = 0;
  }

  async runOnce(prefix, timed) {
    const id = `${prefix}-${this.name}-${++this.n}`;
    const { cmd, args, env } = this.command(id);
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status === 0) {
      if (timed) this.times.push(ms);
      return;
    }
    if (timed) this.failures++;
    else this.warmupFailures++;
    const why = r.error?.code === 'ETIMEDOUT' ? `timed out after ${RUN_TIMEOUT_MS} ms` : `exit ${r.status ?? r.signal ?? r.error?.code}`;
    if (this.errors.length < 3) this.errors.push(`${timed ? '' : '(warm-up) '}${[cmd, ...args].join(' ')}: ${why} in ${ms.toFixed(0)} ms: ${String(r.stderr ?? r.error?.message ?? '').trim().slice(0, 2000)}`);
    await this.removeLeft(id);
  }
}

/** Set by SIGINT/SIGTERM: the rounds stop (the event loop gets a turn after every run) and all is cleaned up. */
let interrupted = null;

/** Lets a pending signal handler run (spawnSync blocks the event loop), then stops if one did. */
async function checkpoint() {
  await new Promise((r) => setImmediate(r));
  if (interrupted) throw new Error(`interrupted by ${interrupted}`);
}

/** Warm-ups, then `rounds` rounds of runc and ours, alternating which goes first. */
async function measure(client, contenders, opts) {
  const [runc, ours] = contenders;
  const prefix = `mdbench-${process.pid}`;
  const load = { before: loadavg() };
  for (let i = 0; i < opts.warmup; i++) {
    for (const c of [runc, ours]) {
      await c.runOnce(`${prefix}-w`, false);
      await checkpoint();
    }
  }
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? [runc, ours] : [ours, runc];
    for (const c of order) {
      await c.runOnce(prefix, true);
      await checkpoint();
    }
  }
  load.after = loadavg();
  const side = (c) => {
    const s = summarize(c.times);
    return {
      runtime: c.runtime,
      median: round1(s.median),
      p90: round1(s.p90),
      min: round1(s.min),
      max: round1(s.max),
      mean: round1(s.mean),
      runs: s.n,
      failures: c.failures + c.warmupFailures,
      warmupFailures: c.warmupFailures,
      errors: c.errors,
      times: c.times.map(round1),
    };
  };
  const a = side(runc);
  const b = side(ours);
  return {
    client,
    rounds: opts.rounds,
    warmup: opts.warmup,
    loadavg: load,
    runc: a,
    ours: b,
    ratio: { median: ratio(b.median, a.median), p90: ratio(b.p90, a.p90) },
  };
}

// ---------------------------------------------------------------------------------------------
// the clients: each sets its daemon up, measures, and always tears it down

/** body(), then fn() whatever happened. */
async function withCleanup(fn, body) {
  try {
    return await body();
  } finally {
    await fn();
  }
}

function version(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 15000 });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : null;
}

async function benchCtr(ctx, opts) {
  const cd = await startContainerd({ prefix: 'mydocker-bench-containerd-' });
  const ns = { runc: `mdbench-${process.pid}-runc`, ours: `mdbench-${process.pid}-ours` };
  const stop = () => cd.stop({ namespaces: Object.values(ns), images: [ctx.image] });
  return withCleanup(stop, async () => {
    for (const n of Object.values(ns)) {
      const pull = await cd.ctr(n, ['image', 'pull', '--plain-http', ctx.image], { timeoutMs: 120000 });
      if (pull.code !== 0) throw new Error(`ctr image pull: ${pull.stderr}`);
    }
    const env = { ...process.env };
    const contender = (name, bin) =>
      new Contender(
        name,
        bin,
        (id) => ({ cmd: 'ctr', args: ['--address', cd.sock, '--namespace', ns[name], 'run', '--rm', '--runc-binary', bin, ctx.image, id, 'true'], env }),
        (id) => cd.removeContainer(ns[name], id),
      );
    const result = await measure('ctr', [contender('runc', RUNC), contender('ours', ctx.ours)], opts);
    result.command = `ctr run --rm --runc-binary RUNTIME ${ctx.image} ID true`;
    result.version = version('ctr', ['--version'], env);
    return result;
  });
}

async function benchPodman(ctx, opts) {
  const runtimes = [
    { name: 'ours', path: ctx.ours },
    { name: 'runc', path: RUNC },
  ];
  const pm = createPodman({ registry: ctx.registry, runtimes, prefix: 'mydocker-bench-podman-' });
  const cgroupParent = `/mydocker-bench-podman-${process.pid}`;
  const stop = async () => {
    const problems = await pm.cleanup({ cgroupParent });
    if (problems.length) console.error(`# podman cleanup:\n#   ${problems.join('\n#   ')}`);
  };
  return withCleanup(stop, async () => {
    const pull = await pm.podman(null, ['pull', '-q', ctx.image], { timeoutMs: 120000 });
    if (pull.status !== 0) throw new Error(`podman pull: ${pull.stderr}`);
    const contender = (rt) =>
      new Contender(
        rt.name,
        rt.path,
        (id) => ({ cmd: '/usr/bin/podman', args: pm.args(rt, ['run', '--rm', '--network', 'none', '--cgroup-parent', cgroupParent, '--name', id, ctx.image, 'true']), env: pm.env }),
        async (id) => {
          await pm.podman(null, ['rm', '-f', '-t', '0', id]);
        },
      );
    const result = await measure('podman', [contender(runtimes[1]), contender(runtimes[0])], opts);
    result.command = `podman --runtime NAME run --rm --network none --cgroup-parent ${cgroupParent} --name ID ${ctx.image} true`;
    result.version = version('/usr/bin/podman', ['--version'], pm.env);
    return result;
  });
}

async function benchDocker(ctx, opts) {
  const D = createDockerd({ runtimes: { mydocker: ctx.ours }, cgroupParent: `mydocker-bench-docker-${process.pid}`, logLevel: 'info', what: 'bench docker' });
  const stop = async () => D.cleanup();
  return withCleanup(stop, async () => {
    await D.start({ insecureRegistries: [ctx.registry.host] });
    const pull = await D.docker(['pull', '--quiet', ctx.image], { timeout: 120000 });
    if (pull.code !== 0) throw new Error(`docker pull: ${pull.stderr}`);
    const env = D.env();
    const runcPath = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8', env: cleanEnv() }).stdout.trim();
    const net = opts.dockerNetwork ? ['--network', opts.dockerNetwork] : [];
    const contender = (name, dockerRuntime, what) =>
      new Contender(
        name,
        what,
        (id) => ({ cmd: DOCKER, args: ['run', '--rm', '--runtime', dockerRuntime, ...net, '--name', id, ctx.image, 'true'], env }),
        async (id) => {
          await D.docker(['rm', '-f', id]);
        },
      );
    const result = await measure('docker', [contender('runc', 'runc', `runc (dockerd's: ${runcPath})`), contender('ours', 'mydocker', ctx.ours)], opts);
    result.command = `docker run --rm --runtime mydocker|runc ${net.join(' ')}${net.length ? ' ' : ''}--name ID ${ctx.image} true`;
    result.network = opts.dockerNetwork ?? `default bridge (${D.bridge}, ${D.subnet}.0/24)`;
    result.version = version(DOCKER, ['version', '--format', '{{.Server.Version}}'], env);
    return result;
  });
}

// ---------------------------------------------------------------------------------------------

function printClient(r) {
  const name = (side, c) => `${side}: ${c.runtime.length > 44 ? `...${c.runtime.slice(-41)}` : c.runtime}`;
  const rows = [
    ['runtime', 'median ms', 'p90 ms', 'min ms', 'mean ms', 'runs', 'failed'],
    [name('runc', r.runc), fmt(r.runc.median), fmt(r.runc.p90), fmt(r.runc.min), fmt(r.runc.mean), String(r.runc.runs), String(r.runc.failures)],
    [name('ours', r.ours), fmt(r.ours.median), fmt(r.ours.p90), fmt(r.ours.min), fmt(r.ours.mean), String(r.ours.runs), String(r.ours.failures)],
    ['ratio ours/runc', r.ratio.median === null ? '-' : `${r.ratio.median.toFixed(2)}x`, r.ratio.p90 === null ? '-' : `${r.ratio.p90.toFixed(2)}x`, '', '', '', ''],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log(`\n== ${r.client} (${r.version ?? '?'}): ${r.command}`);
  if (r.network) console.log(`   network: ${r.network}`);
  console.log(`   ${r.rounds} timed rounds (+${r.warmup} warm-up), runc and ours alternating; load average ${r.loadavg.before.join(' ')} -> ${r.loadavg.after.join(' ')}`);
  for (const row of rows) console.log(`   ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`);
  for (const side of ['runc', 'ours']) for (const e of r[side].errors) console.log(`   ${side} failure: ${e}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new Error('bench/clients.mjs runs as root (it starts containerd, podman and dockerd)');
  const ours = path.resolve(process.env.MYDOCKER_RUNTIME || path.join(REPO, 'dist', 'mydocker-runtime'));
  const needed = [ours, RUNC, '/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/umoci'];
  if (opts.clients.includes('ctr')) needed.push('/usr/bin/containerd', '/usr/bin/ctr', '/usr/bin/containerd-shim-runc-v2');
  if (opts.clients.includes('podman')) needed.push('/usr/bin/podman', '/usr/bin/conmon');
  if (opts.clients.includes('docker')) needed.push('/usr/sbin/dockerd');
  const missing = needed.filter((f) => !fs.existsSync(f));
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (scripts/install-deps.sh, npm run build)`);

  // A signal stops the rounds at the next run's end; the usual cleanup then runs (a second signal kills at once).
  const onSignal = (sig) => {
    interrupted = sig;
    console.error(`# ${sig}: stopping and cleaning up (again to abort at once)`);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const started = new Date().toISOString();
  const results = [];
  const errors = [];
  const cache = guardContainersCache(); // skopeo and podman write /var/lib/containers/cache
  const registry = await startRegistry();
  const stopRegistry = async () => {
    await registry.stop();
    cache.restore();
  };
  await withCleanup(stopRegistry, async () => {
    const image = await pushBusybox(registry, `busybox-bench-${process.pid}`);
    const ctx = { registry, image, ours };
    if (!opts.json) {
      console.log(`client latency, busybox true from ${image}; our runtime ${ours} vs ${RUNC}; NODE_EXTRA_CA_CERTS unset`);
      console.log(`${os.cpus().length} CPUs, load average ${loadavg().join(' ')} at the start (${started})`);
    }
    const benches = { ctr: benchCtr, podman: benchPodman, docker: benchDocker };
    for (const client of opts.clients) {
      if (interrupted) break;
      try {
        const r = await benches[client](ctx, opts);
        results.push(r);
        if (!opts.json) printClient(r);
      } catch (e) {
        errors.push({ client, error: e.message });
        console.error(`${client}: could not be measured: ${e.message}`);
      }
    }
  });

  if (opts.json) {
    console.log(JSON.stringify({ started, cpus: os.cpus().length, ours, runc: RUNC, program: 'true', results, errors }, null, 2));
  } else if (results.length) {
    console.log('\nsummary (medians, ms)');
    const rows = [['client', 'ours', 'runc', 'ours/runc', 'failed (ours/runc)']];
    for (const r of results) rows.push([r.client, fmt(r.ours.median), fmt(r.runc.median), r.ratio.median === null ? '-' : `${r.ratio.median.toFixed(2)}x`, `${r.ours.failures}/${r.runc.failures}`]);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    for (const row of rows) console.log(`   ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`);
    console.log(`load average at the end: ${loadavg().join(' ')}`);
  }
  const failed = errors.length > 0 || results.some((r) => r.ours.failures || r.runc.failures);
  process.exitCode = interrupted ? 128 + os.constants.signals[interrupted] : failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exitCode = 1;
});
