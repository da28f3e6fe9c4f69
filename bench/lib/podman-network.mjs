// A CNI bridge network of its own in a private podman world (test/clients/lib/podman.mjs), so
// that podman's "with networking" runs use a bridge like its default one (bridge + host-local +
// portmap + firewall + tuning, as `podman network create` writes it) without touching the
// host's cni-podman0 / 10.88.0.0/16 that other podman users share.
//
//   const net = await addPodmanNetwork(pm, { subnet: '10.a.b', tag });   // before any container
//   pm.podman(null, ['run', '--network', net.name, ...]);
//   ... pm.cleanup() ...;  net.remove();                                  // after the containers
//
// podman picks the bridge name (cni-podmanN) itself: the conflist it wrote is given our own
// bridge name, and host-local's lease directory is moved into the world's temporary directory.
// remove(): the bridge device, and /var/lib/cni (CNI's result cache) if it was not there before
// (only empty directories: someone else may use it meanwhile).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const CNI_STATE = '/var/lib/cni';

function rmdirIfEmpty(dir) {
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirIfEmpty(path.join(dir, e.name));
    fs.rmdirSync(dir);
  } catch {
    /* not empty, or gone */
  }
}

/**
 * @param {{ podman: Function, dirs: { net: string }, dir: string }} pm a createPodman() world
 * @param {{ subnet: string, tag: string }} opts subnet "10.a.b" (a free /24); tag: <= 9 characters
 */
export async function addPodmanNetwork(pm, { subnet, tag }) {
  const name = `mdbench${tag}`;
  const bridge = `mdbp${tag}`.slice(0, 15);
  const cniStateExisted = fs.existsSync(CNI_STATE);
  const created = await pm.podman(null, ['network', 'create', '--subnet', `${subnet}.0/24`, name]);
  if (created.status !== 0) throw new Error(`podman network create: ${created.stderr.trim()}`);
  const file = path.join(pm.dirs.net, `${name}.conflist`);
  const conf = JSON.parse(fs.readFileSync(file, 'utf8'));
  const bridgePlugin = conf.plugins.find((p) => p.type === 'bridge');
  if (!bridgePlugin?.ipam) throw new Error(`${file}: no bridge plugin with ipam`);
  bridgePlugin.bridge = bridge;
  bridgePlugin.ipam.dataDir = path.join(pm.dir, 'cni-leases');
  fs.writeFileSync(file, JSON.stringify(conf, null, 2));
  return {
    name,
    bridge,
    subnet: `${subnet}.0/24`,
    /** Deletes the bridge (after the containers are gone) and an empty /var/lib/cni we caused. */
    remove() {
      const problems = [];
      if (fs.existsSync(`/sys/class/net/${bridge}`)) {
        const del = spawnSync('ip', ['link', 'del', bridge], { encoding: 'utf8' });
        if (del.status !== 0) problems.push(`ip link del ${bridge}: ${del.stderr.trim()}`);
      }
      if (!cniStateExisted) rmdirIfEmpty(CNI_STATE);
      return problems;
    },
  };
}
