// Helpers for the image command tests: a manager root of the test's own, the built CLI run
// against it, small root filesystem tarballs, and a snapshot of the store to prove that a
// failed command changed nothing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './dist.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MYDOCKER = path.join(repo, 'dist', 'mydocker');

const { managerPaths } = load('manager/paths');
const { ImageStore } = load('manager/images/store');

/**
 * A fresh root and run root under /var/tmp, removed when the test ends.
 * @returns {{ dir: string, paths: any, store: any, cli: (...args: any[]) => { status: number, stdout: string, stderr: string } }}
 */
export function tempManager(t, prefix = 'mydocker-images-') {
  const dir = fs.mkdtempSync(path.join('/var/tmp', prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const paths = managerPaths(path.join(dir, 'lib'), path.join(dir, 'run'));
  const store = new ImageStore(paths);
  /** Runs dist/mydocker with this root; the last argument may be { input } for stdin. */
  // without the CA bundle Node parses at every start (the CLI makes no TLS connection here)
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const cli = (...args) => {
    const opts = typeof args[args.length - 1] === 'object' ? args.pop() : {};
    const r = spawnSync(MYDOCKER, ['--root', paths.root, '--run-root', paths.runRoot, ...args], { encoding: opts.encoding ?? 'utf8', input: opts.input, env, maxBuffer: 256 << 20 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { dir, paths, store, cli };
}

/** A root filesystem directory with a marker file (distinct content makes distinct images). */
export function makeRootfs(dir, marker) {
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc', 'marker'), `${marker}\n`);
  fs.copyFileSync(fs.existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox', path.join(dir, 'bin', 'busybox'));
  fs.symlinkSync('busybox', path.join(dir, 'bin', 'sh'));
  return dir;
}

/** A tarball of a fresh root filesystem: { tar, gz } paths (the .gz made by gzip). */
export function rootfsTarball(parent, marker) {
  const root = makeRootfs(fs.mkdtempSync(path.join(parent, 'rootfs-')), marker);
  const tar = path.join(parent, `${marker}.tar`);
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  execFileSync('gzip', ['-k', '-f', tar]);
  return { tar, gz: `${tar}.gz`, root };
}

export function sha256File(file) {
  return `sha256:${crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
}

/** Every file under dir (relative paths), sorted. */
function listTree(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

/** index.json bytes, the blob names and what is under tmp/. */
export function snapshotStore(paths) {
  return {
    index: fs.readFileSync(path.join(paths.images, 'index.json'), 'utf8'),
    blobs: listTree(path.join(paths.images, 'blobs', 'sha256')),
    tmp: listTree(paths.tmp),
    images: listTree(paths.images).filter((f) => !f.startsWith('blobs')),
  };
}

export function assertStoreUnchanged(paths, before, what) {
  assert.deepEqual(snapshotStore(paths), before, `${what}: the store changed`);
}

/** A failed CLI call: non-zero status, nothing on stdout, exactly one line on stderr matching `re`. */
export function assertOneLineError(result, re, what) {
  assert.notEqual(result.status, 0, `${what}: exit status`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line expected, got:\n${result.stderr}`);
  assert.match(lines[0], re, what);
}

export { managerPaths, os };
