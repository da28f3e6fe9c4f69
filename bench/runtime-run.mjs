#!/usr/bin/env node
// Benchmark: `runc run` vs `mydocker-runtime run` of /bin/true in a busybox bundle, side by side.
//
//   node bench/runtime-run.mjs [--config baseline|docker] [--rounds N] [--json]
//
// env: MYDOCKER_RUNTIME  the runtime to compare (default <repo>/dist/mydocker-runtime, the native
//                        launcher of package.json "bin", else <repo>/dist/mydocker-runtime.js)
//      RUNC              the reference (default "runc")
//      ROUNDS            timed runs per runtime (default 20; --rounds wins)
//
// Each round runs both runtimes once, alternating which goes first, each with a fresh container
// id and its own --root. Every child process gets the environment without NODE_EXTRA_CA_CERTS
// (FACTS.md: with it, every Node start parses a CA bundle, ~30 ms that most users do not pay).
// Wall time per run is measured around spawnSync with process.hrtime.bigint(). Each round also times
// Node alone with the runtime's node flags on an empty file (the "node start floor" line): the part
// of ours that comes before any of our code, which changes with the machine as runc's whole run does.
// And each runtime's start-up floor, `state` of an id that does not exist (the program's start,
// argument parsing and a look into --root, no container work): the run minus it is the
// container's part, comparable between the two, and 1.5x runc minus ours is what that target
// leaves for it.
//
// --config docker uses /work/shared/fixtures/client-configs/docker-run-config.json (what dockerd
// 20.10 sent to runc here) rewritten for the bench bundle: root.path -> the bundle's rootfs,
// process.args -> /bin/true, hooks removed, bind mounts whose sources do not exist removed,
// cgroupsPath removed (each runtime then uses its per-id default: docker's fixed path would be
// shared by every run).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { makeBundle, removeBundle, writeConfig } from '../conformance/lib/bundle.mjs';
import { defaultRuntime } from '../conformance/lib/runtime.mjs';
import { CLIENT_CONFIGS } from '../test/lib/fixtures.mjs';
import { summarize } from './lib/stats.mjs';
import { RUNTIME_NODE_FLAGS } from '../scripts/bundle-options.mjs';

const DOCKER_FIXTURE = process.env.DOCKER_CONFIG_FIXTURE || path.join(CLIENT_CONFIGS, 'docker-run-config.json');

function parseArgs(argv) {
  const opts = { config: 'baseline', rounds: Number(process.env.ROUNDS || 20), json: false, warmup: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--config' || a.startsWith('--config=')) opts.config = value();
    else if (a === '--rounds' || a.startsWith('--rounds=')) opts.rounds = Number(value());
    else if (a === '--warmup' || a.startsWith('--warmup=')) opts.warmup = Number(value());
    else if (a === '--json') opts.json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/runtime-run.mjs [--config baseline|docker] [--rounds N] [--warmup N] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!['baseline', 'docker'].includes(opts.config)) throw new Error(`--config must be baseline or docker, not ${opts.config}`);
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`bad round count ${opts.rounds}`);
  return opts;
}

function resolveCommand(value, fallback) {
  const v = value || fallback;
  return v.includes('/') ? path.resolve(v) : v;
}

/** The environment for every child: ours without NODE_EXTRA_CA_CERTS (and test-runner variables). */
function childEnv() {
  const env = { ...process.env };
  for (const k of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'LISTEN_FDS', 'LISTEN_PID']) delete env[k];
  return env;
}

/** A bundle for `config` ("baseline" or "docker") running /bin/true, with its own writable busybox rootfs. */
function makeBenchBundle(config) {
  const bundle = makeBundle({ args: ['/bin/true'], rootfs: 'copy', hostname: 'bench' });
  if (config === 'docker') {
    const docker = JSON.parse(fs.readFileSync(DOCKER_FIXTURE, 'utf8'));
    docker.root = { ...docker.root, path: 'rootfs' };
    docker.process.args = ['/bin/true'];
    delete docker.process.terminal;
    delete docker.hooks;
    if (docker.linux) delete docker.linux.cgroupsPath;
    docker.mounts = (docker.mounts ?? []).filter((m) => {
      const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
      if (!bind) return true;
      const src = path.isAbsolute(m.source) ? m.source : path.join(bundle, m.source);
      return fs.existsSync(src);
    });
    writeConfig(bundle, docker);
  }
  return bundle;
}


class Contender {
  constructor(name, command) {
    this.name = name;
    this.command = command;
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `bench-root-${name.replace(/[^A-Za-z0-9]/g, '')}-`));
    this.times = [];
    this.startTimes = [];
    this.failures = 0;
    this.firstError = null;
    this.ids = [];
  }

  runOnce(bundle, env, timed) {
    const id = `bench-${crypto.randomBytes(5).toString('hex')}`;
    this.ids.push(id);
    const start = process.hrtime.bigint();
    const r = spawnSync(this.command, ['--root', this.root, 'run', '--bundle', bundle, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      timeout: 60000,
      killSignal: 'SIGKILL',
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) {
      this.failures++;
      if (!this.firstError) {
        this.firstError = `${this.command} run exited ${r.status ?? r.signal ?? r.error?.code}: ${String(r.stderr ?? r.error?.message).trim()}`;
      }
      return;
    }
    if (timed) this.times.push(ms);
  }

  /**
   * The runtime's own start-up floor: `state` of an id that does not exist, a whole start of the
   * program (its runtime, its argument parsing, a look into --root) with no container work. It
   * fails as it should; any other outcome is a failed run.
   */
  startOnce(env, timed) {
    const start = process.hrtime.bigint();
    const r = spawnSync(this.command, ['--root', this.root, 'state', 'bench-no-such-container'], { stdio: ['ignore', 'pipe', 'pipe'], env, timeout: 60000 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status === 0 || r.status === null) {
      this.failures++;
      if (!this.firstError) this.firstError = `${this.command} state of an unknown id exited ${r.status ?? r.signal}`;
      return;
    }
    if (timed) this.startTimes.push(ms);
  }

  cleanup(env) {
    // Foreground `run` deletes its container; force-delete anything a failing run left behind.
    for (const id of this.ids) {
      if (fs.existsSync(path.join(this.root, id))) {
        spawnSync(this.command, ['--root', this.root, 'delete', '--force', id], { stdio: 'ignore', env, timeout: 15000 });
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

/**
 * Node's own start with the runtime's node flags (an empty script), timed in the same rounds: how
 * much of ours is Node before any of our code runs. It moves with the machine (page faults cost
 * 1.7 us on one day here and 10 us on another), and with it the ratio.
 */
class NodeFloor {
  constructor() {
    this.file = path.join(os.tmpdir(), `bench-node-floor-${process.pid}.js`);
    fs.writeFileSync(this.file, '');
    this.times = [];
  }

  runOnce(env, timed) {
    const start = process.hrtime.bigint();
    spawnSync(process.execPath, [...RUNTIME_NODE_FLAGS, this.file], { stdio: 'ignore', env });
    if (timed) this.times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }

  cleanup() {
    fs.rmSync(this.file, { force: true });
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const env = childEnv();
  const runc = new Contender('runc', resolveCommand(process.env.RUNC, 'runc'));
  const ours = new Contender('ours', resolveCommand(process.env.MYDOCKER_RUNTIME, defaultRuntime()));
  const floor = new NodeFloor();
  const bundle = makeBenchBundle(opts.config);
  const cleanup = () => {
    runc.cleanup(env);
    ours.cleanup(env);
    floor.cleanup();
    removeBundle(bundle);
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    for (let i = 0; i < opts.warmup; i++) {
      runc.runOnce(bundle, env, false);
      ours.runOnce(bundle, env, false);
    }
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? [runc, ours] : [ours, runc];
      for (const c of order) c.runOnce(bundle, env, true);
      for (const c of order) c.startOnce(env, true);
      floor.runOnce(env, true);
    }
  } finally {
    cleanup();
  }

  const a = summarize(runc.times);
  const b = summarize(ours.times);
  const f = summarize(floor.times);
  const aStart = summarize(runc.startTimes);
  const bStart = summarize(ours.startTimes);
  const result = {
    config: opts.config,
    rounds: opts.rounds,
    program: '/bin/true',
    runc: { command: runc.command, ...a, failures: runc.failures },
    ours: { command: ours.command, ...b, failures: ours.failures },
    ratio: { median: b.median / a.median, p90: b.p90 / a.p90 },
    nodeFloor: { command: `node ${RUNTIME_NODE_FLAGS.join(' ')} <empty file>`, ...f },
    // `state` of an unknown id: each program's start-up with no container work; what a run costs
    // beyond it is the container's part, comparable between the two
    startFloor: { command: '<runtime> --root DIR state <unknown id>', runc: aStart, ours: bStart },
    afterStart: { runc: a.median - aStart.median, ours: b.median - bStart.median },
    // what 1.5x runc's median run leaves for everything after our own start-up
    budgetAfterStartAt1_5x: 1.5 * a.median - bStart.median,
  };
  if (opts.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const name = (c) => `${c.name}: ${c.command.length > 40 ? `...${c.command.slice(-37)}` : c.command}`;
    const rows = [
      ['runtime', 'median ms', 'p90 ms', 'min ms', 'mean ms', 'runs', 'failed'],
      [name(runc), fmt(a.median), fmt(a.p90), fmt(a.min), fmt(a.mean), String(a.n), String(runc.failures)],
      [name(ours), fmt(b.median), fmt(b.p90), fmt(b.min), fmt(b.mean), String(b.n), String(ours.failures)],
      ['ratio ours/runc', `${result.ratio.median.toFixed(2)}x`, `${result.ratio.p90.toFixed(2)}x`, '', '', '', ''],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(`runtime run of /bin/true, config: ${opts.config}, ${opts.rounds} timed rounds (+${opts.warmup} warm-up), NODE_EXTRA_CA_CERTS unset`);
    for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    console.log(`node start floor (${result.nodeFloor.command}): median ${fmt(f.median)} ms; ours minus it ${fmt(b.median - f.median)} ms, runc ${fmt(a.median)} ms`);
    console.log(`start-up floor (${result.startFloor.command}): median runc ${fmt(aStart.median)} ms, ours ${fmt(bStart.median)} ms`);
    console.log(`run beyond the start-up floor: runc ${fmt(result.afterStart.runc)} ms, ours ${fmt(result.afterStart.ours)} ms (${(result.afterStart.ours / result.afterStart.runc).toFixed(2)}x); 1.5x runc leaves ${fmt(result.budgetAfterStartAt1_5x)} ms after our start-up`);
  }
  for (const c of [runc, ours]) if (c.firstError) console.error(`${c.name}: ${c.failures} failed run(s); first: ${c.firstError}`);
  process.exitCode = runc.failures || ours.failures ? 1 : 0;
}

main();
