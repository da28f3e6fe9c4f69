// Masquerading for a bridge network: ONE rule per network in nat POSTROUTING, as docker has one
// per bridge, instead of the bridge plugin's ipMasq (a chain, two rules and a jump per container).
// ipMasq cost 17 iptables processes per `run --rm` (10 at ADD, 7 at DEL; ~10 ms each here), the
// largest part of the network's cost; the network-wide rule costs one check per ADD.
//
//   -s <subnet> ! -o <bridge> ! -d 224.0.0.0/4 -m comment --comment "mydocker network <name>" -j MASQUERADE
//
// Traffic between containers stays on the bridge (! -o) and keeps its addresses, multicast is left
// alone, as the bridge plugin's chain does. The rule lives as long as the network: removed with the
// bridge (removeNetwork); the product's mydocker0 keeps it, as docker0 keeps docker's.
import { withFileLock } from './lock';
import { iptables } from './iptables';

export interface MasqueradedNetwork {
  name: string;
  bridge: string;
  subnet: string;
}

const MULTICAST = '224.0.0.0/4';

/** The rule's text after `-t nat -A POSTROUTING` (also the marker tests look for: the comment). */
export function masqueradeRule(network: MasqueradedNetwork): string[] {
  return ['-s', network.subnet, '!', '-o', network.bridge, '!', '-d', MULTICAST, '-m', 'comment', '--comment', masqueradeComment(network), '-j', 'MASQUERADE'];
}

export function masqueradeComment(network: MasqueradedNetwork): string {
  return `mydocker network ${network.name}`;
}

async function ruleExists(rule: string[]): Promise<boolean> {
  const check = await iptables(['-t', 'nat', '-C', 'POSTROUTING', ...rule]);
  // 1: no such rule; anything else (2: bad rule, 4: resource problem) is an error to report
  if (check.status === 0) return true;
  if (check.status === 1) return false;
  throw new Error(`iptables -t nat -C POSTROUTING: ${check.stderr.trim()}`);
}

/**
 * Makes sure the network's rule is there: one `iptables -C` when it is (every ADD pays only this),
 * else appended under `lockFile` so that concurrent first runs add it once.
 */
export async function ensureMasquerade(network: MasqueradedNetwork, lockFile: string): Promise<void> {
  const rule = masqueradeRule(network);
  if (await ruleExists(rule)) return;
  await withFileLock(lockFile, async () => {
    if (await ruleExists(rule)) return;
    const added = await iptables(['-t', 'nat', '-A', 'POSTROUTING', ...rule]);
    if (added.status !== 0) throw new Error(`network ${network.name}: cannot add its masquerade rule: ${added.stderr.trim()}`);
  });
}

/** Removes the network's rule (every copy of it); nothing to do when it is not there. */
export async function removeMasquerade(network: MasqueradedNetwork): Promise<void> {
  const rule = masqueradeRule(network);
  while ((await iptables(['-t', 'nat', '-D', 'POSTROUTING', ...rule])).status === 0) {
    /* deleted one copy; try again */
  }
  if (await ruleExists(rule)) throw new Error(`network ${network.name}: cannot remove its masquerade rule`);
}
