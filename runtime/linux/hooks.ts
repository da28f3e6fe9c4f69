// OCI hooks (config.md#posix-platform-hooks): each runs with the container's state on stdin,
// its own args and env, and an optional timeout. Where it runs (runtime or container
// namespaces) is decided by the caller, which has entered those namespaces on the main thread:
// the hook process is forked from it and inherits them.
import { RuntimeError } from '../errors';
import { log } from '../log';
import type { Hook, Hooks, State } from '../spec/types';

export type HookName = keyof Hooks;

/** The state a hook reads on stdin (runtime.md#state). */
export type HookState = Pick<State, 'ociVersion' | 'id' | 'status' | 'pid' | 'bundle' | 'annotations'>;

/** The hook view of a container's state in the given status. */
export function hookState(state: Omit<HookState, 'status'>, status: State['status']): HookState {
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    status,
    pid: state.pid,
    bundle: state.bundle,
    ...(state.annotations ? { annotations: state.annotations } : {}),
  };
}

/** A hook failed (the lifecycle then goes on to destroying the container, and its poststop hooks). */
export class HookError extends RuntimeError {}

function envObject(env: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function runHook(name: HookName, index: number, hook: Hook, state: HookState): void {
  // Loaded only when a config has hooks: child_process costs several ms at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const field = `hooks.${name}[${index}]`;
  const args = hook.args?.length ? hook.args : [hook.path];
  const result = spawnSync(hook.path, args.slice(1), {
    argv0: args[0],
    env: envObject(hook.env),
    input: JSON.stringify(state),
    timeout: hook.timeout !== undefined ? hook.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: '/',
    maxBuffer: 1 << 20,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' / ');
  const detail = output ? `: ${output}` : '';
  // A hook need not read the state: EPIPE writing it to stdin is not a failure of the hook.
  const error = (result.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' ? undefined : (result.error as NodeJS.ErrnoException | undefined);
  if (error?.code === 'ETIMEDOUT') throw new HookError(`${field} (${hook.path}) timed out after ${hook.timeout}s`);
  if (error) throw new HookError(`${field}: cannot run "${hook.path}": ${error.code ?? error.message}`);
  if (result.signal) throw new HookError(`${field} (${hook.path}) was killed by ${result.signal}${detail}`);
  if (result.status !== 0) throw new HookError(`${field} (${hook.path}) exited with status ${result.status}${detail}`);
}

/** Runs the hooks of one kind in order; the first failure is an error (create-time and startContainer hooks). */
export function runHooks(name: HookName, hooks: Hooks | undefined, state: HookState): void {
  (hooks?.[name] ?? []).forEach((hook, i) => runHook(name, i, hook, state));
}

/** poststart and poststop: a failure is logged as a warning and the rest still run (runtime.md). */
export function runHooksWarning(name: HookName, hooks: Hooks | undefined, state: HookState): void {
  (hooks?.[name] ?? []).forEach((hook, i) => {
    try {
      runHook(name, i, hook, state);
    } catch (err) {
      log('warn', (err as Error).message);
    }
  });
}

export function hasHooks(hooks: Hooks | undefined, ...names: HookName[]): boolean {
  return names.some((n) => (hooks?.[n]?.length ?? 0) > 0);
}

