// The images the pull benchmarks push to their local registry: busybox (test/clients/lib/registry.mjs)
// and one "big" single-layer image of about 50 MB gzip.
//
//   const images = await pushBenchImages(registry, work, { sizeMb: 50 });
//   // { busybox: { ref }, big: { ref, source, gzSize, tarSize, entries } }
//
// The big layer is, in this order of preference: $DEBIAN_LAYER; the debootstrap minbase root
// filesystem tarball bench/unpack.mjs caches (/var/tmp/mydocker-bench-unpack/debian.tar.gz); else
// host libraries tarred by GNU tar + gzip -6 (no network needed; the same layer every time on one
// machine). Nothing here downloads anything.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pushBusybox } from '../../test/clients/lib/registry.mjs';
import { pushBlob, pushManifest, sha256 } from '../../test/lib/pull-helpers.mjs';

export const DEBIAN_LAYER_CACHE = '/var/tmp/mydocker-bench-unpack/debian.tar.gz';

function gunzip(file) {
  return execFileSync('gzip', ['-dc', file], { maxBuffer: 1 << 30 });
}

function countEntries(file) {
  return execFileSync('sh', ['-c', `tar -tzf "${file}" | wc -l`], { encoding: 'utf8' }).trim() | 0;
}

/** Host libraries, about `sizeMb` MB once gzipped, as a gzip layer file under `work`. */
function hostLibraryLayer(work, sizeMb) {
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
  return out;
}

/** The big layer's gzip file and where it came from. */
function bigLayerFile(work, sizeMb) {
  const given = process.env.DEBIAN_LAYER;
  if (given) return { file: given, source: `$DEBIAN_LAYER (${given})` };
  if (fs.existsSync(DEBIAN_LAYER_CACHE)) return { file: DEBIAN_LAYER_CACHE, source: 'debootstrap minbase bookworm (bench/unpack.mjs cache)' };
  return { file: hostLibraryLayer(work, sizeMb), source: 'host libraries' };
}

async function pushBig(registry, work, sizeMb) {
  const { file, source } = bigLayerFile(work, sizeMb);
  const gz = fs.readFileSync(file);
  const tar = gunzip(file);
  const name = 'bench/big';
  const layerDesc = await pushBlob(registry.host, name, gz);
  const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } };
  const configDesc = await pushBlob(registry.host, name, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerDesc }],
  };
  await pushManifest(registry.host, name, 'latest', manifest, manifest.mediaType);
  return { ref: `${registry.host}/${name}:latest`, source, gzSize: gz.length, tarSize: tar.length, entries: countEntries(file) };
}

/** Pushes busybox and the big image to `registry`; `work` is a scratch directory. */
export async function pushBenchImages(registry, work, { sizeMb = 50 } = {}) {
  return {
    busybox: { ref: await pushBusybox(registry, 'bench/busybox', 'latest') },
    big: await pushBig(registry, work, sizeMb),
  };
}
