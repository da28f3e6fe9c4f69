// Resolves a path inside a root filesystem as the container would see it: symlinks are
// followed relative to the rootfs, and ".." never climbs above it. Without this a symlink in an
// image (/etc -> /) could point a mount or device outside the rootfs.
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError } from '../errors';

const MAX_SYMLINKS = 255;

export function secureJoin(root: string, unsafePath: string): string {
  let resolved: string[] = [];
  let pending = unsafePath.split('/').filter((part) => part !== '' && part !== '.');
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    // not there (yet): keep the name as given (no exception: this runs for every mount)
    const stat = fs.lstatSync(candidate, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new RuntimeError(`${unsafePath}: too many levels of symbolic links inside the rootfs`);
      const target = fs.readlinkSync(candidate);
      if (target.startsWith('/')) resolved = [];
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}
