// -p/--publish values: [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL], as docker reads them.
import { invalidFlag } from './units';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  /** '' for every address */
  hostIp: string;
  /** 0: any free port */
  hostPort: number;
  /** the end of a host port range to pick one from (a range published to a single container port) */
  hostPortEnd?: number;
  containerPort: number;
  protocol: PortProtocol;
}

const FLAG = '-p, --publish';

function portRange(raw: string, text: string, what: string, min: number): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] !== undefined ? Number(m[2]) : start;
  if (!m || start < min || end > 65535 || end < start) throw invalidFlag(FLAG, raw, `invalid ${what}: ${text}`);
  return [start, end];
}

/** One -p value -> one mapping per container port. */
export function parsePublish(value: string): PortMapping[] {
  const parts = value.split(':');
  const last = parts.pop()!;
  const hostPortText = parts.length > 0 ? parts.pop()! : '';
  let hostIp = parts.join(':');
  if (hostIp.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
  if (hostIp !== '' && !isIPAddress(hostIp)) throw invalidFlag(FLAG, value, `invalid IP address: ${hostIp}`);
  const slash = last.indexOf('/');
  const containerText = slash < 0 ? last : last.slice(0, slash);
  const protocol = (slash < 0 ? 'tcp' : last.slice(slash + 1).toLowerCase()) as PortProtocol;
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw invalidFlag(FLAG, value, `invalid protocol: ${protocol}`);
  if (containerText === '') throw invalidFlag(FLAG, value, 'no container port specified');
  const [cStart, cEnd] = portRange(value, containerText, 'container port', 1);
  if (hostPortText === '') {
    return Array.from({ length: cEnd - cStart + 1 }, (_, i) => ({ hostIp, hostPort: 0, containerPort: cStart + i, protocol }));
  }
  const [hStart, hEnd] = portRange(value, hostPortText, 'host port', 0);
  if (cStart === cEnd && hEnd > hStart) return [{ hostIp, hostPort: hStart, hostPortEnd: hEnd, containerPort: cStart, protocol }];
  if (hEnd - hStart !== cEnd - cStart) {
    throw invalidFlag(FLAG, value, `invalid ranges specified for container and host ports: ${containerText} and ${hostPortText}`);
  }
  return Array.from({ length: cEnd - cStart + 1 }, (_, i) => ({
    hostIp,
    hostPort: hStart === 0 ? 0 : hStart + i,
    containerPort: cStart + i,
    protocol,
  }));
}

/** node:net on demand (only `-p IP:...` needs it): loading it costs about 6 ms of every run. */
function isIPAddress(value: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:net') as typeof import('node:net')).isIP(value) !== 0;
}
