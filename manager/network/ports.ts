// Published ports on the network: how they are shown, when two overlap, and the check that a host
// port is free before the portmap plugin is asked for it (portmap only writes DNAT rules; it never
// binds the port, so it cannot notice a port that a host process or another container already
// has). The -p syntax itself is parsed with the other run flags (manager/spec/ports.ts).
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
