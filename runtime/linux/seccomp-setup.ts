// linux.seccomp for a container: compiled once per distinct profile (cached under the state
// root), before any namespace is entered, and handed to the init helper as raw BPF.
import path = require('node:path');
import { ConfigError } from '../errors';
import type { LinuxSeccomp } from '../spec/types';
import type { CompiledSeccomp } from './seccomp';

export type { CompiledSeccomp };

/** The cache lives in the state root under a name no container id can have ("@" is not allowed in ids). */
export function compileContainerSeccomp(seccomp: LinuxSeccomp | undefined, stateRoot: string): CompiledSeccomp | undefined {
  if (!seccomp) return undefined;
  // Loaded only for configs with seccomp: libseccomp and its bindings cost start-up time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compileSeccomp } = require('./seccomp') as typeof import('./seccomp');
  const compiled = compileSeccomp(seccomp, { cacheDir: path.join(stateRoot, '@seccomp-cache') });
  if (compiled.notify) {
    throw new ConfigError('linux.seccomp: SCMP_ACT_NOTIFY (listenerPath) is not supported by this version of mydocker-runtime');
  }
  return compiled;
}
