// User namespaces: the id maps the runtime writes for the init helper, and what a container's
// ids are on the host.
import fs = require('node:fs');
import { ConfigError, RuntimeError } from '../errors';
import type { IDMapping } from '../spec/types';

/** Overlapping ranges (on either side) or empty ones are refused, as the kernel would. */
export function checkMappings(mappings: readonly IDMapping[] | undefined, field: string): void {
  const list = mappings ?? [];
  if (list.length > 340) throw new ConfigError(`${field}: at most 340 mappings`);
  list.forEach((m, i) => {
    if (m.size < 1) throw new ConfigError(`${field}[${i}].size: must be at least 1`);
    for (let j = 0; j < i; j++) {
      const o = list[j]!;
      const overlaps = (a: number, b: number) => a < b + o.size && b < a + m.size;
      if (overlaps(m.containerID, o.containerID)) throw new ConfigError(`${field}[${i}]: container ids overlap ${field}[${j}]`);
      if (overlaps(m.hostID, o.hostID)) throw new ConfigError(`${field}[${i}]: host ids overlap ${field}[${j}]`);
    }
  });
}

/** The host id a container id maps to, if any. */
export function hostIdOf(mappings: readonly IDMapping[] | undefined, containerId: number): number | undefined {
  const m = (mappings ?? []).find((x) => containerId >= x.containerID && containerId < x.containerID + x.size);
  return m ? m.hostID + (containerId - m.containerID) : undefined;
}

function writeMap(pid: number, file: 'uid_map' | 'gid_map', mappings: readonly IDMapping[] | undefined, field: string): void {
  if (!mappings?.length) throw new ConfigError(`${field}: a new user namespace needs mappings`);
  const text = mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n');
  try {
    fs.writeFileSync(`/proc/${pid}/${file}`, `${text}\n`);
  } catch (err) {
    throw new RuntimeError(`${field}: writing /proc/${pid}/${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

export function writeIdMaps(
  pid: number,
  uidMappings: readonly IDMapping[] | undefined,
  gidMappings: readonly IDMapping[] | undefined,
  field = 'linux',
): void {
  writeMap(pid, 'uid_map', uidMappings, `${field}.uidMappings`);
  writeMap(pid, 'gid_map', gidMappings, `${field}.gidMappings`);
}

/** A process' id map as the kernel shows it (/proc/PID/uid_map or gid_map). */
export function readIdMap(pid: number, file: 'uid_map' | 'gid_map'): IDMapping[] {
  return fs
    .readFileSync(`/proc/${pid}/${file}`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3)
    .map(([containerID, hostID, size]) => ({ containerID: containerID!, hostID: hostID!, size: size! }));
}
