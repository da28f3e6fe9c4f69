// resolveUser (manager/spec/user.ts): -u and the image's USER against the image's own
// /etc/passwd and /etc/group, read inside the rootfs without ever leaving it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { load } from './lib/dist.mjs';
import { assertUsageError } from './lib/spec-assert.mjs';

const { resolveUser, readImageFile } = load('manager/spec/user');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-user-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let seq = 0;
/** A rootfs with the given /etc files (null: leave the file out). */
function rootfs({ passwd, group } = {}) {
  const root = path.join(tmp, `rootfs-${++seq}`);
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  if (passwd !== null) {
    fs.writeFileSync(
      path.join(root, 'etc', 'passwd'),
      passwd ??
        [
          'root:x:0:0:root:/root:/bin/sh',
          '# a comment line',
          'daemon:x:1:1::/usr/sbin:/bin/false',
          'app:x:1000:1000:App:/home/app:/bin/sh',
          'nohome:x:1001:1001::',
          'broken:x:notanumber:0::/:',
          '',
        ].join('\n'),
    );
  }
  if (group !== null) {
    fs.writeFileSync(
      path.join(root, 'etc', 'group'),
      group ?? ['root:x:0:', 'wheel:x:10:root,app', 'users:x:100:app', 'app:x:1000:', 'audio:x:29:nohome', ''].join('\n'),
    );
  }
  return root;
}

test('no user: root, with the groups that list root', () => {
  assert.deepEqual(resolveUser(rootfs(), undefined), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
  assert.deepEqual(resolveUser(rootfs(), ''), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
});

test('a name: its ids, home and member groups (primary gid first, as docker passes it)', () => {
  assert.deepEqual(resolveUser(rootfs(), 'app'), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 100], home: '/home/app' });
  assert.deepEqual(resolveUser(rootfs(), 'nohome'), { uid: 1001, gid: 1001, additionalGids: [1001, 29], home: '/' });
});

test('a uid: the passwd entry when there is one, the bare id otherwise', () => {
  assert.deepEqual(resolveUser(rootfs(), '1000'), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 100], home: '/home/app' });
  assert.deepEqual(resolveUser(rootfs(), '4242'), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
});

test('an explicit group: by name or gid, and then no supplementary groups', () => {
  assert.deepEqual(resolveUser(rootfs(), 'app:users'), { uid: 1000, gid: 100, additionalGids: [100], home: '/home/app' });
  assert.deepEqual(resolveUser(rootfs(), 'app:4321'), { uid: 1000, gid: 4321, additionalGids: [4321], home: '/home/app' });
  assert.deepEqual(resolveUser(rootfs(), '4242:10'), { uid: 4242, gid: 10, additionalGids: [10], home: '/' });
});

test('unknown names are errors worded like docker', () => {
  assertUsageError(() => resolveUser(rootfs(), 'ghost'), 'unable to find user ghost: no matching entries in passwd file');
  assertUsageError(() => resolveUser(rootfs(), 'broken'), 'unable to find user broken');
  assertUsageError(() => resolveUser(rootfs(), 'app:ghosts'), 'unable to find group ghosts: no matching entries in group file');
  assertUsageError(() => resolveUser(rootfs(), '2147483648'), 'uids and gids must be in range');
});

test('an image without /etc/passwd or /etc/group: numeric ids work, names do not', () => {
  const bare = rootfs({ passwd: null, group: null });
  assert.deepEqual(resolveUser(bare, undefined), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
  assert.deepEqual(resolveUser(bare, '1000:1000'), { uid: 1000, gid: 1000, additionalGids: [1000], home: '/' });
  assertUsageError(() => resolveUser(bare, 'app'), 'unable to find user app: no matching entries in passwd file');
  assertUsageError(() => resolveUser(bare, '0:wheel'), 'unable to find group wheel');
  const noRootfs = path.join(tmp, 'does-not-exist');
  assert.deepEqual(resolveUser(noRootfs, '5'), { uid: 5, gid: 0, additionalGids: [0], home: '/' });
});

test('symlinks are followed inside the rootfs, never out of it', () => {
  // the host file an escaping link would reach
  const outside = path.join(tmp, 'outside-passwd');
  fs.writeFileSync(outside, 'evil:x:0:0::/:/bin/sh\n');

  // etc/passwd -> ../../../outside-passwd: ".." stops at the rootfs root
  const relative = rootfs({ passwd: null });
  fs.symlinkSync(`../../../${path.basename(outside)}`, path.join(relative, 'etc', 'passwd'));
  assertUsageError(() => resolveUser(relative, 'evil'), 'unable to find user evil');

  // etc/passwd -> <absolute host path>: resolved as a path inside the rootfs
  const absolute = rootfs({ passwd: null });
  fs.symlinkSync(outside, path.join(absolute, 'etc', 'passwd'));
  assertUsageError(() => resolveUser(absolute, 'evil'), 'unable to find user evil');
  fs.mkdirSync(path.join(absolute, path.dirname(outside)), { recursive: true });
  fs.writeFileSync(path.join(absolute, outside), 'inside:x:7:7::/in:/bin/sh\n');
  assert.deepEqual(resolveUser(absolute, 'inside'), { uid: 7, gid: 7, additionalGids: [7], home: '/in' });

  // /etc itself a link to the host's /etc
  const etcLink = path.join(tmp, `rootfs-${++seq}`);
  fs.mkdirSync(etcLink);
  fs.symlinkSync('/etc', path.join(etcLink, 'etc'));
  assert.equal(readImageFile(etcLink, '/etc/passwd'), undefined);
  assertUsageError(() => resolveUser(etcLink, 'root'), 'unable to find user root');
});

test('a FIFO, a directory or a device at /etc/passwd is not read (and does not block)', () => {
  const fifo = rootfs({ passwd: null });
  execFileSync('mkfifo', [path.join(fifo, 'etc', 'passwd')]);
  assertUsageError(() => resolveUser(fifo, 'app'), 'unable to find user app');
  const dir = rootfs({ passwd: null });
  fs.mkdirSync(path.join(dir, 'etc', 'passwd'));
  assert.equal(readImageFile(dir, '/etc/passwd'), undefined);
  const dev = rootfs({ passwd: null });
  fs.symlinkSync('/dev/zero', path.join(dev, 'etc', 'passwd')); // resolves to <rootfs>/dev/zero: absent
  assert.equal(readImageFile(dev, '/etc/passwd'), undefined);
});
