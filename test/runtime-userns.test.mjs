// User namespaces: the helper makes the user namespace and every other one inside it; the
// container's root is a host id from the mapping; what it creates shows that owner on the host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setupRuntime, sleep } from '../conformance/lib/runtime.mjs';
import { assertFails, assertNoSideEffects, assertOk, bindMount, hostDir } from '../conformance/lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'userns' });
const MAP = [{ containerID: 0, hostID: 200000, size: 65536 }];

function usernsBundle(args, edit) {
  return rt.bundle({
    args,
    linux: { uidMappings: MAP, gidMappings: MAP },
    edit: (c, dir) => {
      c.linux.namespaces.push({ type: 'user' });
      const data = hostDir(dir);
      fs.chownSync(data, 200000, 200000);
      c.mounts.push(bindMount(data, '/data', ['rbind', 'rw']));
      edit?.(c, dir);
    },
  });
}

test('the container root is host 200000: maps, ids, files it creates, devices and its own sysfs', () => {
  const bundle = usernsBundle(['sh', '-c', 'cat /proc/self/uid_map; id -u; touch /data/made-by-root /data/given-to-1000; chown 1000:1000 /data/given-to-1000; echo x > /dev/null && echo devnull-ok; ls /sys/class/net'], (c) => {
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_CHOWN');
  });
  const r = rt.runBundle(bundle);
  assertOk(r);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines[0].trim().split(/\s+/), ['0', '200000', '65536']);
  assert.equal(lines[1], '0');
  assert.ok(lines.includes('devnull-ok'), r.stdout);
  assert.ok(lines.includes('lo'), `sysfs shows the container's own network devices: ${r.stdout}`);
  assert.equal(fs.statSync(path.join(hostDir(bundle), 'made-by-root')).uid, 200000, 'container root is host 200000');
  const given = fs.statSync(path.join(hostDir(bundle), 'given-to-1000'));
  assert.deepEqual([given.uid, given.gid], [201000, 201000], 'container uid 1000 is host 201000');
});

test('create, exec (joins the user namespace too), kill, delete with a user namespace; nothing left', async () => {
  const bundle = usernsBundle(['sleep', '60']);
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  assert.equal(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' '), '0 200000 65536');
  assertOk(rt.run(['start', c.id]));
  const e = rt.run(['exec', c.id, 'sh', '-c', 'id -u; readlink /proc/self/ns/user; readlink /proc/self/ns/pid']);
  assertOk(e, 'exec');
  const [uid, userNs, pidNs] = e.stdout.trim().split('\n');
  assert.equal(uid, '0');
  assert.equal(userNs, fs.readlinkSync(`/proc/${pid}/ns/user`));
  assert.equal(pidNs, fs.readlinkSync(`/proc/${pid}/ns/pid`));
  assertOk(rt.run(['kill', c.id, 'KILL']));
  await rt.waitForStatus(c.id, 'stopped');
  assertOk(rt.run(['delete', c.id]));
  for (let i = 0; i < 50 && fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'); i++) await sleep(20);
  assert.ok(!rt.listIds().includes(c.id));
});

test('overlapping mappings are refused before anything is created', async () => {
  const bundle = usernsBundle(['true'], (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 500, hostID: 300000, size: 10 }];
  });
  const r = rt.create(bundle);
  assertFails(r, /linux.uidMappings\[1\]: container ids overlap linux.uidMappings\[0\]/);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('a user namespace without mappings is refused and leaves nothing', async () => {
  const bundle = usernsBundle(['true'], (c) => {
    delete c.linux.uidMappings;
    delete c.linux.gidMappings;
  });
  const r = rt.create(bundle);
  assertFails(r, /linux.uidMappings: a new user namespace needs mappings/);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('idmapped bind mount with its own mapping: on-disk owner 0 appears as the mapped 1000', () => {
  const bundle = rt.bundle({
    args: ['stat', '-c', '%u:%g', '/idm/f'],
    edit: (c, dir) => {
      const data = hostDir(dir);
      fs.writeFileSync(path.join(data, 'f'), '');
      fs.chownSync(path.join(data, 'f'), 0, 0);
      c.mounts.push({ destination: '/idm', type: 'bind', source: data, options: ['rbind'],
        uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
    },
  });
  const r = rt.runBundle(bundle);
  assertOk(r);
  assert.equal(r.stdout.trim(), '1000:1000');
});

test('"idmap" in a user namespace container: host-root files appear owned by the container root', () => {
  const bundle = usernsBundle(['sh', '-c', 'stat -c %u:%g /plain/f /mapped/f'], (c, dir) => {
    const data = path.join(dir, 'rootowned');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 'f'), '');
    c.mounts.push(bindMount(data, '/plain', ['rbind']));
    c.mounts.push({ destination: '/mapped', type: 'bind', source: data, options: ['rbind', 'idmap'] });
  });
  const r = rt.runBundle(bundle);
  assertOk(r);
  assert.deepEqual(r.stdout.trim().split('\n'), ['65534:65534', '0:0']);
});

test('"idmap" without a mapping or a user namespace is refused, nothing left', async () => {
  const bundle = rt.bundle({ args: ['true'], edit: (c, dir) => void c.mounts.push({ destination: '/m', type: 'bind', source: hostDir(dir), options: ['rbind', 'idmap'] }) });
  const r = rt.create(bundle);
  assertFails(r, /"idmap" needs uidMappings\/gidMappings on the mount or a user namespace/);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});
