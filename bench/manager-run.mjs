#!/usr/bin/env node
// Benchmark (issue 6): the manager against podman and docker, in one run, on the same image from
// the same local registry.
//
//   node bench/manager-run.mjs [--rounds N] [--warmup N] [--containers K] [--tools mydocker,podman,docker]
//                              [--modes bridge,none] [--no-memory] [--profile N] [--json]
//
// 1. A docker-registry on 127.0.0.1 gets the busybox test image (test/clients/lib/registry.mjs);
//    mydocker (its own roots under /var/tmp, its own bridge and subnet), a private podman world
//    (podman 4.3 + conmon + runc, test/clients/lib/podman.mjs, with a CNI bridge network of its
//    own) and a private dockerd (20.10, its own bridge, test/clients/lib/dockerd.mjs) pull it.
// 2. Latency: `mydocker run --rm IMAGE true`, `podman run --rm IMAGE true`, `docker run --rm IMAGE
//    true`, each with networking (the tool's bridge network) and with `--network none`. Each round
//    runs every tool once per mode, the tools' order going through all six permutations and the
//    modes' order alternating; --warmup rounds first (not timed). Wall time of the client command
//    (process.hrtime around spawnSync): the client's start, its daemon if any, the monitor, the
//    runtime, networking set-up and tear-down, the exit.
// 3. Memory (unless --no-memory): K containers `run -d IMAGE sleep 1000` per tool, one tool at a
//    time; the monitor of each (mydocker: Monitor.Pid of `mydocker inspect`, conmon; podman:
//    State.ConmonPid, conmon; docker: the parent of State.Pid, containerd-shim-runc-v2), checked to
//    be the parent of the container's process and to name the container on its command line, is
//    weighed from /proc/PID/smaps_rollup after the containers idled a moment: RSS, PSS (shared
//    pages divided among their users) and USS (private pages: what the monitor alone costs).
//    Then they are removed.
// 4. --profile N: N runs of mydocker per mode under strace (bench/lib/exec-trace.mjs): where the
//    time of one `mydocker run --rm` goes (Node start, image/layer look-ups, mounts, CNI plugins,
//    the runtime, the clean-up).
// Everything is removed at the end, also after SIGINT/SIGTERM (the run in progress finishes
// first; a second signal kills at once): containers, images, daemons by pid, conmons and shims by
// pid, mounts, cgroups, bridges, temp dirs.
//
// Every process gets the environment without NODE_EXTRA_CA_CERTS (shared/FACTS.md: with it every
// Node start parses a CA bundle, ~30 ms most users do not pay), NODE_OPTIONS and proxy variables.
// env: ROUNDS (default 15; --rounds wins), MYDOCKER (the mydocker executable, default dist/mydocker).
// Exit status 1 if a run failed, 128+N after signal N.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createDockerd, DOCKER, pickSubnet, tryRun } from '../test/clients/lib/dockerd.mjs';
import { pidsMentioning, sleep } from '../test/clients/lib/host.mjs';
import { createPodman, guardContainersCache, PODMAN } from '../test/clients/lib/podman.mjs';
import { pushBusybox, startRegistry } from '../test/clients/lib/registry.mjs';
import { profileRuns } from './lib/exec-trace.mjs';
import { benchEnv, createMydockerWorld } from './lib/mydocker-world.mjs';
import { addPodmanNetwork } from './lib/podman-network.mjs';
import { monitorProblem, parentPid, sumMemory } from './lib/proc-memory.mjs';
import { summarize } from './lib/stats.mjs';
import { timeCommand } from './lib/timed-command.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = ['mydocker', 'podman', 'docker'];
const MODES = ['bridge', 'none'];
const RUNC = '/usr/sbin/runc';
const RUN_TIMEOUT_MS = 60000;

// The clean environment first: the daemons, monitors and runtimes inherit it.
const MYDOCKER_FROM_ENV = process.env.MYDOCKER;
const CLEAN_ENV = benchEnv();
for (const k of Object.keys(process.env)) if (!(k in CLEAN_ENV)) delete process.env[k];

function parseArgs(argv) {
  const opts = { rounds: Number(process.env.ROUNDS || 15), warmup: 2, containers: 10, tools: TOOLS, modes: MODES, memory: true, profile: 0, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const is = (name) => a === name || a.startsWith(`${name}=`);
    const list = (known, what) => {
      const items = value().split(',').map((s) => s.trim()).filter(Boolean);
      for (const x of items) if (!known.includes(x)) throw new Error(`${what}: unknown "${x}" (known: ${known.join(', ')})`);
      if (!items.length) throw new Error(`${what}: none given`);
      return items;
    };
    if (is('--rounds')) opts.rounds = Number(value());
    else if (is('--warmup')) opts.warmup = Number(value());
    else if (is('--containers')) opts.containers = Number(value());
    else if (is('--profile')) opts.profile = Number(value());
    else if (is('--tools')) opts.tools = list(TOOLS, '--tools');
    else if (is('--modes')) opts.modes = list(MODES, '--modes');
    else if (a === '--no-memory') opts.memory = false;
    else if (a === '--json') opts.json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/manager-run.mjs [--rounds N] [--warmup N] [--containers K] [--tools mydocker,podman,docker] [--modes bridge,none] [--no-memory] [--profile N] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const [k, min] of [['rounds', 1], ['warmup', 0], ['containers', 1], ['profile', 0]]) {
    if (!Number.isInteger(opts[k]) || opts[k] < min) throw new Error(`--${k}: ${opts[k]} is not an integer >= ${min}`);
  }
  if (!opts.tools.includes('mydocker')) throw new Error('--tools: mydocker is what is compared; include it');
  return opts;
}

// ---------------------------------------------------------------------------------------------
// formatting

const round1 = (x) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
const round2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const ratio = (x, y) => (Number.isFinite(x) && Number.isFinite(y) && y > 0 ? Math.round((x / y) * 1000) / 1000 : null);
const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const mib = (kib) => round2(kib / 1024);

function printTable(rows, indent = '   ') {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const row of rows) console.log(`${indent}${row.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')}`);
}

// ---------------------------------------------------------------------------------------------
// interruption: a signal stops the work at the next checkpoint; the clean-up then runs

let interrupted = null;

async function checkpoint() {
  await new Promise((r) => setImmediate(r)); // spawnSync blocks the loop: let a pending signal in
  if (interrupted) throw new Error(`interrupted by ${interrupted}`);
}

// ---------------------------------------------------------------------------------------------
// the three tools: each knows its commands, its monitors and its clean-up

function versionOf(cmd, args, env) {
  return tryRun(cmd, args, { env })?.trim().split('\n')[0] ?? null;
}

async function mustSucceed(what, promise) {
  const r = await promise;
  const status = r.status ?? r.code;
  if (status !== 0) throw new Error(`${what}: exit ${status}: ${String(r.stderr).trim().slice(0, 2000)}`);
  return r;
}

async function makeMydocker(ctx) {
  const md = createMydockerWorld({ bin: ctx.mydockerBin, subnet: ctx.freeSubnet(), tag: ctx.tag });
  return {
    name: 'mydocker',
    monitorName: 'conmon',
    version: versionOf(ctx.mydockerBin, ['version'], md.env),
    networks: { bridge: `its default bridge network (${md.settings.bridge}, ${md.settings.subnet})`, none: '--network none' },
    world: md,
    cleanup: () => md.cleanup(),
    pull: () => mustSucceed('mydocker pull', md.cli(['pull', ctx.image], { timeoutMs: 120000 })),
    run: (mode, id) => md.command(['run', '--rm', ...(mode === 'none' ? ['--network', 'none'] : []), '--name', id, ctx.image, 'true']),
    removeLeft: (id) => md.cli(['rm', '-f', id]),
    detached: (id) => md.command(['run', '-d', '--name', id, ctx.image, 'sleep', '1000']),
    monitors: (ids) => md.inspect(ids),
    removeAll: (ids) => md.command(['rm', '-f', ...ids]),
    /** Processes of this world that are neither monitors nor containers: there should be none. */
    others: (known) => pidsMentioning(md.dir).filter((pid) => !known.has(pid)),
  };
}

async function makePodman(ctx) {
  const cgroupParent = `/mydocker-bench-podman-${process.pid}`;
  const pm = createPodman({ registry: ctx.registry, runtimes: [{ name: 'runc', path: RUNC }], prefix: 'mydocker-bench-podman-' });
  let net = null;
  const cleanup = async () => {
    const problems = await pm.cleanup({ cgroupParent });
    return [...problems, ...(net ? net.remove() : [])];
  };
  try {
    net = await addPodmanNetwork(pm, { subnet: ctx.freeSubnet(), tag: ctx.tag });
  } catch (e) {
    await cleanup();
    throw e;
  }
  const cmd = (args) => ({ cmd: PODMAN, args: pm.args(null, args), env: pm.env });
  return {
    name: 'podman',
    monitorName: 'conmon',
    version: versionOf(PODMAN, ['--version'], pm.env),
    networks: { bridge: `a CNI bridge network like its default (${net.bridge}, ${net.subnet})`, none: '--network none' },
    cleanup,
    pull: () => mustSucceed('podman pull', pm.podman(null, ['pull', '-q', ctx.image], { timeoutMs: 120000 })),
    run: (mode, id) => cmd(['run', '--rm', '--network', mode === 'none' ? 'none' : net.name, '--cgroup-parent', cgroupParent, '--name', id, ctx.image, 'true']),
    removeLeft: (id) => pm.podman(null, ['rm', '-f', '-t', '0', id]),
    detached: (id) => cmd(['run', '-d', '--network', net.name, '--cgroup-parent', cgroupParent, '--name', id, ctx.image, 'sleep', '1000']),
    async monitors(ids) {
      const r = await mustSucceed('podman inspect', pm.podman(null, ['inspect', '--format', '{{.Id}} {{.State.Pid}} {{.State.ConmonPid}}', ...ids]));
      return r.stdout.trim().split('\n').map((line) => {
        const [id, pid, monitorPid] = line.split(' ');
        return { id, pid: Number(pid), monitorPid: Number(monitorPid) };
      });
    },
    removeAll: (ids) => cmd(['rm', '-f', '-t', '0', ...ids]),
  };
}

async function makeDocker(ctx) {
  const D = createDockerd({ cgroupParent: `mydocker-bench-docker-${process.pid}`, logLevel: 'warn', what: 'bench docker' });
  try {
    await D.start({ insecureRegistries: [ctx.registry.host] });
  } catch (e) {
    D.cleanup();
    throw e;
  }
  const env = D.env();
  const cmd = (args) => ({ cmd: DOCKER, args, env });
  return {
    name: 'docker',
    monitorName: 'containerd-shim-runc-v2',
    version: versionOf(DOCKER, ['version', '--format', '{{.Server.Version}}'], env),
    networks: { bridge: `its default bridge network (${D.bridge}, ${D.subnet}.0/24; iptables off)`, none: '--network none' },
    cleanup: async () => {
      D.cleanup();
      return [];
    },
    pull: () => mustSucceed('docker pull', D.docker(['pull', '--quiet', ctx.image], { timeout: 120000 })),
    run: (mode, id) => cmd(['run', '--rm', ...(mode === 'none' ? ['--network', 'none'] : []), '--name', id, ctx.image, 'true']),
    removeLeft: (id) => D.docker(['rm', '-f', id]),
    detached: (id) => cmd(['run', '-d', '--name', id, ctx.image, 'sleep', '1000']),
    async monitors(ids) {
      const r = await mustSucceed('docker inspect', D.docker(['inspect', '--format', '{{.Id}} {{.State.Pid}}', ...ids]));
      return r.stdout.trim().split('\n').map((line) => {
        const [id, pid] = line.split(' ');
        return { id, pid: Number(pid), monitorPid: parentPid(Number(pid)) }; // the shim is the container's parent
      });
    },
    removeAll: (ids) => cmd(['rm', '-f', ...ids]),
  };
}

const MAKERS = { mydocker: makeMydocker, podman: makePodman, docker: makeDocker };

// ---------------------------------------------------------------------------------------------
// 2. latency

/** The six orders of three tools (fewer tools: their permutations), so each goes first equally often. */
function permutations(items) {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

async function measureLatency(tools, opts) {
  const series = new Map(); // `${tool} ${mode}` -> { times, failures, errors }
  for (const t of tools) for (const m of opts.modes) series.set(`${t.name} ${m}`, { times: [], failures: 0, warmupFailures: 0, errors: [] });
  const orders = permutations(tools);
  const load = { before: loadavg() };
  let n = 0;
  for (let round = -opts.warmup; round < opts.rounds; round++) {
    const timed = round >= 0;
    const modes = round % 2 === 0 ? opts.modes : [...opts.modes].reverse();
    for (const mode of modes) {
      for (const tool of orders[(round + opts.warmup) % orders.length]) {
        const id = `mdbench-${process.pid}-${tool.name}-${++n}`;
        const s = series.get(`${tool.name} ${mode}`);
        const r = timeCommand(tool.run(mode, id), RUN_TIMEOUT_MS);
        if (r.ok) {
          if (timed) s.times.push(r.ms);
        } else {
          if (timed) s.failures++;
          else s.warmupFailures++;
          if (s.errors.length < 3) s.errors.push(`${timed ? '' : '(warm-up) '}${r.why}`);
          await tool.removeLeft(id);
        }
        await checkpoint();
      }
    }
  }
  load.after = loadavg();
  const result = { rounds: opts.rounds, warmup: opts.warmup, loadavg: load, modes: {} };
  for (const mode of opts.modes) {
    const perTool = {};
    for (const t of tools) {
      const s = series.get(`${t.name} ${mode}`);
      const sum = summarize(s.times);
      perTool[t.name] = {
        network: t.networks[mode],
        median: round1(sum.median),
        p90: round1(sum.p90),
        min: round1(sum.min),
        mean: round1(sum.mean),
        runs: sum.n,
        failures: s.failures + s.warmupFailures,
        errors: s.errors,
        times: s.times.map(round1),
      };
    }
    const md = perTool.mydocker;
    const ratios = {};
    for (const other of ['podman', 'docker']) {
      if (perTool[other]) ratios[other] = { median: ratio(md.median, perTool[other].median), p90: ratio(md.p90, perTool[other].p90) };
    }
    result.modes[mode] = { tools: perTool, ratios, targetHalfOfPodman: ratios.podman ? ratios.podman.median <= 0.5 : null };
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// 3. memory of idle detached containers

async function measureMonitors(tool, opts) {
  const ids = [];
  const startTimes = [];
  const problems = [];
  try {
    for (let i = 0; i < opts.containers; i++) {
      const r = timeCommand(tool.detached(`mdbench-${process.pid}-${tool.name}-idle-${i}`), RUN_TIMEOUT_MS);
      if (!r.ok) throw new Error(`${tool.name}: a detached container did not start: ${r.why}`);
      ids.push(r.stdout.trim().split('\n').at(-1));
      startTimes.push(r.ms);
      await checkpoint();
    }
    await sleep(2000); // idle: the monitors' start-up work is over
    const found = await tool.monitors(ids);
    for (const c of found) {
      const p = monitorProblem(c.monitorPid, c.pid, c.id);
      if (p) problems.push(p);
    }
    const monitorPids = [...new Set(found.map((c) => c.monitorPid).filter(Boolean))];
    const memory = sumMemory(monitorPids);
    const others = tool.others ? tool.others(new Set([...monitorPids, ...found.map((c) => c.pid)])) : [];
    if (others.length) problems.push(`other processes of the world while idle: ${others.join(' ')}`);
    const rm = timeCommand(tool.removeAll(ids), RUN_TIMEOUT_MS);
    if (!rm.ok) problems.push(rm.why);
    ids.length = 0;
    return {
      monitor: tool.monitorName,
      containers: found.length,
      monitors: monitorPids.length,
      perContainerMiB: { rss: mib(memory.perProcessKiB.rss), pss: mib(memory.perProcessKiB.pss), uss: mib(memory.perProcessKiB.uss) },
      totalMiB: { rss: mib(memory.totalKiB.rss), pss: mib(memory.totalKiB.pss), uss: mib(memory.totalKiB.uss) },
      runDetachedMs: { median: round1(summarize(startTimes).median), p90: round1(summarize(startTimes).p90) },
      removeAllMs: round1(rm.ms),
      problems,
    };
  } finally {
    if (ids.length) timeCommand(tool.removeAll(ids), RUN_TIMEOUT_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// output

function printLatency(lat, toolNames) {
  console.log(`\n== latency of \`run --rm IMAGE true\`: ${lat.rounds} timed rounds (+${lat.warmup} warm-up), tools in rotating order; load average ${lat.loadavg.before.join(' ')} -> ${lat.loadavg.after.join(' ')}`);
  for (const [mode, m] of Object.entries(lat.modes)) {
    console.log(`\n-- ${mode === 'none' ? '--network none' : 'with networking'}`);
    const rows = [['tool', 'median ms', 'p90 ms', 'min ms', 'mean ms', 'runs', 'failed', 'network']];
    for (const name of toolNames) {
      const t = m.tools[name];
      rows.push([name, fmt(t.median), fmt(t.p90), fmt(t.min), fmt(t.mean), t.runs, t.failures, t.network]);
    }
    for (const [other, r] of Object.entries(m.ratios)) rows.push([`mydocker/${other}`, r.median === null ? '-' : `${r.median.toFixed(2)}x`, r.p90 === null ? '-' : `${r.p90.toFixed(2)}x`, '', '', '', '', '']);
    printTable(rows);
    if (m.targetHalfOfPodman !== null) console.log(`   target mydocker <= 0.5x podman (median): ${m.targetHalfOfPodman ? 'met' : 'NOT met'}`);
    for (const name of toolNames) for (const e of m.tools[name].errors) console.log(`   ${name} failure: ${e}`);
  }
}

function printMemory(mem) {
  console.log('\n== idle detached containers (`run -d IMAGE sleep 1000`): memory of the monitor per container, MiB');
  const rows = [['tool', 'monitor', 'containers', 'RSS', 'PSS', 'USS', 'run -d median ms', 'rm -f all ms']];
  for (const [name, m] of Object.entries(mem)) {
    if (m.error) rows.push([name, '-', '-', '-', '-', '-', '-', m.error.slice(0, 60)]);
    else rows.push([name, m.monitor, m.containers, fmt(m.perContainerMiB.rss, 2), fmt(m.perContainerMiB.pss, 2), fmt(m.perContainerMiB.uss, 2), fmt(m.runDetachedMs.median), fmt(m.removeAllMs)]);
  }
  printTable(rows);
  const md = mem.mydocker;
  if (md && !md.error) console.log(`   target <= 3 MiB per idle container beyond the container (mydocker's monitor RSS ${fmt(md.perContainerMiB.rss, 2)}, PSS ${fmt(md.perContainerMiB.pss, 2)}): ${md.perContainerMiB.rss <= 3 ? 'met' : md.perContainerMiB.pss <= 3 ? 'met by PSS, not by RSS' : 'NOT met'}`);
  for (const [name, m] of Object.entries(mem)) for (const p of m.problems ?? []) console.log(`   ${name}: ${p}`);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid() !== 0) throw new Error('bench/manager-run.mjs runs as root (it starts dockerd, podman containers and mydocker containers)');
  const mydockerBin = path.resolve(MYDOCKER_FROM_ENV || path.join(REPO, 'dist', 'mydocker'));
  const needed = [mydockerBin, RUNC, '/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/umoci', '/usr/bin/conmon'];
  if (opts.tools.includes('podman')) needed.push(PODMAN);
  if (opts.tools.includes('docker')) needed.push('/usr/sbin/dockerd', DOCKER);
  if (opts.profile) needed.push('/usr/bin/strace');
  const missing = needed.filter((f) => !fs.existsSync(f));
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (scripts/install-deps.sh, npm run build)`);

  const onSignal = (sig) => {
    if (interrupted) process.exit(128 + os.constants.signals[sig]);
    interrupted = sig;
    console.error(`# ${sig}: stopping and cleaning up (again to abort at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = new Date().toISOString();
  const out = { started, cpus: os.cpus().length, mydocker: mydockerBin, program: 'true' };
  const tools = [];
  const cleanupProblems = [];
  const cache = guardContainersCache(); // skopeo and podman write /var/lib/containers/cache
  const registry = await startRegistry();
  try {
    const image = await pushBusybox(registry, `busybox-bench-${process.pid}`);
    out.image = image;
    const taken = new Set();
    const ctx = {
      registry,
      image,
      mydockerBin,
      tag: crypto.randomBytes(3).toString('hex'),
      /** A /24 no route uses and no other tool of this run got. */
      freeSubnet() {
        for (;;) {
          const s = pickSubnet();
          if (!taken.has(s)) {
            taken.add(s);
            return s;
          }
        }
      },
    };
    if (!opts.json) {
      console.log(`mydocker vs podman vs docker: run --rm ${image} true; NODE_EXTRA_CA_CERTS unset for all`);
      console.log(`${out.cpus} CPUs, load average ${loadavg().join(' ')} at the start (${started})`);
    }
    // docker first: its bridge exists from the start, so the later subnet choices avoid it
    for (const name of ['docker', 'podman', 'mydocker'].filter((t) => opts.tools.includes(t))) {
      await checkpoint();
      const tool = await MAKERS[name](ctx);
      tools.push(tool);
      const t0 = Date.now();
      await tool.pull();
      tool.pullMs = Date.now() - t0;
      if (!opts.json) console.log(`${name} (${tool.version ?? '?'}): pulled in ${tool.pullMs} ms`);
    }
    tools.sort((a, b) => TOOLS.indexOf(a.name) - TOOLS.indexOf(b.name));
    out.versions = Object.fromEntries(tools.map((t) => [t.name, t.version]));
    out.pullMs = Object.fromEntries(tools.map((t) => [t.name, t.pullMs]));

    out.latency = await measureLatency(tools, opts);
    if (!opts.json) printLatency(out.latency, tools.map((t) => t.name));

    if (opts.memory) {
      out.memory = {};
      for (const tool of tools) {
        await checkpoint();
        try {
          out.memory[tool.name] = await measureMonitors(tool, opts);
        } catch (e) {
          if (interrupted) throw e;
          out.memory[tool.name] = { error: e.message };
        }
      }
      if (!opts.json) printMemory(out.memory);
    }

    if (opts.profile) {
      const md = tools.find((t) => t.name === 'mydocker');
      out.profile = {};
      for (const mode of opts.modes) {
        await checkpoint();
        out.profile[mode] = await profileRuns({
          command: (id) => md.run(mode, id),
          runs: opts.profile,
          idPrefix: `mdbench-${process.pid}-profile-${mode}`,
          removeLeft: md.removeLeft,
          checkpoint,
        });
      }
      if (!opts.json) {
        const { printProfile } = await import('./lib/exec-trace.mjs');
        for (const [mode, p] of Object.entries(out.profile)) printProfile(p, `mydocker run --rm${mode === 'none' ? ' --network none' : ''} IMAGE true`);
      }
    }
  } catch (e) {
    if (!interrupted) throw e;
    console.error(`# ${e.message}`);
  } finally {
    for (const tool of [...tools].reverse()) {
      try {
        for (const p of await tool.cleanup()) cleanupProblems.push(`${tool.name}: ${p}`);
      } catch (e) {
        cleanupProblems.push(`${tool.name}: clean-up failed: ${e.message}`);
      }
    }
    await registry.stop();
    cache.restore();
  }
  out.cleanupProblems = cleanupProblems;
  if (opts.json) console.log(JSON.stringify(out, null, 2));
  else {
    if (cleanupProblems.length) console.log(`\nclean-up problems:\n  ${cleanupProblems.join('\n  ')}`);
    console.log(`load average at the end: ${loadavg().join(' ')}`);
  }
  const failed = Object.values(out.latency?.modes ?? {}).some((m) => Object.values(m.tools).some((t) => t.failures));
  process.exitCode = interrupted ? 128 + os.constants.signals[interrupted] : failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exitCode = 1;
});
