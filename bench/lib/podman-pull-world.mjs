// A fresh, private podman storage for one timed `podman pull` (bench/pull.mjs's pull-to-runnable
// section): createPodman's world (its own root, runroot, containers.conf, registries.conf with the
// local registry insecure, storage.conf with the overlay driver), without NODE_EXTRA_CA_CERTS.
//
//   const world = podmanPullWorld(registry);
//   const ms = world.pull(ref);                    // wall time of `podman pull -q --tls-verify=false REF`
//   const problems = await world.cleanup();        // images, mounts, the temp dir
//
// Call guardContainersCache() (test/clients/lib/podman.mjs) once before the first world.
import { spawnSync } from 'node:child_process';
import { PODMAN, createPodman } from '../../test/clients/lib/podman.mjs';

/** podman pull never starts a container: the runtime named here is only there to satisfy containers.conf. */
const RUNTIMES = [{ name: 'runc', path: '/usr/sbin/runc' }];

export function podmanPullWorld(registry) {
  const pm = createPodman({ registry, runtimes: RUNTIMES, prefix: 'mydocker-bench-podman-' });
  delete pm.env.NODE_EXTRA_CA_CERTS;
  return {
    dir: pm.dir,
    pull(ref) {
      const start = process.hrtime.bigint();
      const r = spawnSync(PODMAN, pm.args(null, ['pull', '-q', '--tls-verify=false', ref]), { env: pm.env, encoding: 'utf8', maxBuffer: 64 << 20 });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (r.status !== 0) throw new Error(`podman pull ${ref} exited ${r.status}: ${r.stderr}`);
      return ms;
    },
    cleanup: () => pm.cleanup(),
  };
}
