// The few iptables facts the manager needs beside the plugins: running iptables (for the
// network's masquerade rule, masquerade.ts) and the names of the per-container chains the
// plugins make (portmap's DNAT chain; the bridge plugin's with ipMasq, which we do not use):
// what the tests look for to prove a container left nothing behind.
import { childProcess } from '../system/child-process';

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
export function iptables(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    childProcess().execFile(
      'iptables',
      ['-w', ...args],
      { encoding: 'utf8', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : undefined) : 0;
        if (status === undefined) return reject(new Error(`iptables: ${err!.message}`));
        resolve({ status, stdout, stderr });
      },
    );
  });
}
