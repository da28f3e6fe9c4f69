// Helpers for the config-linux-* / config-process-security / config-hooks conformance files:
// a static syscall probe (compiled on demand with the host's C compiler), Python helpers that
// receive file descriptors by SCM_RIGHTS (Node cannot), namespace holders, and small parsers.
//
// Everything made here lives in one temporary directory per process, removed at exit.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BUSYBOX } from './bundle.mjs';
import { sleep } from './runtime.mjs';

/** python3 of the host (Debian's), or undefined. */
export const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));

let scratch = null;

/** A per-process scratch directory (mode 0755, removed at exit). */
export function scratchDir() {
  if (!scratch || !fs.existsSync(scratch)) {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-extra-'));
    fs.chmodSync(scratch, 0o755);
    const dir = scratch;
    process.once('exit', () => {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    });
  }
  return scratch;
}

// A static program that makes one system call, named or numbered, with numeric arguments
// ("s:TEXT" passes a pointer to TEXT) and prints "<name>: ok <ret>" or "<name>: errno <n> (<text>)".
const PROBE_SRC = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
static const struct { const char *name; long nr; } table[] = {
  {"keyctl", SYS_keyctl}, {"add_key", SYS_add_key}, {"unshare", SYS_unshare}, {"mount", SYS_mount},
  {"umount2", SYS_umount2}, {"setns", SYS_setns}, {"getpid", SYS_getpid}, {"getppid", SYS_getppid},
  {"getpgid", SYS_getpgid}, {"uname", SYS_uname}, {"kill", SYS_kill}, {"personality", SYS_personality},
  {"mkdirat", SYS_mkdirat}, {"sethostname", SYS_sethostname}, {"chroot", SYS_chroot}, {"dup", SYS_dup},
  {"getuid", SYS_getuid}, {"geteuid", SYS_geteuid}, {"getcwd", SYS_getcwd}, {"ioprio_get", SYS_ioprio_get},
  {"sched_getscheduler", SYS_sched_getscheduler}, {"getpriority", SYS_getpriority},
};
int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: probe NAME|NR [ARG...]\n"); return 2; }
  long nr = -1;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].name, argv[1]) == 0) nr = table[i].nr;
  if (nr < 0) nr = strtol(argv[1], NULL, 0);
  long a[6] = {0};
  for (int i = 2; i < argc && i < 8; i++)
    a[i - 2] = strncmp(argv[i], "s:", 2) == 0 ? (long)(argv[i] + 2) : (long)strtoul(argv[i], NULL, 0);
  errno = 0;
  long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r == -1) printf("%s: errno %d (%s)\n", argv[1], errno, strerror(errno));
  else printf("%s: ok %ld\n", argv[1], r);
  fflush(stdout);
  return 0;
}
`;

let probeCache;

/**
 * A directory holding `probe`, a static executable built from PROBE_SRC with the host's cc
 * (gcc or cc, static glibc), or null when no compiler can build it. Bind it read-only into a
 * container (e.g. at /mnt) and run `/mnt/probe keyctl 0 -3 0`.
 * @returns {string|null}
 */
export function probeDir() {
  if (probeCache !== undefined) return probeCache;
  probeCache = null;
  const dir = path.join(scratchDir(), 'probe');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'probe.c'), PROBE_SRC);
  for (const cc of ['cc', 'gcc']) {
    const r = spawnSync(cc, ['-static', '-O1', '-o', path.join(dir, 'probe'), path.join(dir, 'probe.c')], {
      encoding: 'utf8',
      timeout: 60000,
    });
    if (r.status === 0) {
      probeCache = dir;
      break;
    }
  }
  return probeCache;
}

/** Test option: skip when the probe cannot be built. */
export function needsProbe() {
  return { skip: probeDir() ? false : 'a C compiler with a static libc is needed to build the syscall probe' };
}

/** Test option: skip when python3 is missing. */
export function needsPython() {
  return { skip: PYTHON ? false : 'python3 is needed to receive file descriptors by SCM_RIGHTS' };
}

/**
 * Start a process (busybox sleep under unshare(1) with `flags`) that holds new namespaces, for
 * tests that join namespaces by path. Killed by pid when the test ends.
 * @param {import('node:test').TestContext} t
 * @param {string[]} flags unshare(1) options, e.g. ['--net', '--uts']
 * @param {string} [setup] shell commands run first inside the namespaces
 * @returns {Promise<number>} the holder pid
 */
export async function holdNamespaces(t, flags, setup = '') {
  const child = spawn('unshare', [...flags, BUSYBOX, 'sh', '-c', `${setup} echo ready; exec ${BUSYBOX} sleep 120`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`unshare ${flags.join(' ')} exited early (${code})`)));
    child.stdout.once('data', resolve);
  });
  return child.pid;
}

/**
 * Run a Python program (text) with args; resolves once it has printed `ready` on stdout.
 * Returns {child, output(): string, exited: Promise}. Killed by pid when the test ends.
 * @param {import('node:test').TestContext} t
 * @param {string} program
 * @param {string[]} args
 */
export async function startPython(t, program, args) {
  const child = spawn(PYTHON, ['-c', program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((res) => child.once('exit', res));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const deadline = Date.now() + 10000;
  while (!out.includes('ready') && Date.now() < deadline && child.exitCode === null) await sleep(10);
  if (!out.includes('ready')) throw new Error(`python helper did not start: ${out}\n${err}`);
  return { child, output: () => out, errors: () => err, exited };
}

/**
 * Wait for a promise at most `ms`; resolves to undefined on timeout.
 * @template T
 * @param {Promise<T>} p
 * @param {number} ms
 */
export async function within(p, ms) {
  let timer;
  const r = await Promise.race([p, new Promise((res) => (timer = setTimeout(res, ms)))]);
  clearTimeout(timer);
  return r;
}

/**
 * Parse `grep ^Cap /proc/self/status` style lines (or the whole status file) into
 * {CapInh, CapPrm, CapEff, CapBnd, CapAmb, ...} (every "Key:\tvalue" line).
 * @param {string} text
 */
export function statusFields(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** The 16-hex-digit capability mask of these capability numbers, as /proc/PID/status prints it. */
export const capMask = (...bits) => bits.reduce((m, b) => m | (1n << BigInt(b)), 0n).toString(16).padStart(16, '0');

/** Capability numbers (linux/capability.h) used by the checks. */
export const CAP = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  FOWNER: 3,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  NET_BIND_SERVICE: 10,
  NET_RAW: 13,
  SYS_CHROOT: 18,
  SYS_ADMIN: 21,
  SYS_NICE: 23,
  MKNOD: 27,
  AUDIT_WRITE: 29,
};

/**
 * Write `config` to <bundle>/config.json with every string value "__U64:<digits>__" replaced by
 * the bare number (JSON numbers above 2^53 cannot be written from a JS number).
 * @param {string} bundle
 * @param {object} config
 */
export function writeConfigWithBigNumbers(bundle, config) {
  const text = JSON.stringify(config, null, 2).replace(/"__U64:(\d+)__"/g, '$1');
  fs.writeFileSync(path.join(bundle, 'config.json'), text);
}

/** The /proc/self/mounts line fields for `dest` (the last mount there), or null. */
export function mountAt(mountsText, dest) {
  const line = mountsText
    .trim()
    .split('\n')
    .filter((l) => l.split(' ')[1] === dest)
    .pop();
  if (!line) return null;
  const [source, target, type, options] = line.split(' ');
  return { source, target, type, options: options.split(',') };
}
