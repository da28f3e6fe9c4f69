// What every manager operation gets: where things are, which runtime to use, and the
// terminal it talks to.
import fs = require('node:fs');
import path = require('node:path');
import type { ManagerPaths } from './paths';

export interface Context {
  paths: ManagerPaths;
  /** the OCI runtime binary the manager drives (mydocker-runtime by default, runc works too) */
  runtime: string;
  debug: boolean;
  /** writes to stdout/stderr synchronously (a container may share our stdio) */
  out(text: string): void;
  err(text: string): void;
}

/** dist/mydocker-runtime next to the manager's own bundle, unless MYDOCKER_RUNTIME says otherwise. */
export function defaultRuntime(): string {
  return process.env.MYDOCKER_RUNTIME ?? path.join(__dirname, 'mydocker-runtime');
}

export function consoleOutput(): Pick<Context, 'out' | 'err'> {
  return {
    out: (text) => void fs.writeSync(1, text),
    err: (text) => void fs.writeSync(2, text),
  };
}
