// runtime-spec config.md#mounts (order, bind/rbind, options, relative sources, destinations)
// and config-linux.md#default-filesystems / rootfsPropagation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setupRuntime, runcDeviation } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount, hostDir } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'mounts' });

/** The /proc/self/mounts line for `dest` inside a container (last one wins), as {source,type,options}. */
function parseMountLine(out, dest) {
  const line = out
    .trim()
    .split('\n')
    .filter((l) => l.split(' ')[1] === dest)
    .pop();
  assert.ok(line, `no mount at ${dest} in:\n${out}`);
  const [source, , type, options] = line.split(' ');
  return { source, type, options: options.split(',') };
}

/** Run `sh -c script` with extra mounts appended to the baseline; returns the result. */
function runWithMounts(script, mounts, extra = {}) {
  const bundle = rt.bundle({
    args: ['sh', '-c', script],
    ...extra,
    edit: (c, dir) => {
      c.mounts.push(...(typeof mounts === 'function' ? mounts(dir) : mounts));
    },
  });
  return { bundle, r: rt.runBundle(bundle) };
}

test('config-linux.md#default-filesystems: /proc, /sys, /dev/pts, /dev/shm (+ /dev tmpfs, mqueue) are mounted', () => {
  const { r } = runWithMounts('cat /proc/self/mounts', []);
  assertOk(r);
  assert.equal(parseMountLine(r.stdout, '/proc').type, 'proc');
  assert.equal(parseMountLine(r.stdout, '/sys').type, 'sysfs');
  assert.ok(parseMountLine(r.stdout, '/sys').options.includes('ro'), '/sys has "ro" in config.json');
  assert.equal(parseMountLine(r.stdout, '/dev').type, 'tmpfs');
  assert.equal(parseMountLine(r.stdout, '/dev/pts').type, 'devpts');
  assert.equal(parseMountLine(r.stdout, '/dev/shm').type, 'tmpfs');
  assert.equal(parseMountLine(r.stdout, '/dev/mqueue').type, 'mqueue');
});

test('config.md#mounts: "The runtime MUST mount entries in the listed order" (tmpfs, then a bind inside it)', () => {
  const { r } = runWithMounts('cat /mnt/sub/file', (dir) => {
    const data = hostDir(dir);
    fs.writeFileSync(path.join(data, 'file'), 'bound after the tmpfs\n');
    return [
      { destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      bindMount(data, '/mnt/sub'),
    ];
  });
  assertOk(r);
  assert.equal(r.stdout, 'bound after the tmpfs\n');
});

test('config.md#mounts: listed order, reversed: a later tmpfs hides an earlier bind mount below it', () => {
  const { r } = runWithMounts(
    'ls -A /mnt; echo end',
    (dir) => {
      const data = hostDir(dir);
      fs.writeFileSync(path.join(data, 'file'), 'hidden\n');
      return [bindMount(data, '/mnt/sub'), { destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }];
    },
    { rootfs: 'copy' },
  );
  assertOk(r);
  assert.equal(r.stdout, 'end\n', 'the tmpfs mounted last must be on top and empty');
});

test('config.md#mounts: two mounts on one destination - the later one is visible', () => {
  const { r } = runWithMounts('cat /proc/self/mounts', [
    { destination: '/mnt', type: 'tmpfs', source: 'first', options: ['size=1m'] },
    { destination: '/mnt', type: 'tmpfs', source: 'second', options: ['size=2m'] },
  ]);
  assertOk(r);
  assert.equal(parseMountLine(r.stdout, '/mnt').source, 'second');
});

test('config.md#mounts tmpfs options: size, mode and flags are passed to mount(2)', () => {
  const { r } = runWithMounts('cat /proc/self/mounts', [
    { destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=710', 'nosuid', 'nodev', 'noexec'] },
  ]);
  assertOk(r);
  const m = parseMountLine(r.stdout, '/mnt');
  assert.equal(m.type, 'tmpfs');
  for (const o of ['size=1024k', 'mode=710', 'nosuid', 'nodev', 'noexec']) assert.ok(m.options.includes(o), `${o} missing: ${m.options}`);
});

test(
  'config.md#mounts tmpfs options: mode=710 is the mode of the mounted directory',
  runcDeviation(
    'config.md#mounts options ("Mount options of the filesystem to be used"): runc 1.1.5 chmods a tmpfs mount point ' +
      'back to the mode of the directory it covers, overriding mode= (here 0755 instead of 0710)',
  ),
  () => {
    const { r } = runWithMounts('stat -c %a /mnt', [
      { destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=710'] },
    ]);
    assertOk(r);
    assert.equal(r.stdout, '710\n');
  },
);

test('config.md#mounts options: noexec is enforced (a script on the mount cannot be executed)', () => {
  const { r } = runWithMounts('printf "#!/bin/sh\\necho ran\\n" > /mnt/s; chmod +x /mnt/s; /mnt/s 2>&1; echo rc=$?', [
    { destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['noexec'] },
  ]);
  assertOk(r);
  assert.ok(!r.stdout.includes('\nran\n') && !r.stdout.startsWith('ran'), r.stdout);
  assert.match(r.stdout, /rc=126/);
});

test('config.md#mounts bind: a file written inside appears on the host and host files are visible', () => {
  let data;
  const { r } = runWithMounts('cat /mnt/from-host; echo from-container > /mnt/from-container', (dir) => {
    data = hostDir(dir);
    fs.writeFileSync(path.join(data, 'from-host'), 'host content\n');
    return [bindMount(data, '/mnt', ['bind', 'rw'])];
  });
  assertOk(r);
  assert.equal(r.stdout, 'host content\n');
  assert.equal(fs.readFileSync(path.join(data, 'from-container'), 'utf8'), 'from-container\n');
});

test('config.md#mounts bind "ro": writing fails and the mount is read-only; the host dir is untouched', () => {
  let data;
  const { r } = runWithMounts('cat /mnt/f; touch /mnt/new 2>&1; echo rc=$?; cat /proc/self/mounts', (dir) => {
    data = hostDir(dir);
    fs.writeFileSync(path.join(data, 'f'), 'readable\n');
    return [bindMount(data, '/mnt', ['rbind', 'ro'])];
  });
  assertOk(r);
  assert.match(r.stdout, /^readable$/m);
  assert.match(r.stdout, /rc=1/);
  assert.ok(parseMountLine(r.stdout, '/mnt').options.includes('ro'));
  assert.ok(!fs.existsSync(path.join(data, 'new')));
});

test('config.md#mounts source: a bind source relative to the bundle is resolved against the bundle', () => {
  const { r } = runWithMounts('cat /mnt/f', (dir) => {
    fs.writeFileSync(path.join(hostDir(dir, 'relative-src'), 'f'), 'relative source\n');
    return [bindMount('relative-src', '/mnt', ['rbind', 'ro'])];
  });
  assertOk(r);
  assert.equal(r.stdout, 'relative source\n');
});

test('config.md#mounts: a bind mount of a single file', () => {
  const { r } = runWithMounts('cat /etc/hostname', (dir) => {
    fs.writeFileSync(path.join(dir, 'hostname-file'), 'bound file\n');
    return [bindMount(path.join(dir, 'hostname-file'), '/etc/hostname', ['bind', 'ro'])];
  });
  assertOk(r);
  assert.equal(r.stdout, 'bound file\n');
});

test('config.md#mounts type: "none" with a "bind" option is a bind mount', () => {
  const { r } = runWithMounts('cat /mnt/f', (dir) => {
    fs.writeFileSync(path.join(hostDir(dir), 'f'), 'type none\n');
    return [{ destination: '/mnt', type: 'none', source: path.join(dir, 'data'), options: ['bind'] }];
  });
  assertOk(r);
  assert.equal(r.stdout, 'type none\n');
});

test('config.md#mounts: destinations that do not exist are created (directories, nested, and files)', () => {
  const { bundle, r } = runWithMounts(
    'ls -d /new/a/b; ls -d /made/dir; cat /etc/made-file /made/dir/f',
    (dir) => {
      const data = hostDir(dir);
      fs.writeFileSync(path.join(data, 'f'), 'in dir\n');
      fs.writeFileSync(path.join(dir, 'single'), 'in file\n');
      return [
        { destination: '/new/a/b', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
        bindMount(data, '/made/dir'),
        bindMount(path.join(dir, 'single'), '/etc/made-file', ['bind', 'ro']),
      ];
    },
    { rootfs: 'copy' },
  );
  assertOk(r);
  assert.equal(r.stdout, '/new/a/b\n/made/dir\nin file\nin dir\n');
  // The mount points live in the container's rootfs: a directory and a regular file.
  assert.ok(fs.statSync(path.join(bundle, 'rootfs', 'new', 'a', 'b')).isDirectory());
  assert.ok(fs.statSync(path.join(bundle, 'rootfs', 'etc', 'made-file')).isFile());
});

test('config.md#mounts rbind vs bind: rbind brings submounts along, bind does not', (t) => {
  const bundle = rt.bundle({ args: ['true'] });
  const data = hostDir(bundle);
  const sub = path.join(data, 'sub');
  fs.mkdirSync(sub);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'conformance-submount', sub]);
  assert.equal(m.status, 0, `mount a tmpfs on the host: ${m.stderr}`);
  t.after(() => spawnSync('umount', ['-l', sub]));
  fs.writeFileSync(path.join(sub, 'f'), 'on the submount\n');

  const script = 'cat /mnt/sub/f 2>/dev/null || echo absent';
  const rbind = rt.runBundle(rt.bundle({ args: ['sh', '-c', script], edit: (c) => void c.mounts.push(bindMount(data, '/mnt', ['rbind', 'ro'])) }));
  assertOk(rbind, 'rbind');
  assert.equal(rbind.stdout, 'on the submount\n');
  const bind = rt.runBundle(rt.bundle({ args: ['sh', '-c', script], edit: (c) => void c.mounts.push(bindMount(data, '/mnt', ['bind', 'ro'])) }));
  assertOk(bind, 'bind');
  assert.equal(bind.stdout, 'absent\n');
});

test('config.md#mounts propagation options: rprivate, private, rslave, slave, rshared, shared are accepted and applied', () => {
  for (const prop of ['rprivate', 'private', 'rslave', 'slave', 'rshared', 'shared']) {
    const { r } = runWithMounts('cat /mnt/f; grep " /mnt " /proc/self/mountinfo', (dir) => {
      fs.writeFileSync(path.join(hostDir(dir), 'f'), `${prop}\n`);
      return [bindMount(path.join(dir, 'data'), '/mnt', ['rbind', prop])];
    });
    assertOk(r, `bind mount with ${prop}`);
    const [content, info] = r.stdout.split('\n');
    assert.equal(content, prop);
    // mountinfo optional fields: "shared:N" for a shared mount, none for a private one.
    if (prop.endsWith('shared')) assert.match(info, / shared:\d+/, `${prop}: ${info}`);
    if (prop.endsWith('private')) assert.doesNotMatch(info, / shared:\d+/, `${prop}: ${info}`);
  }
});

test('config-linux.md#rootfs-mount-propagation: rootfsPropagation private, rslave and shared are accepted', () => {
  for (const prop of ['private', 'rslave', 'shared', 'slave', 'rprivate']) {
    const r = rt.runBundle(rt.bundle({ args: ['true'], linux: { rootfsPropagation: prop } }));
    assertOk(r, `rootfsPropagation ${prop}`);
  }
});

test('config.md#mounts: an unknown filesystem type is an error with no side effects', async () => {
  const bundle = rt.bundle({
    args: ['true'],
    edit: (c) => void c.mounts.push({ destination: '/mnt', type: 'nosuchfs', source: 'none', options: [] }),
  });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with type nosuchfs');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('config.md#mounts: a bind mount whose source does not exist is an error with no side effects', async () => {
  const bundle = rt.bundle({
    args: ['true'],
    edit: (c) => void c.mounts.push(bindMount('/nonexistent/conformance-source', '/mnt')),
  });
  const r = rt.create(bundle);
  assertFails(r, undefined, 'create with a missing bind source');
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});
