// The container's metadata (schemas/manager/container.schema.json) and the hooks through
// which the rest of the manager (rootfs, network) joins a container's lifecycle.
import type { Context } from '../context';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  /** host pid of the container's process; 0 when not running (or not known yet) */
  pid: number;
  pidStartTime?: number;
  /** where the runtime writes the pid during a foreground run */
  pidFile?: string;
  startedAt?: string;
  finishedAt?: string;
  /** 128 + signal when killed by one; 255 when the exit was lost together with its monitor */
  exitCode: number;
  oomKilled: boolean;
  error?: string;
}

export interface Monitor {
  /** conmon keeps a detached container; a foreground `run` is its own monitor */
  kind: 'conmon' | 'foreground';
  pid: number;
  startTime: number;
}

/** The run options as given; the known ones are typed, the rest is kept for inspect. */
export interface RunConfig {
  tty?: boolean;
  interactive?: boolean;
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  labels?: Record<string, string>;
  ports?: string[];
  [option: string]: unknown;
}

export interface ContainerRecord {
  schemaVersion: 1;
  /** 64 lowercase hex digits */
  id: string;
  name: string;
  /** RFC 3339, UTC */
  created: string;
  image: { ref: string; id: string };
  path: string;
  args: string[];
  config: RunConfig;
  /** the OCI bundle directory (config.json) */
  bundle: string;
  rootfs?: string;
  logPath: string;
  cgroupsPath: string;
  state: ContainerState;
  monitor?: Monitor;
  /** filled by the network hook */
  network?: Record<string, unknown>;
  stopSignal: string;
  stopTimeout: number;
  autoRemove: boolean;
  restartCount?: number;
  /** beforeStart hooks ran and afterStop has not completed yet */
  stopHooksPending: boolean;
}

/** What beforeStart hands back: network settings to keep, now or once the attach is done. */
export interface StartPreparation {
  network?: Record<string, unknown>;
  /**
   * A network still being attached (its plugins run while the runtime creates the container):
   * settles with the settings to keep before the container may start. Already handled against
   * unhandled-rejection crashes; a rejection fails the start.
   */
  pendingNetwork?: Promise<Record<string, unknown>>;
}

/**
 * Where the rest of the manager joins in. beforeStart runs before the runtime creates the
 * container (mount the rootfs, attach the network; it may rewrite <bundle>/config.json and may
 * return network settings to keep). afterStop runs after the runtime deleted it, also after a
 * failed start and when a crash interrupted a previous clean-up: it must be idempotent.
 * beforeRemove runs just before the container's directory is deleted.
 */
export interface LifecycleHooks {
  beforeStart?(container: Readonly<ContainerRecord>, ctx: Context): Promise<StartPreparation | void> | StartPreparation | void;
  afterStop?(container: Readonly<ContainerRecord>, ctx: Context): Promise<void> | void;
  beforeRemove?(container: Readonly<ContainerRecord>, ctx: Context): Promise<void> | void;
}

/** How containers are run and cleaned up: the same for every operation of one manager. */
export interface LifecycleOptions {
  hooks?: LifecycleHooks;
  /**
   * The program (argv) conmon runs when a detached container exits, with the container id
   * appended: it should call cleanupContainer(ctx, id). Without it the next command that looks
   * at the container does the clean-up (a `--rm -d` container then lingers until then).
   */
  exitCommand?: string[];
  /** conmon's path (default $MYDOCKER_CONMON or /usr/bin/conmon) */
  conmon?: string;
}
