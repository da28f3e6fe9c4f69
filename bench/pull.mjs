#!/usr/bin/env node
// Benchmark: `mydocker pull` vs `skopeo copy docker://... oci:DIR:x` from a local registry
// (download + verify into an OCI layout), for busybox and a debootstrap-sized image (one layer of
// about 50 MB gzip, made by tarring host libraries: no network is needed).
//
//   node bench/pull.mjs [--rounds N] [--size-mb N] [--json]
//
// Each round pulls each image with both tools, alternating which goes first, each into a fresh
// empty store (mydocker --root, skopeo oci: directory). Child processes get the environment
// without NODE_EXTRA_CA_CERTS (see FACTS.md). The registry is docker-registry on 127.0.0.1.
// The "start-up floor" row is mydocker refusing a malformed reference: Node's start, the
// command table and the pull module's imports, before any network: for busybox it is most of
// the difference to skopeo (a Go binary).
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pushBusybox, startRegistry } from '../test/clients/lib/registry.mjs';
import { pushBlob, pushManifest, sha256 } from '../test/lib/pull-helpers.mjs';
import { summarize } from './lib/stats.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MYDOCKER = path.join(repo, 'dist', 'mydocker');

function parseArgs(argv) {
  const opts = { rounds: Number(process.env.ROUNDS || 7), sizeMb: 50, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = () => inline ?? argv[++i];
    if (flag === '--rounds') opts.rounds = Number(value());
    else if (flag === '--size-mb') opts.sizeMb = Number(value());
    else if (flag === '--json') opts.json = true;
    else if (flag === '-h' || flag === '--help') {
      console.log('usage: node bench/pull.mjs [--rounds N] [--size-mb N] [--json]');
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`bad round count ${opts.rounds}`);
  return opts;
}

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k)) delete env[k];

/**
 * One gzip layer of about `sizeMb` MB compressed: host libraries (sorted, so the same layer
 * every time on one machine), tarred by GNU tar and gzipped by gzip -6 like a docker build layer.
 */
function bigLayer(work, sizeMb) {
  const list = path.join(work, 'files');
  const files = execFileSync('find', ['/usr/lib/x86_64-linux-gnu', '/usr/lib', '-xdev', '-type', 'f', '-size', '-20M'], { encoding: 'utf8', maxBuffer: 256 << 20 })
    .split('\n')
    .filter(Boolean)
    .sort();
  // gzip takes shared libraries to about 40 %: collect about 2.5x the target
  let total = 0;
  const chosen = [];
  for (const f of [...new Set(files)]) {
    if (total > sizeMb * 2.5 * 1e6) break;
    try {
      total += fs.statSync(f).size;
      chosen.push(f.slice(1));
    } catch {
      /* vanished */
    }
  }
  fs.writeFileSync(list, chosen.join('\n'));
  const out = path.join(work, 'layer.tar.gz');
  execFileSync('sh', ['-c', `tar -C / -cf - -T "${list}" --sort=name --mtime=@0 --owner=0 --group=0 | gzip -6 -n > "${out}"`]);
  const gz = fs.readFileSync(out);
  const tar = execFileSync('sh', ['-c', `gzip -dc "${out}"`], { maxBuffer: 1 << 30 });
  return { gz, diffId: sha256(tar), tarSize: tar.length, entries: chosen.length };
}

async function pushBig(registry, work, sizeMb) {
  const layer = bigLayer(work, sizeMb);
  const name = 'bench/big';
  const layerDesc = await pushBlob(registry.host, name, layer.gz);
  const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [layer.diffId] } };
  const configDesc = await pushBlob(registry.host, name, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerDesc }],
  };
  await pushManifest(registry.host, name, 'latest', manifest, manifest.mediaType);
  return { ref: `${registry.host}/${name}:latest`, gzSize: layer.gz.length, tarSize: layer.tarSize, entries: layer.entries };
}

function timed(cmd, args, expectStatus = 0) {
  const start = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== expectStatus) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return ms;
}

/** mydocker's fixed cost: start-up and argument parsing, measured as a pull of a malformed reference. */
const startupFloor = (dir) => timed(MYDOCKER, ['--root', path.join(dir, 'lib'), '--run-root', path.join(dir, 'run'), 'pull', 'Not-Valid'], 125);

const tools = {
  mydocker: (ref, dir) => timed(MYDOCKER, ['--root', path.join(dir, 'lib'), '--run-root', path.join(dir, 'run'), 'pull', '-q', ref]),
  skopeo: (ref, dir) => timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${path.join(dir, 'layout')}:x`]),
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join('/var/tmp', 'mydocker-bench-pull-'));
  const registry = await startRegistry();
  try {
    const images = { busybox: { ref: await pushBusybox(registry, 'bench/busybox', 'latest') } };
    Object.assign((images.big = {}), await pushBig(registry, work, opts.sizeMb));
    const times = Object.fromEntries(Object.keys(images).map((i) => [i, { mydocker: [], skopeo: [] }]));
    const floor = [];
    for (let round = -1; round < opts.rounds; round++) {
      if (round >= 0) floor.push(startupFloor(work));
      for (const [image, { ref }] of Object.entries(images)) {
        const order = round % 2 === 0 ? ['mydocker', 'skopeo'] : ['skopeo', 'mydocker'];
        for (const tool of order) {
          const dir = fs.mkdtempSync(path.join(work, `${tool}-`));
          const ms = tools[tool](ref, dir);
          if (round >= 0) times[image][tool].push(ms); // round -1 warms caches
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    const result = { rounds: opts.rounds, cpus: os.cpus().length, startupFloor: summarize(floor), images: {} };
    for (const [image, info] of Object.entries(images)) {
      const ours = summarize(times[image].mydocker);
      const theirs = summarize(times[image].skopeo);
      result.images[image] = { ...info, mydocker: ours, skopeo: theirs, ratio: ours.median / theirs.median };
    }
    if (opts.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`pull from a local registry, ${opts.rounds} rounds, medians (ms):`);
      console.log(`  mydocker start-up floor (a malformed reference, nothing pulled): ${result.startupFloor.median.toFixed(0)}`);
      for (const [image, r] of Object.entries(result.images)) {
        const size = r.gzSize ? ` (${(r.gzSize / 1e6).toFixed(1)} MB gzip, ${(r.tarSize / 1e6).toFixed(0)} MB tar, ${r.entries} files)` : '';
        console.log(`  ${image}${size}: mydocker ${r.mydocker.median.toFixed(0)}  skopeo ${r.skopeo.median.toFixed(0)}  ratio ${r.ratio.toFixed(2)}  (mydocker p90 ${r.mydocker.p90.toFixed(0)}, skopeo p90 ${r.skopeo.p90.toFixed(0)})`);
      }
    }
  } finally {
    await registry.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
