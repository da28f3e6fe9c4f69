// runtime-spec config.md#root: root.path (absolute, or relative to the bundle) and root.readonly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setupRuntime } from './lib/runtime.mjs';
import { makeBusyboxRootfs } from './lib/bundle.mjs';
import { assertOk } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'root' });

test('config.md#root readonly: true "MUST be read-only inside the container" (writing to / fails)', () => {
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', 'touch /written 2>&1; echo rc=$?'], root: { readonly: true } }));
  assertOk(r);
  assert.match(r.stdout, /rc=1/, `writing to a read-only root succeeded: ${r.stdout}`);
  assert.match(r.stdout, /[Rr]ead-only file system/);
});

test('config.md#root readonly: the root mount is flagged ro in /proc/mounts', () => {
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', 'grep -E "^[^ ]+ / " /proc/self/mounts'], root: { readonly: true } }));
  assertOk(r);
  const opts = r.stdout.trim().split('\n').pop().split(' ')[3].split(',');
  assert.ok(opts.includes('ro'), `root mount options: ${opts}`);
});

test('config.md#root readonly: false (the default) lets the container write to /, visible in the rootfs on the host', () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'echo from-container > /written'], rootfs: 'copy', root: { readonly: false } });
  assertOk(rt.runBundle(bundle));
  assert.equal(fs.readFileSync(path.join(bundle, 'rootfs', 'written'), 'utf8'), 'from-container\n');
});

test('config.md#root readonly: omitted means false ("defaults to false")', () => {
  const bundle = rt.bundle({ args: ['sh', '-c', 'echo ok > /omitted'], rootfs: 'copy', root: { readonly: undefined } });
  assertOk(rt.runBundle(bundle));
  assert.ok(fs.existsSync(path.join(bundle, 'rootfs', 'omitted')));
});

test('config.md#root path: a path relative to the bundle (not to the runtime cwd) is the container root', () => {
  const bundle = rt.bundle({ args: ['cat', '/identity'], rootfs: 'copy' });
  fs.writeFileSync(path.join(bundle, 'rootfs', 'identity'), 'the relative rootfs\n');
  // Run from another directory that also has a "rootfs" to catch resolution against the cwd.
  const decoy = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-decoy-'));
  try {
    makeBusyboxRootfs(path.join(decoy, 'rootfs'));
    fs.writeFileSync(path.join(decoy, 'rootfs', 'identity'), 'the decoy\n');
    const r = rt.runBundle(bundle, { cwd: decoy });
    assertOk(r);
    assert.equal(r.stdout, 'the relative rootfs\n');
  } finally {
    fs.rmSync(decoy, { recursive: true, force: true });
  }
});

test('config.md#root path: a relative path other than "rootfs" works too', () => {
  const bundle = rt.bundle({ args: ['cat', '/identity'], rootfs: 'none', root: { path: 'sub/dir/fs' } });
  makeBusyboxRootfs(path.join(bundle, 'sub', 'dir', 'fs'));
  fs.writeFileSync(path.join(bundle, 'sub', 'dir', 'fs', 'identity'), 'nested\n');
  const r = rt.runBundle(bundle);
  assertOk(r);
  assert.equal(r.stdout, 'nested\n');
});

test('config.md#root path: an absolute path outside the bundle is the container root', () => {
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-absroot-'));
  try {
    const rootfs = makeBusyboxRootfs(path.join(elsewhere, 'fs'));
    fs.writeFileSync(path.join(rootfs, 'identity'), 'absolute\n');
    const r = rt.runBundle(rt.bundle({ args: ['cat', '/identity'], rootfs }));
    assertOk(r);
    assert.equal(r.stdout, 'absolute\n');
  } finally {
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('config.md#root: the container sees the rootfs as / (pivoted: the host tree is not reachable)', () => {
  const r = rt.runBundle(rt.bundle({ args: ['sh', '-c', 'ls /; ls /.. ; cat /proc/1/root/etc/hostname 2>/dev/null; true'] }));
  assertOk(r);
  assert.match(r.stdout, /\bbin\b/);
  assert.ok(!r.stdout.includes('conformance-bundle-'), 'the host /tmp is visible');
  assert.ok(!/\bboot\b|\blib64\b|\busr\b/.test(r.stdout), `host directories visible: ${r.stdout}`);
  assert.match(r.stdout, /^rootfs$/m);
});
