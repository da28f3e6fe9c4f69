// The host's /proc/self/mountinfo, read once per command: finding the cgroup hierarchies needs
// it up to three times in a create (the warm-up, the v1/v2 check, the v1 mount points).
import fs = require('node:fs');

let cached: string | undefined;

/** Read before the runtime enters any mount namespace of a container (create reads it first thing). */
export function hostMountinfo(): string {
  cached ??= fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return cached;
}
