// Reads a layer tar with tar-stream (what tar-fs is built on) and hands over entries in the
// shape the layer writer needs. Two things tar-stream does not do for us:
// - names and link targets are byte strings: we decode them as latin1 (one char per byte), so a
//   name that is not valid UTF-8 survives unchanged (fsPath turns it back into bytes);
// - pax records are binary: tar-stream decodes their values as UTF-8, which corrupts binary
//   xattrs such as security.capability. We replace its pax decoder on our own instance with one
//   that keeps the bytes, and apply the pax records it ignores (uid, gid, mtime, atime).
import tarStream = require('tar-stream');

export type EntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarEntry {
  /** the entry's path as written in the archive, a latin1 byte string */
  name: string;
  type: EntryType | string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds since the epoch (fractional when a pax record says so) */
  mtime: number;
  atime: number;
  /** symlink target or hardlink name, a latin1 byte string */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** extended attributes from SCHILY.xattr.* / LIBARCHIVE.xattr.* pax records */
  xattrs: Array<[string, Buffer]> | null;
}

type PaxRecords = Record<string, string>;

/** The parts of tar-stream's Extract we reach into (tar-stream 3.x). */
interface ExtractInternals {
  _header: { type: string } | null;
  _pax: PaxRecords | null;
  _paxGlobal: PaxRecords | null;
  _decodeLongHeader(buf: Buffer): void;
}

/** pax extended header records ("<len> <key>=<value>\n"); values kept as latin1 byte strings. */
export function decodePaxRecords(buf: Buffer): PaxRecords {
  const records: PaxRecords = {};
  let at = 0;
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at);
    if (space < 0) break;
    const len = parseInt(buf.toString('latin1', at, space), 10);
    if (!(len > 0) || at + len > buf.length) break;
    const record = buf.subarray(space + 1, at + len - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) records[record.toString('utf8', 0, eq)] = record.toString('latin1', eq + 1);
    at += len;
  }
  return records;
}

export function createTarExtract(): tarStream.Extract {
  // allowUnknownFormat: old v7 headers carry no magic; every entry is checked by the writer anyway
  const extract = tarStream.extract({ filenameEncoding: 'latin1', allowUnknownFormat: true } as Parameters<typeof tarStream.extract>[0]);
  const internals = extract as unknown as ExtractInternals;
  const decodeOther = internals._decodeLongHeader;
  if (typeof decodeOther !== 'function') throw new Error('tar-stream: unsupported version (no _decodeLongHeader)');
  internals._decodeLongHeader = function decodeLongHeader(this: ExtractInternals, buf: Buffer): void {
    const type = this._header?.type;
    if (type === 'pax-header') this._pax = { ...(this._paxGlobal ?? {}), ...decodePaxRecords(buf) };
    else if (type === 'pax-global-header') this._paxGlobal = decodePaxRecords(buf);
    else decodeOther.call(this, buf);
  };
  return extract;
}

function paxNumber(records: PaxRecords | undefined, key: string): number | undefined {
  const value = records?.[key];
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function paxXattrs(records: PaxRecords | undefined): Array<[string, Buffer]> | null {
  if (!records) return null;
  let out: Array<[string, Buffer]> | null = null;
  for (const key in records) {
    let name: string;
    let value: Buffer;
    if (key.startsWith('SCHILY.xattr.')) {
      name = key.slice('SCHILY.xattr.'.length);
      value = Buffer.from(records[key]!, 'latin1');
    } else if (key.startsWith('LIBARCHIVE.xattr.')) {
      name = decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length));
      value = Buffer.from(records[key]!, 'base64');
    } else continue;
    (out ??= []).push([name, value]);
  }
  return out;
}

/** tar-stream's header (plus its pax records) as a TarEntry. */
export function toTarEntry(header: tarStream.Header): TarEntry {
  const pax = (header.pax ?? undefined) as PaxRecords | undefined;
  const mtime = paxNumber(pax, 'mtime') ?? (header.mtime ? header.mtime.getTime() / 1000 : 0);
  return {
    name: header.name,
    type: header.type ?? 'unknown',
    mode: header.mode ?? 0,
    uid: paxNumber(pax, 'uid') ?? header.uid ?? 0,
    gid: paxNumber(pax, 'gid') ?? header.gid ?? 0,
    size: header.size ?? 0,
    mtime,
    atime: paxNumber(pax, 'atime') ?? mtime,
    linkname: header.linkname ?? '',
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
    xattrs: paxXattrs(pax),
  };
}
