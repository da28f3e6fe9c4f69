// Shared by the network tests: a network of the test's own (unique bridge name, network name
// and random 10.x subnet, its own manager root under /var/tmp), what it leaves on the host
// (iptables lines, bridge ports, leases, cache records, namespaces), and processes in a
// namespace (busybox through nsenter) that are ended by pid.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { load } from './dist.mjs';

const { managerPaths } = load('manager/paths');
export const netns = load('manager/network/netns');
export const network = load('manager/network/network');
export const iptablesLib = load('manager/network/iptables');
export const masqueradeLib = load('manager/network/masquerade');
export const bridgeLib = load('manager/network/bridge');

export const BUSYBOX = '/usr/bin/busybox';

function hostRouteTexts() {
  return spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout;
}

/** A random 10.200-249.x.0/24 no route of the host uses. */
export function freeSubnet() {
  const routes = hostRouteTexts();
  for (;;) {
    const prefix = `10.${200 + crypto.randomInt(50)}.${crypto.randomInt(256)}.`;
    if (!routes.includes(prefix)) return `${prefix}0/24`;
  }
}

/** A network and manager root of the caller's own; `cleanup()` removes everything it made. */
export function testNetwork({ subnet } = {}) {
  const id = crypto.randomBytes(4).toString('hex');
  const root = fs.mkdtempSync('/var/tmp/mydocker-network-test-');
  const paths = managerPaths(path.join(root, 'root'), path.join(root, 'run'));
  const settings = { name: `mdt${id}`, bridge: `mdt${id}`, subnet: subnet ?? freeSubnet() };
  const containers = new Set();
  const processes = new Set();
  return {
    root,
    paths,
    settings,
    containers,
    /** a new container id with its namespace */
    newContainer(tag = 'c') {
      const containerId = `${tag}${crypto.randomBytes(6).toString('hex')}`;
      containers.add(containerId);
      return { containerId, netnsPath: netns.createNetns(paths, containerId) };
    },
    async attach(tag = 'c', ports = [], extra = {}) {
      const c = this.newContainer(tag);
      const started = performance.now();
      const attachment = await network.attachNetwork(paths, { containerId: c.containerId, name: tag, netnsPath: c.netnsPath, ports, network: settings, ...extra });
      return { ...c, attachment, addMs: performance.now() - started };
    },
    /** detach + namespace removal, as stop/rm do; resolves to the DEL time in ms */
    async remove(c) {
      const started = performance.now();
      await network.detachNetwork(paths, c.containerId, c.netnsPath);
      const ms = performance.now() - started;
      netns.removeNetns(c.netnsPath);
      return ms;
    },
    /** busybox in the container's namespace; ended in cleanup() */
    spawnIn(c, args, options = {}) {
      const child = spawn('nsenter', [`--net=${c.netnsPath}`, BUSYBOX, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
      processes.add(child);
      child.once('exit', () => processes.delete(child));
      return child;
    },
    /** busybox in the container's namespace, synchronously (busybox-static 1.35's `wget -T` crashes: use the timeout here) */
    runIn(c, args, timeout = 10_000) {
      return spawnSync('nsenter', [`--net=${c.netnsPath}`, BUSYBOX, ...args], { encoding: 'utf8', timeout });
    },
    leftovers() {
      return leftoversOf(paths, settings, containers);
    },
    /** best effort: every step runs; the first error is thrown at the end */
    async cleanup() {
      const errors = [];
      const step = async (fn) => {
        try {
          await fn();
        } catch (err) {
          errors.push(err);
        }
      };
      for (const child of processes) if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      for (const containerId of containers) {
        await step(() => network.detachNetwork(paths, containerId));
        await step(() => netns.removeNetns(netns.netnsPath(paths, containerId)));
      }
      await step(() => network.removeNetwork(paths, settings));
      await step(() => fs.rmSync(root, { recursive: true, force: true }));
      if (errors.length) throw errors[0];
    },
  };
}

function iptablesDump() {
  return ['iptables-save', 'ip6tables-save']
    .map((cmd) => spawnSync(cmd, { encoding: 'utf8' }).stdout)
    .join('\n')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'));
}

/**
 * The plugins make their shared chains (CNI-FORWARD, CNI-ADMIN, CNI-HOSTPORT-*) on first use and
 * keep them (podman's CNI networks share them): one container with a port before the
 * before/after snapshots of withNetwork.
 */
export async function makeSharedChains() {
  const n = testNetwork();
  try {
    await n.remove(await n.attach('warmup', [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]));
  } finally {
    await n.cleanup();
  }
}

/** Runs fn on a network of its own; afterwards nothing of it is left and iptables-save is as before. */
export async function withNetwork(fn, options) {
  const rulesBefore = iptablesOutsideTestNetworks();
  const n = testNetwork(options);
  try {
    await fn(n);
  } finally {
    await n.cleanup();
  }
  assert.deepEqual(iptablesLinesWith(networkMarkers(n.settings)), [], 'iptables rules left after the network was removed');
  assert.deepEqual(iptablesOutsideTestNetworks(), rulesBefore, 'iptables-save differs from before the test');
}

/** Lines of iptables-save and ip6tables-save that mention any of the markers. */
export function iptablesLinesWith(markers) {
  return iptablesDump().filter((line) => markers.some((m) => line.includes(m)));
}

// What any test network's containers add (test files run concurrently): their subnets
// (10.200-249.x.y), network names (mdt + 8 hex) and per-container chains (CNI-<hash>, CNI-DN-<hash>).
const TEST_NETWORK_LINE = [/\b10\.2[0-4]\d\.\d+\.\d+/, /mdt[0-9a-f]{8}/, /^:CNI-(DN-)?[0-9a-f]{20,} /, /^-A CNI-(DN-)?[0-9a-f]{20,} /];

/**
 * iptables-save and ip6tables-save without the lines of test networks (counters zeroed): the
 * host's own rules and the plugins' shared chains, to compare before and after a test.
 */
export function iptablesOutsideTestNetworks() {
  return iptablesDump()
    .filter((line) => !TEST_NETWORK_LINE.some((re) => re.test(line)))
    .map((line) => line.replace(/\[\d+:\d+\]/, '[0:0]'));
}

/** What marks a network's lines in iptables-save: its name and the start of its subnet. */
function networkMarkers(settings) {
  return [settings.name, settings.subnet.split('.').slice(0, 3).join('.') + '.'];
}

/**
 * What the network's containers left on the host; every list empty means nothing. The network's
 * own masquerade rule is the network's, not a container's: it goes with removeNetwork.
 */
export function leftoversOf(paths, settings, containerIds) {
  const markers = networkMarkers(settings);
  for (const id of containerIds) markers.push(...iptablesLib.containerChains(settings.name, id));
  const networkRule = masqueradeLib.masqueradeComment(settings);
  const brif = `/sys/class/net/${settings.bridge}/brif`;
  const leaseDir = path.join(paths.network, 'ipam', settings.name);
  const cacheDir = path.join(paths.network, 'cache');
  return {
    iptables: iptablesLinesWith(markers).filter((line) => !line.includes(networkRule)),
    bridgePorts: fs.existsSync(brif) ? fs.readdirSync(brif) : [],
    leases: fs.existsSync(leaseDir) ? fs.readdirSync(leaseDir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')) : [],
    cache: fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : [],
    netns: netns.listNetns(paths),
  };
}

export const NOTHING = { iptables: [], bridgePorts: [], leases: [], cache: [], netns: [] };

/** GET http://host:port/path; resolves to the body. */
export function httpGet(host, port, urlPath = '/', timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: urlPath, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${urlPath}: timeout`)));
    req.on('error', reject);
  });
}

/** Retries fn until it resolves (a server just started), up to timeoutMs. */
export async function eventually(fn, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A directory served by busybox httpd: index.html says `text`. */
export function webRoot(parent, text) {
  const dir = fs.mkdtempSync(path.join(parent, 'www-'));
  fs.writeFileSync(path.join(dir, 'index.html'), text);
  return dir;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
