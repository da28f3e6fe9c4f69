// What the containers hold on to, for rmi and volume rm: the images they were made from, the
// layers their overlays use, the volumes they mount.
import fs = require('node:fs');
import path = require('node:path');
import { ContainerStore } from '../containers/store';
import type { ContainerRecord } from '../containers/types';
import type { ManagerPaths } from '../paths';
import { readPlan } from './plan';

function records(paths: ManagerPaths): ContainerRecord[] {
  const store = new ContainerStore(paths);
  const out: ContainerRecord[] = [];
  for (const id of store.ids()) {
    try {
      out.push(store.read(id));
    } catch {
      /* removed meanwhile */
    }
  }
  return out;
}

/** The name of a container made from the image (docker refuses rmi without -f then). */
export function imageUser(paths: ManagerPaths): (imageId: string) => string | undefined {
  const all = records(paths);
  return (imageId) => all.find((r) => r.image.id === imageId)?.name;
}

/** Chain ids (layer directory names) that containers' overlays use. */
export function layersInUse(paths: ManagerPaths): Set<string> {
  const inUse = new Set<string>();
  for (const r of records(paths)) {
    for (const dir of readPlan(r.bundle)?.lowerDirs ?? []) inUse.add(`sha256:${path.basename(path.dirname(dir))}`);
  }
  return inUse;
}

/** The name of a container that mounts the volume (its host directory is in config.json). */
export function volumeUser(paths: ManagerPaths): (volume: string) => string | undefined {
  const all = records(paths);
  return (volume) => {
    const dir = path.join(paths.volumes, volume, '_data');
    return all.find((r) => {
      try {
        const config = JSON.parse(fs.readFileSync(path.join(r.bundle, 'config.json'), 'utf8')) as { mounts?: Array<{ source?: string }> };
        return config.mounts?.some((m) => m.source === dir) ?? false;
      } catch {
        return false;
      }
    })?.name;
  };
}
