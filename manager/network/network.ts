// A container on the bridge network: attach (CNI ADD, with its host ports checked and reserved
// first), detach (CNI DEL from the cached result; idempotent, and complete even when the
// namespace is already gone) and the clean-up of what a killed manager left behind.
//
// How the container lifecycle uses it:
//   create/start: netns.createNetns -> attachNetwork -> etc-files.writeEtcFiles (bind-mounted
//                 by the caller) -> config.json joins the namespace by path
//                 (linux.namespaces [{type: 'network', path}]); on failure detachNetwork + removeNetns
//   stop and rm:  detachNetwork -> netns.removeNetns (both idempotent; docker too gives the
//                 address back on stop and takes a new one on start)
//   any command:  cleanupStaleNetworks(paths, ids of every container with metadata); cheap when
//                 nothing is stale (two readdirs)
import fs = require('node:fs');
import net = require('node:net');
import path = require('node:path');
import { ConflictError, ManagerError, UsageError, messageOf } from '../errors';
import type { ManagerPaths } from '../paths';
import {
  DEFAULT_NETWORK_NAME,
  bridgeConfList,
  checkSubnetFree,
  deleteBridge,
  defaultNetwork,
  ipamDataDir,
  loopbackConfList,
  type NetworkSettings,
} from './bridge';
import { CniExecutor, type CniAttachment, type CniResult, type CniRuntimeConf, type PluginRun } from './cni';
import { ensureMasquerade, removeMasquerade } from './masquerade';
import { withFileLock } from './lock';
import { listNetns, netnsExists, netnsPath, removeNetns } from './netns';
import { checkHostPortsFree, type PortMapping } from './ports';

export type { NetworkSettings } from './bridge';

export const DEFAULT_IFNAME = 'eth0';

export interface AttachOptions extends NetworkCallOptions {
  containerId: string;
  /** the container's name (passed to the plugins in CNI_ARGS as MYDOCKER_NAME, with IgnoreUnknown) */
  name: string;
  netnsPath: string;
  ports: PortMapping[];
  /** default: the mydocker0 network (defaultNetwork()) */
  network?: NetworkSettings;
  /** default: eth0 */
  ifName?: string;
}

export interface NetworkAttachment {
  network: string;
  bridge: string;
  ifName: string;
  ip: string;
  prefixLength: number;
  gateway: string;
  mac: string;
  /** the published ports, host port 0 resolved */
  ports: PortMapping[];
}

/** The portMappings capability as portmap reads it (CNI conventions). */
interface PortmapEntry {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

export interface NetworkCallOptions {
  /** called after each CNI plugin run (--debug logs, timings) */
  onPluginDone?: (run: PluginRun) => void;
}

/**
 * iptables is one per host (network namespace), whatever the manager's root: the lock that keeps
 * the firewall and portmap ADDs from racing on their shared chains is one per host too.
 */
export const SHARED_CHAINS_LOCK = '/run/lock/mydocker-cni-shared-chains.lock';

/** MYDOCKER_CNI_PATH (colon-separated) replaces the default plugin directories. */
function executorFor(paths: ManagerPaths, options: NetworkCallOptions = {}): CniExecutor {
  const dirs = process.env.MYDOCKER_CNI_PATH?.split(':').filter(Boolean);
  return new CniExecutor({
    cacheDir: path.join(paths.network, 'cache'),
    serialize: { plugins: ['firewall', 'portmap'], lockFile: SHARED_CHAINS_LOCK },
    ...(dirs?.length ? { pluginDirs: dirs } : {}),
    ...(options.onPluginDone ? { onPluginDone: options.onPluginDone } : {}),
  });
}

function portsLockFile(paths: ManagerPaths): string {
  return path.join(paths.network, 'ports.lock');
}

/**
 * CNI ADD of the container's namespace to the network, loopback in parallel. Host ports are
 * checked (free on the host, not published by another container) and recorded under a lock, so
 * two concurrent runs cannot get the same one. On failure nothing is left (the executor runs
 * DEL) and the error says which plugin or port failed.
 */
export async function attachNetwork(paths: ManagerPaths, opts: AttachOptions): Promise<NetworkAttachment> {
  const settings = opts.network ?? defaultNetwork();
  const ifName = opts.ifName ?? DEFAULT_IFNAME;
  checkSubnetFree(settings);
  for (const port of opts.ports) {
    if (port.hostIP !== undefined && net.isIPv6(port.hostIP)) {
      throw new UsageError(`-p [${port.hostIP}]:${port.hostPort}:${port.containerPort}: network ${settings.name} is IPv4 only; publish on an IPv4 address`);
    }
  }
  const executor = executorFor(paths, opts);

  const list = bridgeConfList(paths, settings, opts.ports.length > 0);
  const rt: CniRuntimeConf = {
    containerId: opts.containerId,
    netns: opts.netnsPath,
    ifName,
    cniArgs: [['IgnoreUnknown', '1'], ['MYDOCKER_NAME', opts.name]],
  };
  let ports: PortMapping[] = [];
  let reserved: CniAttachment;
  if (opts.ports.length > 0) {
    reserved = await withFileLock(portsLockFile(paths), async () => {
      ports = await checkHostPortsFree(opts.ports, publishedPorts(executor.listCached()));
      return executor.reserve(list, { ...rt, capabilityArgs: { portMappings: ports.map(toPortmapEntry) } });
    });
  } else {
    reserved = executor.reserve(list, rt);
  }

  const main = executor.add(list, rt, reserved);
  const loopback = executor.run('ADD', loopbackConfList(), { containerId: opts.containerId, netns: opts.netnsPath, ifName: 'lo' });
  // the network's masquerade rule: one check, beside the plugins (started first: they take longer)
  const masquerade = ensureMasquerade(settings, SHARED_CHAINS_LOCK);
  const [mainOutcome, loOutcome, masqueradeOutcome] = await Promise.allSettled([main, loopback, masquerade]);
  if (mainOutcome.status === 'rejected') throw mainOutcome.reason;
  try {
    if (loOutcome.status === 'rejected') throw loOutcome.reason;
    if (masqueradeOutcome.status === 'rejected') throw masqueradeOutcome.reason;
    return attachmentFrom(settings, ifName, mainOutcome.value, ports);
  } catch (err) {
    await executor.del(opts.containerId, ifName).catch(() => undefined);
    throw err;
  }
}

function attachmentFrom(settings: NetworkSettings, ifName: string, result: CniResult, ports: PortMapping[]): NetworkAttachment {
  const interfaces = result.interfaces ?? [];
  const index = interfaces.findIndex((i) => i.name === ifName && i.sandbox);
  const ipConfig = (result.ips ?? []).find((ip) => ip.interface === index && net.isIPv4(ip.address.split('/')[0]!));
  if (index < 0 || !ipConfig) throw new ManagerError(`network ${settings.name}: the CNI result has no IPv4 address for ${ifName}`);
  const [ip, prefix] = ipConfig.address.split('/') as [string, string];
  return {
    network: settings.name,
    bridge: settings.bridge,
    ifName,
    ip,
    prefixLength: Number(prefix),
    gateway: ipConfig.gateway ?? '',
    mac: interfaces[index]!.mac ?? '',
    ports,
  };
}

function toPortmapEntry(p: PortMapping): PortmapEntry {
  return { hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIP ? { hostIP: p.hostIP } : {}) };
}

/** Every host port the attachment records publish (finished or still being added). */
function publishedPorts(records: CniAttachment[]): PortMapping[] {
  const ports: PortMapping[] = [];
  for (const record of records) {
    const entries = record.capabilityArgs.portMappings;
    if (!Array.isArray(entries)) continue;
    for (const e of entries as PortmapEntry[]) {
      ports.push({
        hostPort: e.hostPort,
        containerPort: e.containerPort,
        protocol: e.protocol === 'udp' ? 'udp' : 'tcp',
        ...(e.hostIP ? { hostIP: e.hostIP } : {}),
      });
    }
  }
  return ports;
}

/** The published ports of a container's attachments (from the cache), e.g. for `ps` and `port`. */
export function containerPorts(paths: ManagerPaths, containerId: string): PortMapping[] {
  return publishedPorts(executorFor(paths).listCached().filter((r) => r.containerId === containerId));
}

/** How long a clean-up waits for a container's network operation in progress (plugins time out at 60 s). */
const DETACH_WAIT_MS = 15_000;

/**
 * CNI DEL of every attachment of the container, from the cached records; nothing cached is
 * nothing to do. `netnsPath` (default: the recorded one) may be gone already: the veth went
 * with it, and the plugins' DEL still frees the lease and the firewall and portmap rules.
 */
export async function detachNetwork(paths: ManagerPaths, containerId: string, netnsPath?: string, options: NetworkCallOptions = {}): Promise<void> {
  const executor = executorFor(paths, options);
  const records = executor.listCached().filter((r) => r.containerId === containerId);
  const errors: string[] = [];
  for (const record of records) {
    const ns = netnsPath ?? record.netns;
    const alive = netnsExists(ns);
    try {
      // a plugin of a killed manager may still be running: wait for it (it holds the lock), and
      // only then look for the address its ADD leased
      await executor.del(containerId, record.ifName, { netns: alive ? ns : '', result: (fresh) => fresh.result ?? resultFromLease(paths, fresh), waitMs: DETACH_WAIT_MS });
    } catch (err) {
      errors.push(messageOf(err));
    }
  }
  if (errors.length) throw new ManagerError(`container ${containerId}: network clean-up failed: ${errors.join('; ')}`);
}

/**
 * An ADD that never finished has no cached result; the firewall plugin's DEL needs the address,
 * which host-local's lease file (<ipam>/<network>/<ip>, holding the container id) still knows.
 */
function resultFromLease(paths: ManagerPaths, record: CniAttachment): CniResult | undefined {
  const dir = path.join(ipamDataDir(paths), record.networkName);
  const bridge = record.config.plugins.find((p) => p.type === 'bridge');
  const subnet = (bridge?.ipam as { ranges?: { subnet?: string }[][] } | undefined)?.ranges?.[0]?.[0]?.subnet;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!net.isIPv4(name)) continue;
    let owner: string[];
    try {
      owner = fs.readFileSync(path.join(dir, name), 'utf8').split(/\r?\n/);
    } catch {
      continue;
    }
    if (owner[0]?.trim() !== record.containerId || (owner[1] !== undefined && owner[1].trim() !== record.ifName)) continue;
    return {
      cniVersion: record.config.cniVersion,
      interfaces: [{ name: record.ifName, sandbox: record.netns }],
      ips: [{ address: `${name}/${subnet?.split('/')[1] ?? '32'}`, interface: 0 }],
    };
  }
  return undefined;
}

export interface StaleCleanup {
  /** containers whose attachments were deleted or whose namespace was removed */
  cleaned: string[];
  failed: { containerId: string; error: string }[];
}

/**
 * Deletes attachments and namespaces of containers that are not live: what a manager killed
 * between ADD and DEL left. `live` must hold every container that has metadata (including
 * those being created right now); records another process is working on are skipped.
 */
export async function cleanupStaleNetworks(paths: ManagerPaths, live: Set<string>): Promise<StaleCleanup> {
  const executor = executorFor(paths);
  const outcome: StaleCleanup = { cleaned: [], failed: [] };
  const stale = new Set([...executor.cachedContainers(), ...listNetns(paths)].filter((id) => !live.has(id)));
  for (const containerId of stale) {
    if (executor.busy(containerId)) continue;
    try {
      await detachNetwork(paths, containerId);
      removeNetns(netnsPath(paths, containerId));
      outcome.cleaned.push(containerId);
    } catch (err) {
      outcome.failed.push({ containerId, error: messageOf(err) });
    }
  }
  return outcome;
}

/**
 * Removes a network's masquerade rule, bridge and lease directory once no container is attached
 * to it (tests remove their own networks with it; the product keeps mydocker0, as docker keeps docker0).
 */
export async function removeNetwork(paths: ManagerPaths, settings: NetworkSettings): Promise<void> {
  const users = executorFor(paths)
    .listCached()
    .filter((r) => r.networkName === settings.name);
  if (users.length) {
    throw new ConflictError(`network ${settings.name} has attached containers: ${users.map((r) => r.containerId).join(', ')}`);
  }
  await removeMasquerade(settings);
  deleteBridge(paths, settings);
}

export { DEFAULT_NETWORK_NAME };
