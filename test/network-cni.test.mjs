// The CNI executor against the protocol (CNI spec 1.0, sections 2 and 3), with plugins that
// record what they are given: the environment, the configuration on stdin (list name and
// version, prevResult chaining, runtimeConfig only for declared capabilities), ADD in order,
// CHECK in order and DEL in reverse from the cached result, the undo of a failed ADD, and the
// plugin errors turned into one line. The real plugins are exercised in network-bridge.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { CniExecutor } = load('manager/network/cni');
const CNI_MODULE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'lib', 'manager', 'network', 'cni.js');

// A plugin that logs its call and behaves as its configuration says.
const PLUGIN = `#!${process.execPath}
const fs = require('fs');
const conf = JSON.parse(fs.readFileSync(0, 'utf8'));
const command = process.env.CNI_COMMAND;
fs.appendFileSync(conf.log, JSON.stringify({ type: conf.type, command, env: process.env, conf }) + '\\n');
const finish = () => {
  if (conf.doneLog) fs.appendFileSync(conf.doneLog, command + '\\n');
  if (conf.failOn === command) {
    process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion, code: 7, msg: 'boom', details: 'multi\\nline detail' }));
    process.exit(1);
  }
  if (conf.crashOn === command) {
    process.stderr.write('panic: something\\nlast line here\\n');
    process.exit(2);
  }
  if (command !== 'ADD') return;
  if (conf.garbage) return void process.stdout.write('not json');
  const result = conf.prevResult ?? { cniVersion: conf.cniVersion, interfaces: [], ips: [] };
  result.interfaces.push({ name: conf.type + '-if', sandbox: process.env.CNI_NETNS });
  if (conf.type === 'fakea') result.ips.push({ address: '10.9.8.7/24', interface: 0 });
  process.stdout.write(JSON.stringify(result));
};
setTimeout(finish, conf.sleepMs ?? 0);
`;

function setup(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-cni-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const plugins = path.join(dir, 'plugins');
  const extra = path.join(dir, 'more-plugins');
  fs.mkdirSync(plugins);
  fs.mkdirSync(extra);
  for (const name of ['fakea', 'fakeb']) fs.writeFileSync(path.join(plugins, name), PLUGIN, { mode: 0o755 });
  fs.writeFileSync(path.join(extra, 'fakec'), PLUGIN, { mode: 0o755 });
  const log = path.join(dir, 'calls.log');
  const executor = new CniExecutor({ pluginDirs: [plugins, extra], cacheDir: path.join(dir, 'cache') });
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  const resetCalls = () => fs.rmSync(log, { force: true });
  const list = (overrides = {}) => ({
    cniVersion: '1.0.0',
    name: 'testnet',
    plugins: [
      { type: 'fakea', log, name: 'ignored', cniVersion: '0.4.0', capabilities: { portMappings: true, bandwidth: false }, ...overrides.fakea },
      { type: 'fakeb', log, ...overrides.fakeb },
      { type: 'fakec', log, capabilities: { ipRanges: true }, ...overrides.fakec },
    ],
  });
  const rt = {
    containerId: 'ctr1',
    netns: '/var/run/netns/whatever',
    ifName: 'eth0',
    cniArgs: [['IgnoreUnknown', '1'], ['FOO', 'bar']],
    capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], bandwidth: { rate: 1 } },
  };
  return { dir, plugins, extra, log, executor, calls, resetCalls, list, rt };
}

test('ADD runs the plugins in order with the CNI environment, the list name and version, chained prevResult, runtimeConfig for declared capabilities; the result is cached', async (t) => {
  const s = setup(t);
  const result = await s.executor.add(s.list(), s.rt);
  assert.deepEqual(result.interfaces.map((i) => i.name), ['fakea-if', 'fakeb-if', 'fakec-if']);
  assert.deepEqual(result.ips, [{ address: '10.9.8.7/24', interface: 0 }]);

  const calls = s.calls();
  assert.deepEqual(calls.map((c) => `${c.command} ${c.type}`), ['ADD fakea', 'ADD fakeb', 'ADD fakec']);
  for (const call of calls) {
    const cniEnv = Object.fromEntries(Object.entries(call.env).filter(([k]) => k.startsWith('CNI_')));
    assert.deepEqual(cniEnv, {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'ctr1',
      CNI_NETNS: '/var/run/netns/whatever',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1;FOO=bar',
      CNI_PATH: `${s.plugins}:${s.extra}`,
    });
    assert.match(call.env.PATH, /\/usr\/sbin/);
    assert.equal(call.env.NODE_OPTIONS, undefined);
    assert.equal(call.env.HOME, undefined, "the manager's environment does not leak into plugins");
    assert.equal(call.conf.name, 'testnet');
    assert.equal(call.conf.cniVersion, '1.0.0');
  }
  assert.equal('prevResult' in calls[0].conf, false);
  assert.deepEqual(calls[1].conf.prevResult.interfaces.map((i) => i.name), ['fakea-if']);
  assert.deepEqual(calls[2].conf.prevResult.interfaces.map((i) => i.name), ['fakea-if', 'fakeb-if']);
  // only declared (and enabled) capabilities with a value reach a plugin
  assert.deepEqual(calls[0].conf.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
  assert.equal('runtimeConfig' in calls[1].conf, false);
  assert.equal('runtimeConfig' in calls[2].conf, false);

  const record = s.executor.cached('ctr1', 'eth0');
  assert.equal(record.kind, 'cniAttachment/v1');
  assert.equal(record.networkName, 'testnet');
  assert.deepEqual(record.result, result);
  assert.deepEqual(record.capabilityArgs, s.rt.capabilityArgs);
  assert.deepEqual(s.executor.listCached().map((r) => `${r.containerId}/${r.ifName}`), ['ctr1/eth0']);
});

test('CHECK runs in order and DEL in reverse, both with the cached result; DEL removes the record and a second DEL runs nothing', async (t) => {
  const s = setup(t);
  const result = await s.executor.add(s.list(), s.rt);
  s.resetCalls();
  await s.executor.check('ctr1', 'eth0');
  await s.executor.del('ctr1', 'eth0');
  const calls = s.calls();
  assert.deepEqual(calls.map((c) => `${c.command} ${c.type}`), ['CHECK fakea', 'CHECK fakeb', 'CHECK fakec', 'DEL fakec', 'DEL fakeb', 'DEL fakea']);
  for (const call of calls) {
    assert.deepEqual(call.conf.prevResult, result);
    assert.equal(call.env.CNI_COMMAND, call.command);
  }
  // runtimeConfig is passed on DEL too (portmap needs its mappings)
  assert.deepEqual(calls.at(-1).conf.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
  assert.equal(s.executor.cached('ctr1', 'eth0'), undefined);
  assert.deepEqual(fs.readdirSync(path.join(s.dir, 'cache')), [], 'the container cache directory is gone');
  s.resetCalls();
  assert.equal(await s.executor.del('ctr1', 'eth0'), undefined);
  assert.deepEqual(s.calls(), []);
  await assert.rejects(s.executor.check('ctr1', 'eth0'), { message: 'container ctr1: no finished network attachment on eth0 to check' });
  // DEL with the namespace gone passes an empty CNI_NETNS
  await s.executor.add(s.list(), s.rt);
  s.resetCalls();
  await s.executor.del('ctr1', 'eth0', { netns: '' });
  assert.deepEqual(s.calls().map((c) => c.env.CNI_NETNS), ['', '', '']);
});

test('a failed ADD: the plugin error in one line with its code, DEL of the whole list in reverse, no record left', async (t) => {
  const s = setup(t);
  await assert.rejects(s.executor.add(s.list({ fakeb: { failOn: 'ADD' } }), s.rt), (err) => {
    assert.equal(err.name, 'CniError');
    assert.equal(err.message, 'network testnet: CNI plugin fakeb ADD failed: boom: multi; line detail');
    assert.equal(err.code, 7);
    assert.equal(err.exitCode, 125);
    return true;
  });
  // CNI spec: DEL for every plugin of the list, even those ADD did not reach
  assert.deepEqual(s.calls().map((c) => `${c.command} ${c.type}`), ['ADD fakea', 'ADD fakeb', 'DEL fakec', 'DEL fakeb', 'DEL fakea']);
  assert.deepEqual(s.calls()[2].conf.prevResult.interfaces.map((i) => i.name), ['fakea-if'], 'the undo gets the last result there was');
  assert.equal(s.executor.cached('ctr1', 'eth0'), undefined);
});

test('a plugin that crashes, prints no JSON, or does not exist: one-line errors naming it', async (t) => {
  const s = setup(t);
  await assert.rejects(s.executor.add(s.list({ fakec: { crashOn: 'ADD' } }), s.rt), {
    name: 'CniError',
    message: 'network testnet: CNI plugin fakec ADD failed: exit status 2: last line here',
  });
  await assert.rejects(s.executor.add(s.list({ fakea: { garbage: true } }), s.rt), {
    message: 'network testnet: CNI plugin fakea ADD failed: the plugin printed no JSON result: not json',
  });
  const missing = { cniVersion: '1.0.0', name: 'testnet', plugins: [{ type: 'nosuchplugin' }] };
  await assert.rejects(s.executor.add(missing, s.rt), {
    message: `network testnet: CNI plugin nosuchplugin ADD failed: plugin not found in ${s.plugins}, ${s.extra} (Debian: apt-get install containernetworking-plugins)`,
  });
  const escape = { cniVersion: '1.0.0', name: 'testnet', plugins: [{ type: '../fakea' }] };
  await assert.rejects(s.executor.add(escape, s.rt), { name: 'SchemaError', message: /^CNI attachment: \/config\/plugins\/0\/type: / });
  assert.deepEqual(s.executor.listCached(), [], 'failed ADDs leave no record (a missing plugin has nothing to undo)');
});

test('a failed DEL keeps the record (the next clean-up retries); a second operation on a busy container is refused', async (t) => {
  const s = setup(t);
  await s.executor.add(s.list({ fakeb: { crashOn: 'DEL' } }), s.rt);
  await assert.rejects(s.executor.del('ctr1', 'eth0'), { message: 'network testnet: CNI plugin fakeb DEL failed: exit status 2: last line here' });
  assert.ok(s.executor.cached('ctr1', 'eth0'), 'the record is kept');
  // spec: the list stops at the failing plugin
  assert.deepEqual(s.calls().filter((c) => c.command === 'DEL').map((c) => c.type), ['fakec', 'fakeb']);

  const slow = { ...s.rt, containerId: 'ctr2' };
  const adding = s.executor.add(s.list({ fakea: { sleepMs: 500 } }), slow);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.executor.busy('ctr2'), true);
  await assert.rejects(s.executor.del('ctr2', 'eth0'), { name: 'ConflictError', message: 'container ctr2: another network operation on it is in progress' });
  await adding;
  assert.equal(s.executor.busy('ctr2'), false);
  await s.executor.del('ctr2', 'eth0');
});

test('run: a list without a record (loopback); reserve writes a record without a result and refuses a second one for the interface', async (t) => {
  const s = setup(t);
  const result = await s.executor.run('ADD', { cniVersion: '1.0.0', name: 'lo', plugins: [{ type: 'fakea', log: s.log }] }, { ...s.rt, ifName: 'lo' });
  assert.deepEqual(result.interfaces.map((i) => i.name), ['fakea-if']);
  assert.deepEqual(s.executor.listCached(), []);
  const reserved = s.executor.reserve(s.list(), s.rt);
  assert.equal(reserved.result, undefined);
  assert.deepEqual(s.executor.cached('ctr1', 'eth0'), reserved);
  assert.throws(() => s.executor.reserve({ ...s.list(), name: 'othernet' }, s.rt), {
    name: 'ConflictError',
    message: 'container ctr1: interface eth0 is already attached to network testnet',
  });
});

test('a plugin still running after its manager was SIGKILLed holds the container busy (it inherits the lock); a DEL that may wait runs once it ended', async (t) => {
  const s = setup(t);
  const doneLog = path.join(s.dir, 'done.log');
  const list = s.list({ fakea: { sleepMs: 1500, doneLog }, fakeb: { doneLog }, fakec: { doneLog } });
  const rt = { ...s.rt, containerId: 'orphaned' };
  // another manager process: its ADD is in the first plugin when it is killed
  const script = `const { CniExecutor } = require(${JSON.stringify(CNI_MODULE)});
new CniExecutor({ pluginDirs: ${JSON.stringify([s.plugins, s.extra])}, cacheDir: ${JSON.stringify(path.join(s.dir, 'cache'))} }).add(${JSON.stringify(list)}, ${JSON.stringify(rt)});
setInterval(() => {}, 1000);`;
  const manager = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const managerGone = new Promise((resolve) => manager.once('exit', resolve));
  t.after(() => manager.exitCode === null && manager.signalCode === null && process.kill(manager.pid, 'SIGKILL'));
  for (let i = 0; i < 200 && !s.calls().some((c) => c.type === 'fakea' && c.command === 'ADD'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(s.calls().some((c) => c.type === 'fakea'), 'the other manager started its first plugin');
  process.kill(manager.pid, 'SIGKILL');
  await managerGone;

  assert.equal(s.executor.busy('orphaned'), true, 'the orphaned plugin holds the lock');
  await assert.rejects(s.executor.del('orphaned', 'eth0'), { name: 'ConflictError' });
  const record = await s.executor.del('orphaned', 'eth0', { waitMs: 10_000, result: (fresh) => fresh.result ?? { cniVersion: '1.0.0', interfaces: [], ips: [] } });
  assert.equal(record?.containerId, 'orphaned');
  // the orphan's ADD ended before the DEL's plugins ran (reverse order)
  assert.deepEqual(fs.readFileSync(doneLog, 'utf8').trim().split('\n'), ['ADD', 'DEL', 'DEL', 'DEL']);
  assert.equal(s.executor.busy('orphaned'), false);
  assert.equal(s.executor.cached('orphaned', 'eth0'), undefined);
});
