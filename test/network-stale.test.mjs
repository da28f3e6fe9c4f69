// "If the manager is killed midway, the next command cleans up what was left": a manager
// process SIGKILLed after its ADD, one killed during its ADD, an ADD record without a result,
// a namespace without a record; live containers and attachments in progress are left alone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from './lib/dist.mjs';
import { NOTHING, iptablesLinesWith, makeSharedChains, network, netns, withNetwork } from './lib/network.mjs';

const { flock, LOCK_EX, LOCK_UN } = load('native/libc');
const LOCK_NB = 4;
const distLib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'lib');

/**
 * A manager stand-in in a process of its own: makes the namespace, attaches, prints the
 * attachment as a JSON line and waits to be killed.
 */
function managerProcess(n, containerId, ports) {
  const code = `
    const { managerPaths } = require(${JSON.stringify(path.join(distLib, 'manager/paths.js'))});
    const netns = require(${JSON.stringify(path.join(distLib, 'manager/network/netns.js'))});
    const network = require(${JSON.stringify(path.join(distLib, 'manager/network/network.js'))});
    const [root, runRoot, id, settings, ports] = process.argv.slice(1);
    const paths = managerPaths(root, runRoot);
    const nsPath = netns.createNetns(paths, id);
    network.attachNetwork(paths, { containerId: id, name: id, netnsPath: nsPath, ports: JSON.parse(ports), network: JSON.parse(settings) })
      .then((a) => { process.stdout.write(JSON.stringify(a) + '\\n'); setInterval(() => {}, 1000); })
      .catch((e) => { process.stderr.write(e.message + '\\n'); process.exit(1); });
  `;
  n.containers.add(containerId);
  return spawn(process.execPath, ['-e', code, n.paths.root, n.paths.runRoot, containerId, JSON.stringify(n.settings), JSON.stringify(ports)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function firstLine(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code, signal) => reject(new Error(`manager process ended (${code ?? signal}): ${err}`)));
  });
}

function killAndWait(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    process.kill(child.pid, 'SIGKILL');
  });
}

/** Pids of processes (plugins and the iptables they run) working for this container. */
function pluginsOf(containerId) {
  const needle = `CNI_CONTAINERID=${containerId}\0`;
  return fs.readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

async function untilNoPlugins(containerId) {
  const deadline = Date.now() + 30_000;
  while (pluginsOf(containerId).length) {
    assert.ok(Date.now() < deadline, 'plugins still running after 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Until nothing holds the container's CNI lock (an flock on its cache directory): the plugins
 * inherit it, and so do the processes they start (iptables), which may outlive them briefly.
 */
async function untilUnlocked(paths, containerId) {
  const dir = path.join(paths.network, 'cache', containerId);
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        flock(fd, LOCK_EX | LOCK_NB, dir);
        flock(fd, LOCK_UN, dir);
        return;
      } catch (err) {
        if (err.code !== 'EWOULDBLOCK' && err.code !== 'EAGAIN') throw err;
      }
      assert.ok(Date.now() < deadline, `the CNI lock of ${containerId} still held after 30 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

before(makeSharedChains);

test('a manager killed after ADD: the next clean-up removes its veth, rules, lease, record and namespace, and frees its port; a live container stays', async () => {
  await withNetwork(async (n) => {
    const live = await n.attach('live');
    const child = managerProcess(n, 'killedafteradd', [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    const attachment = await firstLine(child);
    await killAndWait(child);
    const hostPort = attachment.ports[0].hostPort;
    assert.equal(n.leftovers().bridgePorts.length, 2);
    assert.ok(iptablesLinesWith([`--dport ${hostPort}`]).length > 0, 'the port mapping exists before the clean-up');

    const outcome = await network.cleanupStaleNetworks(n.paths, new Set([live.containerId]));
    assert.deepEqual(outcome, { cleaned: ['killedafteradd'], failed: [] });
    const left = n.leftovers();
    assert.equal(left.bridgePorts.length, 1);
    assert.deepEqual(left.leases, [live.attachment.ip]);
    assert.deepEqual(left.cache, [live.containerId]);
    assert.deepEqual(left.netns, [live.containerId]);
    assert.deepEqual(iptablesLinesWith([`--dport ${hostPort}`, attachment.ip + '/']), []);
    assert.equal(await portIsFree(hostPort), true);
    // the live container still reaches its gateway
    assert.equal(n.runIn(live, ['ping', '-c', '1', '-W', '3', live.attachment.gateway]).status, 0);
    // a second clean-up has nothing to do
    assert.deepEqual(await network.cleanupStaleNetworks(n.paths, new Set([live.containerId])), { cleaned: [], failed: [] });
    await n.remove(live);
    assert.deepEqual(n.leftovers(), NOTHING);
  });
});

test('a manager killed during ADD: the record written before the plugins ran lets the clean-up undo them', async () => {
  await withNetwork(async (n) => {
    const containerId = 'killedduringadd';
    const record = path.join(n.paths.network, 'cache', containerId, 'eth0.json');
    const child = managerProcess(n, containerId, [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // kill as soon as the plugins are running
    for (;;) {
      if (pluginsOf(containerId).length > 0) break;
      assert.ok(child.exitCode === null, 'the manager process ended before its plugins ran');
      await new Promise((r) => setImmediate(r));
    }
    process.kill(child.pid, 'SIGKILL');
    await exited;
    await untilNoPlugins(containerId);
    await untilUnlocked(n.paths, containerId);
    assert.ok(fs.existsSync(record), 'the attachment record exists before the clean-up');
    const outcome = await network.cleanupStaleNetworks(n.paths, new Set());
    assert.deepEqual(outcome, { cleaned: [containerId], failed: [] });
    assert.deepEqual(n.leftovers(), NOTHING);
  });
});

test('an ADD record without a result: DEL gets the address from the lease, so the firewall rules go too', async () => {
  await withNetwork(async (n) => {
    const c = await n.attach('unfinished');
    const file = path.join(n.paths.network, 'cache', c.containerId, 'eth0.json');
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete record.result;
    fs.writeFileSync(file, JSON.stringify(record));
    assert.ok(iptablesLinesWith([`-s ${c.attachment.ip}/32 -j ACCEPT`]).length > 0, 'the firewall rule exists before');
    const outcome = await network.cleanupStaleNetworks(n.paths, new Set());
    assert.deepEqual(outcome, { cleaned: [c.containerId], failed: [] });
    assert.deepEqual(n.leftovers(), NOTHING);
  });
});

test('a namespace without a record is removed; an attachment another process is working on is skipped', async () => {
  await withNetwork(async (n) => {
    const orphan = n.newContainer('orphan');
    const busy = await n.attach('busy');
    const lockFd = fs.openSync(path.join(n.paths.network, 'cache', busy.containerId), fs.constants.O_RDONLY);
    try {
      flock(lockFd, LOCK_EX, 'test');
      const outcome = await network.cleanupStaleNetworks(n.paths, new Set());
      assert.deepEqual(outcome, { cleaned: [orphan.containerId], failed: [] });
      assert.equal(netns.netnsExists(orphan.netnsPath), false);
      assert.deepEqual(n.leftovers().cache, [busy.containerId]);
    } finally {
      fs.closeSync(lockFd);
    }
    assert.deepEqual(await network.cleanupStaleNetworks(n.paths, new Set()), { cleaned: [busy.containerId], failed: [] });
    assert.deepEqual(n.leftovers(), NOTHING);
  });
});
