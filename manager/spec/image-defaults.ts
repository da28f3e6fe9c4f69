// What an image config asks of the manager besides the process: the stop signal, the ports it
// exposes and the VOLUMEs docker backs with anonymous volumes.
import os = require('node:os');
import { UsageError } from '../errors';
import type { ImageConfig } from '../images/types';
import type { PortProtocol } from './ports';

export interface ExposedPort {
  port: number;
  protocol: PortProtocol;
}

export interface ImageDefaults {
  /** the image's StopSignal, normalized to SIGNAME or a number; SIGTERM by default */
  stopSignal: string;
  /** sorted by port, then protocol */
  exposedPorts: ExposedPort[];
  /** container paths that get a new anonymous volume unless the run mounts something there */
  anonymousVolumes: string[];
  labels: Record<string, string>;
}

/** "TERM", "sigterm", "SIGTERM", "15" -> "SIGTERM" / "15"; anything else is an error. */
export function normalizeSignal(value: string): string {
  const v = value.trim().toUpperCase();
  if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 64) return v;
  const name = v.startsWith('SIG') ? v : `SIG${v}`;
  if (/^SIGRTM(IN|AX)([+-]\d+)?$/.test(name) || name in os.constants.signals) return name;
  throw new UsageError(`invalid signal: ${value}`);
}

export function imageDefaults(image: ImageConfig): ImageDefaults {
  const config = image.config ?? {};
  const exposedPorts: ExposedPort[] = [];
  for (const key of Object.keys(config.ExposedPorts ?? {})) {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(key);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) continue; // docker ignores what it cannot parse
    exposedPorts.push({ port: Number(m[1]), protocol: (m[2]?.toLowerCase() ?? 'tcp') as PortProtocol });
  }
  exposedPorts.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  return {
    stopSignal: config.StopSignal ? normalizeSignal(config.StopSignal) : 'SIGTERM',
    exposedPorts,
    anonymousVolumes: Object.keys(config.Volumes ?? {}).filter((p) => p.startsWith('/')),
    labels: { ...(config.Labels ?? {}) },
  };
}
