// docker create: a new container's directory, name (given or generated), config.json and
// metadata, all or nothing.
import fs = require('node:fs');
import path = require('node:path');
import type { RuntimeConfig } from '../../runtime/spec/types';
import { parseSignal } from '../../runtime/signals';
import type { Context } from '../context';
import { ConflictError, ManagerError, messageOf, UsageError } from '../errors';
import { newContainerId } from './ids';
import { unmountAllUnder } from './mounts';
import { checkName, generateName } from './names';
import { type ContainerStore, now, storeOf } from './store';
import type { ContainerRecord, RunConfig } from './types';

export const DEFAULT_STOP_SIGNAL = 'SIGTERM';
export const DEFAULT_STOP_TIMEOUT = 10;
/** linux.cgroupsPath of a container whose spec gives none: /mydocker/<id>. */
export const CGROUP_PARENT = 'mydocker';
export interface CreateOptions {
  /** --name; generated (adjective_surname) when absent */
  name?: string;
  image: { ref: string; id: string };
  /** the run options as given (kept for inspect) */
  config?: RunConfig;
  /**
   * config.json for the container, built once its id and directory exist. linux.cgroupsPath
   * defaults to /mydocker/<id>. If it throws, the directory and the name are removed; it must
   * not leave mounts behind itself.
   */
  spec(container: { id: string; name: string; dir: string }): RuntimeConfig | Promise<RuntimeConfig>;
  /** the image's StopSignal or --stop-signal (default SIGTERM) */
  stopSignal?: string;
  /** seconds between the stop signal and SIGKILL (default 10) */
  stopTimeout?: number;
  /** --rm */
  autoRemove?: boolean;
}

function checkStopSignal(signal: string): string {
  try {
    parseSignal(signal);
  } catch (err) {
    throw new UsageError(`--stop-signal: ${messageOf(err)}`);
  }
  return signal.toUpperCase();
}

function writeConfig(dir: string, spec: RuntimeConfig): void {
  const target = path.join(dir, 'config.json');
  fs.writeFileSync(`${target}.tmp`, JSON.stringify(spec), { mode: 0o600 });
  fs.renameSync(`${target}.tmp`, target);
}

function reserveGeneratedName(store: ContainerStore, id: string): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = generateName(attempt);
    try {
      store.reserveName(name, id);
      return name;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new ManagerError('could not generate a free container name: give one with --name');
}

/** Creates the container's directory, name, config.json and metadata (status "created"). */
export async function createContainer(ctx: Context, options: CreateOptions): Promise<ContainerRecord> {
  if (options.name !== undefined) checkName(options.name);
  const stopSignal = checkStopSignal(options.stopSignal ?? DEFAULT_STOP_SIGNAL);
  const stopTimeout = options.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
  if (!Number.isInteger(stopTimeout) || stopTimeout < 0) throw new UsageError(`--stop-timeout: "${stopTimeout}" is not a whole number of seconds`);
  const store = storeOf(ctx);
  store.ensureDirs();
  const id = newContainerId();
  const dir = store.containerDir(id);
  fs.mkdirSync(dir, { mode: 0o711 });
  let name: string | undefined;
  try {
    if (options.name !== undefined) {
      store.reserveName(options.name, id);
      name = options.name;
    } else {
      name = reserveGeneratedName(store, id);
    }
    const spec = await options.spec({ id, name, dir });
    const args = spec.process?.args ?? [];
    if (args.length === 0) throw new UsageError('no command specified: the image has no Cmd or Entrypoint and none was given');
    spec.linux ??= {};
    spec.linux.cgroupsPath ??= `/${CGROUP_PARENT}/${id}`;
    writeConfig(dir, spec);
    const record: ContainerRecord = {
      schemaVersion: 1,
      id,
      name,
      created: now(),
      image: { ref: options.image.ref, id: options.image.id },
      path: args[0]!,
      args: args.slice(1),
      config: options.config ?? {},
      bundle: dir,
      ...(spec.root?.path ? { rootfs: path.resolve(dir, spec.root.path) } : {}),
      logPath: path.join(dir, 'container.log'),
      cgroupsPath: spec.linux.cgroupsPath,
      state: { status: 'created', pid: 0, exitCode: 0, oomKilled: false },
      stopSignal,
      stopTimeout,
      autoRemove: options.autoRemove ?? false,
      restartCount: 0,
      stopHooksPending: false,
    };
    store.write(record);
    return record;
  } catch (err) {
    unmountAllUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    if (name !== undefined) store.releaseName(name, id);
    throw err;
  }
}

