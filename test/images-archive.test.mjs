// import, save and load, with skopeo and umoci as the oracles: what we write they read, what
// skopeo writes we load. Bad input fails with one line and leaves the store as it was.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { busyboxLayout } from './clients/lib/registry.mjs';
import { load } from './lib/dist.mjs';
import { assertOneLineError, assertStoreUnchanged, rootfsTarball, sha256File, snapshotStore, tempManager } from './lib/images.mjs';

const { importRootfs } = load('manager/images/import');
const { applyChanges } = load('manager/images/changes');
const { loadArchive } = load('manager/images/archive-load');
const { saveImagesToFile } = load('manager/images/archive-save');

const skopeo = (...args) => execFileSync('skopeo', args, { encoding: 'utf8' });
const skopeoJSON = (...args) => JSON.parse(skopeo(...args));

/** Unpacks an image of a layout with umoci; returns the rootfs directory. */
function umociUnpack(layout, ref, dir) {
  execFileSync('umoci', ['unpack', '--image', `${layout}:${ref}`, dir], { stdio: 'ignore' });
  return path.join(dir, 'rootfs');
}

test('--change: exec and shell forms, ENV/LABEL pairs, EXPOSE, VOLUME, WORKDIR; unsupported instructions are refused', () => {
  const config = applyChanges({}, [
    'CMD ["echo", "hi"]',
    'entrypoint /bin/sh -c',
    'ENV A=1 B="two words"',
    'ENV C three words',
    'ENV A=replaced',
    'LABEL org.x=y',
    'EXPOSE 80 53/udp',
    'VOLUME ["/data"]',
    'WORKDIR /srv',
    'WORKDIR app',
    'USER 1000:1000',
    'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(config, {
    Cmd: ['echo', 'hi'],
    Entrypoint: ['/bin/sh', '-c', '/bin/sh -c'],
    Env: ['A=replaced', 'B=two words', 'C=three words'],
    Labels: { 'org.x': 'y' },
    ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    Volumes: { '/data': {} },
    WorkingDir: '/srv/app',
    User: '1000:1000',
    StopSignal: 'SIGINT',
  });
  for (const [bad, re] of [
    ['ONBUILD RUN x', /ONBUILD cannot be changed on import/],
    ['RUN true', /RUN cannot be changed on import/],
    ['CMD [1, 2]', /JSON list of strings/],
    ['EXPOSE http', /"http" is not PORT/],
    ['ENV', /ENV needs arguments/],
    ['ENV A="x', /unterminated " quote/],
  ]) {
    assert.throws(() => applyChanges({}, [bad]), (e) => re.test(e.message) && e.message.startsWith(`--change "${bad}"`) && !e.message.includes('\n'), bad);
  }
});

test('import: plain and gzip tarballs and stdin become one-layer images that skopeo and umoci read', async (t) => {
  const m = tempManager(t);
  const { tar, gz } = rootfsTarball(m.dir, 'imported');

  const plain = m.cli('import', '--change', 'CMD ["/bin/sh"]', '-c', 'ENV A=1', '-m', 'plain one', tar, 'imp:plain');
  assert.equal(plain.status, 0, plain.stderr);
  const gzipped = m.cli('import', gz, 'imp:gz');
  assert.equal(gzipped.status, 0, gzipped.stderr);
  const piped = m.cli('import', '-', { input: fs.readFileSync(gz) });
  assert.equal(piped.status, 0, piped.stderr);

  const diffId = sha256File(tar);
  const byId = new Map(m.store.list().map((i) => [i.configDigest, i]));
  const p = byId.get(plain.stdout.trim());
  const g = byId.get(gzipped.stdout.trim());
  const s = byId.get(piped.stdout.trim());
  assert.ok(p && g && s);
  // the layer blob is the given file, byte for byte; its digest verifies; the diffID is the tar's
  assert.deepEqual(p.manifest.layers, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: fs.statSync(tar).size }]);
  assert.deepEqual(g.manifest.layers, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256File(gz), size: fs.statSync(gz).size }]);
  for (const image of [p, g, s]) {
    assert.deepEqual(image.config.rootfs.diff_ids, [diffId]);
    assert.equal(sha256File(m.store.blobPath(image.manifest.layers[0].digest)), image.manifest.layers[0].digest);
  }
  assert.equal(zlib.gunzipSync(fs.readFileSync(m.store.blobPath(g.manifest.layers[0].digest))).equals(fs.readFileSync(tar)), true);
  assert.deepEqual(p.config.config, { Cmd: ['/bin/sh'], Env: ['A=1'] });
  assert.equal(p.config.history[0].comment, 'plain one');
  assert.equal(g.config.history[0].comment, `Imported from ${gz}`);
  assert.equal(s.config.history[0].comment, 'Imported from -');
  assert.deepEqual(s.names, []);
  assert.equal(m.cli('images', '--filter', 'dangling=true', '-q').stdout, `${s.configDigest.slice(7, 19)}\n`);

  const inspected = skopeoJSON('inspect', `oci:${m.paths.images}:docker.io/library/imp:gz`);
  assert.deepEqual(inspected.Layers, [sha256File(gz)]);
  assert.equal(inspected.Digest, g.manifestDigest);
  skopeo('inspect', `oci:${m.paths.images}:docker.io/library/imp:plain`);
  const rootfs = umociUnpack(m.paths.images, 'docker.io/library/imp:plain', path.join(m.dir, 'bundle'));
  assert.equal(fs.readFileSync(path.join(rootfs, 'etc', 'marker'), 'utf8'), 'imported\n');
  assert.equal(execFileSync('chroot', [rootfs, '/bin/sh', '-c', '/bin/busybox cat /etc/marker'], { encoding: 'utf8' }), 'imported\n');
});

test('import: bad input is one line, a non-zero exit, and no change to the store', async (t) => {
  const m = tempManager(t);
  const { tar } = rootfsTarball(m.dir, 'good');
  assert.equal(m.cli('import', tar, 'already:there').status, 0);
  const notTar = path.join(m.dir, 'not-a-tar');
  fs.writeFileSync(notTar, 'x'.repeat(4000));
  const shortText = path.join(m.dir, 'short');
  fs.writeFileSync(shortText, 'hello\n');
  const empty = path.join(m.dir, 'empty');
  fs.writeFileSync(empty, '');
  const badGzip = path.join(m.dir, 'bad.gz');
  fs.writeFileSync(badGzip, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]));
  const truncated = path.join(m.dir, 'truncated.tar');
  fs.writeFileSync(truncated, fs.readFileSync(tar).subarray(0, 700));
  const xz = path.join(m.dir, 'root.tar.xz');
  execFileSync('xz', ['-k', '-c', tar], { stdio: ['ignore', fs.openSync(xz, 'w'), 'inherit'] });

  const before = snapshotStore(m.paths);
  const cases = [
    [['import', path.join(m.dir, 'missing.tar')], /import: ".*missing\.tar": no such file/],
    [['import', m.dir], /not a regular file/],
    [['import', notTar], /not a valid tar archive \(Invalid tar header/],
    [['import', shortText], /not a valid tar archive \(Unexpected end of data\)/],
    [['import', empty], /the file is empty, not a tar archive/],
    [['import', badGzip], /not a valid gzip-compressed tar archive/],
    [['import', truncated], /not a valid tar archive/],
    [['import', xz], /xz-compressed tarballs are not supported/],
    [['import', tar, 'Bad:Ref!'], /invalid reference format "Bad:Ref!"/],
    [['import', '-c', 'ONBUILD RUN x', tar], /--change "ONBUILD RUN x": ONBUILD cannot be changed/],
    [['import', 'http://127.0.0.1:1/x.tar'], /importing from a URL is not supported/],
  ];
  for (const [args, re] of cases) {
    assertOneLineError(m.cli(...args), re, args.join(' '));
    assertStoreUnchanged(m.paths, before, args.join(' '));
  }
  assertOneLineError(m.cli('import', '-', { input: 'not a tar at all, long enough? no' }), /not a valid tar archive/, 'stdin');
  assertStoreUnchanged(m.paths, before, 'stdin');
});

test('save: docker-archive and oci-archive read by skopeo; the same ids, layers and config', async (t) => {
  const m = tempManager(t);
  const { tar, gz } = rootfsTarball(m.dir, 'saved');
  assert.equal(m.cli('import', '-c', 'CMD ["sh"]', tar, 'save/plain:v1').status, 0);
  assert.equal(m.cli('import', gz, 'save/gz:v1').status, 0);
  const [plain, gzipped] = ['docker.io/save/plain:v1', 'docker.io/save/gz:v1'].map((n) => m.store.list().find((i) => i.names.includes(n)));

  const dockerArchive = path.join(m.dir, 'images.tar');
  const r = m.cli('save', 'save/plain:v1', '-o', dockerArchive, 'save/gz:v1');
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', dockerArchive, 'manifest.json'], { encoding: 'utf8' }));
  assert.deepEqual(manifest, [
    { Config: `${plain.configDigest.slice(7)}.json`, RepoTags: ['save/plain:v1'], Layers: [`${plain.config.rootfs.diff_ids[0].slice(7)}.tar`] },
    { Config: `${gzipped.configDigest.slice(7)}.json`, RepoTags: ['save/gz:v1'], Layers: [`${gzipped.config.rootfs.diff_ids[0].slice(7)}.tar`] },
  ]);
  // both images share the layer (the same tar): written once, uncompressed
  const entries = execFileSync('tar', ['-tf', dockerArchive], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(entries.filter((e) => e.endsWith('.tar')).length, 1);
  for (const [image, name] of [
    [plain, 'save/plain:v1'],
    [gzipped, 'save/gz:v1'],
  ]) {
    const inspected = skopeoJSON('inspect', `docker-archive:${dockerArchive}:${name}`);
    assert.deepEqual(inspected.Layers, image.config.rootfs.diff_ids);
    const raw = skopeoJSON('inspect', '--raw', `docker-archive:${dockerArchive}:${name}`);
    assert.equal(raw.config.digest, image.configDigest);
  }
  // skopeo copies it on (it checks every digest) and the copy unpacks
  const copied = path.join(m.dir, 'copied');
  skopeo('copy', '-q', `docker-archive:${dockerArchive}:save/plain:v1`, `oci:${copied}:x`);
  assert.equal(fs.readFileSync(path.join(umociUnpack(copied, 'x', path.join(m.dir, 'b1')), 'etc', 'marker'), 'utf8'), 'saved\n');

  const ociArchive = path.join(m.dir, 'images.oci.tar');
  assert.equal(m.cli('save', '--format', 'oci-archive', '-o', ociArchive, 'save/gz:v1').status, 0);
  const inspected = skopeoJSON('inspect', `oci-archive:${ociArchive}:docker.io/save/gz:v1`);
  assert.equal(inspected.Digest, gzipped.manifestDigest);
  assert.deepEqual(inspected.Layers, [gzipped.manifest.layers[0].digest]);
  skopeo('copy', '-q', `oci-archive:${ociArchive}:docker.io/save/gz:v1`, `oci:${copied}:y`);
  assert.equal(fs.readFileSync(path.join(umociUnpack(copied, 'y', path.join(m.dir, 'b2')), 'etc', 'marker'), 'utf8'), 'saved\n');

  // to stdout: the same bytes as to a file (the archive is deterministic)
  const out = m.cli('save', 'save/plain:v1', 'save/gz:v1', { encoding: 'buffer' });
  assert.equal(out.status, 0);
  assert.equal(out.stdout.equals(fs.readFileSync(dockerArchive)), true);

  // unknown images and unwritable places: one line, no file left
  const before = fs.readdirSync(m.dir).sort();
  assertOneLineError(m.cli('save', '-o', path.join(m.dir, 'x.tar'), 'save/plain:v1', 'nothere'), /No such image: nothere/, 'save unknown');
  assertOneLineError(m.cli('save', '-o', path.join(m.dir, 'no', 'x.tar'), 'save/plain:v1'), /--output ".*": directory .* does not exist/, 'save to missing dir');
  assertOneLineError(m.cli('save', '--format', 'tar', '-o', path.join(m.dir, 'x.tar'), 'save/plain:v1'), /--format: "tar" is not one of docker-archive, oci-archive/, 'save bad format');
  assert.deepEqual(fs.readdirSync(m.dir).sort(), before);
});

test('load: our archives round-trip in both formats; skopeo-made archives load with their ids and names', async (t) => {
  const a = tempManager(t);
  const { tar } = rootfsTarball(a.dir, 'roundtrip');
  assert.equal(a.cli('import', '-c', 'CMD ["sh"]', tar, 'round:trip').status, 0);
  const original = a.store.resolve('round:trip');
  const dockerArchive = path.join(a.dir, 'd.tar');
  const ociArchive = path.join(a.dir, 'o.tar');
  assert.equal(a.cli('save', '-o', dockerArchive, 'round:trip').status, 0);
  assert.equal(a.cli('save', '--format', 'oci-archive', '-o', ociArchive, 'round:trip').status, 0);

  const b = tempManager(t);
  let r = b.cli('load', '-i', dockerArchive);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: round:trip\n');
  let loaded = b.store.resolve('round:trip');
  assert.equal(loaded.configDigest, original.configDigest);
  assert.deepEqual(loaded.config, original.config);

  const c = tempManager(t);
  r = c.cli('load', { input: fs.readFileSync(ociArchive) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: round:trip\n');
  loaded = c.store.resolve('round:trip');
  assert.equal(loaded.manifestDigest, original.manifestDigest);
  // gzip-compressed archives load too; loading again changes nothing
  const before = snapshotStore(c.paths);
  r = c.cli('load', { input: zlib.gzipSync(fs.readFileSync(ociArchive)) });
  assert.equal(r.status, 0, r.stderr);
  assertStoreUnchanged(c.paths, before, 'second load');

  // skopeo's docker-archive (with its legacy symlinked layer directories) and OCI archives
  const layout = await busyboxLayout();
  const fromSkopeo = path.join(a.dir, 'skopeo-docker.tar');
  const fromSkopeoOci = path.join(a.dir, 'skopeo-oci.tar');
  const bareTag = path.join(a.dir, 'skopeo-bare.tar');
  skopeo('copy', '-q', `oci:${layout}:latest`, `docker-archive:${fromSkopeo}:skbox:v1`);
  skopeo('copy', '-q', `oci:${layout}:latest`, `oci-archive:${fromSkopeoOci}:skobox:v2`);
  skopeo('copy', '-q', `oci:${layout}:latest`, `oci-archive:${bareTag}:latest`);
  const d = tempManager(t);
  assert.equal(d.cli('load', '-i', fromSkopeo).stdout, 'Loaded image: skbox:v1\n');
  assert.equal(d.cli('load', '-i', fromSkopeoOci).stdout, 'Loaded image: skobox:v2\n');
  const sourceManifest = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')).manifests[0];
  const sourceConfig = JSON.parse(fs.readFileSync(path.join(layout, 'blobs', 'sha256', sourceManifest.digest.slice(7)))).config.digest;
  // a ref.name that is only a tag names nothing (docker does the same)
  assert.equal(d.cli('load', '-i', bareTag).stdout, `Loaded image ID: ${sourceConfig}\n`);
  const skbox = d.store.resolve('skbox:v1');
  assert.equal(skbox.configDigest, sourceConfig);
  assert.equal(skbox.manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar');
  assert.equal(d.store.resolve('skobox:v2').manifestDigest, skopeoJSON('inspect', `oci-archive:${fromSkopeoOci}:skobox:v2`).Digest);
  skopeo('inspect', `oci:${d.paths.images}:docker.io/library/skbox:v1`);
  const rootfs = umociUnpack(d.paths.images, 'docker.io/library/skbox:v1', path.join(d.dir, 'bundle'));
  assert.equal(execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'echo ok'], { encoding: 'utf8' }), 'ok\n');
});

/** Rewrites one entry of a tarball (through tar itself) and returns the new file. */
function withEntryReplaced(archive, entry, content, out) {
  const dir = fs.mkdtempSync(`${out}.d`);
  execFileSync('tar', ['-C', dir, '-xf', archive]);
  fs.writeFileSync(path.join(dir, entry), content);
  execFileSync('tar', ['-C', dir, '-cf', out, '.']);
  return out;
}

test('load: tampered, incomplete and foreign input is refused with one line; nothing enters the store', async (t) => {
  const a = tempManager(t);
  const { tar } = rootfsTarball(a.dir, 'tampered');
  assert.equal(a.cli('import', tar, 'tamper:me').status, 0);
  const image = a.store.resolve('tamper:me');
  const dockerArchive = path.join(a.dir, 'd.tar');
  const ociArchive = path.join(a.dir, 'o.tar');
  await saveImagesToFile(a.store, ['tamper:me'], dockerArchive, 'docker-archive');
  await saveImagesToFile(a.store, ['tamper:me'], ociArchive, 'oci-archive');
  const layerName = `${image.config.rootfs.diff_ids[0].slice(7)}.tar`;
  const otherTar = rootfsTarball(a.dir, 'other').tar;

  const b = tempManager(t);
  assert.equal(b.cli('import', otherTar, 'present:one').status, 0);
  const notTar = path.join(a.dir, 'text');
  fs.writeFileSync(notTar, 'y'.repeat(3000));
  const cases = [
    [path.join(a.dir, 'missing.tar'), /load: ".*missing\.tar": no such file/],
    [notTar, /is not a valid tar archive/],
    [tar, /is neither a docker-archive \(manifest\.json\) nor an OCI archive/],
    [withEntryReplaced(dockerArchive, layerName, fs.readFileSync(otherTar), path.join(a.dir, 'bad-layer.tar')), /load: layer .*\.tar \(diffID\): digest mismatch: expected sha256:/],
    [withEntryReplaced(dockerArchive, 'manifest.json', '[{"Config": 3}]', path.join(a.dir, 'bad-manifest.tar')), /load: manifest\.json: \/0/],
    [withEntryReplaced(dockerArchive, 'manifest.json', '[{"Config":"x.json","Layers":[]}]', path.join(a.dir, 'missing-config.tar')), /load: config "x\.json" is missing from the archive/],
    [withEntryReplaced(dockerArchive, 'manifest.json', JSON.stringify([{ Config: `${image.configDigest.slice(7)}.json`, RepoTags: ['Bad Name'], Layers: [layerName] }]), path.join(a.dir, 'bad-name.tar')), /load: manifest\.json \/0\/RepoTags\/0: invalid reference format "Bad Name"/],
    [withEntryReplaced(ociArchive, `blobs/sha256/${image.manifest.layers[0].digest.slice(7)}`, 'changed', path.join(a.dir, 'bad-blob.tar')), /load: layer: digest mismatch: expected sha256:/],
    [withEntryReplaced(ociArchive, 'index.json', '{"manifests": 1}', path.join(a.dir, 'bad-index.tar')), /load: index\.json: \/manifests: must be a list/],
  ];
  const before = snapshotStore(b.paths);
  for (const [file, re] of cases) {
    assertOneLineError(b.cli('load', '-i', file), re, path.basename(file));
    assertStoreUnchanged(b.paths, before, path.basename(file));
  }
  assertOneLineError(b.cli('load', { input: '' }), /load: the input is empty/, 'empty stdin');
  await assert.rejects(loadArchive(b.paths, notTar), /not a valid tar archive/);
  assertStoreUnchanged(b.paths, before, 'function call');
});

test('import through the function: a name displaces an older image, which stays nameless', async (t) => {
  const m = tempManager(t);
  const first = await importRootfs(m.paths, rootfsTarball(m.dir, 'first').tar, { reference: 'same:name' });
  const second = await importRootfs(m.paths, rootfsTarball(m.dir, 'second').tar, { reference: 'same:name' });
  assert.equal(second.name, 'docker.io/library/same:name');
  const images = m.store.list();
  assert.deepEqual(images.find((i) => i.configDigest === first.image.configDigest).names, []);
  assert.deepEqual(images.find((i) => i.configDigest === second.image.configDigest).names, ['docker.io/library/same:name']);
});
