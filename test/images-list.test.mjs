// images, tag, rmi, inspect, history: through the built CLI against a root of this file's own,
// and through the functions where a case needs a hook (a container using an image, the layer
// store's clean-up) or a fixed clock.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';
import { assertOneLineError, assertStoreUnchanged, rootfsTarball, sha256File, snapshotStore, tempManager } from './lib/images.mjs';

const { humanSize, humanDuration } = load('manager/images/human');
const { imageRows } = load('manager/images/list');
const { importRootfs } = load('manager/images/import');
const { removeImages, pruneImages } = load('manager/images/remove');
const { chainIds } = load('manager/images/chain');
const { renderTemplate, formatRows } = load('manager/cli/format');
const { sha256Digest } = load('manager/images/store');

const DAY = 24 * 3600 * 1000;

test('sizes and ages are worded as docker words them', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(4261234), '4.26MB');
  assert.equal(humanSize(1055025), '1.06MB');
  assert.equal(humanSize(123456789012), '123GB');
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(59_000), '59 seconds');
  assert.equal(humanDuration(90_000), 'About a minute');
  assert.equal(humanDuration(45 * 60_000), '45 minutes');
  assert.equal(humanDuration(80 * 60_000), 'About an hour');
  assert.equal(humanDuration(5 * 3600_000), '5 hours');
  assert.equal(humanDuration(3 * DAY), '3 days');
  assert.equal(humanDuration(15 * DAY), '2 weeks');
  assert.equal(humanDuration(90 * DAY), '3 months');
  assert.equal(humanDuration(800 * DAY), '2 years');
});

test('templates: fields, nested fields, json; unknown fields and actions are one-line errors', () => {
  const doc = { Id: 'sha256:x', Config: { Cmd: ['sh', '-c'], Env: null }, RootFS: { Layers: ['a', 'b'] } };
  assert.equal(renderTemplate('{{.Id}} {{.Config.Cmd}} {{json .RootFS}} {{.Config.Env}}', doc), 'sha256:x [sh -c] {"Layers":["a","b"]} <nil>');
  assert.throws(() => renderTemplate('{{.Nope}}', doc), /can't evaluate field Nope/);
  const rows = [{ Repository: 'a', Tag: 'b' }];
  assert.equal(formatRows(rows, '{{.Repository}}:{{.Tag}}', [], {}), 'a:b\n');
  assert.equal(formatRows(rows, 'table {{.Repository}}\\t{{.Tag}}', [], { Repository: 'REPOSITORY', Tag: 'TAG' }), 'REPOSITORY   TAG\na            b\n');
  assert.throws(() => formatRows(rows, '{{range .}}x{{end}}', [], {}), (e) => /unsupported template action/.test(e.message) && !e.message.includes('\n'));
});

/** Imports a tarball with a chosen creation time, named `name`. */
async function importAt(m, name, marker, created) {
  const { tar } = rootfsTarball(m.dir, marker);
  return (await importRootfs(m.paths, tar, { reference: name, now: created })).image;
}

test('images: columns, newest first, -q unique ids, --format json, <none> tags, filters', async (t) => {
  const m = tempManager(t);
  const now = Date.now();
  const old = await importAt(m, 'old:v1', 'old', new Date(now - 15 * DAY));
  const recent = await importAt(m, 'recent:latest', 'recent', new Date(now - 3 * 3600_000));
  // a second name (another repository) and a digest-only name
  assert.equal(m.cli('tag', 'old:v1', 'other/old:v2').status, 0);
  m.store.setRef(`docker.io/library/pinned@${recent.manifestDigest}`, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: recent.manifestDigest, size: fs.statSync(m.store.blobPath(recent.manifestDigest)).size });

  const table = m.cli('images');
  assert.equal(table.status, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  const cells = lines.slice(1).map((l) => l.split(/\s{2,}/));
  const rid = recent.configDigest.slice(7, 19);
  const oid = old.configDigest.slice(7, 19);
  assert.deepEqual(
    cells.map((c) => c.slice(0, 4)),
    [
      ['pinned', '<none>', rid, '3 hours ago'],
      ['recent', 'latest', rid, '3 hours ago'],
      ['old', 'v1', oid, '2 weeks ago'],
      ['other/old', 'v2', oid, '2 weeks ago'],
    ],
  );
  // SIZE: config plus the stored layer
  const size = (image) => image.manifest.config.size + image.manifest.layers.reduce((s, l) => s + l.size, 0);
  assert.equal(cells[1][4], humanSize(size(recent)));
  assert.equal(size(recent), fs.statSync(m.store.blobPath(recent.configDigest)).size + fs.statSync(m.store.blobPath(recent.manifest.layers[0].digest)).size);

  assert.deepEqual(m.cli('images', '-q').stdout.trimEnd().split('\n'), [rid, oid]);
  assert.deepEqual(m.cli('images', '-q', '--no-trunc').stdout.trimEnd().split('\n'), [recent.configDigest, old.configDigest]);

  const json = m.cli('images', '--format', 'json').stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(json.length, 4);
  assert.deepEqual(Object.keys(json[1]).sort(), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']);
  assert.equal(json[1].Repository, 'recent');
  assert.equal(json[1].CreatedSince, '3 hours ago');
  assert.equal(json[1].CreatedAt, `${new Date(now - 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`);
  assert.equal(json[1].Digest, recent.manifestDigest);
  assert.equal(m.cli('images', '--format', '{{json .}}').stdout, m.cli('images', '--format', 'json').stdout);
  assert.equal(m.cli('images', '--format', '{{.Repository}}:{{.Tag}}').stdout, 'pinned:<none>\nrecent:latest\nold:v1\nother/old:v2\n');

  // REPOSITORY[:TAG] and filters; -a is accepted
  assert.equal(m.cli('images', 'old', '--format', '{{.Tag}}').stdout, 'v1\n');
  assert.equal(m.cli('images', 'other/old:v2', '-q').stdout, `${oid}\n`);
  // as docker's path.Match: * stays within a path component
  assert.equal(m.cli('images', '-a', '--filter', 'reference=*old', '--format', '{{.Repository}}').stdout, 'old\n');
  assert.equal(m.cli('images', '--filter', 'reference=*/old', '--format', '{{.Repository}}').stdout, 'other/old\n');
  assert.equal(m.cli('images', '--filter', 'dangling=true', '-q').stdout, '');
  assert.equal(m.cli('images', '--digests').stdout.split('\n')[0].split(/\s{2,}/)[2], 'DIGEST');
  assertOneLineError(m.cli('images', '--filter', 'label=x'), /--filter "label=x": supported filters are/, 'unknown filter');
  assertOneLineError(m.cli('images', '--format', '{{.Nope}}'), /can't evaluate field Nope/, 'unknown field');

  // the functions: ages relative to the given clock
  const rows = imageRows(m.store.list(), { now: now + 365 * DAY });
  assert.equal(rows.find((r) => r.Repository === 'old').CreatedSince, '12 months ago');
});

test('tag: a second name for the same image; bad names and unknown sources change nothing', async (t) => {
  const m = tempManager(t);
  const image = await importAt(m, 'first:one', 'tagged', new Date());
  const r = m.cli('tag', image.configDigest.slice(7, 19), 'localhost:5000/team/app:v2');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const names = execFileSync('umoci', ['ls', '--layout', m.paths.images], { encoding: 'utf8' }).trim().split('\n').sort();
  assert.deepEqual(names, ['docker.io/library/first:one', 'localhost:5000/team/app:v2']);
  const before = snapshotStore(m.paths);
  assertOneLineError(m.cli('tag', 'first:one', 'Bad Name'), /invalid reference format "Bad Name"/, 'bad target');
  assertOneLineError(m.cli('tag', 'first:one', `x@sha256:${'a'.repeat(64)}`), /digest reference cannot be a new name/, 'digest target');
  assertOneLineError(m.cli('tag', 'nothere', 'x:y'), /No such image: nothere/, 'unknown source');
  assertStoreUnchanged(m.paths, before, 'failed tags');
  // re-tagging the names of an image to another image keeps the first one, nameless
  const second = await importAt(m, 'second:one', 'second', new Date());
  assert.equal(m.cli('tag', 'second:one', 'first:one').status, 0);
  assert.equal(m.cli('tag', 'second:one', 'localhost:5000/team/app:v2').status, 0);
  const rows = m.cli('images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}').stdout.trimEnd().split('\n').sort();
  const [a, b] = [image.configDigest.slice(7, 19), second.configDigest.slice(7, 19)];
  assert.deepEqual(rows, [`<none> <none> ${a}`, `first one ${b}`, `localhost:5000/team/app v2 ${b}`, `second one ${b}`]);
  assert.equal(m.cli('images', '--filter', 'dangling=true', '-q').stdout, `${a}\n`);
});

function blobNames(m) {
  return fs.readdirSync(path.join(m.paths.images, 'blobs', 'sha256')).sort();
}

test('rmi: names first, the image with its last name; ids with names in several repositories need -f; blobs are collected', async (t) => {
  const m = tempManager(t);
  const keep = await importAt(m, 'keep:latest', 'keep', new Date());
  const image = await importAt(m, 'gone:a', 'gone', new Date());
  const keepBlobs = blobNames(m).filter((b) => [keep.manifestDigest, keep.configDigest, keep.manifest.layers[0].digest].includes(`sha256:${b}`));
  assert.equal(keepBlobs.length, 3);
  m.cli('tag', 'gone:a', 'gone:b');
  m.cli('tag', 'gone:a', 'elsewhere/gone:c');

  let r = m.cli('rmi', 'gone:a');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Untagged: gone:a\n');
  assert.equal(blobNames(m).length, 6);

  const id = image.configDigest.slice(7, 19);
  const before = snapshotStore(m.paths);
  assertOneLineError(m.cli('rmi', id), new RegExp(`conflict: unable to delete ${id} \\(must be forced\\) - image is referenced in multiple repositories`), 'rmi id in two repositories');
  assertStoreUnchanged(m.paths, before, 'refused rmi');

  // options may follow the names, as with docker
  r = m.cli('rmi', id, '-f');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n').sort(), ['Deleted: ' + image.configDigest, 'Untagged: elsewhere/gone:c', 'Untagged: gone:b'].sort());
  assert.deepEqual(blobNames(m), keepBlobs.sort());
  assert.deepEqual(execFileSync('umoci', ['ls', '--layout', m.paths.images], { encoding: 'utf8' }).trim().split('\n'), ['docker.io/library/keep:latest']);

  // several arguments: the known one is removed, the unknown one reported; exit status 1
  const pinned = `docker.io/library/keep@${keep.manifestDigest}`;
  m.store.setRef(pinned, m.store.readIndex().manifests[0]);
  r = m.cli('rmi', 'nothere', 'keep');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'mydocker: No such image: nothere\n');
  // the last tag of a repository takes its digest names with it
  assert.equal(r.stdout, `Untagged: keep:latest\nUntagged: keep@${keep.manifestDigest}\nDeleted: ${keep.configDigest}\n`);
  assert.deepEqual(blobNames(m), []);
  assert.equal(JSON.parse(fs.readFileSync(path.join(m.paths.images, 'index.json'), 'utf8')).manifests.length, 0);
});

test('rmi and prune: an image a container uses is refused without -f, kept nameless with it; the layer store hears which layers stay', async (t) => {
  const m = tempManager(t);
  const used = await importAt(m, 'used:latest', 'used', new Date());
  const other = await importAt(m, 'other:latest', 'other', new Date());
  const inUse = (imageId) => (imageId === used.configDigest ? 'c0ffee' : undefined);
  const kept = [];
  const cleanupLayers = async (keep) => kept.push([...keep].sort());

  const before = snapshotStore(m.paths);
  let [outcome] = await removeImages(m.store, ['used'], { inUse, cleanupLayers });
  assert.equal(outcome.error.message, `conflict: unable to remove repository reference "used" (must force) - container c0ffee is using its referenced image ${used.configDigest.slice(7, 19)}`);
  [outcome] = await removeImages(m.store, [used.configDigest], { inUse, cleanupLayers });
  assert.match(outcome.error.message, /^conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by container c0ffee$/);
  assertStoreUnchanged(m.paths, before, 'refused removals');
  assert.deepEqual(kept, []);

  [outcome] = await removeImages(m.store, ['used'], { inUse, cleanupLayers, force: true });
  assert.deepEqual(outcome, { argument: 'used', untagged: ['used:latest'], deleted: [] });
  const nameless = m.store.list().find((i) => i.configDigest === used.configDigest);
  assert.deepEqual(nameless.names, []);
  assert.ok(m.store.hasBlob(used.manifest.layers[0].digest));

  // prune keeps it while the container uses it, removes it after
  const manifestBytes = fs.statSync(m.store.blobPath(used.manifestDigest)).size;
  assert.deepEqual((await pruneImages(m.store, { inUse, cleanupLayers })).deleted, []);
  const pruned = await pruneImages(m.store, { cleanupLayers });
  assert.deepEqual(pruned.deleted, [used.configDigest]);
  assert.equal(pruned.reclaimed, used.size + manifestBytes);
  assert.equal(m.store.hasBlob(used.manifest.layers[0].digest), false);
  assert.deepEqual(kept.at(-1), chainIds(other.config.rootfs.diff_ids));

  [outcome] = await removeImages(m.store, ['other'], { cleanupLayers });
  assert.deepEqual(outcome.deleted, [other.configDigest]);
  assert.deepEqual(kept.at(-1), []);
});

test('inspect: docker fields from the stored documents; skopeo agrees; unknown names are reported', async (t) => {
  const m = tempManager(t);
  const { gz } = rootfsTarball(m.dir, 'inspected');
  const r0 = m.cli('import', '-c', 'CMD ["sh"]', '-c', 'WORKDIR /srv', '-m', 'from a test', gz, 'inspected:v1');
  assert.equal(r0.status, 0, r0.stderr);
  m.cli('tag', 'inspected:v1', 'inspected:v2');
  const r = m.cli('inspect', 'inspected:v1');
  assert.equal(r.status, 0, r.stderr);
  const [doc] = JSON.parse(r.stdout);
  const index = JSON.parse(fs.readFileSync(path.join(m.paths.images, 'index.json'), 'utf8'));
  const manifestDigest = index.manifests[0].digest;
  const manifest = JSON.parse(fs.readFileSync(m.store.blobPath(manifestDigest)));
  const config = JSON.parse(fs.readFileSync(m.store.blobPath(manifest.config.digest)));
  assert.equal(doc.Id, manifest.config.digest);
  assert.equal(doc.Id, sha256File(m.store.blobPath(manifest.config.digest)));
  assert.equal(`${doc.Id}\n`, r0.stdout);
  assert.deepEqual(doc.RepoTags, ['inspected:v1', 'inspected:v2']);
  assert.deepEqual(doc.RepoDigests, [`inspected@${manifestDigest}`]);
  assert.deepEqual(doc.Config, { Cmd: ['sh'], WorkingDir: '/srv' });
  assert.equal(doc.Comment, 'from a test');
  assert.equal(doc.Created, config.created);
  assert.equal(doc.Architecture, config.architecture);
  assert.equal(doc.Os, 'linux');
  assert.deepEqual(doc.RootFS, { Type: 'layers', Layers: config.rootfs.diff_ids });
  assert.equal(doc.Size, manifest.config.size + manifest.layers[0].size);
  assert.deepEqual(doc.Descriptor, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: fs.statSync(m.store.blobPath(manifestDigest)).size });

  const skopeo = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${m.paths.images}:docker.io/library/inspected:v1`], { encoding: 'utf8' }));
  assert.equal(skopeo.Digest, manifestDigest);
  assert.equal(skopeo.Architecture, doc.Architecture);
  assert.equal(Date.parse(skopeo.Created), Date.parse(doc.Created));

  assert.equal(m.cli('inspect', '-f', '{{.Id}} {{json .Config.Cmd}}', 'inspected:v2').stdout, `${doc.Id} ["sh"]\n`);
  assert.equal(m.cli('image', 'inspect', 'inspected:v2', '--format', '{{.Os}}').stdout, 'linux\n');
  const mixed = m.cli('inspect', 'nothere', 'inspected:v1');
  assert.equal(mixed.status, 1);
  assert.equal(mixed.stderr, 'mydocker: No such image: nothere\n');
  assert.equal(JSON.parse(mixed.stdout).length, 1);

  const history = m.cli('history', 'inspected:v1');
  assert.equal(history.status, 0, history.stderr);
  const hl = history.stdout.trimEnd().split('\n');
  assert.match(hl[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.match(hl[1], new RegExp(`^${doc.Id.slice(7, 19)}\\s+(Less than a second|\\d+ seconds?) ago\\s+${humanSize(manifest.layers[0].size)}\\s+from a test$`));
  assert.equal(m.cli('history', '-q', 'inspected:v1').stdout, `${doc.Id.slice(7, 19)}\n`);
  assert.equal(sha256Digest(fs.readFileSync(m.store.blobPath(manifestDigest))), manifestDigest);
});

test('image ls|rm|prune: the management-command names run the same operations', async (t) => {
  const m = tempManager(t);
  const image = await importAt(m, 'managed:v1', 'managed', new Date());
  const id = image.configDigest.slice(7, 19);
  assert.equal(m.cli('image', 'ls', '-q').stdout, `${id}\n`);
  assert.equal(m.cli('image', 'list', '--format', '{{.Repository}}').stdout, 'managed\n');
  assert.equal(m.cli('image', 'tag', 'managed:v1', 'managed:v2').status, 0);
  assert.equal(m.cli('image', 'rm', 'managed:v1').stdout, 'Untagged: managed:v1\n');
  // an image that lost its name to another one is what prune removes
  await importAt(m, 'managed:v2', 'replacement', new Date());
  const prune = m.cli('image', 'prune', '-f');
  assert.equal(prune.status, 0, prune.stderr);
  assert.match(prune.stdout, new RegExp(`^Deleted Images:\\ndeleted: ${image.configDigest}\\n\\nTotal reclaimed space: \\d+(\\.\\d+)?[kM]?B\\n$`));
  assert.equal(m.store.hasBlob(image.configDigest), false);
  assertOneLineError(m.cli('image', 'nope'), /unknown command "image nope"/, 'unknown subcommand');
  // global options may also follow the command, as with every other command
  assert.equal(m.cli('image', 'ls', '-q', '--root', m.paths.root).status, 0);
});
