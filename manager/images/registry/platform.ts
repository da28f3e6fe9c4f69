// Platforms as docker writes them (linux/amd64, linux/arm64/v8, linux/arm/v7) and the choice of
// one manifest from an image index: the same os and architecture, and the variant when one is
// asked for (arm64 without a variant is v8; 32-bit arm without one prefers v7, then v6, then v5).
import { UsageError } from '../../errors';
import type { Descriptor, Platform } from '../types';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const NODE_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64el: 'mips64le', loong64: 'loong64' };

/** The platform this process runs on. */
export function hostPlatform(): PlatformSpec {
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  if (architecture === 'arm') {
    const version = (process.config.variables as Record<string, unknown>).arm_version;
    return { os: 'linux', architecture, variant: `v${typeof version === 'string' || typeof version === 'number' ? version : '7'}` };
  }
  return { os: 'linux', architecture };
}

/** Parses os/arch[/variant] (--platform); a bare architecture means linux/<arch>. */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length === 1 && /^[a-z0-9_]+$/.test(parts[0]!)) return normalize({ os: 'linux', architecture: parts[0]! });
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new UsageError(`--platform: "${text}" is not os/arch[/variant] (e.g. linux/amd64, linux/arm64, linux/arm/v7)`);
  }
  return normalize({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] !== undefined ? { variant: parts[2] } : {}) });
}

/** docker's normalization: x86_64 is amd64, aarch64 is arm64, arm64/v8 is plain arm64. */
function normalize(p: PlatformSpec): PlatformSpec {
  const aliases: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', i386: '386', armhf: 'arm', armel: 'arm' };
  const architecture = aliases[p.architecture] ?? p.architecture;
  let variant = p.variant;
  if (p.architecture === 'armhf') variant ??= 'v7';
  if (p.architecture === 'armel') variant ??= 'v6';
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  return { os: p.os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

export function formatPlatform(p: PlatformSpec | Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** How well an index entry's platform fits `want`: undefined if it does not, lower is better. */
function rank(want: PlatformSpec, have: Platform): number | undefined {
  const h = normalize({ os: have.os, architecture: have.architecture, ...(have.variant ? { variant: have.variant.toLowerCase() } : {}) });
  if (h.os !== want.os || h.architecture !== want.architecture) return undefined;
  if (want.variant !== undefined) return h.variant === want.variant ? 0 : undefined;
  if (h.architecture !== 'arm') return h.variant === undefined ? 0 : 1;
  // 32-bit arm, no variant asked: the newest instruction set the entries offer
  const order = ['v7', 'v6', 'v5'];
  const at = order.indexOf(h.variant ?? 'v7');
  return at < 0 ? order.length : at;
}

/** The best entry of an index for `want`, or undefined; entries without a platform never match. */
export function chooseManifest(entries: Descriptor[], want: PlatformSpec): Descriptor | undefined {
  let best: { entry: Descriptor; score: number } | undefined;
  for (const entry of entries) {
    if (!entry.platform) continue;
    const score = rank(want, entry.platform);
    if (score !== undefined && (best === undefined || score < best.score)) best = { entry, score };
  }
  return best?.entry;
}

/** Whether an image config's platform is `want` (a single manifest pulled with --platform). */
export function configMatches(want: PlatformSpec, config: { os: string; architecture: string; variant?: string }): boolean {
  return rank(want, config) !== undefined;
}
