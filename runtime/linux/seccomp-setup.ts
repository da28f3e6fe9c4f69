// linux.seccomp for a container: compiled once per distinct profile (cached under the state
// root), before any namespace is entered, and handed to the init helper as raw BPF. With
// SCMP_ACT_NOTIFY rules the kernel's listener fd goes to linux.seccomp.listenerPath together with
// the container process state (config-linux.md#seccomp, runtime.md).
import fs = require('node:fs');
import { connectUnix, sendFds } from '../../native/terminal';
import { ConfigError, RuntimeError } from '../errors';
import type { LinuxSeccomp, State } from '../spec/types';
import type { CompiledSeccomp } from './seccomp';

export type { CompiledSeccomp };

const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

export interface ContainerSeccomp extends CompiledSeccomp {
  listenerPath?: string;
  listenerMetadata?: string;
}

/**
 * Compiled programs are cached by profile (the docker profile takes ~13 ms to compile) in a
 * directory of their own on /run, so that state roots hold nothing but containers (clients such
 * as containerd list them).
 */
export const SECCOMP_CACHE_DIR = '/run/mydocker-runtime-cache/seccomp';

export function compileContainerSeccomp(seccomp: LinuxSeccomp | undefined): ContainerSeccomp | undefined {
  if (!seccomp) return undefined;
  // Loaded only for configs with seccomp: libseccomp and its bindings cost start-up time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compileSeccomp } = require('./seccomp') as typeof import('./seccomp');
  const compiled = compileSeccomp(seccomp, { cacheDir: SECCOMP_CACHE_DIR });
  if (!compiled.notify) return compiled;
  if (!seccomp.listenerPath) throw new ConfigError('linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY rules');
  return {
    ...compiled,
    flags: compiled.flags | SECCOMP_FILTER_FLAG_NEW_LISTENER,
    listenerPath: seccomp.listenerPath,
    ...(seccomp.listenerMetadata !== undefined ? { listenerMetadata: seccomp.listenerMetadata } : {}),
  };
}

/** Sends the listener fd with the container process state, one message on a new connection. */
export function sendSeccompListener(seccomp: ContainerSeccomp, listenerFd: number, pid: number, state: Omit<State, 'rootfs' | 'created' | 'owner'>): void {
  const processState = {
    ociVersion: state.ociVersion,
    fds: ['seccompFd'],
    pid,
    ...(seccomp.listenerMetadata !== undefined ? { metadata: seccomp.listenerMetadata } : {}),
    state,
  };
  let socket: number;
  try {
    socket = connectUnix(seccomp.listenerPath!);
  } catch (err) {
    throw new RuntimeError(`linux.seccomp.listenerPath: ${(err as Error).message}`);
  }
  try {
    sendFds(socket, Buffer.from(JSON.stringify(processState)), [listenerFd]);
  } finally {
    fs.closeSync(socket);
    fs.closeSync(listenerFd);
  }
}
