// The few iptables facts the manager needs beside the plugins: running iptables (for the
// network's masquerade rule, masquerade.ts) and the names of the per-container chains the
// plugins make (portmap's DNAT chain; the bridge plugin's with ipMasq, which we do not use):
// what the tests look for to prove a container left nothing behind.
import { runCaptured } from '../system/run-captured';

const MAX_CHAIN_LENGTH = 28;

/** The CNI plugins' chain name: "CNI-" + prefix + hex SHA-512 of network name + container id, cut at 28 characters. */
export function cniChainName(networkName: string, containerId: string, prefix = ''): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require('node:crypto') as typeof import('node:crypto'); // on demand: only the tests name these chains
  const hash = crypto.createHash('sha512').update(networkName + containerId).digest('hex');
  return `CNI-${prefix}${hash}`.slice(0, MAX_CHAIN_LENGTH);
}

/** The chains the plugins may create for one container: the bridge's masquerade chain (ipMasq) and portmap's DNAT chain. */
export function containerChains(networkName: string, containerId: string): string[] {
  return [cniChainName(networkName, containerId), cniChainName(networkName, containerId, 'DN-')];
}

/** iptables -w ARGS (waits for the xtables lock); resolves to its exit status and output. */
export async function iptables(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let run;
  try {
    run = await runCaptured('iptables', ['-w', ...args], { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
  } catch (err) {
    throw new Error(`iptables: ${(err as Error).message}`);
  }
  if (run.code === undefined) throw new Error(`iptables: killed by signal ${run.signal}`);
  return { status: run.code, stdout: run.stdout, stderr: run.stderr };
}
