// runtime-spec config-linux.md#user-namespace-mappings and the user namespace of
// config-linux.md#namespaces: several mapping ranges, ownership of what the container creates
// as seen on the host, host files as seen inside ("The runtime SHOULD NOT modify the ownership of
// referenced filesystems"), /proc and /sys inside, what root in the namespace may do, exec
// joining it, devices, joining one by path, and invalid mappings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setupRuntime, runcDeviation, sleep } from './lib/runtime.mjs';
import { BUSYBOX } from './lib/bundle.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount, hostDir } from './lib/checks.mjs';
import { statusFields } from './lib/linux-extra.mjs';

const rt = setupRuntime({ idPrefix: 'userns' });

const MAP = (hostID, size = 65536, containerID = 0) => [{ containerID, hostID, size }];

/** Overrides for a new user namespace with these mappings (default: 0 -> 100000, 65536 ids). */
function userns({ uid = MAP(100000), gid = MAP(100000) } = {}) {
  return {
    linux: { uidMappings: uid, gidMappings: gid },
    edit: (c) => void c.linux.namespaces.push({ type: 'user' }),
  };
}

/** Merge two edit functions. */
const both = (a, b) => (c, dir) => {
  a?.(c, dir);
  b?.(c, dir);
};

function run(script, overrides = {}, invoke = {}) {
  return rt.runBundle(rt.bundle({ ...overrides, args: ['sh', '-c', script] }), invoke);
}

function sh(script, overrides = {}) {
  const r = run(script, overrides);
  assertOk(r, `run of: ${script}`);
  return r.stdout;
}

const owner = (file) => {
  const st = fs.statSync(file);
  return `${st.uid}:${st.gid}`;
};

const allCaps = (c, extra) => {
  for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push(...extra);
};

// ------------------------------------------------------------------------------------------------
// Mappings and ownership

test('config-linux.md#user-namespace-mappings: several ranges, distinct uid and gid maps, are written as configured', () => {
  const ns = userns({
    uid: [
      { containerID: 0, hostID: 100000, size: 1000 },
      { containerID: 1000, hostID: 200000, size: 10 },
    ],
    gid: [
      { containerID: 0, hostID: 300000, size: 1000 },
      { containerID: 1000, hostID: 400000, size: 10 },
    ],
  });
  const out = sh('cat /proc/self/uid_map; echo --; cat /proc/self/gid_map', ns);
  const [uidMap, gidMap] = out.split('--\n').map((t) => t.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number)));
  assert.deepEqual(uidMap, [[0, 100000, 1000], [1000, 200000, 10]]);
  assert.deepEqual(gidMap, [[0, 300000, 1000], [1000, 400000, 10]]);
});

test('config-linux.md#user-namespace-mappings: files the container creates are owned on the host by the mapped ids (each range)', () => {
  let data;
  const ns = userns({
    uid: [
      { containerID: 0, hostID: 100000, size: 1000 },
      { containerID: 1000, hostID: 200000, size: 10 },
    ],
    gid: [
      { containerID: 0, hostID: 300000, size: 1000 },
      { containerID: 1000, hostID: 400000, size: 10 },
    ],
  });
  const bundle = (user) =>
    rt.bundle({
      args: ['sh', '-c', `touch /mnt/by-${user.uid}`],
      process: { user },
      ...ns,
      edit: both(ns.edit, (c, dir) => {
        data ??= hostDir(dir);
        c.mounts.push(bindMount(data, '/mnt'));
      }),
    });
  assertOk(rt.runBundle(bundle({ uid: 0, gid: 0 })), 'run as container root');
  assertOk(rt.runBundle(bundle({ uid: 1005, gid: 1003 })), 'run as 1005:1003');
  fs.renameSync(path.join(data, 'by-0'), path.join(data, 'by-root'));
  assert.equal(owner(path.join(data, 'by-root')), '100000:300000', 'container 0:0 is host 100000:300000');
  assert.equal(owner(path.join(data, 'by-1005')), '200005:400003', 'container 1005:1003 is host 200005:400003');
});

test('config-linux.md#user-namespace-mappings: host files appear with their mapped ids inside; unmapped owners as the overflow id', () => {
  const ns = userns();
  const out = sh('stat -c "%n %u:%g" /mnt/mapped /mnt/unmapped /bin/busybox', {
    ...ns,
    edit: both(ns.edit, (c, dir) => {
      const data = hostDir(dir);
      fs.writeFileSync(path.join(data, 'mapped'), '');
      fs.chownSync(path.join(data, 'mapped'), 100000 + 42, 100000 + 43);
      fs.writeFileSync(path.join(data, 'unmapped'), '');
      fs.chownSync(path.join(data, 'unmapped'), 5000, 5000);
      c.mounts.push(bindMount(data, '/mnt', ['rbind', 'ro']));
    }),
  });
  const overflow = fs.readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim();
  assert.match(out, /^\/mnt\/mapped 42:43$/m, out);
  assert.match(out, new RegExp(`^/mnt/unmapped ${overflow}:${overflow}$`, 'm'), out);
  assert.match(out, new RegExp(`^/bin/busybox ${overflow}:${overflow}$`, 'm'), 'the root-owned rootfs shows as the overflow id');
});

test('config-linux.md#user-namespace-mappings: "The runtime SHOULD NOT modify the ownership of referenced filesystems" (rootfs and bind sources keep their owners)', () => {
  let data;
  const bundle = rt.bundle({
    rootfs: 'copy',
    args: ['true'],
    ...userns(),
    edit: both(userns().edit, (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    }),
  });
  const rootfs = path.join(bundle, 'rootfs');
  const before = ['', 'bin', 'bin/busybox', 'etc/passwd', 'tmp'].map((p) => owner(path.join(rootfs, p)));
  const dataBefore = owner(data);
  assertOk(rt.runBundle(bundle), 'run in a user namespace');
  assert.deepEqual(['', 'bin', 'bin/busybox', 'etc/passwd', 'tmp'].map((p) => owner(path.join(rootfs, p))), before, 'the rootfs ownership changed');
  assert.equal(owner(data), dataBefore, 'the bind mount source ownership changed');
});

test('config-linux.md#user-namespace-mappings: additionalGids are set inside the user namespace (setgroups is allowed)', () => {
  const out = sh('id -G', { ...userns(), process: { user: { uid: 0, gid: 0, additionalGids: [5, 100] } } });
  assert.deepEqual(out.trim().split(' ').map(Number).sort((a, b) => a - b), [0, 5, 100]);
});

// ------------------------------------------------------------------------------------------------
// Inside the namespace

test('config-linux.md#namespaces user: /proc shows the container pid namespace and the mappings, /sys the container network namespace', () => {
  const out = sh(
    'echo "pids=$(ls /proc | grep -c "^[0-9]")"; echo "one=$(tr "\\0" " " < /proc/1/cmdline)"; ' +
      'echo "net=$(ls /sys/class/net | tr "\\n" " ")"; echo "host=$(hostname)"; echo "uid=$(id -u)"',
    userns(),
  );
  const f = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  assert.ok(Number(f.pids) <= 5, `/proc lists ${f.pids} processes: not the container's pid namespace`);
  assert.match(f.one, /^sh -c /, 'pid 1 is the container process');
  assert.equal(f.net, 'lo', '/sys shows the network namespace of the container');
  assert.equal(f.host, 'conformance');
  assert.equal(f.uid, '0');
});

test('config-linux.md#namespaces user: root of the namespace may mount there (CAP_SYS_ADMIN in its namespace), but not write a host-root directory (CAP_DAC_OVERRIDE does not cover unmapped owners)', () => {
  const ns = userns();
  const out = sh(
    'mount -t tmpfs none /tmp && touch /tmp/x && echo mount-ok; touch /mnt/x 2>/dev/null && echo hostdir-written || echo hostdir-refused',
    {
      ...ns,
      root: { readonly: true },
      edit: both(ns.edit, (c, dir) => {
        const d = hostDir(dir, 'rootonly');
        fs.chmodSync(d, 0o755);
        c.mounts.push(bindMount(d, '/mnt'));
        allCaps(c, ['CAP_SYS_ADMIN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_CHOWN']);
      }),
    },
  );
  assert.match(out, /^mount-ok$/m, out);
  assert.match(out, /^hostdir-refused$/m, 'container root wrote into a directory owned by host root');
});

test('config-linux.md#namespaces user: the default devices and a linux.devices entry (a path the host has too) work: mknod is not allowed there', () => {
  const out = sh('echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; stat -c %t:%T /dev/fuse', {
    ...userns(),
    edit: both(userns().edit, (c) => {
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }];
    }),
  });
  assert.deepEqual(out.trim().split('\n'), ['null-ok', '4', 'a:e5']);
});

test(
  'config-linux.md#devices in a user namespace: a device at a path the host does not have "MUST be available in the container"',
  runcDeviation('config-linux.md#devices: in a user namespace runc 1.1.5 bind-mounts the host node of the same path, and fails when the host has none'),
  () => {
    const out = sh('echo y > /dev/conformance-null && echo mynull-ok; stat -c %t:%T /dev/conformance-null', {
      ...userns(),
      edit: both(userns().edit, (c) => {
        c.linux.devices = [{ path: '/dev/conformance-null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }];
      }),
    });
    assert.deepEqual(out.trim().split('\n'), ['mynull-ok', '1:3']);
  },
);

test('runc convention: exec joins the container\'s user namespace (same namespace, mappings, and host ownership of what it creates)', () => {
  let data;
  const ns = userns();
  const bundle = rt.bundle({
    args: ['sh', '-c', 'readlink /proc/self/ns/user > /mnt/init-ns; exec sleep 30'],
    ...ns,
    edit: both(ns.edit, (c, dir) => {
      data = hostDir(dir);
      c.mounts.push(bindMount(data, '/mnt'));
    }),
  });
  const r = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  const { pid } = rt.state(r.id);
  const e = rt.run(['exec', r.id, 'sh', '-c', 'readlink /proc/self/ns/user; tr -s " " < /proc/self/uid_map; id -u; touch /mnt/by-exec']);
  assertOk(e, 'exec');
  const [nsLink, map, uid] = e.stdout.trim().split('\n');
  assert.equal(nsLink, fs.readlinkSync(`/proc/${pid}/ns/user`), 'exec is in the container user namespace');
  assert.deepEqual(map.trim().split(' ').map(Number), [0, 100000, 65536]);
  assert.equal(uid, '0');
  assert.equal(owner(path.join(data, 'by-exec')), '100000:100000');
});

// ------------------------------------------------------------------------------------------------
// Joining a user namespace by path

/** A process in a new user namespace mapped 0 -> 100000 (65536 ids); killed when the test ends. */
async function holdUserns(t) {
  const child = spawn('unshare', ['--user', BUSYBOX, 'sleep', '120'], { stdio: 'ignore' });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const mine = fs.readlinkSync('/proc/self/ns/user');
  for (let i = 0; i < 250; i++) {
    try {
      if (fs.readlinkSync(`/proc/${child.pid}/ns/user`) !== mine) break;
    } catch {
      /* not there yet */
    }
    await sleep(20);
  }
  fs.writeFileSync(`/proc/${child.pid}/uid_map`, '0 100000 65536\n');
  fs.writeFileSync(`/proc/${child.pid}/gid_map`, '0 100000 65536\n');
  return child.pid;
}

test('config-linux.md#namespaces path: joining an existing user namespace (mappings given as the namespace has them); the other namespaces are new inside it', async (t) => {
  const holder = await holdUserns(t);
  const r = run('readlink /proc/self/ns/user; tr -s " " < /proc/self/uid_map; id -u; hostname', {
    linux: { uidMappings: MAP(100000), gidMappings: MAP(100000) },
    edit: (c) => void c.linux.namespaces.push({ type: 'user', path: `/proc/${holder}/ns/user` }),
  });
  assertOk(r, 'run joining a user namespace by path');
  const [nsLink, map, uid, host] = r.stdout.trim().split('\n');
  assert.equal(nsLink, fs.readlinkSync(`/proc/${holder}/ns/user`));
  assert.deepEqual(map.trim().split(' ').map(Number), [0, 100000, 65536]);
  assert.equal(uid, '0');
  assert.equal(host, 'conformance', 'a new uts namespace owned by the joined user namespace');
});

// ------------------------------------------------------------------------------------------------
// Invalid mappings

async function expectRefused(overrides, what) {
  const bundle = rt.bundle({ args: ['true'], ...overrides });
  const r = rt.create(bundle);
  assertFails(r, undefined, what);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
}

test('config-linux.md#user-namespace-mappings: a new user namespace without mappings is an error with no side effects', async () => {
  await expectRefused({ edit: (c) => void c.linux.namespaces.push({ type: 'user' }) }, 'create with a user namespace and no mappings');
});

test('config-linux.md#user-namespace-mappings: overlapping container ranges (the kernel refuses them) are an error with no side effects', async () => {
  await expectRefused(
    userns({
      uid: [
        { containerID: 0, hostID: 100000, size: 100 },
        { containerID: 50, hostID: 300000, size: 100 },
      ],
    }),
    'create with overlapping uid ranges',
  );
});

test('config.md#posix-user: a process uid that the mappings do not cover is an error with no side effects', async () => {
  await expectRefused({ ...userns({ uid: MAP(100000, 1000) }), process: { user: { uid: 5000, gid: 0 } } }, 'create with an unmapped process uid');
});

test('config-linux.md#user-namespace-mappings: the mapping is visible from the host on the container process before start', async () => {
  const bundle = rt.bundle({ args: ['true'], ...userns({ uid: MAP(150000, 5000), gid: MAP(160000, 5000) }) });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const { pid } = rt.state(c.id);
  const uidMap = fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).map(Number);
  const gidMap = fs.readFileSync(`/proc/${pid}/gid_map`, 'utf8').trim().split(/\s+/).map(Number);
  assert.deepEqual(uidMap, [0, 150000, 5000]);
  assert.deepEqual(gidMap, [0, 160000, 5000]);
  const st = statusFields(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.equal(st.Uid.split(/\s+/)[0], '150000', 'the container process runs as the mapped host uid');
});
