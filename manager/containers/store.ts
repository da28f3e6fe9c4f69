// The container store: <root>/containers/<id>/container.json (validated by our schema,
// written atomically), a name index <root>/container-names/<name> (a file holding the id,
// created with O_EXCL under the index lock, so two commands cannot take one name), and
// lookups by full id, name or unique id prefix.
import fs = require('node:fs');
import path = require('node:path');
import { validateManagerDocument } from '../../schemas/validate-manager';
import { ConflictError, ManagerError, NotFoundError } from '../errors';
import type { ManagerPaths } from '../paths';
import type { Context } from '../context';
import { FULL_ID, shortId } from './ids';
import { unmountAllUnder } from './mounts';
import { withDirLock, withDirLockSync } from './lock';
import type { ContainerRecord } from './types';

const METADATA = 'container.json';

/** The current time as the metadata keeps it (RFC 3339, UTC). */
export function now(): string {
  return new Date().toISOString();
}


export class ContainerStore {
  readonly dir: string;
  readonly namesDir: string;

  constructor(readonly paths: ManagerPaths) {
    this.dir = paths.containers;
    this.namesDir = path.join(path.dirname(paths.containers), 'container-names');
  }

  containerDir(id: string): string {
    return path.join(this.dir, id);
  }

  metadataPath(id: string): string {
    return path.join(this.containerDir(id), METADATA);
  }

  exists(id: string): boolean {
    return fs.existsSync(this.metadataPath(id));
  }

  ensureDirs(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o711 });
    fs.mkdirSync(this.namesDir, { recursive: true, mode: 0o700 });
  }

  /** Reads and validates container.json; NotFoundError when the container is gone. */
  read(id: string): ContainerRecord {
    let text: string;
    try {
      text = fs.readFileSync(this.metadataPath(id), 'utf8');
    } catch {
      throw new NotFoundError('container', id);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ManagerError(`container ${shortId(id)}: ${this.metadataPath(id)} is not valid JSON (damaged metadata)`);
    }
    validateManagerDocument('container', doc, this.metadataPath(id));
    return doc as ContainerRecord;
  }

  /** Validates, then writes a temporary file and renames it over container.json. */
  write(record: ContainerRecord): void {
    validateManagerDocument('container', record, `metadata of container ${shortId(record.id)}`);
    const target = this.metadataPath(record.id);
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, target);
  }

  /** Ids of every container with metadata, sorted. */
  ids(): string[] {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return entries.filter((e) => FULL_ID.test(e) && this.exists(e)).sort();
  }

  /** Holds the container's lock while fn runs; NotFoundError if it is (or becomes) gone. */
  async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withDirLock(this.containerDir(id), async () => {
        if (!this.exists(id)) throw new NotFoundError('container', id);
        return fn();
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !this.exists(id)) throw new NotFoundError('container', id);
      throw err;
    }
  }

  /**
   * Takes `name` for `id` (whose directory must exist already). A name whose entry points at a
   * container directory that no longer exists (a removal or create interrupted by a crash) is
   * taken over.
   */
  reserveName(name: string, id: string): void {
    withDirLockSync(this.namesDir, () => {
      const entry = path.join(this.namesDir, name);
      const owner = readOwner(entry);
      if (owner !== undefined && owner !== id && fs.existsSync(this.containerDir(owner))) {
        throw new ConflictError(
          `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      fs.rmSync(entry, { force: true });
      fs.writeFileSync(entry, id, { flag: 'wx', mode: 0o600 });
    });
  }

  releaseName(name: string, id: string): void {
    withDirLockSync(this.namesDir, () => {
      const entry = path.join(this.namesDir, name);
      if (readOwner(entry) === id) fs.rmSync(entry, { force: true });
    });
  }

  /**
   * The container a user's reference means: a full id, a name, or an unambiguous id prefix
   * (docker's order). NotFoundError otherwise.
   */
  resolve(ref: string): string {
    if (FULL_ID.test(ref) && this.exists(ref)) return ref;
    const name = ref.replace(/^\//, '');
    if (name && !name.includes('/') && name !== '.' && name !== '..') {
      const owner = readOwner(path.join(this.namesDir, name));
      if (owner !== undefined && this.exists(owner)) return owner;
    }
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = this.ids().filter((id) => id.startsWith(ref));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new ManagerError(`multiple containers match the id prefix "${ref}": give more of the id`, 1);
    }
    throw new NotFoundError('container', ref);
  }

  /**
   * Removes the container's directory (renamed out of the way first, so a crash midway never
   * leaves a half-deleted container that looks whole) and its name.
   */
  remove(record: ContainerRecord): void {
    const dir = this.containerDir(record.id);
    const trash = path.join(this.dir, `.removing-${record.id}`);
    try {
      fs.renameSync(dir, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    fs.rmSync(trash, { recursive: true, force: true });
    this.releaseName(record.name, record.id);
  }

  /**
   * Leftovers of removals a crash interrupted, and directories of creates a crash interrupted
   * (no metadata after a minute: a create in progress writes it within milliseconds).
   */
  sweep(now = Date.now()): void {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    const abandoned = new Set<string>();
    for (const entry of entries) {
      const dir = path.join(this.dir, entry);
      if (entry.startsWith('.removing-')) removeTree(dir);
      else if (FULL_ID.test(entry) && !this.exists(entry)) {
        let stale = false;
        try {
          stale = now - fs.statSync(dir).mtimeMs > 60_000;
        } catch {
          /* gone meanwhile */
        }
        // a killed create may have left its rootfs mounted: unmounted first, or rm fails EBUSY
        if (stale) {
          removeTree(dir);
          abandoned.add(entry);
        }
      }
    }
    if (abandoned.size > 0) this.releaseNamesOf(abandoned);
  }

  /** Removes the name index entries that belong to these (gone) containers. */
  private releaseNamesOf(ids: ReadonlySet<string>): void {
    withDirLockSync(this.namesDir, () => {
      let names: string[];
      try {
        names = fs.readdirSync(this.namesDir);
      } catch {
        return;
      }
      for (const name of names) {
        const entry = path.join(this.namesDir, name);
        const owner = readOwner(entry);
        if (owner !== undefined && ids.has(owner)) fs.rmSync(entry, { force: true });
      }
    });
  }
}

function readOwner(entry: string): string | undefined {
  try {
    const id = fs.readFileSync(entry, 'utf8').trim();
    return FULL_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export function storeOf(ctx: Context): ContainerStore {
  return new ContainerStore(ctx.paths);
}

/** Unmounts whatever is mounted under dir, then deletes it (already gone is fine). */
function removeTree(dir: string): void {
  unmountAllUnder(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}
