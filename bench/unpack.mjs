#!/usr/bin/env node
// Benchmark: unpacking a layer with the layer store (unpackLayer) vs GNU `tar -x` and
// `umoci unpack`, side by side, on the busybox image and a debootstrap-sized Debian layer.
//
//   node bench/unpack.mjs [--rounds N] [--image busybox|debian|all] [--json]
//
// env: DEBIAN_LAYER  a gzipped tar of a Debian root filesystem to use (default: made once with
//                    `debootstrap --variant=minbase bookworm` from deb.debian.org, apt caches
//                    removed, `tar --numeric-owner --xattrs` + gzip -6, cached in
//                    /var/tmp/mydocker-bench-unpack/; about 50 MB compressed, 125 MB of tar)
//      ROUNDS        timed rounds (default 5; --rounds wins)
//
// Each round runs the three tools once on the same blob, in a rotating order, each into a fresh
// directory on the same filesystem as the layer store (/var/tmp; all removed at the end), after a
// `sync` so that one tool's writeback is not charged to the next. Wall time and CPU time
// (user+sys, from /usr/bin/time) of the whole process: ours is a Node program running
// unpackLayer, bundled and started like mydocker (bench/lib/bundled-program.mjs; start-up
// included; the time inside unpackLayer is reported too). Children run without
// NODE_EXTRA_CA_CERTS (see FACTS.md). After the first round the trees made by ours and by GNU tar
// are compared (type, mode, owner, size, content, link target, device, mtime, xattrs): a
// benchmark of a wrong unpacker would mean nothing.
//
// GNU tar: `tar --numeric-owner --xattrs --xattrs-include=* -xzf BLOB -C DIR` (gzip in a second
// process). umoci: `umoci unpack --image LAYOUT:REF BUNDLE` (also writes config.json and an
// mtree manifest of the tree, as the issue asks to compare against).

import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { summarize, median } from './lib/stats.mjs';
import { writeOciLayout } from '../test/lib/layer-builder.mjs';
import { snapshot } from '../test/lib/tree-snapshot.mjs';
import { bundleProgram } from './lib/bundled-program.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = '/var/tmp/mydocker-bench-unpack';
const cleanEnv = { ...process.env, NODE_PATH: path.join(repo, 'node_modules') };
delete cleanEnv.NODE_EXTRA_CA_CERTS;

function parseArgs(argv) {
  const opts = { rounds: Number(process.env.ROUNDS || 5), image: 'all', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a.startsWith('--rounds')) opts.rounds = Number(value());
    else if (a.startsWith('--image')) opts.image = value();
    else if (a === '--json') opts.json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/unpack.mjs [--rounds N] [--image busybox|debian|all] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`--rounds: bad count ${opts.rounds}`);
  if (!['busybox', 'debian', 'all'].includes(opts.image)) throw new Error(`--image: busybox, debian or all, not ${opts.image}`);
  return opts;
}

/**
 * The program that times unpackLayer, bundled and started like mydocker
 * (bench/lib/bundled-program.mjs): node LAUNCHER BLOB MEDIATYPE DIFFID DEST prints the ms spent
 * inside unpackLayer.
 */
function bundleUnpackOnly(work) {
  const unpack = JSON.stringify(path.join(repo, 'dist/lib/manager/images/layers/unpack.js'));
  return bundleProgram(
    work,
    'unpack-only',
    `const { unpackLayer } = require(${unpack});
const [blobPath, mediaType, diffID, dest] = process.argv.slice(2);
const start = process.hrtime.bigint();
unpackLayer({ blobPath, mediaType, diffID }, dest).then(
  () => {
    process.stdout.write(\`\${Number(process.hrtime.bigint() - start) / 1e6}\\n\`);
    setImmediate(() => exitProcess(0)); // as mydocker ends (manager/bin.ts)
  },
  (e) => { console.error(e.message); exitProcess(1); },
);
`,
  );
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
}

/**
 * Runs cmd under /usr/bin/time; returns { wall, cpu } in ms and stdout. Wall time is taken here
 * (time's %e counts in hundredths of a second, too coarse for busybox); CPU time from time's %U %S.
 */
function timed(cmd, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S', cmd, ...args], { env: cleanEnv, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const line = r.stderr.split('\n').find((l) => l.startsWith('TIME '));
  const [user, sys] = line.slice(5).split(' ').map(Number);
  return { wall, cpu: (user + sys) * 1000, stdout: r.stdout };
}

async function busyboxImage() {
  const { busyboxLayout } = await import('../test/clients/lib/registry.mjs');
  const layout = await busyboxLayout();
  return imageFromLayout(layout, 'latest', 'busybox');
}

function imageFromLayout(layout, ref, name) {
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  const blob = (digest) => path.join(layout, 'blobs', digest.replace(':', '/'));
  const manifest = JSON.parse(fs.readFileSync(blob(desc.digest), 'utf8'));
  const config = JSON.parse(fs.readFileSync(blob(manifest.config.digest), 'utf8'));
  if (manifest.layers.length !== 1) throw new Error(`${name}: expected one layer, found ${manifest.layers.length}`);
  return { name, layout, ref, blobPath: blob(manifest.layers[0].digest), mediaType: manifest.layers[0].mediaType, diffID: config.rootfs.diff_ids[0] };
}

function debianImage() {
  fs.mkdirSync(WORK, { recursive: true });
  let tarGz = process.env.DEBIAN_LAYER;
  if (!tarGz) {
    tarGz = path.join(WORK, 'debian.tar.gz');
    if (!fs.existsSync(tarGz)) {
      const rootfs = path.join(WORK, 'debootstrap');
      fs.rmSync(rootfs, { recursive: true, force: true });
      console.error('making a Debian minbase root filesystem with debootstrap (network, about a minute)...');
      sh('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], { stdio: ['ignore', 'ignore', 'inherit'] });
      sh('sh', ['-c', `rm -rf ${rootfs}/var/cache/apt/archives/*.deb ${rootfs}/var/cache/apt/*.bin ${rootfs}/var/lib/apt/lists/*_Packages`]);
      sh('sh', ['-c', `tar --numeric-owner --xattrs --xattrs-include='*' -C ${rootfs} -cf - . | gzip -6 > ${tarGz}.tmp && mv ${tarGz}.tmp ${tarGz}`]);
      fs.rmSync(rootfs, { recursive: true, force: true });
    }
  }
  const layoutDir = path.join(WORK, 'debian-layout');
  if (!fs.existsSync(path.join(layoutDir, 'index.json'))) {
    const blob = fs.readFileSync(tarGz);
    const tar = execFileSync('gzip', ['-dc', tarGz], { maxBuffer: 1 << 30 });
    const sha = (b) => `sha256:${execFileSync('sha256sum', { input: b }).toString().split(' ')[0]}`;
    fs.rmSync(layoutDir, { recursive: true, force: true });
    writeOciLayout(layoutDir, [{ blob, tar, diffID: sha(tar), digest: sha(blob), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }], 'debian');
  }
  return imageFromLayout(layoutDir, 'debian', 'debian');
}

const tools = (unpackOnly) => ({
  mydocker: (img, dest) => {
    fs.mkdirSync(dest);
    const r = timed(process.execPath, [unpackOnly, img.blobPath, img.mediaType, img.diffID, dest]);
    return { ...r, inner: Number(r.stdout.trim()) };
  },
  'gnu-tar': (img, dest) => {
    fs.mkdirSync(dest);
    return timed('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-xzf', img.blobPath, '-C', dest]);
  },
  umoci: (img, dest) => timed('umoci', ['unpack', '--image', `${img.layout}:${img.ref}`, dest]),
});
const treeOf = { mydocker: (dest) => dest, 'gnu-tar': (dest) => dest, umoci: (dest) => path.join(dest, 'rootfs') };

function compareTrees(a, b) {
  const sa = snapshot(a);
  const sb = snapshot(b);
  sa.delete('');
  sb.delete('');
  const diffs = [];
  for (const [k, v] of sa) if (JSON.stringify(v) !== JSON.stringify(sb.get(k))) diffs.push(`${k}: ${JSON.stringify(v)} vs ${JSON.stringify(sb.get(k))}`);
  for (const k of sb.keys()) if (!sa.has(k)) diffs.push(`${k}: missing`);
  return { entries: sa.size, diffs };
}

async function benchImage(img, rounds, TOOLS) {
  const names = Object.keys(TOOLS);
  const results = Object.fromEntries(names.map((n) => [n, { wall: [], cpu: [], inner: [] }]));
  const ratios = { 'gnu-tar': [], umoci: [], innerVsGnuTar: [] };
  let check = null;
  for (let round = 0; round < rounds + 1; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    const byTool = {};
    for (const name of order) {
      sh('sync', []);
      byTool[name] = TOOLS[name](img, destOf(img, name, round));
    }
    if (round === 0) {
      // warm-up round: caches, code cache; checked, not counted
      check = compareTrees(treeOf.mydocker(destOf(img, 'mydocker', 0)), treeOf['gnu-tar'](destOf(img, 'gnu-tar', 0)));
      continue;
    }
    for (const name of names) {
      results[name].wall.push(byTool[name].wall);
      results[name].cpu.push(byTool[name].cpu);
      if (byTool[name].inner !== undefined) results[name].inner.push(byTool[name].inner);
    }
    ratios['gnu-tar'].push(byTool.mydocker.wall / byTool['gnu-tar'].wall);
    ratios.umoci.push(byTool.mydocker.wall / byTool.umoci.wall);
    ratios.innerVsGnuTar.push(byTool.mydocker.inner / byTool['gnu-tar'].wall);
  }
  return {
    image: img.name,
    blobBytes: fs.statSync(img.blobPath).size,
    check,
    tools: Object.fromEntries(names.map((n) => [n, { wall: summarize(results[n].wall), cpu: summarize(results[n].cpu), inner: results[n].inner.length ? summarize(results[n].inner) : undefined }])),
    ratio: {
      vsGnuTar: median([...ratios['gnu-tar']].sort((a, b) => a - b)),
      vsUmoci: median([...ratios.umoci].sort((a, b) => a - b)),
      innerVsGnuTar: median([...ratios.innerVsGnuTar].sort((a, b) => a - b)),
      // the fastest run of each: the least disturbed by other work on a shared machine
      bestVsGnuTar: Math.min(...results.mydocker.wall) / Math.min(...results['gnu-tar'].wall),
      bestVsUmoci: Math.min(...results.mydocker.wall) / Math.min(...results.umoci.wall),
    },
  };
}

/**
 * Every tool unpacks into a directory of its own in every round (of every image), all removed
 * at the end, not between runs: an ext4 inode allocated near ones freed in the last minute costs 100-650 us
 * instead of ~16 (see bench/pull.mjs), which made busybox's 270 symlinks the bench's noise.
 */
const destOf = (img, name, round) => path.join(WORK, `${img.name}-${name}-${round}`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(WORK, { recursive: true });
  const programDir = fs.mkdtempSync(path.join(WORK, 'program-'));
  const TOOLS = tools(await bundleUnpackOnly(programDir));
  const images = [];
  if (opts.image !== 'debian') images.push(await busyboxImage());
  if (opts.image !== 'busybox') images.push(debianImage());
  const out = [];
  try {
    for (const img of images) out.push(await benchImage(img, opts.rounds, TOOLS));
  } finally {
    for (const img of images) {
      for (let round = 0; round <= opts.rounds; round++) {
        for (const name of Object.keys(TOOLS)) fs.rmSync(destOf(img, name, round), { recursive: true, force: true });
      }
    }
    fs.rmSync(programDir, { recursive: true, force: true });
  }
  if (opts.json) {
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  console.log(`layer unpack, ${opts.rounds} timed rounds (+1 warm-up), medians; load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (const r of out) {
    console.log(`\n${r.image}: ${(r.blobBytes / 1e6).toFixed(1)} MB compressed, ${r.check.entries} entries; tree vs GNU tar: ${r.check.diffs.length === 0 ? 'identical' : `${r.check.diffs.length} differences, e.g. ${r.check.diffs.slice(0, 3).join('; ')}`}`);
    for (const [name, t] of Object.entries(r.tools)) {
      const inner = t.inner ? ` (inside unpackLayer: median ${t.inner.median.toFixed(0)}, min ${t.inner.min.toFixed(0)} ms)` : '';
      console.log(`  ${name.padEnd(9)} wall median ${t.wall.median.toFixed(0).padStart(6)} ms, min ${t.wall.min.toFixed(0).padStart(6)} ms  cpu ${t.cpu.median.toFixed(0).padStart(6)} ms${inner}`);
    }
    const x = (v) => `${v.toFixed(2)}x`;
    console.log(`  mydocker / gnu-tar: ${x(r.ratio.vsGnuTar)} (median of per-round ratios), ${x(r.ratio.bestVsGnuTar)} (best runs), ${x(r.ratio.innerVsGnuTar)} (unpackLayer alone, without Node's start-up)`);
    console.log(`  mydocker / umoci:   ${x(r.ratio.vsUmoci)} (median of per-round ratios), ${x(r.ratio.bestVsUmoci)} (best runs)`);
    // ours outside unpackLayer: Node's start, loading the program, and its exit
    const outside = r.tools.mydocker.wall.median - r.tools.mydocker.inner.median;
    const budget = 1.5 * r.tools['gnu-tar'].wall.median - outside;
    console.log(`  ours outside unpackLayer (start-up, exit) ${outside.toFixed(0)} ms: 1.5x GNU tar leaves ${budget.toFixed(0)} ms for the unpack GNU tar does in ${r.tools['gnu-tar'].wall.median.toFixed(0)}`);
  }
}

await main();
