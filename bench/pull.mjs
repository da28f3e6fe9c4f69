#!/usr/bin/env node
// Benchmark: pulling from a local registry, for busybox and a debootstrap-sized image (one layer of
// about 50 MB gzip: see bench/lib/bench-images.mjs; no network is needed).
//
//   node bench/pull.mjs [--rounds N] [--size-mb N] [--only pull|runnable] [--with-unpack] [--json]
//
// Sections:
//   pull      download + verify into an OCI layout: mydocker's pullImage (in a Node process of its
//             own, start-up included, bundled like the CLI: `mydocker pull` itself now also
//             unpacks, so it is compared with skopeo in an extra line only) vs
//             `skopeo copy docker://REF oci:DIR:x`. The "start-up floor" row is `mydocker pull` of a
//             malformed reference: Node's start, the command table and the pull module's imports.
//             The section also times each tool's start-up floor (the download-only program and
//             skopeo, a malformed reference each) and prints what a pull costs beyond it.
//   runnable  pull-to-runnable: `mydocker pull REF` (download, verify and unpack the layers into the
//             layer store) into a fresh empty root vs `podman pull REF` into fresh private podman
//             storage (containers/storage keeps layers unpacked: overlay driver), see
//             bench/lib/podman-pull-world.mjs.
//   --with-unpack then runs bench/unpack.mjs (layer unpack vs GNU tar and umoci) with the same rounds.
//
// Each round runs each image with both tools of a section, alternating which goes first, each into
// a fresh empty store, after a `sync`; round 0 warms caches and is not counted. Child processes get
// the environment without NODE_EXTRA_CA_CERTS (see FACTS.md). The registry is docker-registry on 127.0.0.1.
//
// The stores are removed at the end, not between runs: ext4 skips over inodes freed in the last
// minute when it allocates one (recently_deleted() in fs/ext4/ialloc.c), checking each against
// the inode table, so right after a store of a few hundred files is removed, every new inode in
// that part of the disk cost 100-650 µs here instead of ~16 µs: busybox's 268 symlinks then took
// 50-175 ms, and the figures measured how much the previous run had deleted.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../test/clients/lib/registry.mjs';
import { guardContainersCache } from '../test/clients/lib/podman.mjs';
import { unmountUnder } from '../test/clients/lib/host.mjs';
import { pushBenchImages } from './lib/bench-images.mjs';
import { podmanPullWorld } from './lib/podman-pull-world.mjs';
import { summarize } from './lib/stats.mjs';
import { bundleProgram } from './lib/bundled-program.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MYDOCKER = path.join(repo, 'dist', 'mydocker');
const SECTIONS = ['pull', 'runnable'];

function parseArgs(argv) {
  const opts = { rounds: Number(process.env.ROUNDS || 7), sizeMb: 50, sections: SECTIONS, withUnpack: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = () => inline ?? argv[++i];
    if (flag === '--rounds') opts.rounds = Number(value());
    else if (flag === '--size-mb') opts.sizeMb = Number(value());
    else if (flag === '--only') opts.sections = [value()];
    else if (flag === '--with-unpack') opts.withUnpack = true;
    else if (flag === '--json') opts.json = true;
    else if (flag === '-h' || flag === '--help') {
      console.log('usage: node bench/pull.mjs [--rounds N] [--size-mb N] [--only pull|runnable] [--with-unpack] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`--rounds: bad round count ${opts.rounds}`);
  if (!opts.sections.every((s) => SECTIONS.includes(s))) throw new Error(`--only: one of ${SECTIONS.join(', ')}, not ${opts.sections}`);
  return opts;
}

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k)) delete env[k];

function timed(cmd, args, expectStatus = 0, extraEnv = {}) {
  const start = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== expectStatus) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return ms;
}

/**
 * The download-only program (pullImage, no unpack), bundled and started like mydocker
 * (bench/lib/bundled-program.mjs). Usage: node LAUNCHER ROOT RUN_ROOT REF.
 */
function bundlePullOnly(work) {
  const lib = (m) => JSON.stringify(path.join(repo, 'dist/lib/manager', m));
  return bundleProgram(
    work,
    'pull-only',
    `const { managerPaths } = require(${lib('paths.js')});
const { pullImage } = require(${lib('images/pull.js')});
const [root, runRoot, ref] = process.argv.slice(2);
// ends as mydocker does (manager/bin.ts)
pullImage(managerPaths(root, runRoot), ref, { quiet: true, output: () => {} }).then(
  () => setImmediate(() => exitProcess(0)),
  (e) => { console.error(e.message); exitProcess(1); },
);
`,
  );
}

const mydockerArgs = (dir, args) => ['--root', path.join(dir, 'lib'), '--run-root', path.join(dir, 'run'), ...args];

/** mydocker's fixed cost: start-up and argument parsing, measured as a pull of a malformed reference. */
const startupFloor = (dir) => timed(MYDOCKER, mydockerArgs(dir, ['pull', 'Not-Valid']), 125);

/**
 * The pull section's two start-up floors, a malformed reference to each (nothing is fetched): the
 * download-only program's and skopeo's. A pull minus its floor is the part the tools do alike.
 */
function pullFloors(pullOnly, work) {
  return {
    mydocker: () => timed(process.execPath, [pullOnly, path.join(work, 'lib'), path.join(work, 'run'), 'Not-Valid'], 1, { NODE_PATH: path.join(repo, 'node_modules') }),
    skopeo: () => timed('skopeo', ['copy', '--quiet', 'docker://Not-Valid', `oci:${path.join(work, 'floor-layout')}:x`], 1),
  };
}

/** Per section: two tools, each `(ref, scratchDir) => ms` into a fresh store, and its cleanup. */
function sectionTools(registry, pullOnly) {
  const nodePath = { NODE_PATH: path.join(repo, 'node_modules') };
  return {
    pull: {
      title: 'pull (download + verify into an OCI layout)',
      mydocker: (ref, dir) => timed(process.execPath, [pullOnly, path.join(dir, 'lib'), path.join(dir, 'run'), ref], 0, nodePath),
      skopeo: (ref, dir) => timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${path.join(dir, 'layout')}:x`]),
    },
    runnable: {
      title: 'pull-to-runnable (download, verify, unpack into the layer store)',
      mydocker: (ref, dir) => timed(MYDOCKER, mydockerArgs(dir, ['pull', '-q', ref])),
      podman: (ref, _dir, atEnd) => {
        const world = podmanPullWorld(registry);
        atEnd(async () => {
          const problems = await world.cleanup();
          if (problems.length) console.error(`podman cleanup: ${problems.join('; ')}`);
        });
        return world.pull(ref);
      },
    },
  };
}

async function runSection(section, tools, images, rounds, work, atEnd) {
  const [ours, theirs] = Object.keys(tools).filter((k) => k !== 'title');
  const times = Object.fromEntries(Object.keys(images).map((i) => [i, { [ours]: [], [theirs]: [] }]));
  for (let round = -1; round < rounds; round++) {
    for (const [image, { ref }] of Object.entries(images)) {
      const order = round % 2 === 0 ? [ours, theirs] : [theirs, ours];
      for (const tool of order) {
        const dir = fs.mkdtempSync(path.join(work, `${section}-${tool}-`));
        atEnd(() => unmountUnder(dir));
        // the previous store's writeback is not charged to the next tool
        spawnSync('sync');
        const ms = await tools[tool](ref, dir, atEnd);
        if (round >= 0) times[image][tool].push(ms); // round -1 warms caches
      }
    }
  }
  const out = { title: tools.title, ours, theirs, images: {} };
  for (const image of Object.keys(images)) {
    const a = summarize(times[image][ours]);
    const b = summarize(times[image][theirs]);
    out.images[image] = { [ours]: a, [theirs]: b, ratio: a.median / b.median, bestRatio: a.min / b.min };
  }
  return out;
}

function printReport(result, images) {
  console.log(`pull from a local registry, ${result.rounds} rounds (+1 warm-up), medians (ms); ${result.cpus} CPUs, load ${result.load}`);
  for (const [image, info] of Object.entries(images)) {
    const size = info.gzSize ? `: ${info.source}, ${(info.gzSize / 1e6).toFixed(1)} MB gzip, ${(info.tarSize / 1e6).toFixed(0)} MB tar, ${info.entries} entries` : '';
    console.log(`  ${image}${size}`);
  }
  if (result.startupFloor) console.log(`  mydocker start-up floor (a malformed reference, nothing pulled): ${result.startupFloor.median.toFixed(0)}`);
  if (result.pullFloors) {
    const f = result.pullFloors;
    console.log(`  pull section's start-up floors (a malformed reference): download-only program ${f.mydocker.median.toFixed(0)}, skopeo ${f.skopeo.median.toFixed(0)}`);
  }
  for (const s of Object.values(result.sections)) {
    console.log(`\n${s.title}`);
    console.log(`  ${'image'.padEnd(8)} ${s.ours.padStart(9)} ${s.theirs.padStart(9)}  ratio (best-run ratio)  p90 ${s.ours} / ${s.theirs}`);
    for (const [image, r] of Object.entries(s.images)) {
      const a = r[s.ours];
      const b = r[s.theirs];
      console.log(`  ${image.padEnd(8)} ${a.median.toFixed(0).padStart(9)} ${b.median.toFixed(0).padStart(9)}  ${r.ratio.toFixed(2)} (${r.bestRatio.toFixed(2)})            ${a.p90.toFixed(0)} / ${b.p90.toFixed(0)}`);
    }
  }
  const { pull, runnable } = result.sections;
  if (pull && result.pullFloors) {
    const f = result.pullFloors;
    console.log('\npull beyond each tool\'s start-up floor (median minus floor), and what 1.2x skopeo leaves after ours');
    for (const [image, r] of Object.entries(pull.images)) {
      const ours = r.mydocker.median - f.mydocker.median;
      const theirs = r.skopeo.median - f.skopeo.median;
      console.log(`  ${image.padEnd(8)} mydocker ${ours.toFixed(0)}, skopeo ${theirs.toFixed(0)} (${(ours / theirs).toFixed(2)}x); 1.2x leaves ${(1.2 * r.skopeo.median - f.mydocker.median).toFixed(0)}`);
    }
  }
  if (pull && runnable) {
    const line = Object.keys(pull.images).map((i) => `${i} ${(runnable.images[i].mydocker.median / pull.images[i].skopeo.median).toFixed(2)}`);
    console.log(`
\`mydocker pull\` (with unpack) / skopeo copy (without): ${line.join(', ')}`);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cache = guardContainersCache(); // skopeo and podman write /var/lib/containers/cache
  const work = fs.mkdtempSync(path.join('/var/tmp', 'mydocker-bench-pull-'));
  const registry = await startRegistry();
  const cleanups = [];
  try {
    const images = await pushBenchImages(registry, work, { sizeMb: opts.sizeMb });
    const pullOnly = opts.sections.includes('pull') ? await bundlePullOnly(work) : null;
    const all = sectionTools(registry, pullOnly);
    const result = { rounds: opts.rounds, cpus: os.cpus().length, load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), sections: {} };
    if (opts.sections.includes('pull')) {
      // one real pull first, so that the floor is measured with the `pull` code cache in place
      // (a build removes the caches, and a failing command does not write one)
      const warm = fs.mkdtempSync(path.join(work, 'floor-warm-'));
      timed(MYDOCKER, mydockerArgs(warm, ['pull', '-q', Object.values(images)[0].ref]));
      result.startupFloor = summarize(Array.from({ length: opts.rounds }, () => startupFloor(work)));
      // after a real pull by the download-only program, which writes its code cache
      timed(process.execPath, [pullOnly, path.join(warm, 'lib2'), path.join(warm, 'run2'), Object.values(images)[0].ref], 0, { NODE_PATH: path.join(repo, 'node_modules') });
      const floors = pullFloors(pullOnly, work);
      const floorTimes = { mydocker: [], skopeo: [] };
      for (let round = 0; round < opts.rounds; round++) for (const tool of ['mydocker', 'skopeo']) floorTimes[tool].push(floors[tool]());
      result.pullFloors = { mydocker: summarize(floorTimes.mydocker), skopeo: summarize(floorTimes.skopeo) };
    }
    for (const section of opts.sections) result.sections[section] = await runSection(section, all[section], images, opts.rounds, work, (fn) => cleanups.push(fn));
    result.images = images;
    if (opts.json) console.log(JSON.stringify(result, null, 2));
    else printReport(result, images);
  } finally {
    for (const cleanup of cleanups) await cleanup();
    await registry.stop();
    unmountUnder(work);
    fs.rmSync(work, { recursive: true, force: true });
    cache.restore();
  }
  if (opts.withUnpack) {
    console.log('');
    const r = spawnSync(process.execPath, [path.join(repo, 'bench', 'unpack.mjs'), '--rounds', String(opts.rounds), ...(opts.json ? ['--json'] : [])], { env: process.env, stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  }
}

await main();
