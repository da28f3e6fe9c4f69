// The container's persistent network namespace: made on the manager's main thread (which comes
// back to the host's namespace), bound to <runRoot>/netns/<id>, and removed so that mount
// namespaces made meanwhile (from a private parent mount) let go of it too. Also measures it against
// util-linux's `unshare --net=FILE true`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { median } from './lib/network.mjs';

const { managerPaths } = load('manager/paths');
const netns = load('manager/network/netns');

function tempPaths() {
  const root = fs.mkdtempSync('/var/tmp/mydocker-netns-test-');
  return { root, paths: managerPaths(path.join(root, 'root'), path.join(root, 'run')) };
}

function cleanup({ root, paths }) {
  for (const id of netns.listNetns(paths)) netns.removeNetns(netns.netnsPath(paths, id));
  fs.rmSync(root, { recursive: true, force: true });
}

const ownNetns = () => fs.readlinkSync('/proc/thread-self/ns/net');

test('createNetns makes a fresh namespace bound to <runRoot>/netns/<id>; the manager stays in its own', (t) => {
  const tmp = tempPaths();
  t.after(() => cleanup(tmp));
  const before = ownNetns();
  const file = netns.createNetns(tmp.paths, 'first');
  assert.equal(file, path.join(tmp.paths.runRoot, 'netns', 'first'));
  assert.equal(ownNetns(), before, "the main thread is back in the manager's namespace");
  assert.equal(netns.netnsExists(file), true);
  const inode = fs.statSync(file).ino;
  assert.notEqual(inode, fs.statSync('/proc/self/ns/net').ino);
  // only a loopback interface, down until the loopback plugin brings it up
  const links = spawnSync('nsenter', [`--net=${file}`, 'ip', '-o', 'link'], { encoding: 'utf8' });
  assert.equal(links.status, 0, links.stderr);
  assert.deepEqual(links.stdout.trim().split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
  assert.match(links.stdout, /<LOOPBACK>/, 'lo is down');
  // another container gets another namespace
  const second = netns.createNetns(tmp.paths, 'second');
  assert.notEqual(fs.statSync(second).ino, inode);
  assert.deepEqual(netns.listNetns(tmp.paths).sort(), ['first', 'second']);
  assert.throws(() => netns.createNetns(tmp.paths, 'first'), { name: 'ManagerError', message: `network namespace ${file}: already exists` });
  assert.equal(netns.netnsExists(file), true, 'a refused create leaves the existing namespace alone');

  // --network none: lo up, made in-process while the thread is in the new namespace
  const withLo = netns.createNetns(tmp.paths, 'none', { loopbackUp: true });
  const lo = spawnSync('nsenter', [`--net=${withLo}`, 'ip', '-o', 'link', 'show', 'lo'], { encoding: 'utf8' });
  assert.match(lo.stdout, /<LOOPBACK,UP,LOWER_UP>/);
  assert.equal(spawnSync('nsenter', [`--net=${withLo}`, '/usr/bin/busybox', 'ping', '-c', '1', '-W', '2', '127.0.0.1'], { encoding: 'utf8' }).status, 0, 'the loopback answers');
  assert.doesNotMatch(spawnSync('ip', ['-o', 'link', 'show', 'lo'], { encoding: 'utf8' }).stdout, /LOWER_UP>.*DOWN/, "the manager's own lo is untouched");
  assert.equal(ownNetns(), before);
  netns.removeNetns(withLo);

  netns.removeNetns(file);
  assert.equal(netns.netnsExists(file), false);
  assert.equal(fs.existsSync(file), false);
  netns.removeNetns(file); // twice is fine
  assert.deepEqual(netns.listNetns(tmp.paths), ['second']);
});

test('removing a namespace also releases the copy a mount namespace made after it holds', async (t) => {
  const tmp = tempPaths();
  t.after(() => cleanup(tmp));
  const file = netns.createNetns(tmp.paths, 'held');
  // a process in a new mount namespace whose mounts get no unmount from ours (private)
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '60'], { stdio: 'ignore' });
  t.after(() => holder.exitCode === null && process.kill(holder.pid, 'SIGKILL'));
  const mountsOf = () => fs.readFileSync(`/proc/${holder.pid}/mountinfo`, 'utf8');
  for (let i = 0; !mountsOf().includes(file); i++) {
    assert.ok(i < 200, 'the new mount namespace never showed the netns mount');
    await new Promise((r) => setTimeout(r, 10));
  }
  // wait until unshare has exec'd sleep (its mount namespace is then the new one)
  for (let i = 0; fs.readlinkSync(`/proc/${holder.pid}/ns/mnt`) === fs.readlinkSync('/proc/self/ns/mnt'); i++) {
    assert.ok(i < 200);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(mountsOf().includes(file));
  netns.removeNetns(file);
  assert.ok(!mountsOf().includes(file), 'the copy in the other mount namespace is still mounted');
});

test('timing: createNetns (unshare on the main thread + bind mount) against `unshare --net=FILE true`', (t) => {
  const tmp = tempPaths();
  t.after(() => cleanup(tmp));
  const rounds = 20;
  const ours = [];
  const utilLinux = [];
  for (let i = 0; i < rounds; i++) {
    let started = performance.now();
    const file = netns.createNetns(tmp.paths, `ours${i}`);
    ours.push(performance.now() - started);

    const other = path.join(tmp.paths.runRoot, 'netns', `util${i}`);
    fs.writeFileSync(other, '');
    started = performance.now();
    const r = spawnSync('unshare', [`--net=${other}`, 'true']);
    utilLinux.push(performance.now() - started);
    assert.equal(r.status, 0, String(r.stderr));
    assert.equal(netns.netnsExists(other), true);
    assert.equal(netns.netnsExists(file), true);
    assert.notEqual(fs.statSync(file).ino, fs.statSync(other).ino);
  }
  t.diagnostic(`median of ${rounds}: createNetns ${median(ours).toFixed(2)} ms, unshare(1) ${median(utilLinux).toFixed(2)} ms`);
});
