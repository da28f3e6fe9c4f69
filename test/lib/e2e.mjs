// The end-to-end tests of the built manager (dist/mydocker): a manager of the test file's own
// (root and run root under /var/tmp, a bridge `mde<hex>` and a random 10.2xx.y.0/24 subnet, so
// that files running concurrently never share anything), the CLI run asynchronously, and the
// traces a container can leave on the host (directories, names, namespaces, veths, leases, CNI
// cache, mounts, cgroups, conmon processes, iptables rules) to prove that they are all gone.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './dist.mjs';
import { removeEmptyCgroupParent } from './cgroup-parent.mjs';
import { iptablesLinesWith } from './network.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MYDOCKER = path.join(repo, 'dist', 'mydocker');

const { managerPaths } = load('manager/paths');
const { removeNetwork, DEFAULT_NETWORK_NAME } = load('manager/network/network');
const { masqueradeComment, removeMasquerade } = load('manager/network/masquerade');
const { containerChains } = load('manager/network/iptables');
const { listNetns, netnsPath, removeNetns } = load('manager/network/netns');

export const CGROUP_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd'];

/** A random 10.200-249.x.0/24 that no route of the host touches (the network tests' range). */
function freeSubnet() {
  const routes = spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout;
  for (;;) {
    const prefix = `10.${200 + crypto.randomInt(50)}.${crypto.randomInt(256)}.`;
    if (!routes.includes(prefix)) return `${prefix}0/24`;
  }
}

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pids of live processes whose command line contains `text`. */
export function processesMentioning(text) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** "pid: command line" of a process (for messages). */
export function commandOf(pid) {
  try {
    return `${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
  } catch {
    return `${pid}: (gone)`;
  }
}

/** Mount points at or below dir (this process's view: the same mount namespace as the manager's). */
export function mountsUnder(dir) {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point && (point === dir || point.startsWith(`${dir}/`)))
    .sort();
}

function readdir(dir) {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The cgroup directories (/sys/fs/cgroup/<controller>/mydocker/<id>) that exist for the id. */
export function cgroupDirs(id) {
  const dirs = [];
  for (const controller of readdir('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', controller, 'mydocker', id);
    if (fs.existsSync(dir)) dirs.push(dir);
  }
  return dirs;
}

/**
 * A manager of the test file's own. Call `await m.cleanup()` in after(): it removes every
 * container, the bridge, the directories and whatever a failing test left.
 */
export function e2eManager(tag) {
  const hex = crypto.randomBytes(4).toString('hex');
  const dir = fs.mkdtempSync(`/var/tmp/mydocker-e2e-${tag}-`);
  const paths = managerPaths(path.join(dir, 'lib'), path.join(dir, 'run'));
  const settings = { name: DEFAULT_NETWORK_NAME, bridge: `mde${hex}`, subnet: freeSubnet() };
  const subnetPrefix = settings.subnet.split('.').slice(0, 3).join('.') + '.';
  const env = {
    ...process.env,
    MYDOCKER_ROOT: paths.root,
    MYDOCKER_RUN_ROOT: paths.runRoot,
    MYDOCKER_BRIDGE: settings.bridge,
    MYDOCKER_SUBNET: settings.subnet,
  };
  delete env.NODE_EXTRA_CA_CERTS; // parsed at every start of a node process; no TLS here
  // Every container directory ever made in this root (even by a run that failed and removed it).
  fs.mkdirSync(paths.containers, { recursive: true, mode: 0o711 });
  const seenIds = new Set();
  const watcher = fs.watch(paths.containers, (_event, name) => {
    const id = String(name ?? '').replace(/^\.removing-/, '');
    if (/^[0-9a-f]{64}$/.test(id)) seenIds.add(id);
  });
  const children = new Set();

  /** Spawns dist/mydocker; the child is killed (by pid) at clean-up if still running. */
  function spawnCli(args, options = {}) {
    const child = spawn(MYDOCKER, args, { env: { ...env, ...options.env }, stdio: [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    if (options.input !== undefined) child.stdin.end(options.input);
    return child;
  }

  /** Runs dist/mydocker to its end: { status, signal, stdout, stderr, ms }. A time-out kills it (status null). */
  function cli(args, options = {}) {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawnCli(args, options);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
      child.once('error', reject);
      child.once('close', (status, signal) => {
        clearTimeout(timer);
        const ms = performance.now() - started;
        if (process.env.E2E_TRACE) process.stderr.write(`# ${tag} ${Math.round(ms)} ms: mydocker ${args.join(' ')} -> ${status ?? signal}\n`);
        resolve({ status, signal, stdout, stderr, ms });
      });
    });
  }

  /** A command that must succeed: its stdout. */
  async function ok(args, options) {
    const r = await cli(args, options);
    assert.equal(r.status, 0, `mydocker ${args.join(' ')}: status ${r.status ?? r.signal}\n${r.stderr}`);
    return r.stdout;
  }

  async function inspect(ref) {
    const [doc] = JSON.parse(await ok(['inspect', ref]));
    return doc;
  }

  /** What the containers `ids` left on the host: every list empty means nothing. */
  function traces(ids) {
    const list = [...ids];
    const markers = list.flatMap((id) => [id, ...containerChains(settings.name, id)]);
    return {
      containerDirs: readdir(paths.containers).filter((e) => list.some((id) => e.includes(id))),
      names: readdir(path.join(paths.root, 'container-names')).filter((n) => list.includes(fs.readFileSync(path.join(paths.root, 'container-names', n), 'utf8').trim())),
      netns: listNetns(paths).filter((id) => list.includes(id)),
      cniCache: readdir(path.join(paths.network, 'cache')).filter((id) => list.includes(id)),
      leases: leases().filter((l) => list.includes(l.owner)).map((l) => l.ip),
      runtimeState: readdir(paths.runtimeRoot).filter((id) => list.includes(id)),
      mounts: mountsUnder(dir).filter((m) => list.some((id) => m.includes(id))),
      cgroups: list.flatMap(cgroupDirs),
      processes: list.flatMap(processesMentioning).map(commandOf),
      iptables: markers.length ? iptablesLinesWith(markers) : [],
    };
  }

  /** host-local's lease files of our network: { ip, owner }. */
  function leases() {
    const leaseDir = path.join(paths.network, 'ipam', settings.name);
    return readdir(leaseDir)
      .filter((f) => net.isIPv4(f))
      .map((ip) => {
        try {
          return { ip, owner: fs.readFileSync(path.join(leaseDir, ip), 'utf8').split('\n')[0].trim() };
        } catch {
          return { ip, owner: '' };
        }
      });
  }

  /** Everything of this manager's on the host, to compare before and after a command. */
  function snapshot() {
    return {
      containerDirs: readdir(paths.containers),
      names: readdir(path.join(paths.root, 'container-names')),
      volumes: readdir(paths.volumes),
      netns: listNetns(paths),
      cniCache: readdir(path.join(paths.network, 'cache')),
      leases: leases().map((l) => l.ip),
      runtimeState: readdir(paths.runtimeRoot),
      mounts: mountsUnder(dir),
      bridgePorts: readdir(`/sys/class/net/${settings.bridge}/brif`),
      processes: processesMentioning(dir).filter((pid) => ![...children].some((c) => c.pid === pid)),
      // the network's masquerade rule comes with the network on first use, like the bridge
      iptables: iptablesLinesWith([subnetPrefix]).filter((line) => !line.includes(masqueradeComment(settings))),
    };
  }

  /** Removes everything this manager made; errors are collected and the first is thrown last. */
  async function cleanup() {
    const errors = [];
    const step = async (what, fn) => {
      try {
        await fn();
      } catch (err) {
        errors.push(new Error(`clean-up (${what}): ${err.message}`));
      }
    };
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await step('rm -f', async () => {
      const ids = (await cli(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await cli(['rm', '-f', ...ids]);
    });
    watcher.close();
    // what a failing test may have left: monitors and containers of this root, by pid
    for (const pid of processesMentioning(dir)) {
      await step(`kill ${pid}`, () => process.kill(pid, 'SIGKILL'));
    }
    for (const id of seenIds) {
      await step(`runtime ${id}`, () => {
        spawnSync(path.join(repo, 'dist', 'mydocker-runtime'), ['--root', paths.runtimeRoot, 'delete', '--force', id], { env });
      });
    }
    for (const id of listNetns(paths)) await step(`netns ${id}`, () => removeNetns(netnsPath(paths, id)));
    for (const point of mountsUnder(dir).reverse()) await step(`umount ${point}`, () => spawnSync('umount', ['-l', point]));
    await step('bridge', async () => {
      try {
        await removeNetwork(paths, settings);
      } catch {
        await removeMasquerade(settings).catch(() => undefined);
        spawnSync('ip', ['link', 'delete', settings.bridge, 'type', 'bridge']);
      }
    });
    for (const id of seenIds) {
      for (const cg of cgroupDirs(id).reverse()) await step(`cgroup ${cg}`, () => fs.rmdirSync(cg));
    }
    removeEmptyCgroupParent();
    await step('directory', () => fs.rmSync(dir, { recursive: true, force: true }));
    if (errors.length) throw errors[0];
  }

  return { dir, paths, settings, subnetPrefix, env, seenIds, cli, ok, spawnCli, inspect, traces, snapshot, leases, cleanup };
}

/**
 * Asserts that nothing of the containers is left. Their monitors (conmon, and the exit command
 * it waits for) may outlive `rm -f` by a moment (see the lifecycle test of that): they get
 * `graceMs` to end; everything else must be gone at once.
 */
export async function assertNoTraces(m, ids, what, graceMs = 10_000) {
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && [...ids].some((id) => processesMentioning(id).length > 0)) await sleep(100);
  const left = m.traces(ids);
  const nonEmpty = Object.fromEntries(Object.entries(left).filter(([, v]) => v.length > 0));
  assert.deepEqual(nonEmpty, {}, `${what}: traces left`);
}

/** A failed command: non-zero status, nothing on stdout, ONE line on stderr matching `re`. */
export function assertOneLineError(result, re, what) {
  assert.notEqual(result.status, 0, `${what}: exit status 0`);
  assert.equal(result.stdout, '', `${what}: stdout`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line expected, got:\n${result.stderr}`);
  assert.match(lines[0], re, what);
}

/** Removes the containers in `refs` (filled as the test goes) when the test ends. */
export function removeAtEnd(t, m, refs) {
  t.after(async () => {
    if (refs.length) await m.cli(['rm', '-f', ...refs]);
  });
}

/** Polls fn until it returns something truthy (returned), failing after timeoutMs. */
export async function until(what, fn, timeoutMs = 20_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
