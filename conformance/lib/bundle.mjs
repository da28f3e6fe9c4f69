// Bundle helpers for the OCI conformance suite (and for test/ integration tests).
//
// An OCI bundle is a directory holding `config.json` plus a root filesystem
// (runtime-spec bundle.md). These helpers build a tiny busybox root filesystem
// and bundles whose config.json starts from the same baseline `runc spec`
// produces (minus the cgroup mount, and with `terminal: false`), with deep
// overrides.
//
// Plain ESM JavaScript on purpose: it is imported by node:test files both here
// and in test/, and must run without a build step.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/** Path of the static busybox binary copied into root filesystems (env BUSYBOX overrides). */
export const BUSYBOX = process.env.BUSYBOX || '/bin/busybox';

/** The default PATH of `runc spec`, used in the baseline process.env. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Name of the environment variable makeBundle() adds to the baseline process.env, with the bundle
 * directory's basename as value, so that the container's processes can be found on the host
 * (see processesOfBundle in runtime.mjs). Tests that set process.env themselves replace it.
 */
export const BUNDLE_ENV = 'CONFORMANCE_BUNDLE';

/** Marker file written into every bundle made here, so removeBundle() never deletes anything else. */
const BUNDLE_MARKER = '.conformance-bundle';
const ROOTFS_MARKER = '.conformance-rootfs';

let appletCache = null;

/**
 * The applet names of BUSYBOX (`busybox --list`), cached per process.
 * @returns {string[]}
 */
export function busyboxApplets() {
  if (!appletCache) {
    appletCache = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => s && !s.includes('/'));
  }
  return appletCache;
}

/**
 * Create a minimal busybox root filesystem in `dir` (created if missing):
 * `/bin/busybox` (a copy of BUSYBOX) plus a relative symlink `/bin/<applet>` for every
 * applet of `busybox --list`, the empty mount points `/proc /dev /sys /tmp /mnt /run`,
 * `/root`, `/home`, `/var`, and `/etc/passwd`, `/etc/group`, `/etc/hostname`
 * (users root:0, daemon:1, nobody:65534, test:1000; groups root:0, daemon:1, tty:5,
 * users:100, test:1000, nogroup:65534).
 * The result is about 2 MB and takes a few milliseconds to build.
 *
 * @param {string} dir target directory (absolute or relative to the cwd)
 * @returns {string} the absolute path of the root filesystem
 */
export function makeBusyboxRootfs(dir) {
  const root = path.resolve(dir);
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root', 'home', 'var', 'run', 'mnt']) {
    fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o755 });
  }
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.chmodSync(path.join(root, 'root'), 0o700);
  const bb = path.join(root, 'bin', 'busybox');
  fs.copyFileSync(BUSYBOX, bb, fs.constants.COPYFILE_FICLONE);
  fs.chmodSync(bb, 0o755);
  for (const applet of busyboxApplets()) {
    if (applet === 'busybox') continue;
    try {
      fs.symlinkSync('busybox', path.join(root, 'bin', applet));
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
  }
  fs.writeFileSync(
    path.join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\n' +
      'daemon:x:1:1:daemon:/:/bin/false\n' +
      'test:x:1000:1000:test:/home:/bin/sh\n' +
      'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  fs.writeFileSync(
    path.join(root, 'etc', 'group'),
    'root:x:0:\ndaemon:x:1:\ntty:x:5:\nusers:x:100:\ntest:x:1000:\nnogroup:x:65534:\n',
  );
  fs.writeFileSync(path.join(root, 'etc', 'hostname'), 'rootfs\n');
  fs.writeFileSync(path.join(root, ROOTFS_MARKER), '');
  return root;
}

let sharedRootfsDir = null;

/**
 * A busybox root filesystem shared by every bundle of this process that does not ask for
 * its own copy. It is created on first use under os.tmpdir() and removed when the process
 * exits. Bundles using it should keep `root.readonly: true` (the baseline) and must not
 * mount over paths that do not exist yet (the runtime would create them in the shared tree).
 *
 * @returns {string} absolute path of the shared root filesystem
 */
export function sharedRootfs() {
  if (!sharedRootfsDir || !fs.existsSync(sharedRootfsDir)) {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-rootfs-'));
    fs.chmodSync(parent, 0o755); // traversable by mapped (user namespace) and non-root container users
    sharedRootfsDir = makeBusyboxRootfs(path.join(parent, 'rootfs'));
    process.once('exit', () => {
      try {
        fs.rmSync(parent, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    });
  }
  return sharedRootfsDir;
}

/**
 * A fresh copy of the baseline config.json: what `runc spec` (1.1.5) writes, except
 *  - `process.terminal` is false (stdio passes straight through),
 *  - `process.args` is `["sh"]` unless overridden,
 *  - the `/sys/fs/cgroup` mount is left out (a cgroup mount is not part of what every
 *    runtime must do, and on a cgroup v1 host it is a dozen extra bind mounts),
 *  - `hostname` is "conformance".
 * Namespaces: pid, network, ipc, uts, mount. Mounts: /proc, /dev (tmpfs), /dev/pts, /dev/shm,
 * /dev/mqueue, /sys (ro). Root: `rootfs`, read-only. Capabilities: AUDIT_WRITE, KILL,
 * NET_BIND_SERVICE. rlimit NOFILE 1024. noNewPrivileges true. Masked and read-only paths as
 * `runc spec`.
 *
 * @returns {object} a new object each call (safe to mutate)
 */
export function baselineConfig() {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: [`PATH=${DEFAULT_PATH}`, 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...caps],
        effective: [...caps],
        permitted: [...caps],
        ambient: [...caps],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'conformance',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Deep-merge `overrides` into `target` (mutating and returning `target`).
 * Plain objects merge key by key; arrays and scalars replace; a value of `undefined`
 * deletes the key (e.g. `{ hostname: undefined }` removes the hostname).
 *
 * @param {object} target
 * @param {object} overrides
 * @returns {object} target
 */
export function deepMerge(target, overrides) {
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) {
      delete target[key];
    } else if (isPlainObject(value) && isPlainObject(target[key])) {
      deepMerge(target[key], value);
    } else {
      target[key] = structuredClone(value);
    }
  }
  return target;
}

/**
 * @typedef {object} BundleOptions
 * @property {string[]} [args] shorthand for `process.args`
 * @property {'shared'|'copy'|'none'|string} [rootfs='shared'] where the root filesystem comes from:
 *   `'shared'`: the per-process sharedRootfs(), referenced by absolute `root.path`;
 *   `'copy'`: a fresh busybox rootfs at `<bundle>/rootfs` with `root.path: "rootfs"` (use it when the
 *   container writes to / or mounts onto paths that do not exist yet);
 *   `'none'`: no root filesystem at all (root.path stays "rootfs", which does not exist);
 *   any other string: an existing directory used as absolute `root.path`.
 * @property {(config: object, bundleDir: string) => (object|void)} [edit] called last with the merged
 *   config; may mutate it or return a replacement (use it to delete array entries etc.)
 * @property {string} [parentDir=os.tmpdir()] where the bundle directory is created
 * @property {string|null} [rawConfig] write this exact text as config.json instead of JSON (for invalid JSON
 *   tests); `null` writes no config.json at all
 */

/**
 * Create a temporary bundle directory (`<parentDir>/conformance-bundle-XXXXXX`) with a config.json
 * built from baselineConfig() (plus `CONFORMANCE_BUNDLE=<basename>` in process.env), then deep-merged with every key of `options` that is not one of
 * the BundleOptions (e.g. `{ hostname: 'x', process: { cwd: '/tmp' } }`), then `edit`.
 *
 * @example
 *   const dir = makeBundle({ args: ['sh', '-c', 'echo hi'], root: { readonly: false }, rootfs: 'copy' });
 *   // ... run it ...
 *   removeBundle(dir);
 *
 * @param {BundleOptions & Record<string, any>} [options]
 * @returns {string} absolute path of the bundle directory
 */
export function makeBundle(options = {}) {
  const { args, rootfs = 'shared', edit, parentDir = os.tmpdir(), rawConfig, ...overrides } = options;
  const dir = fs.mkdtempSync(path.join(path.resolve(parentDir), 'conformance-bundle-'));
  fs.chmodSync(dir, 0o755); // traversable by mapped (user namespace) and non-root container users
  fs.writeFileSync(path.join(dir, BUNDLE_MARKER), '');
  let config = baselineConfig();
  if (rootfs === 'shared') {
    config.root.path = sharedRootfs();
  } else if (rootfs === 'copy') {
    makeBusyboxRootfs(path.join(dir, 'rootfs'));
    config.root.path = 'rootfs';
  } else if (rootfs === 'none') {
    config.root.path = 'rootfs';
  } else {
    config.root.path = path.resolve(rootfs);
  }
  config.process.env.push(`${BUNDLE_ENV}=${path.basename(dir)}`);
  if (args) config.process.args = [...args];
  deepMerge(config, overrides);
  if (edit) config = edit(config, dir) ?? config;
  if (rawConfig === null) return dir;
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    typeof rawConfig === 'string' ? rawConfig : JSON.stringify(config, null, 2),
  );
  return dir;
}

/**
 * Read and parse `<bundleDir>/config.json`.
 * @param {string} bundleDir
 * @returns {object}
 */
export function readConfig(bundleDir) {
  return JSON.parse(fs.readFileSync(path.join(bundleDir, 'config.json'), 'utf8'));
}

/**
 * Write `config` as `<bundleDir>/config.json`.
 * @param {string} bundleDir
 * @param {object} config
 */
export function writeConfig(bundleDir, config) {
  fs.writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify(config, null, 2));
}

/**
 * Remove a bundle made by makeBundle() (recursively, with its rootfs copy if any).
 * Refuses, silently, to delete a directory that makeBundle() did not create, and ignores
 * a directory that is already gone. Never throws.
 *
 * @param {string|undefined|null} dir
 */
export function removeBundle(dir) {
  if (!dir) return;
  try {
    if (!fs.existsSync(path.join(dir, BUNDLE_MARKER))) return;
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort: a cleanup helper must not hide the test's own failure */
  }
}
