// Names in a layer tar: byte strings (latin1-decoded, one char per byte), checked and turned
// into paths relative to the layer root, and the error an entry fails with.

const ASCII = /^[\x00-\x7f]*$/;

export function isAscii(bytes: string): boolean {
  return ASCII.test(bytes);
}

/** A refused or failed entry; unpack turns it into a LayerError naming the layer. */
export class EntryError extends Error {
  constructor(entryName: string, detail: string) {
    super(`entry ${displayName(entryName)}: ${detail}`);
    this.name = 'EntryError';
  }
}

/** A latin1 byte string as a readable, quoted name for messages. */
export function displayName(bytes: string): string {
  return JSON.stringify(Buffer.from(bytes, 'latin1').toString('utf8'));
}

/** A latin1 byte string as a path fs accepts (the string itself when it is plain ASCII). */
export function fsPath(bytes: string): string | Buffer {
  return ASCII.test(bytes) ? bytes : Buffer.from(bytes, 'latin1');
}

/** An archive name as a path relative to the layer root ('' is the root itself). */
export function relativePath(name: string, entryName: string, what: string): string {
  if (name.startsWith('/')) throw new EntryError(entryName, `${what} ${displayName(name)} is an absolute path`);
  const parts = name.split('/');
  let clean = true;
  for (const part of parts) {
    if (part === '..') throw new EntryError(entryName, `${what} ${displayName(name)} contains ".."`);
    if (part === '' || part === '.') clean = false;
  }
  return clean ? name : parts.filter((p) => p !== '' && p !== '.').join('/');
}

