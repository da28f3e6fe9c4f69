// Before a container directory is deleted nothing may still be mounted in it (a rootfs the
// unmount hook missed): deleting through a mount would delete what it shows.
import fs = require('node:fs');
import { MNT_DETACH, umount2 } from '../../native/libc';

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string, mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const point = unescape(field);
    if (point === dir || point.startsWith(prefix)) points.add(point);
  }
  return [...points].sort((a, b) => b.length - a.length);
}

/** Detaches everything mounted at or below `dir`. */
export function unmountAllUnder(dir: string): void {
  for (let round = 0; round < 8; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) {
      try {
        umount2(point, MNT_DETACH);
      } catch {
        /* already gone, or stacked: the next round sees what is left */
      }
    }
  }
}
