// Small host helpers shared by the real-client daemons (containerd.mjs, podman.mjs, dockerd.mjs), their
// tests and bench/clients.mjs: processes by pid, mounts and cgroups under our own paths.
// Importing this module has no side effects.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** A pure cgroup v2 host (else v1 or hybrid: one hierarchy per controller). */
export const CGROUP_V2 = fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** process.env without proxy variables (the Go tools skip them for loopback, but say so anyway). */
export function envWithoutProxies(base = process.env) {
  const env = { ...base };
  for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k)) delete env[k];
  return env;
}

/** The process exists and is not a zombie (pid 1 here reaps orphans lazily). */
export function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `ms`, then SIGKILL and wait up to 3 s (synchronous: usable from an exit handler). */
export function terminateSync(pid, ms) {
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) sleepSync(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    const d2 = Date.now() + 3000;
    while (alive(pid) && Date.now() < d2) sleepSync(20);
  }
}

/** SIGTERM a ChildProcess we spawned, SIGKILL after `ms`; resolves once it exited (or 5 s more). */
export async function stopChild(child, ms = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(ms).then(() => false)])) return;
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(5000)]);
}

/** Pids (not ours) whose command line contains `needle`, optionally only those whose argv[0] matches `argv0`. */
export function pidsMentioning(needle, argv0) {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (!cmdline.includes(needle)) continue;
      if (argv0 && !argv0.test(cmdline.split('\0')[0])) continue;
      out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Mount points at or under `prefix` (octal escapes of mountinfo decoded). */
export function mountsUnder(prefix) {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter(Boolean)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === prefix || p.startsWith(`${prefix}/`));
}

/** Unmounts everything at or under `prefix`, deepest first (umount, else umount -l; 3 passes). Returns how many. */
export function unmountUnder(prefix) {
  let count = 0;
  for (let pass = 0; pass < 3; pass++) {
    const mounts = mountsUnder(prefix).sort((a, b) => b.length - a.length);
    if (!mounts.length) break;
    for (const m of mounts) {
      if (spawnSync('umount', [m], { stdio: 'ignore', timeout: 10000 }).status !== 0) {
        spawnSync('umount', ['-l', m], { stdio: 'ignore', timeout: 10000 });
      }
      count++;
    }
  }
  return count;
}

/** Every cgroup hierarchy's root: /sys/fs/cgroup on v2; each controller's (not the symlinked aliases) on v1. */
export function cgroupHierarchies() {
  if (CGROUP_V2) return [CGROUP_ROOT];
  return fs
    .readdirSync(CGROUP_ROOT)
    .map((c) => path.join(CGROUP_ROOT, c))
    .filter((d) => {
      try {
        return fs.lstatSync(d).isDirectory();
      } catch {
        return false;
      }
    });
}

/**
 * rmdir a cgroup tree, deepest first (cgroupfs: only rmdir works). `killProcs`: SIGKILL processes still in
 * it and retry for 2 s. Returns the directories that could not be removed, with the reason.
 */
export function removeCgroupTree(dir, { killProcs = false } = {}) {
  const failed = [];
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return failed;
  }
  for (const e of entries) if (e.isDirectory()) failed.push(...removeCgroupTree(path.join(dir, e.name), { killProcs }));
  const tries = killProcs ? 20 : 1;
  for (let i = 0; i < tries; i++) {
    if (killProcs) {
      try {
        for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL'); // a process of one of our containers
          } catch {
            /* gone */
          }
        }
      } catch {
        /* no procs file */
      }
    }
    try {
      fs.rmdirSync(dir);
      return failed;
    } catch (e) {
      if (e.code === 'ENOENT') return failed;
      if (i === tries - 1) failed.push(`${dir}: ${e.code}`);
      else sleepSync(100);
    }
  }
  return failed;
}

/** removeCgroupTree of `rel` (e.g. "/mydocker-x" or a containerd namespace) in every hierarchy. */
export function removeCgroupEverywhere(rel, opts) {
  const failed = [];
  for (const h of cgroupHierarchies()) {
    const d = path.join(h, rel);
    if (fs.existsSync(d)) failed.push(...removeCgroupTree(d, opts));
  }
  return failed;
}
