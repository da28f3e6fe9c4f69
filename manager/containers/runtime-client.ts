// Calls to the OCI runtime's command line (mydocker-runtime or runc: the same CLI), with the
// manager's --root for the runtime's state and a clean environment (no NODE_EXTRA_CA_CERTS:
// the runtime is a Node program too, and parsing that bundle costs ~30 ms per call).
import type { ExecFileException } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { ManagerError } from '../errors';
import type { Context } from '../context';
import { childProcess } from '../system/child-process';

export const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function runtimeEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? CLEAN_PATH };
}

export function runtimeGlobalArgs(ctx: Context): string[] {
  return ['--root', ctx.paths.runtimeRoot];
}

export interface RuntimeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the runtime to completion; never throws for a non-zero exit (see `check`). */
export function callRuntime(ctx: Context, args: string[], input?: string): Promise<RuntimeResult> {
  return new Promise((resolve, reject) => {
    const child = childProcess().execFile(ctx.runtime, [...runtimeGlobalArgs(ctx), ...args], { env: runtimeEnv(), maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (ExecFileException & { code?: number | string }) | null;
      if (e && typeof e.code === 'string') {
        reject(new ManagerError(`cannot run the OCI runtime ${ctx.runtime}: ${e.code}`));
        return;
      }
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * The exit status docker gives a container that could not be started: 127 when the program
 * does not exist, 126 when it cannot be run, 125 for any other failure.
 */
export function startFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|operation not permitted|is a directory/i.test(message)) return 126;
  return 125;
}

/** The runtime's message, on one line. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
}

/** Throws a ManagerError (what: the action, e.g. "kill") when the call failed. */
export function check(result: RuntimeResult, what: string): RuntimeResult {
  if (result.code !== 0) throw new ManagerError(`${what}: ${oneLine(result.stderr) || `the runtime exited with status ${result.code}`}`);
  return result;
}

/** `delete --force`: succeeds when the container is already gone (runc and ours). */
export async function forceDelete(ctx: Context, id: string): Promise<void> {
  // Nothing to delete once the runtime's state is gone (a foreground `run` deletes it itself):
  // a runtime call costs a Node start.
  if (!fs.existsSync(path.join(ctx.paths.runtimeRoot, id))) return;
  check(await callRuntime(ctx, ['delete', '--force', id]), `removing the runtime's container ${id.slice(0, 12)}`);
}

export function isNotRunning(result: RuntimeResult): boolean {
  return /not running|does not exist|no such process|container .* is stopped/i.test(result.stderr);
}
