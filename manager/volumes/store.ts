// Named volumes: <root>/volumes/<name>/_data, as docker keeps them. A volume is created by
// `mydocker volume create` or on first use by `run -v NAME:/path`, and survives its containers.
import fs = require('node:fs');
import path = require('node:path');
import { ConflictError, NotFoundError, UsageError } from '../errors';
import type { ManagerPaths } from '../paths';
import { randomHex } from '../system/random';

/** docker's rule for volume names (a source that does not match is a path, or an error). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface Volume {
  name: string;
  /** the directory containers see */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
}

interface VolumeMeta {
  createdAt: string;
  labels: Record<string, string>;
}

function volumeDir(paths: ManagerPaths, name: string): string {
  return path.join(paths.volumes, name);
}

function checkName(name: string): void {
  if (!VOLUME_NAME.test(name)) {
    throw new UsageError(`volume name "${name}" is not valid: use [a-zA-Z0-9][a-zA-Z0-9_.-]+ (at least two characters)`);
  }
}

function read(paths: ManagerPaths, name: string): Volume | undefined {
  const dir = volumeDir(paths, name);
  let meta: VolumeMeta;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'volume.json'), 'utf8')) as VolumeMeta;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { name, mountpoint: path.join(dir, '_data'), createdAt: meta.createdAt, labels: meta.labels };
}

/**
 * Creates the volume (a generated 64-hex name when none is given); an existing volume of that
 * name is returned as it is, as docker does.
 */
export function createVolume(paths: ManagerPaths, name?: string, labels: Record<string, string> = {}): Volume {
  const volumeName = name ?? randomHex(32);
  checkName(volumeName);
  const existing = read(paths, volumeName);
  if (existing) return existing;
  fs.mkdirSync(paths.volumes, { recursive: true, mode: 0o700 });
  // Built in a temporary directory and renamed: a concurrent create of the same name sees either
  // nothing or the whole volume.
  const tmp = path.join(paths.volumes, `.tmp-${volumeName}-${process.pid}-${randomHex(4)}`);
  fs.mkdirSync(path.join(tmp, '_data'), { recursive: true, mode: 0o755 });
  const meta: VolumeMeta = { createdAt: new Date().toISOString(), labels };
  fs.writeFileSync(path.join(tmp, 'volume.json'), JSON.stringify(meta));
  try {
    fs.renameSync(tmp, volumeDir(paths, volumeName));
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
  return read(paths, volumeName)!;
}

export function getVolume(paths: ManagerPaths, name: string): Volume {
  const volume = VOLUME_NAME.test(name) ? read(paths, name) : undefined;
  if (!volume) throw new NotFoundError('volume', name);
  return volume;
}

export function listVolumes(paths: ManagerPaths): Volume[] {
  let names: string[];
  try {
    names = fs.readdirSync(paths.volumes);
  } catch {
    return [];
  }
  return names
    .filter((n) => VOLUME_NAME.test(n))
    .map((n) => read(paths, n))
    .filter((v): v is Volume => v !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Removes a volume and its data. `usedBy` names the container using it (docker refuses, even
 * with -f, while a container uses it).
 */
export function removeVolume(paths: ManagerPaths, name: string, usedBy?: (volume: string) => string | undefined): void {
  const volume = getVolume(paths, name);
  const user = usedBy?.(volume.name);
  if (user !== undefined) throw new ConflictError(`remove ${name}: volume is in use - [${user}]`, 1);
  fs.rmSync(volumeDir(paths, volume.name), { recursive: true, force: true });
}
