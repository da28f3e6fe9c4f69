// A bundle that lives on its own: a full copy of the image's root filesystem (umoci unpack, the
// vfs driver) and a config.json from the image config with docker's defaults.
import fs = require('node:fs');
import path = require('node:path');
import { UsageError } from '../errors';
import type { ManagerPaths } from '../paths';
import { writeBundle } from '../spec/bundle';
import { buildSpec } from '../spec/generate';
import { resolveUser } from '../spec/user';
import { imageForContainer } from './prepare';
import { vfsRootfs } from './rootfs';

export interface StandaloneBundleOptions {
  command: readonly string[];
  tty: boolean;
  pull: 'missing' | 'always' | 'never';
  output: (text: string) => void;
}

export async function writeStandaloneBundle(paths: ManagerPaths, reference: string, dir: string, opts: StandaloneBundleOptions): Promise<void> {
  const bundle = path.resolve(dir);
  if (fs.existsSync(path.join(bundle, 'rootfs'))) throw new UsageError(`${dir}: already holds a rootfs; give a new directory`);
  const image = await imageForContainer(paths, reference, { pull: opts.pull, output: opts.output });
  const refName = image.names[0];
  if (refName === undefined) throw new UsageError(`${reference}: the image has no name; tag it first (mydocker tag ${reference} NAME)`);
  const created = !fs.existsSync(bundle);
  try {
    const rootfs = await vfsRootfs(paths.images, refName, bundle);
    const spec = buildSpec(image.config, {
      rootfs: 'rootfs',
      command: opts.command,
      tty: opts.tty,
      user: resolveUser(rootfs, image.config.config?.User || undefined),
      network: { mode: 'none' },
    });
    writeBundle(bundle, spec);
  } catch (err) {
    // nothing half-made is left: the rootfs copy, and the directory if we made it
    fs.rmSync(created ? bundle : path.join(bundle, 'rootfs'), { recursive: true, force: true });
    throw err;
  }
}
