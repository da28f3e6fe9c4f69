// Crafts layer tars (well-formed and hostile ones: a small ustar/pax writer of our own, so that
// names are written exactly as given and xattr values can be binary, which tar-stream's pack
// cannot do), and OCI image layouts holding them, for the layer store tests.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';

export const MEDIA = {
  tar: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

const sha256 = (buf) => `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;

/** One pax record "<len> key=value\n" (the value as bytes: xattrs are binary). */
function paxRecord(key, value) {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

const TYPEFLAG = { file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6', 'pax-header': 'x' };

/** A ustar header block; fields that do not fit are left to a preceding pax header. */
function ustarHeader({ name, type, mode, uid, gid, size, mtime, linkname, devmajor, devminor }) {
  const block = Buffer.alloc(512);
  const str = (value, offset, length) => Buffer.from(value).copy(block, offset, 0, length);
  const oct = (value, offset, length) => str(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
  str(name, 0, 100);
  oct(mode & 0o7777, 100, 8);
  oct(uid, 108, 8);
  oct(gid, 116, 8);
  oct(size, 124, 12);
  oct(Math.floor(mtime.getTime() / 1000), 136, 12);
  block.fill(0x20, 148, 156);
  str(TYPEFLAG[type], 156, 1);
  str(linkname, 157, 100);
  str('ustar\0', 257, 6);
  str('00', 263, 2);
  oct(devmajor, 329, 8);
  oct(devminor, 337, 8);
  let sum = 0;
  for (const byte of block) sum += byte;
  oct(sum, 148, 7);
  return block;
}

const pad = (length) => Buffer.alloc((512 - (length % 512)) % 512);

/**
 * @typedef {object} Entry
 * @property {string | Buffer} name  a Buffer for names that are not UTF-8
 * @property {'file'|'directory'|'symlink'|'link'|'character-device'|'block-device'|'fifo'} [type]
 * @property {string | Buffer} [content]
 * @property {string | Buffer} [linkname]
 * @property {number} [mode] @property {number} [uid] @property {number} [gid]
 * @property {Date} [mtime] @property {number} [devmajor] @property {number} [devminor]
 * @property {Record<string, Buffer | string>} [xattrs]
 * @property {boolean} [noEndMarker]
 */

/**
 * The tar bytes of entries, in order, written as they are: no name is cleaned, so hostile
 * layers are expressible. Long or non-ASCII names and xattrs go in pax records.
 * @param {Entry[]} entries
 * @param {{ endMarker?: boolean }} [opts] endMarker false: no two zero blocks at the end (as umoci writes)
 */
export function tarOf(entries, opts = {}) {
  const parts = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    const name = Buffer.from(e.name);
    const linkname = Buffer.from(e.linkname ?? '');
    const records = [];
    for (const [k, v] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
    const ascii = (b) => b.every((c) => c < 0x80);
    if (name.length > 100 || !ascii(name)) records.push(paxRecord('path', name));
    if (linkname.length > 100 || !ascii(linkname)) records.push(paxRecord('linkpath', linkname));
    const fields = {
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date('2020-01-02T03:04:05Z'),
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
    };
    if (records.length) {
      const body = Buffer.concat(records);
      parts.push(ustarHeader({ ...fields, name: 'PaxHeader', type: 'pax-header', size: body.length, linkname: '' }), body, pad(body.length));
    }
    const short = (b) => (b.length > 100 || !ascii(b) ? 'x' : b);
    parts.push(ustarHeader({ ...fields, name: short(name), linkname: short(linkname), size: content.length }), content, pad(content.length));
  }
  if (opts.endMarker !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A layer blob made from tar bytes: { tar, blob, diffID, digest, mediaType }. */
export function layerBlob(tar, compression = 'gzip') {
  let blob = tar;
  if (compression === 'gzip') blob = zlib.gzipSync(tar);
  else if (compression === 'zstd') blob = execFileSync('zstd', ['-q', '-c', '-'], { input: tar, maxBuffer: 1 << 30 });
  const mediaType = compression === 'none' ? MEDIA.tar : MEDIA[compression];
  return { tar, blob, diffID: sha256(tar), digest: sha256(blob), mediaType };
}

export function buildLayer(entries, compression = 'gzip', opts = {}) {
  return layerBlob(tarOf(entries, opts), compression);
}

/**
 * Writes an OCI image layout at dir with one image tagged ref made of layers (from layerBlob).
 * Returns the layout and ensureLayers' input for it.
 */
export function writeOciLayout(dir, layers, ref = 'latest') {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (buf) => {
    const digest = sha256(buf);
    fs.writeFileSync(path.join(blobs, digest.slice(7)), buf);
    return { digest, size: buf.length };
  };
  for (const layer of layers) put(layer.blob);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
    }),
  );
  const manifestDesc = put(manifest);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': ref } }],
    }),
  );
  return {
    layoutDir: dir,
    ref,
    inputs: layers.map((l) => ({ blobPath: path.join(blobs, l.digest.slice(7)), mediaType: l.mediaType, diffID: l.diffID })),
  };
}

export const T = {
  etc: new Date('2001-02-03T04:05:06Z'),
  owned: new Date('2002-03-04T05:06:07Z'),
  varDir: new Date('2003-04-05T06:07:08Z'),
  default: new Date('2020-01-02T03:04:05Z'),
};

/** A binary security.capability value (cap_net_raw+ep, VFS_CAP_REVISION_2): bytes above 0x7f. */
export const CAPABILITY = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
/** A name that is not UTF-8. */
export const LATIN1_NAME = Buffer.from([0x6e, 0xe9, 0xff]);

/**
 * A three-layer image exercising what the layer store must keep: deletions, opaque directories,
 * hardlinks, absolute symlinks, devices, a fifo, xattrs, owners, setuid/setgid/sticky modes,
 * file and directory mtimes, a name that is not UTF-8. Every directory is listed explicitly.
 * @param {string[]} [compressions] of the three layers (umoci 0.4.7, the vfs driver, has no zstd)
 */
export function sampleImageLayers(compressions = ['gzip', 'none', 'zstd']) {
  const l1 = buildLayer([
    { name: './', type: 'directory', mode: 0o755 },
    { name: 'etc/', type: 'directory', mtime: T.etc },
    { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
    { name: 'etc/owned', content: 'owned by 1000:1001', uid: 1000, gid: 1001, mode: 0o640, mtime: T.owned },
    { name: 'etc/gone-dir/', type: 'directory' },
    { name: 'etc/gone-dir/inside', content: 'x' },
    { name: 'usr/', type: 'directory' },
    { name: 'usr/bin/', type: 'directory' },
    { name: 'usr/lib/', type: 'directory' },
    { name: 'usr/bin/tool', content: 'tool v1', mode: 0o4755, xattrs: { 'security.capability': CAPABILITY, 'user.comment': 'hello' } },
    { name: 'usr/bin/tool-hardlink', type: 'link', linkname: 'usr/bin/tool' },
    { name: 'sbin/', type: 'directory' },
    { name: 'sbin/su', content: 'su', mode: 0o6755, gid: 42 },
    { name: 'bin', type: 'symlink', linkname: '/usr/bin' },
    { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
    { name: 'dev/', type: 'directory' },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660, gid: 6 },
    { name: 'run/', type: 'directory' },
    { name: 'run/initctl', type: 'fifo', mode: 0o600 },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'opt/', type: 'directory' },
    { name: 'opt/data/', type: 'directory' },
    { name: 'opt/data/old', content: 'old data' },
    { name: 'var/', type: 'directory', mtime: T.varDir },
    { name: 'var/file', content: 'var file' },
    { name: Buffer.concat([Buffer.from('opt/'), LATIN1_NAME]), content: 'latin1 name' },
  ], compressions[0]);
  const l2 = buildLayer(
    [
      { name: 'etc/', type: 'directory', mtime: T.etc },
      { name: 'etc/.wh.owned' },
      { name: 'etc/.wh.gone-dir' },
      { name: 'opt/', type: 'directory' },
      { name: 'opt/data/', type: 'directory' },
      { name: 'opt/data/.wh..wh..opq' },
      { name: 'opt/data/new', content: 'new data' },
      { name: 'usr/', type: 'directory' },
      { name: 'usr/bin/', type: 'directory' },
      { name: 'usr/bin/tool', content: 'tool v2', mode: 0o4755, xattrs: { 'security.capability': CAPABILITY } },
      { name: '.wh.lib' },
    ],
    compressions[1],
  );
  const l3 = buildLayer(
    [
      { name: '.wh.var' },
      { name: 'var/', type: 'directory', mtime: T.varDir },
      { name: 'var/fresh', content: 'fresh' },
      { name: 'etc/', type: 'directory', mtime: T.etc },
      { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n' },
    ],
    compressions[2],
  );
  return [l1, l2, l3];
}
