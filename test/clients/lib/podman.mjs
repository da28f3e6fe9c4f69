// A private podman world (Debian's podman 4.3 + conmon) for the real-client tests and bench/clients.mjs.
//
//   const cache = guardContainersCache();            // first: skopeo (pushBusybox) and podman write the cache
//   const registry = await startRegistry(); const image = await pushBusybox(registry);
//   const pm = createPodman({ registry, runtimes: [{ name: 'ours', path: '/abs/runtime' }, ...] });
//   await pm.podman(null, ['pull', '-q', image]);
//   await pm.podman(runtimes[0], ['run', '--rm', '--network', 'none', image, 'true']);
//   const problems = await pm.cleanup({ cgroupParent: '/my-parent' }); cache.restore();
//
// createPodman writes, in one temp dir: containers.conf (CONTAINERS_CONF: the runtimes by name,
// runtime_supports_json, cgroupfs, file events, file locks, tmp dirs, netns "none"), registries.conf
// (the local registry is insecure), storage.conf, an empty auth file; `pm.env` is the environment for
// podman (process.env as it is then, less proxies and other CONTAINERS_* settings), `pm.args()` adds
// --root/--runroot/--storage-driver (and --runtime NAME).
// cleanup(): containers (podman rm -f), images, conmon processes of this world (by pid), runtime state
// of the containers podman left, mounts under the temp dir, the temp dir, the cgroup parent.
// Importing this module has no side effects.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive, removeCgroupEverywhere, sleep, unmountUnder } from './host.mjs';

export const PODMAN = '/usr/bin/podman';
export const CONMON = '/usr/bin/conmon';
/** The blob-info cache podman 4.3 and skopeo always write, whatever their storage settings. */
export const CONTAINERS_CACHE = '/var/lib/containers/cache';

/**
 * Notes whether /var/lib/containers/cache (and its parent) exist now; restore() removes them later if not.
 * Call it before anything runs skopeo or podman.
 */
export function guardContainersCache() {
  const cacheExisted = fs.existsSync(CONTAINERS_CACHE);
  const parentExisted = fs.existsSync(path.dirname(CONTAINERS_CACHE));
  return {
    restore() {
      if (!cacheExisted) fs.rmSync(CONTAINERS_CACHE, { recursive: true, force: true });
      if (!parentExisted) {
        try {
          fs.rmdirSync(path.dirname(CONTAINERS_CACHE));
        } catch {
          /* not empty: someone else uses it */
        }
      }
    },
  };
}

/** Runs a command; resolves {status, signal, stdout, stderr, ms, cmd}. Kills (only) it after timeoutMs. */
export function runCommand(cmd, args, { env, input, timeoutMs = 60000, keepStdinOpen = false } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.write(input);
    if (!keepStdinOpen) child.stdin.end();
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (e) => (stderr += String(e)));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      if (timedOut) stderr += `\n[killed after ${timeoutMs} ms]`;
      resolve({ status, signal, stdout, stderr, ms: Date.now() - t0, cmd: [cmd, ...args].join(' ') });
    });
  });
}

async function waitGone(pid, ms = 5000) {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  return !alive(pid);
}

/**
 * @param {{ registry: { host: string }, runtimes: { name: string, path: string }[], prefix?: string, timeoutMs?: number }} opts
 *   runtimes[0] is the default runtime; each is known to podman by its name.
 */
export function createPodman({ registry, runtimes, prefix = 'mydocker-podman-', timeoutMs = 60000 }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dirs = {};
  for (const d of ['root', 'runroot', 'tmp', 'net', 'imgtmp', 'io']) {
    dirs[d] = path.join(tmp, d);
    fs.mkdirSync(dirs[d], { recursive: true });
  }
  const q = JSON.stringify;
  const conf = path.join(tmp, 'containers.conf');
  fs.writeFileSync(
    conf,
    `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"
netns = "none"

[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = ${q(dirs.net)}

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${q(path.join(dirs.tmp, 'events.log'))}
tmp_dir = ${q(dirs.tmp)}
image_copy_tmp_dir = ${q(dirs.imgtmp)}
lock_type = "file"
conmon_path = [${q(CONMON)}]
runtime = ${q(runtimes[0].name)}
runtime_supports_json = [${[...new Set(runtimes.flatMap((r) => [r.name, path.basename(r.path)]))].map(q).join(', ')}]

[engine.runtimes]
${runtimes.map((r) => `${r.name} = [${q(r.path)}]`).join('\n')}
`,
  );
  const regConf = path.join(tmp, 'registries.conf');
  fs.writeFileSync(
    regConf,
    `unqualified-search-registries = []

[[registry]]
location = ${q(registry.host)}
insecure = true
`,
  );
  const storageConf = path.join(tmp, 'storage.conf');
  fs.writeFileSync(storageConf, `[storage]\ndriver = "overlay"\nrunroot = ${q(dirs.runroot)}\ngraphroot = ${q(dirs.root)}\n`);
  fs.writeFileSync(path.join(tmp, 'auth.json'), '{"auths": {}}\n');
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(https?|all|no)_proxy$/i.test(k) || k.startsWith('CONTAINERS_') || k === 'CONTAINER_HOST' || k === 'CONTAINER_CONNECTION') delete env[k];
  }
  Object.assign(env, {
    CONTAINERS_CONF: conf,
    CONTAINERS_REGISTRIES_CONF: regConf,
    CONTAINERS_STORAGE_CONF: storageConf,
    REGISTRY_AUTH_FILE: path.join(tmp, 'auth.json'),
    TMPDIR: dirs.imgtmp,
  });

  const args = (rt, a) => ['--root', dirs.root, '--runroot', dirs.runroot, '--storage-driver', 'overlay', ...(rt ? ['--runtime', rt.name] : []), ...a];
  let cleaned = false;
  const pm = {
    dir: tmp,
    dirs,
    env,
    /** podman's arguments: --root/--runroot/--storage-driver, --runtime rt.name if rt, then `a`. */
    args,
    /** Any command in podman's environment (see runCommand). */
    run: (cmd, a, opts) => runCommand(cmd, a, { env, timeoutMs, ...opts }),
    /** `podman [--runtime rt.name] ARGS` in this world. */
    podman: (rt, a, opts) => runCommand(PODMAN, args(rt, a), { env, timeoutMs, ...opts }),
    /** A conmon this world started (its command line names our temporary directory). */
    isOurConmon(pid) {
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.startsWith(CONMON) && cmdline.includes(tmp);
      } catch {
        return false;
      }
    },
    /**
     * Removes everything of this world; resolves the problems met (strings; empty if none).
     * @param {{ conmonPids?: Iterable<number>, containerIds?: Iterable<string>, cgroupParent?: string }} [opts]
     *   conmonPids: conmons seen (more are found by their command line); containerIds: those the
     *   runtimes must not list any more (a leftover is deleted and reported); cgroupParent: removed.
     */
    async cleanup({ conmonPids = [], containerIds = [], cgroupParent } = {}) {
      if (cleaned) return [];
      cleaned = true;
      const problems = [];
      // 1. containers (each through its own runtime), then images
      const ps = await pm.podman(null, ['ps', '-a', '-q', '--no-trunc']);
      const left = ps.stdout.split('\n').filter(Boolean);
      if (left.length) {
        const rm = await pm.podman(null, ['rm', '-f', '-t', '0', ...left]);
        if (rm.status !== 0) problems.push(`podman rm -f: ${rm.stderr}`);
      }
      await pm.podman(null, ['rmi', '-a', '-f']);
      // 2. conmon processes: the pids seen, and any conmon whose command line names our dirs
      const conmons = new Set(conmonPids);
      for (const ent of fs.readdirSync('/proc')) {
        if (/^\d+$/.test(ent) && pm.isOurConmon(ent)) conmons.add(Number(ent));
      }
      for (const pid of conmons) {
        if (!(await waitGone(pid, 2000)) && pm.isOurConmon(pid)) {
          problems.push(`conmon ${pid} still running: killed`);
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      // 3. the runtimes' own state of our containers (podman deletes them; a leftover is a finding)
      const ids = new Set(containerIds);
      if (ids.size) {
        for (const rt of runtimes) {
          const r = spawnSync(rt.path, ['list', '-q'], { encoding: 'utf8' });
          const listed = r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
          for (const id of listed.filter((i) => ids.has(i))) {
            problems.push(`${rt.name} still lists container ${id}: delete --force`);
            spawnSync(rt.path, ['delete', '--force', id]);
          }
        }
      }
      // 4. mounts under our directory (overlay merged dirs, shm), deepest first
      const unmounted = unmountUnder(tmp);
      if (unmounted) problems.push(`unmounted ${unmounted} leftover mounts`);
      fs.rmSync(tmp, { recursive: true, force: true });
      // 5. the cgroup parent, in every hierarchy (rmdir of empty cgroups only)
      if (cgroupParent) for (const f of removeCgroupEverywhere(cgroupParent)) problems.push(`cgroup ${f}`);
      return problems;
    },
  };
  return pm;
}
