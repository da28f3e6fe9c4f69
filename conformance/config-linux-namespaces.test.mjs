// runtime-spec config-linux.md#namespaces (new, inherited, joined by path, duplicates) and
// config-linux.md#user-namespace-mappings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setupRuntime, processAlive, notYetInMydocker } from './lib/runtime.mjs';
import { BUSYBOX as BUSYBOX_PATH } from './lib/bundle.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount, hostDir, waitForFile } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'ns' });

const NS_FILES = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup' };
const hostNs = (type) => fs.readlinkSync(`/proc/self/ns/${NS_FILES[type]}`);
const SHOW_NS = Object.entries(NS_FILES)
  .map(([type, file]) => `echo ${type}=$(readlink /proc/self/ns/${file})`)
  .join('; ');

function nsOf(stdout) {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .filter((l) => /^[a-z]+=/.test(l))
      .map((l) => l.split('=')),
  );
}

/** Keep only the namespaces of `types` in the config (and drop hostname without a uts namespace). */
const onlyNamespaces = (types) => (c) => {
  c.linux.namespaces = types.map((type) => (typeof type === 'string' ? { type } : type));
  if (!c.linux.namespaces.some((ns) => ns.type === 'uts' && !ns.path)) delete c.hostname;
};

/** Start a process in new namespaces of `flags` (unshare(1)), ready when it has printed a line. */
async function holdNamespaces(t, flags, setup = '') {
  const child = spawn('unshare', [...flags, BUSYBOX_PATH, 'sh', '-c', `${setup} echo ready; exec ${BUSYBOX_PATH} sleep 60`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); // our own child, by pid
  });
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`unshare exited early (${code})`)));
    child.stdout.once('data', resolve);
  });
  return child.pid;
}

test('config-linux.md#namespaces: without path, "the runtime MUST create a new container namespace" (pid, network, ipc, uts, mount, cgroup)', () => {
  const r = rt.runBundle(
    rt.bundle({ args: ['sh', '-c', SHOW_NS], edit: onlyNamespaces(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']) }),
  );
  assertOk(r);
  const ns = nsOf(r.stdout);
  for (const type of Object.keys(NS_FILES)) {
    assert.ok(ns[type], `no ${type} namespace link read: ${r.stdout}`);
    assert.notEqual(ns[type], hostNs(type), `${type} namespace is the host's`);
  }
});

test('config-linux.md#namespaces: "If a namespace type is not specified ... the container MUST inherit the runtime namespace of that type"', () => {
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', SHOW_NS], edit: onlyNamespaces(['mount']) }));
  assertOk(r);
  const ns = nsOf(r.stdout);
  for (const type of ['pid', 'network', 'ipc', 'uts', 'cgroup']) {
    assert.equal(ns[type], hostNs(type), `${type} namespace is not inherited`);
  }
  assert.notEqual(ns.mount, hostNs('mount'));
});

test('config-linux.md#namespaces pid: the container process is PID 1 of its new pid namespace', () => {
  const r = rt.runBundle(
    rt.bundle({ args: ['sh', '-c', 'echo $$; tr "\\0" " " < /proc/1/cmdline; echo; ps -o pid,args | tail -n +2 | wc -l'] }),
  );
  assertOk(r);
  const [pid, cmdline, count] = r.stdout.split('\n');
  assert.equal(pid, '1');
  assert.equal(cmdline.trim(), `sh -c echo $$; tr "\\0" " " < /proc/1/cmdline; echo; ps -o pid,args | tail -n +2 | wc -l`);
  // sh, ps, tail, wc: only the container's own processes are visible.
  assert.ok(Number(count) <= 4, `ps shows ${count} processes`);
});

test('config-linux.md#namespaces pid: without a pid namespace the program runs as the host pid of state.pid', async () => {
  let data;
  const bundle = rt.bundle({
    args: ['sh', '-c', 'echo $$ > /mnt/pid'],
    edit: (c, dir) => {
      onlyNamespaces(['mount', 'uts', 'ipc', 'network'])(c);
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    },
  });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  assertOk(rt.run(['start', c.id]), 'start');
  await waitForFile(path.join(data, 'pid'));
  await rt.waitForStatus(c.id, 'stopped');
  assert.equal(Number(fs.readFileSync(path.join(data, 'pid'), 'utf8')), pid);
});

test('config-linux.md#namespaces network: a new network namespace has only a loopback interface', () => {
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'] }));
  assertOk(r);
  assert.deepEqual(r.stdout.trim().split('\n'), ['lo']);
});

test('config-linux.md#namespaces path: joining existing network, uts and ipc namespaces by path', async (t) => {
  const holder = await holdNamespaces(t, ['--net', '--uts', '--ipc'], `${BUSYBOX_PATH} hostname joined-by-path;`);
  const r = rt.runBundle(
    rt.bundle({
      args: ['sh', '-c', `hostname; ${SHOW_NS}`],
      edit: onlyNamespaces([
        'pid',
        'mount',
        { type: 'network', path: `/proc/${holder}/ns/net` },
        { type: 'uts', path: `/proc/${holder}/ns/uts` },
        { type: 'ipc', path: `/proc/${holder}/ns/ipc` },
      ]),
    }),
  );
  assertOk(r);
  assert.equal(r.stdout.split('\n')[0], 'joined-by-path', 'the hostname of the joined uts namespace');
  const ns = nsOf(r.stdout);
  assert.equal(ns.network, fs.readlinkSync(`/proc/${holder}/ns/net`));
  assert.equal(ns.uts, fs.readlinkSync(`/proc/${holder}/ns/uts`));
  assert.equal(ns.ipc, fs.readlinkSync(`/proc/${holder}/ns/ipc`));
  assert.ok(processAlive(holder), 'the namespace holder must be left alone');
});

test('config-linux.md#namespaces path: a second container joins the pid and network namespaces of a first (pod style)', async () => {
  const first = rt.runBundle(rt.bundle({ args: ['sleep', '30'] }), { runArgs: ['-d'] });
  assertOk(first, 'run -d of the first container');
  const { pid } = rt.state(first.id);
  const r = rt.runBundle(
    rt.bundle({
      args: ['sh', '-c', `ps -o args | grep -c "^sleep 30"; ${SHOW_NS}`],
      edit: onlyNamespaces([
        'mount',
        'uts',
        'ipc',
        { type: 'pid', path: `/proc/${pid}/ns/pid` },
        { type: 'network', path: `/proc/${pid}/ns/net` },
      ]),
    }),
  );
  assertOk(r, 'run of the joining container');
  assert.equal(r.stdout.split('\n')[0], '1', 'the first container\'s sleep is visible from the second');
  const ns = nsOf(r.stdout);
  assert.equal(ns.pid, fs.readlinkSync(`/proc/${pid}/ns/pid`));
  assert.equal(ns.network, fs.readlinkSync(`/proc/${pid}/ns/net`));
  assert.equal(rt.state(first.id).status, 'running', 'the first container must keep running');
});

test('config-linux.md#namespaces: "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error"', async () => {
  for (const dup of [[{ type: 'uts' }, { type: 'uts' }], [{ type: 'network' }, { type: 'network', path: '/proc/self/ns/net' }]]) {
    const bundle = rt.bundle({ args: ['true'], edit: (c) => void (c.linux.namespaces = [{ type: 'pid' }, { type: 'mount' }, ...dup]) });
    const r = rt.create(bundle);
    assertFails(r, undefined, `create with duplicated ${dup[0].type} namespaces`);
    await assertNoSideEffects(rt, r, { id: r.id, bundle });
  }
});

test('config-linux.md#namespaces path: a path that does not exist is an error with no side effects', async () => {
  const bundle = rt.bundle({
    args: ['true'],
    edit: onlyNamespaces(['pid', 'mount', { type: 'network', path: '/proc/999999999/ns/net' }]),
  });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with a missing namespace path');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('config-linux.md#user-namespace-mappings: a new user namespace with uidMappings/gidMappings', () => {
  const r = rt.runBundle(
    rt.bundle({
      args: ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; stat -c %u:%g /mnt/owned; readlink /proc/self/ns/user'],
      linux: {
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      },
      edit: (c, dir) => {
        c.linux.namespaces.push({ type: 'user' });
        const data = hostDir(dir);
        fs.writeFileSync(path.join(data, 'owned'), '');
        fs.chownSync(path.join(data, 'owned'), 100000 + 1000, 100000 + 1000);
        c.mounts.push(bindMount(data, '/mnt', ['rbind', 'ro']));
      },
    }),
  );
  assertOk(r);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines[0].trim().split(/\s+/), ['0', '100000', '65536']);
  assert.deepEqual(lines[1].trim().split(/\s+/), ['0', '100000', '65536']);
  assert.equal(lines[2], '0');
  assert.equal(lines[3], '0');
  assert.equal(lines[4], '1000:1000', 'host uid 101000 must appear as 1000 inside');
  assert.notEqual(lines[5], fs.readlinkSync('/proc/self/ns/user'));
});
