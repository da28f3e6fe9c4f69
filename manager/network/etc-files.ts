// /etc/hosts, /etc/resolv.conf and /etc/hostname for a container, written into its directory;
// the caller bind-mounts them over the image's (as docker does, so the image stays untouched).
import fs = require('node:fs');
import net = require('node:net');
import path = require('node:path');

export interface EtcFilesOptions {
  hostname: string;
  /** the container's name, a second alias of its address */
  name?: string;
  /** the container's address on its network; none with --network none */
  ip?: string;
  /** `--add-host name:ip` entries */
  extraHosts?: { host: string; ip: string }[];
  /** default /etc/resolv.conf */
  hostResolvConf?: string;
}

export interface EtcFiles {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

/** docker's fallback when the host's only nameservers are loopback addresses (unreachable from the container). */
export const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];
const SYSTEMD_RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';

export function writeEtcFiles(dir: string, opts: EtcFilesOptions): EtcFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files: EtcFiles = {
    hosts: path.join(dir, 'hosts'),
    resolvConf: path.join(dir, 'resolv.conf'),
    hostname: path.join(dir, 'hostname'),
  };
  writeFile(files.hosts, hostsFile(opts));
  writeFile(files.resolvConf, resolvConf(readHostResolvConf(opts.hostResolvConf)));
  writeFile(files.hostname, `${opts.hostname}\n`);
  return files;
}

/**
 * Rewrites the hosts file of writeEtcFiles in place (same inode): a container created meanwhile
 * has it bind-mounted already, and sees the new contents (its address, once the network is attached).
 */
export function rewriteHostsFile(dir: string, opts: EtcFilesOptions): void {
  fs.writeFileSync(path.join(dir, 'hosts'), hostsFile(opts));
}

function writeFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

export function hostsFile(opts: EtcFilesOptions): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const extra of opts.extraHosts ?? []) lines.push(`${extra.ip}\t${extra.host}`);
  const names = [opts.hostname, ...(opts.name && opts.name !== opts.hostname ? [opts.name] : [])];
  if (opts.ip) lines.push(`${opts.ip}\t${names.join(' ')}`);
  else lines.push(`127.0.1.1\t${names.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

function readHostResolvConf(file = '/etc/resolv.conf'): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  // systemd-resolved's stub (127.0.0.53) is useless inside; its upstream list is what docker uses
  if (file === '/etc/resolv.conf' && nameservers(text).every(isLoopback) && fs.existsSync(SYSTEMD_RESOLVED_UPSTREAM)) {
    try {
      return fs.readFileSync(SYSTEMD_RESOLVED_UPSTREAM, 'utf8');
    } catch {
      /* keep the stub's file */
    }
  }
  return text;
}

function nameservers(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((ns): ns is string => ns !== undefined);
}

function isLoopback(address: string): boolean {
  const plain = address.split('%')[0]!;
  if (net.isIPv4(plain)) return plain.startsWith('127.');
  return plain === '::1' || plain === '0:0:0:0:0:0:0:1';
}

/** The host's resolv.conf without loopback nameservers; docker's public fallback when none is left. */
export function resolvConf(hostText: string): string {
  const kept = hostText.split('\n').filter((line) => {
    const ns = /^\s*nameserver\s+(\S+)/.exec(line)?.[1];
    return ns === undefined || !isLoopback(ns);
  });
  while (kept.length && kept.at(-1)!.trim() === '') kept.pop();
  if (nameservers(kept.join('\n')).length === 0) for (const ns of FALLBACK_NAMESERVERS) kept.push(`nameserver ${ns}`);
  return `${kept.join('\n')}\n`;
}
