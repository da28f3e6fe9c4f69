// The layer store: one directory per layer under paths.layers, named by the layer's chain ID
// (so an identical stack of layers is unpacked once and shared by every image that has it):
//
//   <paths.layers>/<chain-id hex>/diff        the layer's files (an overlay lower directory)
//   <paths.layers>/<chain-id hex>/layer.json  LayerMetadata
//
// A layer is unpacked into `.tmp-<pid>-...` next to its final place and renamed there when it
// is complete and verified, so a layer directory that exists is always whole. Two unpacks of
// the same layer (two processes) both finish; the rename that loses the race discards its copy.
// One call's layers are all renamed only after all of them succeeded: a failed call leaves
// nothing behind.
import fs = require('node:fs');
import path = require('node:path');
import type { ManagerPaths } from '../../paths';
import { chainIDs, digestHex, isSha256Digest } from './chain';
import { LayerError } from './layer-error';
import { layerName, type LayerSource } from './source';

export { chainIDs } from './chain';
export type { LayerSource } from './source';

export interface LayerMetadata {
  chainID: string;
  diffID: string;
  /** the chain ID of the layer below, or null for the lowest */
  parent: string | null;
  /** bytes of uncompressed tar */
  size: number;
  entries: number;
  /** the blob it was unpacked from */
  digest: string;
  created: string;
}

const METADATA = 'layer.json';
const DIFF = 'diff';
const HEX = /^[0-9a-f]{64}$/;
const STAGING = /^\.(tmp|trash)-(\d+)-/;
/** layers unpacked at the same time: 2 keeps both cores busy (zlib in the pool, tar on the main thread) */
const PARALLEL_UNPACKS = 2;

export function layerDir(paths: ManagerPaths, chainID: string): string {
  return path.join(paths.layers, digestHex(chainID));
}

/** The overlay lower directory of a layer. */
export function layerDiffDir(paths: ManagerPaths, chainID: string): string {
  return path.join(layerDir(paths, chainID), DIFF);
}

export function readLayerMetadata(paths: ManagerPaths, chainID: string): LayerMetadata | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(layerDir(paths, chainID), METADATA), 'utf8')) as LayerMetadata;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function isPresent(paths: ManagerPaths, chainID: string): boolean {
  return fs.existsSync(path.join(layerDir(paths, chainID), METADATA));
}

/** Unpacks of this process in progress, by chain ID (a second caller waits instead of unpacking again). */
const inFlight = new Map<string, Promise<unknown>>();

/**
 * Makes sure every layer is in the store, each on top of the ones before it (layers lowest
 * first, as in the manifest); returns their diff directories, lowest first.
 */
export async function ensureLayers(paths: ManagerPaths, layers: LayerSource[]): Promise<string[]> {
  layers.forEach((layer, i) => {
    if (!isSha256Digest(layer.diffID)) throw new LayerError(layerName(layer), `diffID ${JSON.stringify(layer.diffID)} (layer ${i}) is not a sha256 digest`);
  });
  const chains = chainIDs(layers.map((layer) => layer.diffID));
  let missing = chains.flatMap((chain, i) => (isPresent(paths, chain) ? [] : [i]));
  if (missing.length > 0) {
    await Promise.all(missing.map((i) => inFlight.get(chains[i]!)?.catch(() => {})));
    missing = missing.filter((i) => !isPresent(paths, chains[i]!));
  }
  if (missing.length > 0) {
    const work = unpackMissing(paths, layers, chains, missing);
    for (const i of missing) inFlight.set(chains[i]!, work);
    try {
      await work;
    } finally {
      for (const i of missing) if (inFlight.get(chains[i]!) === work) inFlight.delete(chains[i]!);
    }
  }
  return chains.map((chain) => layerDiffDir(paths, chain));
}

/** A layer unpacked into a staging directory of paths.layers, not yet under its final name. */
export interface StagedLayer {
  chainID: string;
  dir: string;
}

/** A fresh staging directory for chainID's layer, with its empty diff directory. */
export function stageLayer(paths: ManagerPaths, chainID: string): StagedLayer {
  fs.mkdirSync(paths.layers, { recursive: true, mode: 0o700 });
  const dir = fs.mkdtempSync(path.join(paths.layers, `.tmp-${process.pid}-${digestHex(chainID).slice(0, 12)}-`));
  fs.mkdirSync(path.join(dir, DIFF));
  return { chainID, dir };
}

export function stagedDiffDir(staged: StagedLayer): string {
  return path.join(staged.dir, DIFF);
}

/** Completes a staged layer: its metadata, once its content is verified. */
export function writeStagedMetadata(staged: StagedLayer, metadata: LayerMetadata): void {
  fs.writeFileSync(path.join(staged.dir, METADATA), `${JSON.stringify(metadata)}\n`);
}

export function discardStaged(staged: StagedLayer[]): void {
  for (const { dir } of staged) fs.rmSync(dir, { recursive: true, force: true });
}

/** Gives complete staged layers their final names (a layer another unpack put there first wins). */
export function commitStaged(paths: ManagerPaths, staged: StagedLayer[]): void {
  for (const { chainID, dir } of staged) {
    try {
      fs.renameSync(dir, layerDir(paths, chainID));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      fs.rmSync(dir, { recursive: true, force: true }); // another unpack of the same layer won
    }
  }
}

async function unpackMissing(paths: ManagerPaths, layers: LayerSource[], chains: string[], missing: number[]): Promise<void> {
  // loaded only when a layer is missing: `run` of an image that is all there skips tar and gzip
  const { unpackLayer } = await import('./unpack');
  const staged: StagedLayer[] = [];
  const queue = [...missing];
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    for (let i = queue.shift(); i !== undefined && failure === null; i = queue.shift()) {
      const chain = chains[i]!;
      try {
        const stage = stageLayer(paths, chain);
        staged.push(stage);
        const unpacked = await unpackLayer(layers[i]!, stagedDiffDir(stage));
        writeStagedMetadata(stage, {
          chainID: chain,
          diffID: unpacked.diffID,
          parent: i === 0 ? null : chains[i - 1]!,
          size: unpacked.size,
          entries: unpacked.entries,
          digest: layerName(layers[i]!),
          created: new Date().toISOString(),
        });
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UNPACKS, missing.length) }, worker));
  if (failure !== null) {
    discardStaged(staged);
    throw failure;
  }
  commitStaged(paths, staged);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every layer in the store (unreadable metadata is skipped). */
export function listLayers(paths: ManagerPaths): LayerMetadata[] {
  let names: string[];
  try {
    names = fs.readdirSync(paths.layers);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((name) => HEX.test(name)).flatMap((name) => readLayerMetadata(paths, `sha256:${name}`) ?? []);
}

/**
 * Removes every layer whose chain ID is not in keepChainIDs ("sha256:<hex>"), and what crashed
 * unpacks left behind. The caller keeps the layers of every image and of every container.
 */
export async function removeUnusedLayers(paths: ManagerPaths, keepChainIDs: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = fs.readdirSync(paths.layers);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const keep = new Set([...keepChainIDs].map(digestHex));
  for (const name of names) {
    const staging = STAGING.exec(name);
    if (staging) {
      if (!processAlive(Number(staging[2]))) fs.rmSync(path.join(paths.layers, name), { recursive: true, force: true });
      continue;
    }
    if (!HEX.test(name) || keep.has(name)) continue;
    // renamed first, so a half-removed layer never looks like a whole one
    const trash = path.join(paths.layers, `.trash-${process.pid}-${name}`);
    fs.renameSync(path.join(paths.layers, name), trash);
    await fs.promises.rm(trash, { recursive: true, force: true });
  }
}
