// The built-in image: busybox:latest is made from Debian's busybox-static (/bin/busybox) when it
// is missing, with no network; `mydocker pull busybox` replaces it. The layer is a deterministic
// tar (sorted entries, uid/gid 0, every mtime the busybox binary's), so building it twice on one
// host gives the same image id: the config's `created` is that mtime too.
import { execFileSync } from 'node:child_process';
import fs = require('node:fs');
import zlib = require('node:zlib');
import tarStream = require('tar-stream');
import { ManagerError } from '../errors';
import type { ManagerPaths } from '../paths';
import { goArch } from '../system/version';
import { rfc3339 } from './human';
import { withBlobBatch, writeOciImage } from './image-writer';
import { type ImageRecord, ImageStore, sha256Digest } from './store';
import { type Descriptor, type ImageConfig, MEDIA_TYPES, REF_NAME_ANNOTATION } from './types';

export const BUILTIN_BUSYBOX = 'docker.io/library/busybox:latest';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuiltinOptions {
  /** the busybox binary (default /bin/busybox, then /usr/bin/busybox) */
  busybox?: string;
}

/** True when an ELF file has no program interpreter (PT_INTERP), i.e. is statically linked. */
export function isStaticElf(data: Buffer): boolean {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = data[4] === 2;
  const le = data[5] === 1;
  const u16 = (o: number) => (le ? data.readUInt16LE(o) : data.readUInt16BE(o));
  const u32 = (o: number) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const phoff = is64 ? Number(le ? data.readBigUInt64LE(0x20) : data.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > data.length) return false;
    if (u32(at) === 3) return false; // PT_INTERP: dynamically linked
  }
  return true;
}

function findBusybox(options: BuiltinOptions): string {
  const candidates = options.busybox !== undefined ? [options.busybox] : BUSYBOX_CANDIDATES;
  const found = candidates.find((c) => fs.existsSync(c));
  if (found === undefined) {
    throw new ManagerError(`the built-in busybox image needs Debian's busybox-static (${candidates.join(' or ')} not found): apt-get install busybox-static, or mydocker pull busybox`);
  }
  return found;
}

interface RootfsEntry {
  header: Parameters<tarStream.Pack['entry']>[0];
  data?: Buffer;
}

/** The busybox root filesystem as tar entries, sorted by path. */
function rootfsEntries(binary: Buffer, applets: string[], mtime: Date): RootfsEntry[] {
  const owner = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime };
  const dir = (name: string, mode = 0o755): RootfsEntry => ({ header: { ...owner, name: `${name}/`, type: 'directory', mode } });
  const file = (name: string, data: Buffer, mode = 0o644): RootfsEntry => ({ header: { ...owner, name, type: 'file', mode, size: data.length }, data });
  const entries: RootfsEntry[] = [
    ...['bin', 'dev', 'etc', 'home', 'proc', 'run', 'sys', 'usr', 'var'].map((d) => dir(d)),
    dir('root', 0o700),
    dir('tmp', 0o1777),
    file('bin/busybox', binary, 0o755),
    file('etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n')),
    file('etc/group', Buffer.from('root:x:0:\ndaemon:x:1:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\n')),
    ...applets.map((a): RootfsEntry => ({ header: { ...owner, name: `bin/${a}`, type: 'symlink', mode: 0o777, linkname: 'busybox' } })),
  ];
  const key = (e: RootfsEntry) => e.header.name.replace(/\/$/, '');
  return entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

async function packTar(entries: RootfsEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => pack.entry(e.header, e.data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** The image (layer, config) made from the host's busybox; nothing is stored. */
export async function busyboxImageParts(options: BuiltinOptions = {}): Promise<{ layer: Buffer; diffId: string; config: ImageConfig }> {
  const path = findBusybox(options);
  const binary = fs.readFileSync(path);
  if (!isStaticElf(binary)) throw new ManagerError(`${path} is not a statically linked busybox: the built-in image needs Debian's busybox-static (apt-get install busybox-static)`);
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  const applets = execFileSync(path, ['--list'], { encoding: 'utf8', env })
    .split('\n')
    .map((s) => s.trim())
    .filter((a) => a !== '' && a !== 'busybox' && !a.includes('/'))
    .sort();
  const banner = /^BusyBox v\S+(?: \([^)]*\))?/m.exec(execFileSync(path, ['--help'], { encoding: 'utf8', env }))?.[0] ?? 'BusyBox';
  const mtime = new Date(Math.floor(fs.statSync(path).mtimeMs / 1000) * 1000);
  const tar = await packTar(rootfsEntries(binary, applets, mtime));
  const diffId = sha256Digest(tar);
  const created = rfc3339(mtime);
  const config: ImageConfig = {
    created,
    architecture: goArch(),
    os: 'linux',
    config: { Env: [PATH_ENV], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: `${banner} from ${path}`, comment: "mydocker's built-in busybox image (Debian's busybox-static)" }],
  };
  // gzip output depends only on the input and zlib's settings: the same layer blob every time here
  return { layer: zlib.gzipSync(tar, { level: 9 }), diffId, config };
}

function namedBuiltin(store: ImageStore): ImageRecord | undefined {
  const entry = store.readIndex().manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === BUILTIN_BUSYBOX);
  return entry ? store.list().find((i) => i.manifestDigest === entry.digest) : undefined;
}

/**
 * The image busybox:latest: the one in the store if there is one (pulled or built before),
 * otherwise built now from the host's busybox-static and named busybox:latest.
 */
export async function ensureBuiltinBusybox(paths: ManagerPaths, options: BuiltinOptions = {}): Promise<ImageRecord> {
  const store = new ImageStore(paths);
  const existing = namedBuiltin(store);
  if (existing) return existing;
  const { layer, config } = await busyboxImageParts(options);
  await withBlobBatch(store, async (batch) => {
    const layerDescriptor: Descriptor = batch.writeBlob(MEDIA_TYPES.ociLayerGzip, layer);
    const manifest = writeOciImage(batch, config, [layerDescriptor]);
    // named only if nothing took the name meanwhile (a pull that finished first wins)
    store.updateIndex((index) => {
      if (index.manifests.some((d) => d.annotations?.[REF_NAME_ANNOTATION] === BUILTIN_BUSYBOX)) return;
      index.manifests.push({ ...manifest, annotations: { [REF_NAME_ANNOTATION]: BUILTIN_BUSYBOX } });
    });
  });
  const image = namedBuiltin(store);
  if (!image) throw new ManagerError(`${BUILTIN_BUSYBOX} vanished from the image store while it was being made`);
  return image;
}
