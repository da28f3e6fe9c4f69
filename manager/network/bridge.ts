// The bridge network: its settings (the product's `mydocker0`, or a test's own bridge and
// subnet), the CNI configuration list made from them, the checks against the host before the
// bridge is first created, and its removal.
//
// Plugins (Debian's containernetworking-plugins): bridge (creates the bridge on first use, one
// veth pair per container, the gateway address, IP forwarding, and hairpin mode so that a
// container reaches itself through a published port; masquerading of the subnet is one rule per
// network of our own, masquerade.ts, not the plugin's per-container ipMasq) with host-local
// IPAM (leases kept under our own <root>/network/ipam), portmap only when ports are published
// (its snat mode sets route_localnet on the bridge and marks 127.0.0.1 traffic for masquerading,
// so `curl 127.0.0.1:PORT` works as docker users expect), and firewall (accepts the container's
// traffic in FORWARD, needed where the FORWARD policy is DROP). The loopback plugin brings up
// `lo` in a list of its own (no state to undo).
import fs = require('node:fs');
import path = require('node:path');
import { ManagerError, UsageError } from '../errors';
import type { ManagerPaths } from '../paths';
import { CNI_VERSION, type CniConfList, type CniPluginConfig } from './cni';
import { childProcess } from '../system/child-process';

export interface NetworkSettings {
  /** the CNI network name: iptables comments and chain names, the lease directory */
  name: string;
  /** the Linux bridge (at most 15 characters) */
  bridge: string;
  /** an IPv4 subnet in CIDR form; the bridge takes its first address */
  subnet: string;
  /** the bridge's address; default: the first address of the subnet */
  gateway?: string;
  /** the containers' MTU; default: that of the host interface with the default route */
  mtu?: number;
}

export const DEFAULT_NETWORK_NAME = 'mydocker';
export const DEFAULT_BRIDGE = 'mydocker0';
/**
 * Clear of docker's pools (172.17-31.0.0/16, 192.168.0.0/16), podman's default 10.88.0.0/16 and
 * the 10.89.x.0/24 networks `podman network create` hands out, and the common Kubernetes pod and
 * service ranges (10.42, 10.43, 10.96, 10.244). MYDOCKER_SUBNET changes it.
 */
export const DEFAULT_SUBNET = '10.99.0.0/16';

/** The default network, with MYDOCKER_BRIDGE and MYDOCKER_SUBNET taken into account. */
export function defaultNetwork(env: NodeJS.ProcessEnv = process.env): NetworkSettings {
  return {
    name: DEFAULT_NETWORK_NAME,
    bridge: env.MYDOCKER_BRIDGE || DEFAULT_BRIDGE,
    subnet: env.MYDOCKER_SUBNET || DEFAULT_SUBNET,
  };
}

export interface Ipv4Subnet {
  network: number;
  prefixLength: number;
}

export function parseSubnet(cidr: string, what = 'subnet'): Ipv4Subnet {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  const address = match ? ipv4ToNumber(match[1]!) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefixLength >= 8 && prefixLength <= 30)) {
    throw new UsageError(`${what} "${cidr}" is not an IPv4 subnet a.b.c.d/8..30`);
  }
  const network = (address & prefixMask(prefixLength)) >>> 0;
  if (network !== address) throw new UsageError(`${what} "${cidr}" has host bits set (the network is ${numberToIpv4(network)}/${prefixLength})`);
  return { network, prefixLength };
}

export function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function checkSettings(settings: NetworkSettings): Ipv4Subnet {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(settings.name)) throw new UsageError(`network name "${settings.name}" is not valid`);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(settings.bridge)) throw new UsageError(`bridge name "${settings.bridge}" is not a valid interface name (1-15 characters)`);
  const subnet = parseSubnet(settings.subnet, `network ${settings.name}: subnet`);
  if (settings.gateway !== undefined) {
    const gw = ipv4ToNumber(settings.gateway);
    if (gw === undefined || ((gw & prefixMask(subnet.prefixLength)) >>> 0) !== subnet.network) {
      throw new UsageError(`network ${settings.name}: gateway "${settings.gateway}" is not in ${settings.subnet}`);
    }
  }
  return subnet;
}

/** host-local keeps its leases here: <dir>/<network name>/<ip> holds the container id. */
export function ipamDataDir(paths: ManagerPaths): string {
  return path.join(paths.network, 'ipam');
}

/** The configuration list for one container: portmap only when it publishes ports. */
export function bridgeConfList(paths: ManagerPaths, settings: NetworkSettings, withPorts: boolean): CniConfList {
  const range: Record<string, string> = { subnet: settings.subnet };
  if (settings.gateway) range.gateway = settings.gateway;
  const mtu = settings.mtu ?? hostDefaultMtu();
  const plugins: CniPluginConfig[] = [
    {
      type: 'bridge',
      bridge: settings.bridge,
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      ...(mtu ? { mtu } : {}),
      ipam: { type: 'host-local', ranges: [[range]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDataDir(paths) },
    },
  ];
  if (withPorts) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  plugins.push({ type: 'firewall', backend: 'iptables' });
  return { cniVersion: CNI_VERSION, name: settings.name, plugins };
}

/** `lo` up in the container's namespace. */
export function loopbackConfList(): CniConfList {
  return { cniVersion: CNI_VERSION, name: 'loopback', plugins: [{ type: 'loopback' }] };
}

interface HostRoute {
  iface: string;
  destination: number;
  prefixLength: number;
}

function hostRoutes(): HostRoute[] {
  let text: string;
  try {
    text = fs.readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const routes: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // the kernel prints the bytes in network order as hex of a host-order (little-endian) word
    const destination = Buffer.from(f[1]!, 'hex').readUInt32LE(0);
    const mask = Buffer.from(f[7]!, 'hex').readUInt32LE(0);
    routes.push({ iface: f[0]!, destination, prefixLength: popcount(mask) });
  }
  return routes;
}

function popcount(n: number): number {
  let count = 0;
  for (let v = n >>> 0; v; v >>>= 1) count += v & 1;
  return count;
}

/**
 * A subnet that overlaps a route of the host (other than our bridge's) would hide those hosts
 * from the containers, or the containers from the host: refuse it before the bridge exists.
 */
export function checkSubnetFree(settings: NetworkSettings): void {
  const subnet = checkSettings(settings);
  for (const route of hostRoutes()) {
    if (route.iface === settings.bridge || route.prefixLength === 0) continue;
    const shorter = Math.min(route.prefixLength, subnet.prefixLength);
    const mask = prefixMask(shorter);
    if (((route.destination & mask) >>> 0) === ((subnet.network & mask) >>> 0)) {
      throw new ManagerError(
        `network ${settings.name}: subnet ${settings.subnet} overlaps the host's route ${numberToIpv4(route.destination)}/${route.prefixLength} on ${route.iface}; choose another subnet (MYDOCKER_SUBNET)`,
      );
    }
  }
}

/** The MTU of the interface that carries the host's default route; undefined when there is none. */
export function hostDefaultMtu(): number | undefined {
  const route = hostRoutes().find((r) => r.prefixLength === 0 && r.destination === 0);
  if (!route) return undefined;
  try {
    const mtu = Number(fs.readFileSync(`/sys/class/net/${route.iface}/mtu`, 'utf8'));
    return Number.isInteger(mtu) && mtu >= 576 ? mtu : undefined;
  } catch {
    return undefined;
  }
}

export function bridgeExists(bridge: string): boolean {
  return fs.existsSync(`/sys/class/net/${bridge}/bridge`);
}

/**
 * Deletes the bridge and the network's lease directory. The caller makes sure no container is
 * attached (network.ts removeNetwork). The plugins' shared chains (CNI-FORWARD, CNI-ADMIN,
 * CNI-HOSTPORT-*) stay: they are empty without containers, and podman's CNI networks share them.
 */
export function deleteBridge(paths: ManagerPaths, settings: NetworkSettings): void {
  if (bridgeExists(settings.bridge)) {
    const run = childProcess().spawnSync('ip', ['link', 'delete', settings.bridge, 'type', 'bridge'], { encoding: 'utf8' });
    if (run.status !== 0 && bridgeExists(settings.bridge)) {
      throw new ManagerError(`cannot delete the bridge ${settings.bridge}: ${(run.stderr || run.error?.message || '').trim()}`);
    }
  }
  fs.rmSync(path.join(ipamDataDir(paths), settings.name), { recursive: true, force: true });
}
