// The working directory is created in the container's root filesystem before the container
// starts, as docker does (owned by root, mode 0755); symlinks on the way are followed inside
// the rootfs only.
import fs = require('node:fs');
import path = require('node:path');
import { UsageError } from '../errors';
import { secureJoin } from '../../runtime/linux/secure-join';

/** Creates `cwd` (absolute, in the container) under `rootfs` if it is missing; returns its host path. */
export function ensureWorkdir(rootfs: string, cwd: string): string {
  let target: string;
  try {
    target = secureJoin(rootfs, cwd);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a part of the path exists and is not a directory' : (err as Error).message;
    throw new UsageError(`working directory ${cwd}: ${why}`);
  }
  let current = rootfs;
  for (const part of path.relative(rootfs, target).split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    const stat = fs.lstatSync(current, { throwIfNoEntry: false });
    if (!stat) {
      fs.mkdirSync(current, { mode: 0o755 });
      fs.chmodSync(current, 0o755); // whatever the umask
    } else if (!stat.isDirectory()) {
      throw new UsageError(`working directory ${cwd}: /${path.relative(rootfs, current)} exists and is not a directory`);
    }
  }
  return target;
}
