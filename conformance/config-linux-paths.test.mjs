// runtime-spec config-linux.md#masked-paths ("will mask over the provided paths inside the
// container so that they cannot be read") and #readonly-paths ("will set the provided paths as
// readonly inside the container").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, runcDeviation } from './lib/runtime.mjs';
import { assertOk, assertFails, assertNoSideEffects, bindMount, hostDir } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'paths' });

/** Run `sh -c script` with `edit` applied; returns stdout (asserting success). */
function sh(script, edit, extra = {}) {
  const r = rt.runBundle(rt.bundle({ ...extra, args: ['sh', '-c', script], edit }));
  assertOk(r, `run of: ${script}`);
  return r.stdout;
}

/** An edit that sets maskedPaths/readonlyPaths (replacing the baseline lists) and runs `more`. */
const paths = ({ masked = [], readonly = [], more } = {}) => (c, dir) => {
  c.linux.maskedPaths = masked;
  c.linux.readonlyPaths = readonly;
  more?.(c, dir);
};

/** Bind <bundle>/data (with a file `secret` and a directory `sub/` holding `inner`) at /mnt. */
function withData(c, dir) {
  const data = hostDir(dir);
  fs.writeFileSync(path.join(data, 'secret'), 'top secret\n');
  fs.mkdirSync(path.join(data, 'sub'));
  fs.writeFileSync(path.join(data, 'sub', 'inner'), 'inner file\n');
  c.mounts.push(bindMount(data, '/mnt'));
  return data;
}

// ------------------------------------------------------------------------------------------------
// maskedPaths

test('config-linux.md#masked-paths: a masked /proc file (/proc/kcore, /proc/keys) cannot be read: nothing comes back', () => {
  const out = sh(
    'for f in /proc/kcore /proc/keys /proc/timer_list; do n=$(head -c 64 $f 2>/dev/null | wc -c); echo "$f=$n"; done',
    paths({ masked: ['/proc/kcore', '/proc/keys', '/proc/timer_list'] }),
  );
  assert.match(out, /^\/proc\/kcore=0$/m, out);
  assert.match(out, /^\/proc\/keys=0$/m, out);
  assert.match(out, /^\/proc\/timer_list=0$/m, out);
});

test('config-linux.md#masked-paths: control - without the mask, /proc/timer_list is readable (the mask is what hides it)', () => {
  const out = sh('head -c 64 /proc/timer_list | wc -c', paths({}));
  assert.notEqual(out.trim(), '0', '/proc/timer_list is empty even unmasked: the masked check proves nothing here');
});

test('config-linux.md#masked-paths: a masked directory (/sys/firmware, a directory of a bind mount) shows no entries and takes no new ones', () => {
  const out = sh(
    'echo "firmware=$(ls -A /sys/firmware | wc -l)"; echo "sub=$(ls -A /mnt/sub | wc -l)"; ' +
      'touch /mnt/sub/new 2>/dev/null && echo created || echo refused; cat /mnt/sub/inner 2>/dev/null || echo unreadable',
    paths({ masked: ['/sys/firmware', '/mnt/sub'], more: withData }),
  );
  assert.match(out, /^firmware=0$/m, out);
  assert.match(out, /^sub=0$/m, out);
  assert.match(out, /^refused$/m, 'a masked directory must not accept new files');
  assert.match(out, /^unreadable$/m, 'a file under a masked directory must not be readable');
});

test('config-linux.md#masked-paths: masking a file of a bind mount hides it in the container and leaves the host file intact', () => {
  let data;
  const out = sh(
    'cat /mnt/secret 2>/dev/null | wc -c; echo overwrite > /mnt/secret 2>/dev/null; cat /mnt/sub/inner',
    paths({ masked: ['/mnt/secret'], more: (c, dir) => (data = withData(c, dir)) }),
  );
  const lines = out.trim().split('\n');
  assert.equal(lines[0].trim(), '0', 'the masked file was readable');
  assert.equal(lines[lines.length - 1], 'inner file', 'the rest of the mount is untouched');
  assert.equal(fs.readFileSync(path.join(data, 'secret'), 'utf8'), 'top secret\n', 'the host file changed');
});

test('config-linux.md#masked-paths: the mask holds for processes started by exec too', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'], edit: paths({ masked: ['/proc/timer_list'] }) });
  const r = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(r, 'run -d');
  const e = rt.run(['exec', r.id, 'sh', '-c', 'head -c 64 /proc/timer_list 2>/dev/null | wc -c']);
  assertOk(e, 'exec');
  assert.equal(e.stdout.trim(), '0');
});

test('runc convention: a masked path that does not exist in the container is skipped, not an error', () => {
  const out = sh('echo ran', paths({ masked: ['/proc/conformance-no-such-file', '/mnt/no/such/dir'] }));
  assert.equal(out, 'ran\n');
});

// ------------------------------------------------------------------------------------------------
// readonlyPaths

test('config-linux.md#readonly-paths: /proc/sys is read-only (a write fails, a read works)', () => {
  const out = sh(
    'cat /proc/sys/kernel/domainname >/dev/null && echo read-ok; ' +
      'echo ro.example > /proc/sys/kernel/domainname 2>/dev/null && echo written || echo refused; ' +
      'grep " /proc/sys " /proc/self/mounts',
    paths({
      readonly: ['/proc/sys'],
      // CAP_SYS_ADMIN, as in the control below: only the read-only mount may refuse the write.
      more: (c) => {
        for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN');
      },
    }),
  );
  assert.match(out, /^read-ok$/m);
  assert.match(out, /^refused$/m, 'a write into read-only /proc/sys succeeded');
  const line = out.split('\n').find((l) => l.includes(' /proc/sys '));
  assert.ok(line, `no mount at /proc/sys:\n${out}`);
  assert.ok(line.split(' ')[3].split(',').includes('ro'), `mount options of /proc/sys: ${line}`);
});

test('config-linux.md#readonly-paths: control - without the entry, the container root (CAP_SYS_ADMIN) writes its own domainname via /proc/sys', () => {
  const out = sh(
    'echo rw.example > /proc/sys/kernel/domainname 2>/dev/null && cat /proc/sys/kernel/domainname || echo refused',
    (c) => {
      c.linux.maskedPaths = [];
      c.linux.readonlyPaths = [];
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN');
    },
  );
  assert.equal(out.trim(), 'rw.example');
});

test('config-linux.md#readonly-paths: a read-only directory of a writable bind mount refuses writes, the rest stays writable', () => {
  let data;
  const out = sh(
    'cat /mnt/sub/inner; touch /mnt/sub/new 2>/dev/null && echo sub-written || echo sub-refused; ' +
      'touch /mnt/beside && echo beside-written',
    paths({ readonly: ['/mnt/sub'], more: (c, dir) => (data = withData(c, dir)) }),
  );
  assert.match(out, /^inner file$/m);
  assert.match(out, /^sub-refused$/m, 'a file was created under a read-only path');
  assert.match(out, /^beside-written$/m, 'the read-only path must not make its parent read-only');
  assert.ok(!fs.existsSync(path.join(data, 'sub', 'new')));
  assert.ok(fs.existsSync(path.join(data, 'beside')));
});

test('config-linux.md#readonly-paths: a read-only file refuses writes; the host file is intact', () => {
  let data;
  const out = sh('echo changed > /mnt/secret 2>/dev/null && echo written || echo refused; cat /mnt/secret', paths({ readonly: ['/mnt/secret'], more: (c, dir) => (data = withData(c, dir)) }));
  assert.match(out, /^refused$/m);
  assert.match(out, /^top secret$/m);
  assert.equal(fs.readFileSync(path.join(data, 'secret'), 'utf8'), 'top secret\n');
});

test('runc convention: a read-only path that does not exist in the container is skipped, not an error', () => {
  const out = sh('echo ran', paths({ readonly: ['/proc/conformance-no-such-dir', '/mnt/no/such/dir'] }));
  assert.equal(out, 'ran\n');
});

test('config-linux.md#masked-paths + #readonly-paths: the runc spec defaults together leave the container working', () => {
  // baselineConfig() carries the lists `runc spec` writes.
  const out = sh('ls /proc/acpi 2>/dev/null | wc -l; cat /proc/sys/kernel/ostype; echo x > /proc/sysrq-trigger 2>/dev/null || echo sysrq-refused', undefined);
  assert.deepEqual(out.trim().split('\n'), ['0', 'Linux', 'sysrq-refused']);
});

for (const key of ['maskedPaths', 'readonlyPaths']) {
  test(
    `config-linux.md#${key === 'maskedPaths' ? 'masked-paths' : 'readonly-paths'}: "The values MUST be absolute paths" - a relative one is invalid (config.md#valid-values: an error)`,
    runcDeviation(`config-linux.md#${key}: runc 1.1.5 accepts a relative path and takes it relative to the container root`),
    async () => {
      const bundle = rt.bundle({ args: ['true'], edit: paths({ [key === 'maskedPaths' ? 'masked' : 'readonly']: ['proc/timer_list'] }) });
      const r = rt.create(bundle);
      assertFails(r, undefined, `create with a relative ${key} entry`);
      await assertNoSideEffects(rt, r, { id: r.id, bundle });
    },
  );
}
