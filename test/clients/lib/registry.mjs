// A real local registry (Debian's docker-registry, distribution 2.8) and a tiny busybox image
// for the real-client tests (containerd/ctr, podman, docker).
//
//   const registry = await startRegistry();          // { port, host: '127.0.0.1:PORT', stop() }
//   const ref = await pushBusybox(registry);          // '127.0.0.1:PORT/busybox:latest'
//   ...
//   await registry.stop();
//
// Everything lives in temporary directories that are removed by stop() / at process exit; the
// registry listens on 127.0.0.1 only, and only loopback traffic is made.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const BUSYBOX_BIN = fs.existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';

/** Environment for the Go tools: no proxies (Go skips them for loopback anyway), no CA parsing. */
function toolEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(https?|all|no)_proxy$/i.test(k)) delete env[k];
  }
  return env;
}

async function run(cmd, args, opts = {}) {
  try {
    return await execFileP(cmd, args, { env: toolEnv(), maxBuffer: 64 << 20, ...opts });
  } catch (e) {
    e.message = `${cmd} ${args.join(' ')} failed: ${e.message}\nstdout: ${e.stdout ?? ''}\nstderr: ${e.stderr ?? ''}`;
    throw e;
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once a TCP connection to host:port succeeds (a TLS registry: our fetch does not trust its cert). */
function canConnect(host) {
  return new Promise((resolve) => {
    const [hostname, port] = host.split(':');
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Resolves true once GET http://host/v2/ answers 200 (or 401), false if `child` exits first or time runs out. */
async function waitForV2(host, child, timeoutMs, tls = false) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (tls) {
      if (await canConnect(host)) return true;
      await sleep(25);
      continue;
    }
    try {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return true;
    } catch {
      /* not listening yet */
    }
    await sleep(25);
  }
  return false;
}

function killTree(child, signal) {
  try {
    process.kill(child.pid, signal);
  } catch {
    /* gone */
  }
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

const liveRegistries = new Set();
process.once('exit', () => {
  // Last resort (a test that forgot stop()): synchronous kill + cleanup.
  for (const r of liveRegistries) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

/** htpasswd lines (bcrypt, as the registry requires) for { user: password }. */
function htpasswdLines(users) {
  return Object.entries(users)
    .map(([user, password]) => execFileSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8' }).trim())
    .join('\n');
}

/** The auth: section of the registry config for opts.htpasswd / opts.token. */
function authSection(dir, opts) {
  if (opts.htpasswd && opts.token) throw new Error('startRegistry: htpasswd and token auth are exclusive');
  if (opts.htpasswd) {
    const file = path.join(dir, 'htpasswd');
    fs.writeFileSync(file, `${htpasswdLines(opts.htpasswd)}\n`);
    return ['auth:', '  htpasswd:', '    realm: mydocker-test', `    path: ${file}`];
  }
  if (opts.token) {
    const { realm, service, issuer, rootCertBundle } = opts.token;
    return ['auth:', '  token:', `    realm: ${realm}`, `    service: ${service}`, `    issuer: ${issuer}`, `    rootcertbundle: ${rootCertBundle}`];
  }
  return [];
}

/**
 * Starts docker-registry on 127.0.0.1:<free port> with its own config and storage in a temp dir.
 * Options: `htpasswd: { user: password }` (basic auth), `token: { realm, service, issuer,
 * rootCertBundle }` (token auth, see test/lib/token-server.mjs), `schema1: true` (accept
 * schema 1 manifests, e.g. from `skopeo copy --format v2s1`), `tls: { certificate, key }` (HTTPS
 * only, files in PEM).
 * @param {{ timeoutMs?: number, htpasswd?: Record<string, string>, token?: { realm: string, service: string, issuer: string, rootCertBundle: string }, schema1?: boolean, tls?: { certificate: string, key: string } }} [opts]
 * @returns {Promise<{ port: number, host: string, pid: number, dir: string, stop: () => Promise<void> }>}
 */
export async function startRegistry(opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 10000;
  let lastErr = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-registry-'));
    const storage = path.join(dir, 'storage');
    fs.mkdirSync(storage);
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = path.join(dir, 'config.yml');
    fs.writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${storage}`,
        '  delete:',
        '    enabled: true',
        '  maintenance:',
        '    uploadpurging:',
        '      enabled: false',
        'http:',
        `  addr: ${host}`,
        ...(opts.tls ? ['  tls:', `    certificate: ${opts.tls.certificate}`, `    key: ${opts.tls.key}`] : []),
        'health:',
        '  storagedriver:',
        '    enabled: false',
        ...authSection(dir, opts),
        ...(opts.schema1 ? ['compatibility:', '  schema1:', '    enabled: true'] : []),
        '',
      ].join('\n'),
    );
    const logFile = path.join(dir, 'registry.log');
    const logFd = fs.openSync(logFile, 'a');
    const child = spawn(REGISTRY_BIN, ['serve', config], {
      stdio: ['ignore', logFd, logFd],
      env: toolEnv(),
    });
    fs.closeSync(logFd);
    child.on('error', () => {}); // reported through exitCode / waitForV2
    const entry = { pid: child.pid, dir };
    liveRegistries.add(entry);
    const up = await waitForV2(host, child, timeoutMs, Boolean(opts.tls));
    if (up) {
      let stopped = false;
      return {
        port,
        host,
        pid: child.pid,
        dir,
        async stop() {
          if (stopped) return;
          stopped = true;
          killTree(child, 'SIGTERM');
          if (!(await waitExit(child, 3000))) {
            killTree(child, 'SIGKILL');
            await waitExit(child, 3000);
          }
          liveRegistries.delete(entry);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastErr = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    killTree(child, 'SIGKILL');
    await waitExit(child, 3000);
    liveRegistries.delete(entry);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`docker-registry did not come up on 127.0.0.1 (5 attempts); last log:\n${lastErr}`);
}

/** Writes the busybox root filesystem (Debian's static busybox, applet symlinks, passwd/group, /tmp). */
export function makeBusyboxRootfs(root) {
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'home', 'var', 'run']) {
    fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o755 });
  }
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.chmodSync(path.join(root, 'root'), 0o700);
  fs.copyFileSync(BUSYBOX_BIN, path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(BUSYBOX_BIN, ['--list'], { encoding: 'utf8' }).split('\n');
  for (const applet of applets.map((s) => s.trim())) {
    if (!applet || applet === 'busybox' || applet.includes('/')) continue;
    fs.symlinkSync('busybox', path.join(root, 'bin', applet));
  }
  fs.writeFileSync(
    path.join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\n' +
      'daemon:x:1:1:daemon:/:/bin/false\n' +
      'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  fs.writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\ndaemon:x:1:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\n');
  return root;
}

let layoutPromise = null;
let layoutParent = null;

/**
 * Builds (once per process) an OCI image layout DIR with tag `latest`: one layer holding the busybox
 * rootfs, config Cmd ["sh"], Env [PATH=...]. Made with umoci init/new/unpack/repack/config.
 * @returns {Promise<string>} the layout directory
 */
export function busyboxLayout() {
  if (!layoutPromise || (layoutParent && !fs.existsSync(layoutParent))) {
    layoutPromise = buildLayout();
    layoutPromise.catch(() => {
      layoutPromise = null;
    });
  }
  return layoutPromise;
}

async function buildLayout() {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-busybox-oci-'));
  layoutParent = parent;
  process.once('exit', () => fs.rmSync(parent, { recursive: true, force: true }));
  const layout = path.join(parent, 'layout');
  const bundle = path.join(parent, 'bundle');
  const image = `${layout}:latest`;
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', image]);
  await run('umoci', ['unpack', '--image', image, bundle]);
  makeBusyboxRootfs(path.join(bundle, 'rootfs'));
  await run('umoci', ['repack', '--image', image, bundle]);
  await run('umoci', [
    'config',
    '--image',
    image,
    '--config.cmd',
    'sh',
    '--config.env',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--config.workingdir',
    '/',
    '--author',
    'mydocker tests',
  ]);
  // umoci leaves the old (empty) manifests as unreferenced blobs; `gc` drops them.
  await run('umoci', ['gc', '--layout', layout]);
  fs.rmSync(bundle, { recursive: true, force: true });
  return layout;
}

/**
 * Pushes the busybox image to `registry` as NAME:TAG.
 * @param {{ host: string }} registry from startRegistry()
 * @param {string} [name]
 * @param {string} [tag]
 * @param {{ format?: 'oci' | 'v2s2' | 'v2s1', creds?: string }} [opts] manifest format pushed (default 'oci');
 *   creds 'user:password' for a registry with authentication
 * @returns {Promise<string>} the image reference, '127.0.0.1:PORT/NAME:TAG'
 */
export async function pushBusybox(registry, name = 'busybox', tag = 'latest', opts = {}) {
  const layout = await busyboxLayout();
  const ref = `${registry.host}/${name}:${tag}`;
  const args = ['copy', '--quiet', '--dest-tls-verify=false'];
  if (opts.creds) args.push('--dest-creds', opts.creds);
  args.push('--format', opts.format ?? 'oci');
  args.push(`oci:${layout}:latest`, `docker://${ref}`);
  await run('skopeo', args, { timeout: 60000 });
  return ref;
}
