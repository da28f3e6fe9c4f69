// What `mydocker version` reports.
import { execFileSync } from 'node:child_process';
import type { Context } from '../context';

export interface VersionInfo {
  version: string;
  commit: string;
  node: string;
  os: string;
  arch: string;
  runtime: { path: string; version: string };
}

/** Go's names for the architectures, as docker and OCI image indexes use them. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

export function versionInfo(ctx: Context, own: { version: string; commit: string }): VersionInfo {
  let runtimeVersion = 'unavailable';
  try {
    runtimeVersion = execFileSync(ctx.runtime, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
  } catch {
    /* reported as unavailable */
  }
  return { ...own, node: process.version, os: process.platform, arch: goArch(), runtime: { path: ctx.runtime, version: runtimeVersion } };
}
