import { NAMESPACES } from '../linux/namespaces';
import { CAPABILITY_NAMES } from '../linux/capabilities';
import { seccompFeatures } from '../linux/seccomp';
import { OCI_VERSION } from '../spec/types';

/** The runtime-spec features document (features.md): what this build can do. */
export function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [
      'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'lazytime', 'loud', 'mand',
      'noatime', 'nodev', 'nodiratime', 'noexec', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'nosymfollow',
      'private', 'rbind', 'relatime', 'remount', 'ro', 'rprivate', 'rshared', 'rslave', 'runbindable', 'rw',
      'shared', 'silent', 'slave', 'strictatime', 'suid', 'symfollow', 'sync', 'tmpcopyup', 'unbindable', 'idmap', 'ridmap',
    ],
    linux: {
      namespaces: Object.keys(NAMESPACES),
      capabilities: [...CAPABILITY_NAMES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: seccompFeatures(),
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
    },
    annotations: { 'io.github.mydocker.runtime.version': RUNTIME_VERSION },
  };
}

declare const __MYDOCKER_VERSION__: string | undefined;
declare const __MYDOCKER_COMMIT__: string | undefined;
export const RUNTIME_VERSION = typeof __MYDOCKER_VERSION__ === 'string' ? __MYDOCKER_VERSION__ : '0.0.0-dev';
export const RUNTIME_COMMIT = typeof __MYDOCKER_COMMIT__ === 'string' ? __MYDOCKER_COMMIT__ : 'unknown';

export function versionText(): string {
  return `mydocker-runtime version ${RUNTIME_VERSION}\ncommit: ${RUNTIME_COMMIT}\nspec: ${OCI_VERSION}\n`;
}
