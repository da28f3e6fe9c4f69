// `-p` / `--publish`: docker's port syntax, and the check that a host port is free before the
// portmap plugin is asked for it (portmap only writes DNAT rules; it never binds the port, so
// it cannot notice a port that a host process or another container already has).
import net = require('node:net');
import dgram = require('node:dgram');
import { ConflictError, UsageError } from '../errors';

export type PortProtocol = 'tcp' | 'udp';

export interface PortMapping {
  /** the host address the port is published on; undefined means every address */
  hostIP?: string;
  /** 0 until a free one is picked (checkHostPortsFree) */
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
}

/**
 * One `-p` value: `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`, `8080:80/udp`,
 * `[::1]:8080:80`. A range (`8000-8001:80-81`) is refused here: see parsePortFlagRanges.
 */
export function parsePortFlag(value: string): PortMapping {
  const mappings = parsePortFlagRanges(value);
  if (mappings.length !== 1) throw badPort(value, 'a port range publishes several ports: use parsePortFlagRanges');
  return mappings[0]!;
}

/** Like parsePortFlag, and ranges of equal length (`8000-8001:80-81`, `80-81`) become one mapping per port. */
export function parsePortFlagRanges(value: string): PortMapping[] {
  let rest = value.trim();
  if (rest === '') throw badPort(value, 'empty value');
  let protocol: PortProtocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp') throw badPort(value, `protocol "${rest.slice(slash + 1)}" is not tcp or udp`);
    protocol = proto;
    rest = rest.slice(0, slash);
  }

  let hostIP: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw badPort(value, 'an IPv6 host address is written [addr]:hostPort:containerPort');
    hostIP = rest.slice(1, close);
    if (!net.isIPv6(hostIP)) throw badPort(value, `"${hostIP}" is not an IPv6 address`);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (hostIP === undefined && parts.length === 3) {
    hostIP = parts.shift()!;
    if (!net.isIPv4(hostIP)) throw badPort(value, `"${hostIP}" is not an IP address (IPv6 addresses go in brackets)`);
  }
  if (parts.length > 2 || (hostIP !== undefined && parts.length !== 2)) {
    throw badPort(value, 'expected [ip:][hostPort:]containerPort[/tcp|udp]');
  }
  const containerRange = parseRange(value, parts[parts.length - 1]!, 'container', false);
  const hostRange = parts.length === 2 && parts[0] !== '' ? parseRange(value, parts[0]!, 'host', true) : undefined;
  const count = containerRange.last - containerRange.first + 1;
  if (hostRange && hostRange.last - hostRange.first + 1 !== count) {
    throw badPort(value, 'the host and container port ranges differ in length');
  }
  // 0.0.0.0 is every IPv4 address: the same as none given (portmap, and the overlap check)
  if (hostIP === '0.0.0.0') hostIP = undefined;
  const mappings: PortMapping[] = [];
  for (let i = 0; i < count; i++) {
    mappings.push({
      ...(hostIP !== undefined ? { hostIP } : {}),
      hostPort: hostRange ? hostRange.first + i : 0,
      containerPort: containerRange.first + i,
      protocol,
    });
  }
  return mappings;
}

interface PortRange {
  first: number;
  last: number;
}

function parseRange(value: string, text: string, which: 'host' | 'container', zeroAllowed: boolean): PortRange {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw badPort(value, `${which} port "${text}" is not a number`);
  const first = parsePortNumber(value, match[1]!, which, zeroAllowed && match[2] === undefined);
  const last = match[2] === undefined ? first : parsePortNumber(value, match[2], which, false);
  if (last < first) throw badPort(value, `${which} port range "${text}" ends before it starts`);
  return { first, last };
}

function parsePortNumber(value: string, text: string, which: string, zeroAllowed: boolean): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port > 65535 || port < (zeroAllowed ? 0 : 1)) {
    throw badPort(value, `${which} port ${text} is out of range (1-65535)`);
  }
  return port;
}

function badPort(value: string, why: string): UsageError {
  return new UsageError(`invalid -p value "${value}": ${why}`);
}

/** How a mapping is shown to people: `127.0.0.1:8080->80/tcp` (docker ps style). */
export function formatPortMapping(p: PortMapping): string {
  return `${hostAddress(p)}->${p.containerPort}/${p.protocol}`;
}

function hostAddress(p: PortMapping): string {
  const ip = p.hostIP ?? '0.0.0.0';
  return `${net.isIPv6(ip) ? `[${ip}]` : ip}:${p.hostPort}`;
}

/** Whether two mappings would claim the same host port. */
export function portsOverlap(a: PortMapping, b: PortMapping): boolean {
  if (a.protocol !== b.protocol || a.hostPort !== b.hostPort) return false;
  return a.hostIP === undefined || b.hostIP === undefined || a.hostIP === b.hostIP;
}

export function portConflict(p: PortMapping): ConflictError {
  return new ConflictError(`Bind for ${hostAddress(p)} failed: port is already allocated`);
}

/**
 * Makes sure every host port can be had: not twice in `ports`, not in `taken` (other
 * containers' mappings), and bindable right now (briefly bound and released, as docker's proxy
 * would find it). Host port 0 becomes a free port the kernel picks. Returns the resolved list;
 * throws ConflictError "Bind for 127.0.0.1:8080 failed: port is already allocated".
 */
export async function checkHostPortsFree(ports: readonly PortMapping[], taken: readonly PortMapping[] = []): Promise<PortMapping[]> {
  const resolved: PortMapping[] = [];
  for (const port of ports) {
    let mapping = port;
    for (let attempt = 0; ; attempt++) {
      const bound = await bindBriefly(mapping);
      if (bound === undefined) throw portConflict(mapping);
      const candidate = { ...mapping, hostPort: bound };
      const clash = [...taken, ...resolved].some((other) => portsOverlap(candidate, other));
      if (!clash) {
        resolved.push(candidate);
        break;
      }
      // a fixed port is taken by a container; a picked one may be retried
      if (port.hostPort !== 0 || attempt >= 20) throw portConflict(candidate);
    }
  }
  return resolved;
}

/** Binds the host address and port (0: any free one) and releases it; the port, or undefined when it is in use. */
function bindBriefly(p: PortMapping): Promise<number | undefined> {
  const family = p.hostIP !== undefined && net.isIPv6(p.hostIP) ? 6 : 4;
  const host = p.hostIP ?? '0.0.0.0';
  return p.protocol === 'tcp' ? bindTcp(host, p.hostPort) : bindUdp(host, p.hostPort, family);
}

function bindTcp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined);
      else reject(new UsageError(`-p ${host}:${port}: cannot bind the host port: ${err.code ?? err.message}`));
    });
    server.listen({ host, port, exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

function bindUdp(host: string, port: number, family: 4 | 6): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined);
      else reject(new UsageError(`-p ${host}:${port}/udp: cannot bind the host port: ${err.code ?? err.message}`));
    });
    socket.bind({ address: host, port, exclusive: true }, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}
