// The few iptables facts the manager needs beside the plugins: the names of the per-container
// chains the bridge (ipMasq) and portmap plugins make, and the removal of a masquerade chain
// the bridge plugin leaves behind when its DEL finds the namespace gone (containernetworking-
// plugins 1.1 learns the addresses to unmasquerade from the interface in the namespace).
import childProcess = require('node:child_process');
import crypto = require('node:crypto');

const MAX_CHAIN_LENGTH = 28;

/** The CNI plugins' chain name: "CNI-" + prefix + hex SHA-512 of network name + container id, cut at 28 characters. */
export function cniChainName(networkName: string, containerId: string, prefix = ''): string {
  const hash = crypto.createHash('sha512').update(networkName + containerId).digest('hex');
  return `CNI-${prefix}${hash}`.slice(0, MAX_CHAIN_LENGTH);
}

/** The chains the plugins create for one container: the bridge's masquerade chain and portmap's DNAT chain. */
export function containerChains(networkName: string, containerId: string): string[] {
  return [cniChainName(networkName, containerId), cniChainName(networkName, containerId, 'DN-')];
}

function iptables(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    childProcess.execFile(
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

/**
 * Removes a nat chain and every rule in POSTROUTING that jumps to it; nothing to do when the
 * chain does not exist. Resolves to whether something was removed.
 */
export async function removeNatChain(chain: string): Promise<boolean> {
  if ((await iptables(['-t', 'nat', '-S', chain])).status !== 0) return false;
  const rules = (await iptables(['-t', 'nat', '-S', 'POSTROUTING'])).stdout.split('\n');
  for (const rule of rules) {
    const words = splitRule(rule);
    if (words[0] !== '-A' || words.at(-2) !== '-j' || words.at(-1) !== chain) continue;
    await iptables(['-t', 'nat', '-D', ...words.slice(1)]);
  }
  await iptables(['-t', 'nat', '-F', chain]);
  const removed = await iptables(['-t', 'nat', '-X', chain]);
  if (removed.status !== 0) throw new Error(`iptables -t nat -X ${chain}: ${removed.stderr.trim()}`);
  return true;
}

/** Splits a rule as `iptables -S` prints it: words, and double-quoted strings with backslash escapes. */
export function splitRule(rule: string): string[] {
  const words: string[] = [];
  for (const match of rule.matchAll(/"((?:\\.|[^"\\])*)"|(\S+)/g)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  }
  return words;
}
