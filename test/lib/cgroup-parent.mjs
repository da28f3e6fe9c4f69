// The manager puts every container's cgroup under /mydocker (cgroupsPath /mydocker/<id>); the
// runtime removes the container's own directory, the parent stays (as docker's /docker does).
// Test worlds remove it when they end: rmdir fails harmlessly while another world's containers
// still have cgroups under it.
import fs from 'node:fs';
import path from 'node:path';

export function removeEmptyCgroupParent(name = 'mydocker') {
  let hierarchies = [];
  try {
    hierarchies = fs.readdirSync('/sys/fs/cgroup');
  } catch {
    return;
  }
  for (const h of hierarchies) {
    try {
      fs.rmdirSync(path.join('/sys/fs/cgroup', h, name));
    } catch {
      /* absent, or still in use */
    }
  }
}
