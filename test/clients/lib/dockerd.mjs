// A private dockerd (Debian's docker.io 20.10: dockerd + its own containerd + containerd-shim-runc-v2)
// for the real-client tests and bench/clients.mjs.
//
//   const D = createDockerd({ tag, runtimes: { mydocker: '/abs/runtime' } }); // notes iptables etc.
//   await D.start({ insecureRegistries: [registry.host] });
//   await D.docker(['pull', '--quiet', ref]);  await D.docker(['run', '--rm', '--runtime', 'mydocker', ref, 'true']);
//   D.cleanup();                                 // synchronous, idempotent; also run at process exit
//
// data-root, exec-root, pidfile, trust key and a unix socket in a temporary directory; the runtimes
// given (plus docker's own runc, the default), its containers' cgroups under a cgroup parent of its
// own, and a bridge of its own (created and deleted here) as the default bridge network. iptables,
// ip-forward and ip-masq are off, so dockerd leaves the host's firewall and sysctls alone: a port
// published on 127.0.0.1 is served by docker-proxy, and the host reaches the containers over the bridge.
//
// cleanup(): containers and images, dockerd then its containerd (SIGTERM, then SIGKILL) and every
// process whose command line names the temporary directory (the shims), by pid; mounts under the
// temporary directory, the directory itself, the cgroups under our parent, our bridge, any DOCKER*
// iptables chain or rule that was not there at createDockerd(), /run/docker if dockerd made it.
// Importing this module has no side effects.
import { execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { alive, cgroupHierarchies, pidsMentioning, removeCgroupTree, sleep, terminateSync, unmountUnder } from './host.mjs';

export const DOCKERD = '/usr/sbin/dockerd';
// Debian's docker CLI, the same version as dockerd (another `docker` may come first in PATH).
export const DOCKER = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** A clean environment for dockerd and the docker CLI: no proxies, no other daemon or CLI config, no NODE_EXTRA_CA_CERTS. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(https?|all|no)_proxy$/i.test(k) || /^DOCKER_/.test(k) || k === 'NODE_EXTRA_CA_CERTS') delete env[k];
  }
  env.PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  return { ...env, ...extra };
}

/** Runs a command; resolves { code, stdout, stderr, cmd } whatever the exit status (code: number, or a string saying why not). */
export function runCmd(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { maxBuffer: 64 << 20, timeout: 30000, killSignal: 'SIGKILL', ...opts }, (err, stdout, stderr) => {
      let code = 0;
      if (err) code = typeof err.code === 'number' ? err.code : err.killed ? `killed after ${opts.timeout ?? 30000} ms (hung)` : err.signal ? `signal ${err.signal}` : String(err.code ?? err.message);
      resolve({ code, stdout: String(stdout), stderr: String(stderr), cmd: `${cmd} ${args.join(' ')}` });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

/** stdout of a command, or null if it failed. */
export function tryRun(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000, ...opts });
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// iptables: what dockerd might add (it should add nothing with "iptables": false)

function iptablesSave(cmd) {
  const out = tryRun(cmd, []);
  if (out === null) return null;
  const rules = [];
  const chains = [];
  let table = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) chains.push(`${table} ${line.slice(1).split(' ')[0]}`);
    else if (line.startsWith('-A ')) rules.push(`${table} ${line}`);
  }
  return { rules, chains };
}

function shellSplit(s) {
  const out = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m;
  while ((m = re.exec(s))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

/** Deletes rules mentioning DOCKER or `bridge`, and DOCKER* chains, that `before` did not have. */
function restoreIptables(cmd, before, bridge) {
  if (!before) return [];
  const now = iptablesSave(cmd);
  if (!now) return [];
  const removed = [];
  const oldRules = new Set(before.rules);
  const oldChains = new Set(before.chains);
  for (const r of now.rules) {
    if (oldRules.has(r) || !(/DOCKER/.test(r) || r.includes(bridge))) continue;
    const [table, , ...rest] = shellSplit(r);
    if (tryRun(cmd.replace('-save', ''), ['-w', '-t', table, '-D', ...rest]) !== null) removed.push(r);
  }
  for (const c of now.chains) {
    const [table, chain] = c.split(' ');
    if (oldChains.has(c) || !chain.startsWith('DOCKER')) continue;
    const bin = cmd.replace('-save', '');
    tryRun(bin, ['-w', '-t', table, '-F', chain]);
    if (tryRun(bin, ['-w', '-t', table, '-X', chain]) !== null) removed.push(`chain ${c}`);
  }
  return removed;
}

/** An IPv4 /24 in 10.200-254.x.0 that no route or address of this host overlaps (returned as "10.a.b"). */
export function pickSubnet() {
  const toInt = (ip) => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const used = [];
  for (const cmd of [
    ['-j', '-4', 'route', 'show', 'table', 'all'],
    ['-j', '-4', 'addr', 'show'],
  ]) {
    const out = tryRun('ip', cmd);
    if (!out) continue;
    for (const e of JSON.parse(out)) {
      const cidrs = [];
      if (e.dst && e.dst !== 'default') cidrs.push(e.dst);
      for (const a of e.addr_info ?? []) cidrs.push(`${a.local}/${a.prefixlen}`);
      for (const c of cidrs) {
        const [ip, len = '32'] = c.split('/');
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) continue;
        const size = 2 ** (32 - Number(len));
        const start = Math.floor(toInt(ip) / size) * size;
        used.push([start, start + size]);
      }
    }
  }
  for (let i = 0; i < 200; i++) {
    const a = 200 + crypto.randomInt(55);
    const b = crypto.randomInt(256);
    const start = toInt(`10.${a}.${b}.0`);
    if (!used.some(([s, e]) => start < e && s < start + 256)) return `10.${a}.${b}`;
  }
  throw new Error('no free 10.x.y.0/24 for the dockerd bridge');
}

/**
 * A private dockerd, not started yet. Notes the iptables rules, ip_forward and whether /run/docker
 * exists (cleanup() compares), and registers cleanup() for process exit.
 * @param {object} [opts]
 * @param {string} [opts.tag] random by default; names the bridge `mdkd<tag>` (<= 15 characters: tag <= 11)
 * @param {string} [opts.bridge] default `mdkd<tag>`
 * @param {string} [opts.cgroupParent] default `mydocker-test-docker-<tag>` (relative to each hierarchy's root)
 * @param {Record<string, string>} [opts.runtimes] docker runtime name -> path ("runtimes" of daemon.json)
 * @param {string} [opts.logLevel] dockerd's log-level (default debug)
 * @param {string} [opts.keepLogAs] copy dockerd's log there at cleanup
 * @param {string} [opts.what] names the owner in cleanup notes (default "docker test")
 */
export function createDockerd(opts = {}) {
  const tag = opts.tag ?? crypto.randomBytes(3).toString('hex');
  const D = {
    tag,
    bridge: opts.bridge ?? `mdkd${tag}`,
    cgroupParent: opts.cgroupParent ?? `mydocker-test-docker-${tag}`,
    runtimes: opts.runtimes ?? {},
    dir: '',
    dataRoot: '',
    execRoot: '',
    sock: '',
    log: '',
    proc: null,
    pid: 0,
    containerdPid: 0,
    subnet: '',
    // free for the caller (the tests keep their registry and image reference here)
    registry: null,
    image: '',
    ipt: {},
    ipForward: null,
    runDockerExisted: true,
    cleaned: false,
    cleanupNotes: [],

    /** The environment for the docker CLI against this dockerd. */
    env() {
      return cleanEnv({ DOCKER_HOST: `unix://${D.sock}`, DOCKER_CONFIG: path.join(D.dir, 'cli') });
    },
    /** `docker ARGS` against this dockerd (see runCmd). */
    docker(args, runOpts = {}) {
      return runCmd(DOCKER, args, { env: D.env(), ...runOpts });
    },
    /** GET /_ping over the unix socket. */
    ping() {
      return new Promise((resolve) => {
        const req = http.get({ socketPath: D.sock, path: '/_ping', timeout: 1000 }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        });
        req.on('error', () => resolve(false));
        req.on('timeout', () => {
          req.destroy();
          resolve(false);
        });
      });
    },
    /** The last n lines of dockerd's log (those containing `filter`, if given). */
    logTail(n, filter) {
      try {
        let lines = fs.readFileSync(D.log, 'utf8').split('\n');
        if (filter) lines = lines.filter((l) => l.includes(filter));
        return lines.slice(-n).join('\n');
      } catch {
        return '(no dockerd log)';
      }
    },
    /** Every cgroup hierarchy's copy of our parent. */
    cgroupDirs() {
      const dirs = [];
      for (const b of new Set(['/sys/fs/cgroup', ...cgroupHierarchies()])) {
        const d = path.join(b, D.cgroupParent);
        if (fs.existsSync(d)) dirs.push(d);
      }
      return dirs;
    },

    /** Makes the bridge and the temp dir, starts dockerd, resolves once it answers /_ping (60 s at most). */
    async start({ insecureRegistries = [], timeoutMs = 60000 } = {}) {
      D.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-dockerd-'));
      D.dataRoot = path.join(D.dir, 'data');
      D.execRoot = path.join(D.dir, 'exec');
      D.sock = path.join(D.dir, 'docker.sock');
      D.log = path.join(D.dir, 'dockerd.log');
      fs.mkdirSync(path.join(D.dir, 'cli'));

      // Our own bridge, with an address: dockerd uses it as the default network's bridge.
      D.subnet = pickSubnet();
      execFileSync('ip', ['link', 'add', D.bridge, 'type', 'bridge']);
      execFileSync('ip', ['addr', 'add', `${D.subnet}.1/24`, 'dev', D.bridge]);
      execFileSync('ip', ['link', 'set', D.bridge, 'up']);

      const config = {
        'data-root': D.dataRoot,
        'exec-root': D.execRoot,
        pidfile: path.join(D.dir, 'docker.pid'),
        hosts: [`unix://${D.sock}`],
        'deprecated-key-path': path.join(D.dir, 'key.json'), // else /etc/docker/key.json
        'storage-driver': 'overlay2',
        'insecure-registries': insecureRegistries,
        runtimes: Object.fromEntries(Object.entries(D.runtimes).map(([name, p]) => [name, { path: p }])),
        'default-runtime': 'runc',
        'cgroup-parent': `/${D.cgroupParent}`,
        'exec-opts': ['native.cgroupdriver=cgroupfs'],
        bridge: D.bridge,
        iptables: false,
        ip6tables: false,
        'ip-forward': false,
        'ip-masq': false,
        'userland-proxy': true,
        'log-level': opts.logLevel ?? 'debug',
        'shutdown-timeout': 5,
        features: { buildkit: false },
      };
      const configFile = path.join(D.dir, 'daemon.json');
      fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
      const logFd = fs.openSync(D.log, 'a');
      D.proc = spawn(DOCKERD, ['--config-file', configFile], { stdio: ['ignore', logFd, logFd], env: cleanEnv(), cwd: D.dir });
      fs.closeSync(logFd);
      D.proc.on('error', () => {});
      D.pid = D.proc.pid;

      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (D.proc.exitCode !== null || D.proc.signalCode !== null) break;
        if (await D.ping()) break;
        await sleep(100);
      }
      try {
        D.containerdPid = Number(fs.readFileSync(path.join(D.execRoot, 'containerd', 'containerd.pid'), 'utf8').trim()) || 0;
      } catch {
        /* not up */
      }
      if (!(await D.ping())) {
        throw new Error(`dockerd did not come up (exit ${D.proc.exitCode ?? D.proc.signalCode}); log tail:\n${D.logTail(40)}`);
      }
    },

    /** Synchronous, idempotent cleanup of everything this dockerd made (see the top of this file). */
    cleanup() {
      if (D.cleaned || !D.dir) return;
      D.cleaned = true;
      const notes = D.cleanupNotes;
      const env = D.env();
      const dockerSync = (args) => tryRun(DOCKER, args, { env });
      if (D.pid && alive(D.pid)) {
        const ids = (dockerSync(['ps', '-aq']) ?? '').split('\n').filter(Boolean);
        if (ids.length) dockerSync(['rm', '-f', ...ids]);
        const images = (dockerSync(['images', '-q']) ?? '').split('\n').filter(Boolean);
        if (images.length) dockerSync(['rmi', '-f', ...new Set(images)]);
      }
      if (!D.containerdPid) {
        try {
          D.containerdPid = Number(fs.readFileSync(path.join(D.execRoot, 'containerd', 'containerd.pid'), 'utf8').trim()) || 0;
        } catch {
          /* never started */
        }
      }
      // dockerd stops its containers and its containerd; then whatever is left, by pid.
      terminateSync(D.pid, 20000);
      terminateSync(D.containerdPid, 10000);
      for (const pid of pidsMentioning(D.dir)) {
        notes.push(`killed leftover pid ${pid}: ${tryRun('ps', ['-o', 'args=', '-p', String(pid)])?.trim()}`);
        terminateSync(pid, 3000);
      }
      for (const dir of D.cgroupDirs()) {
        for (const f of removeCgroupTree(dir, { killProcs: true })) notes.push(`cannot remove cgroup ${f}`);
      }
      // Mounts under our directory (overlays, shm, netns, the data-root's private bind), deepest first.
      unmountUnder(D.dir);
      if (opts.keepLogAs) {
        try {
          fs.copyFileSync(D.log, opts.keepLogAs);
          notes.push(`dockerd log kept in ${opts.keepLogAs}`);
        } catch {
          /* none */
        }
      }
      try {
        fs.rmSync(D.dir, { recursive: true, force: true });
      } catch (e) {
        notes.push(`cannot remove ${D.dir}: ${e.message}`);
      }
      if (tryRun('ip', ['link', 'show', D.bridge]) !== null) tryRun('ip', ['link', 'del', D.bridge]);
      for (const cmd of ['iptables-save', 'ip6tables-save']) {
        for (const r of restoreIptables(cmd, D.ipt[cmd], D.bridge)) notes.push(`${cmd}: removed ${r}`);
      }
      // dockerd makes /run/docker/plugins whatever its exec-root is.
      if (!D.runDockerExisted) {
        try {
          fs.rmdirSync('/run/docker/plugins');
          fs.rmdirSync('/run/docker');
        } catch {
          /* in use by another dockerd, or gone */
        }
      }
      const fwd = tryRun('cat', ['/proc/sys/net/ipv4/ip_forward'])?.trim();
      if (D.ipForward !== null && fwd !== D.ipForward) notes.push(`net.ipv4.ip_forward changed meanwhile: ${D.ipForward} -> ${fwd} (not by this dockerd: "ip-forward": false)`);
      if (notes.length) console.error(`# ${opts.what ?? 'docker test'} cleanup:\n# ${notes.join('\n# ')}`);
    },
  };
  for (const cmd of ['iptables-save', 'ip6tables-save']) D.ipt[cmd] = iptablesSave(cmd);
  D.ipForward = tryRun('cat', ['/proc/sys/net/ipv4/ip_forward'])?.trim() ?? null;
  D.runDockerExisted = fs.existsSync('/run/docker');
  process.once('exit', () => D.cleanup());
  return D;
}

