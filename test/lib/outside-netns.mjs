// A network namespace "beyond the host" for network tests: joined to the host by a veth pair on
// a /30 of its own (the host side takes .1, the namespace .2) and with no route to anything else,
// so a container's connection gets an answer only when the host masquerades it.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';

function ip(args) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** `subnet`: a free a.b.c.0/24 (freeSubnet()); the link uses its first /30. */
export function outsideNamespace(subnet) {
  const id = crypto.randomBytes(3).toString('hex');
  const name = `mdtout${id}`;
  const hostIf = `mdtoh${id}`;
  const prefix = subnet.split('.').slice(0, 3).join('.');
  const hostAddress = `${prefix}.1`;
  const address = `${prefix}.2`;
  const children = [];
  ip(['netns', 'add', name]);
  try {
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', name, 'addr', 'add', `${address}/30`, 'dev', 'eth0']);
    ip(['-n', name, 'link', 'set', 'eth0', 'up']);
  } catch (err) {
    spawnSync('ip', ['link', 'delete', hostIf]);
    spawnSync('ip', ['netns', 'delete', name]);
    throw err;
  }
  return {
    name,
    address,
    hostAddress,
    /** A TCP server in the namespace that answers each connection with the peer address it sees. */
    startPeerEchoServer() {
      const script = `const s = require('net').createServer((c) => c.end(c.remoteAddress.replace(/^::ffff:/, '') + '\\n'));
        s.listen(0, ${JSON.stringify(address)}, () => console.log(s.address().port));`;
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      return new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the echo server exited (${code})`)));
        child.stdout.once('data', (d) => resolve({ port: Number(String(d).trim()) }));
      });
    },
    async remove() {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          await exited;
        }
      }
      spawnSync('ip', ['link', 'delete', hostIf]);
      spawnSync('ip', ['netns', 'delete', name]);
    },
  };
}
