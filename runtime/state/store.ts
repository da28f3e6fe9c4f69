// The runtime's state directory: <root>/<id>/state.json, the exec fifo, and a per-container
// lock (flock on the container's directory) so concurrent calls on one id cannot corrupt it.
import fs = require('node:fs');
import path = require('node:path');
import { NotFoundError, RuntimeError } from '../errors';
import type { CgroupPaths } from '../cgroups/manager';
import type { Hooks, State } from '../spec/types';

export { DEFAULT_ROOT } from './root';

/** What state.json holds: the OCI state plus what later operations need. */
export interface StoredState extends Omit<State, 'status'> {
  pid: number;
  rootfs: string;
  created: string;
  owner: string;
  /** Start time of the init (clock ticks after boot, /proc/PID/stat field 22): guards against pid reuse. */
  initStartTime: number;
  /** Whether the container has its own PID namespace (then killing the init ends every process). */
  ownPidNamespace: boolean;
  /** Where the container's cgroup is. */
  cgroupPaths: CgroupPaths;
  hooks?: Hooks;
}

export class ContainerLock {
  constructor(private fd: number) {}
  release(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export class ContainerStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }
  statePath(id: string): string {
    return path.join(this.dir(id), 'state.json');
  }
  fifoPath(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Creates the container's directory; fails if the id is taken. Returns it locked. */
  reserve(id: string): ContainerLock {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      fs.mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError(`container with id "${id}" already exists`);
      throw new RuntimeError(`cannot create the state directory ${this.dir(id)}: ${(err as Error).message}`);
    }
    return this.lockDir(id);
  }

  /** Locks an existing container; NotFoundError if it does not exist (or vanished while waiting). */
  lock(id: string): ContainerLock {
    if (!this.exists(id)) throw new NotFoundError(id);
    const lock = this.lockDir(id);
    if (!this.exists(id)) {
      lock.release();
      throw new NotFoundError(id);
    }
    return lock;
  }

  private lockDir(id: string): ContainerLock {
    let fd: number;
    try {
      fd = fs.openSync(this.dir(id), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch {
      throw new NotFoundError(id);
    }
    // libc (koffi) loads here, not with this module: `state` reads without a lock and so
    // starts without loading the addon (about 6 ms)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { flock, LOCK_EX } = require('../../native/libc') as typeof import('../../native/libc');
    flock(fd, LOCK_EX, this.dir(id));
    return new ContainerLock(fd);
  }

  exists(id: string): boolean {
    return fs.existsSync(this.statePath(id));
  }

  read(id: string): StoredState {
    let text: string;
    try {
      text = fs.readFileSync(this.statePath(id), 'utf8');
    } catch {
      throw new NotFoundError(id);
    }
    let state: StoredState;
    try {
      state = JSON.parse(text) as StoredState;
    } catch {
      throw new RuntimeError(`state of container "${id}" in ${this.root} is damaged`);
    }
    // Another runtime's state (runc's, in a shared --root) has none of our fields.
    if (typeof state.pid !== 'number' || typeof state.initStartTime !== 'number' || !state.cgroupPaths) {
      throw new RuntimeError(`container "${id}" in ${this.root} was not created by mydocker-runtime`);
    }
    return state;
  }

  /** Atomic: write a temporary file, then rename it over state.json. */
  write(state: StoredState): void {
    const target = this.statePath(state.id);
    const tmp = `${target}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    fs.renameSync(tmp, target);
  }

  remove(id: string): void {
    const dir = this.dir(id);
    // The directory holds a few files: unlinking them costs a third of fs.rmSync's recursive
    // walk; anything else in it (a subdirectory) takes the general path.
    try {
      for (const name of fs.readdirSync(dir)) fs.unlinkSync(path.join(dir, name));
      fs.rmdirSync(dir);
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Ids with a state.json, sorted. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((id) => this.exists(id)).sort();
  }
}
