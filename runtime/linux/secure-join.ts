// Resolves a path inside a root filesystem as the container would see it: symlinks are
// followed relative to the rootfs, and ".." never climbs above it. Without this a symlink in an
// image (/etc -> /) could point a mount or device outside the rootfs.
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError } from '../errors';

const MAX_SYMLINKS = 255;

const namesOf = (p: string) => p.split('/').filter((part) => part !== '' && part !== '.');

export function secureJoin(root: string, unsafePath: string): string {
  // Paths are built by concatenation (the names are clean: no "", "." or ".."): path.join
  // normalizes at every step, which was most of the cost of setting up /dev.
  const base = path.resolve(root);
  const prefix = base === '/' ? '' : base;
  const at = (names: readonly string[]) => (names.length === 0 ? base : `${prefix}/${names.join('/')}`);
  let resolved: string[] = [];
  let pending = namesOf(unsafePath);
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = at([...resolved, part]);
    // not there (yet): keep the name as given (no exception: this runs for every mount)
    const stat = fs.lstatSync(candidate, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new RuntimeError(`${unsafePath}: too many levels of symbolic links inside the rootfs`);
      const target = fs.readlinkSync(candidate);
      if (target.startsWith('/')) resolved = [];
      pending = [...namesOf(target), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return at(resolved);
}
