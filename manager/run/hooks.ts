// How the rootfs and the network join a container's lifecycle (manager/containers): before each
// start the overlay is mounted and the network attached, the plugins running while the runtime
// creates the container (the /etc files get the address before it starts); after each stop, and
// before removal, both are undone. Every step is idempotent: a clean-up interrupted by a crash is
// simply run again.
import path = require('node:path');
import type { Context } from '../context';
import type { ContainerRecord, LifecycleHooks, LifecycleOptions, StartPreparation } from '../containers/types';
import { mountRootfs, unmountRootfs } from '../images/rootfs';
import { rewriteHostsFile, writeEtcFiles } from '../network/etc-files';
import { createNetns, netnsPath, removeNetns } from '../network/netns';
import { attachNetwork, detachNetwork } from '../network/network';
import { formatPortMapping } from '../network/ports';
import { readPlan } from './plan';

/** The /etc files of a container (bind-mounted by its config.json). */
export function etcDir(containerDir: string): string {
  return path.join(containerDir, 'etc');
}

async function beforeStart(record: Readonly<ContainerRecord>, ctx: Context): Promise<StartPreparation | void> {
  const dir = record.bundle;
  const plan = readPlan(dir);
  if (!plan) return;
  await mountRootfs(plan.lowerDirs, dir, { volatile: record.autoRemove });
  if (plan.network === 'host') return { network: { mode: 'host' } };
  const netns = createNetns(ctx.paths, record.id, { loopbackUp: plan.network === 'none' });
  if (plan.network === 'none') {
    writeEtcFiles(etcDir(dir), { hostname: plan.hostname, name: record.name });
    return { network: { mode: 'none' } };
  }
  // The plugins run while the runtime creates the container (it joins the namespace by path);
  // the container starts once they are done. /etc/hosts gets the address then, in place.
  const etc = { hostname: plan.hostname, name: record.name };
  writeEtcFiles(etcDir(dir), etc);
  const pendingNetwork = attachNetwork(ctx.paths, { containerId: record.id, name: record.name, netnsPath: netns, ports: plan.publish }).then(
    (attached) => {
      rewriteHostsFile(etcDir(dir), { ...etc, ip: attached.ip });
      return {
        mode: 'bridge',
        network: attached.network,
        bridge: attached.bridge,
        IPAddress: attached.ip,
        IPPrefixLen: attached.prefixLength,
        Gateway: attached.gateway,
        MacAddress: attached.mac,
        ports: attached.ports.map(formatPortMapping),
        publish: attached.ports,
      };
    },
    async (err: unknown) => {
      await detachNetwork(ctx.paths, record.id, netns).catch(() => undefined);
      removeNetns(netns);
      throw err;
    },
  );
  pendingNetwork.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection
  return { pendingNetwork };
}

async function release(record: Readonly<ContainerRecord>, ctx: Context): Promise<void> {
  const plan = readPlan(record.bundle);
  const network = async () => {
    if (plan?.network !== 'bridge' && plan?.network !== 'none') return;
    const netns = netnsPath(ctx.paths, record.id);
    if (plan.network === 'bridge') await detachNetwork(ctx.paths, record.id, netns);
    removeNetns(netns);
  };
  // The rootfs is unmounted while the CNI plugins' DEL runs: neither needs the other.
  const outcomes = await Promise.allSettled([network(), unmountRootfs(record.bundle)]);
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
}

export const CONTAINER_HOOKS: LifecycleHooks = { beforeStart, afterStop: release, beforeRemove: release };

/** The lifecycle options every manager command uses: our hooks, and conmon's exit command. */
export function lifecycleOptions(ctx: Context): LifecycleOptions {
  const self = process.env.MYDOCKER_SELF ?? path.join(__dirname, 'mydocker');
  return {
    hooks: CONTAINER_HOOKS,
    exitCommand: [self, '--root', ctx.paths.root, '--run-root', ctx.paths.runRoot, '--runtime', ctx.runtime, 'container', 'cleanup'],
  };
}
