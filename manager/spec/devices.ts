// The host's device nodes, which a --privileged container gets all of (as docker does).
import fs = require('node:fs');
import path = require('node:path');
import type { Device } from '../../runtime/spec/types';

/** Directories under /dev that hold no devices a container should copy (or are mounted anew). */
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

function majorMinor(rdev: bigint): [number, number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

/** Every character and block device under `dir` (symlinks and /dev/console left out). */
export function hostDevices(dir = '/dev'): Device[] {
  const out: Device[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable: skip
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p);
        continue;
      }
      if (!(e.isCharacterDevice() || e.isBlockDevice()) || p === path.join(dir, 'console')) continue;
      const st = fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
      if (!st) continue;
      const [major, minor] = majorMinor(st.rdev);
      out.push({
        type: e.isCharacterDevice() ? 'c' : 'b',
        path: path.posix.join('/dev', path.relative(dir, p)),
        major,
        minor,
        fileMode: Number(st.mode & 0o777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
      });
    }
  };
  walk(dir);
  return out;
}
