// A private containerd 1.6 for the real-client tests and bench/clients.mjs: root, state, opt and its
// gRPC/ttrpc sockets in a temp dir, the CRI plugin (and the snapshotters we do not use) disabled.
//
//   const cd = await startContainerd();                // { dir, sock, pid, ctr(), log(), bundleLog(), ... }
//   await cd.ctr(ns, ['image', 'pull', '--plain-http', ref]);
//   await cd.ctr(ns, ['run', '--rm', '--runc-binary', RUNTIME, ref, id, 'true']);
//   await cd.stop({ namespaces: [ns], images: [ref] });
//
// stop() removes the containers of the given namespaces and the images, stops containerd by pid
// (SIGTERM, then SIGKILL), kills shims left by *this* containerd (found by its socket address),
// unmounts what is left under the temp dir, removes the cgroup directories of the namespaces
// (cgroupsPath /<ns>/<id>), the shim's runtime root /run/containerd/runc/<ns> and the temp dir.
// Child processes get process.env as it is when they start, less proxy variables.
// Importing this module has no side effects.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envWithoutProxies, mountsUnder, pidsMentioning, removeCgroupEverywhere, sleep, stopChild } from './host.mjs';

export const CONTAINERD = '/usr/bin/containerd';
export const CTR = 'ctr';
/** Where containerd-shim-runc-v2 keeps the runtime's state (its --root) for namespace NS: DIR/NS. */
export const SHIM_RUNC_ROOT = '/run/containerd/runc';

const shq = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, `'\\''`)}'`);

/**
 * Runs a command; never throws. Resolves { cmd, code, signal, timedOut, stdout, stderr, ms }.
 * `onStdout(allStdoutSoFar, child)` lets a caller react to output (e.g. write stdin once a prompt appears).
 */
export function exec(cmd, args, { input, timeoutMs = 30000, onStdout, keepStdinOpen = false, env } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env: env ?? envWithoutProxies(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    child.on('error', (e) => (stderr += String(e)));
    if (input !== undefined) child.stdin.write(input);
    if (!keepStdinOpen) child.stdin.end();
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        cmd: [cmd, ...args].map(shq).join(' '),
        code,
        signal,
        timedOut,
        stdout,
        stderr,
        ms: Date.now() - t0,
      });
    });
  });
}

/**
 * Starts containerd with everything in a new temp dir; resolves once `ctr version` reaches it.
 * On failure everything is cleaned up and the error carries the end of containerd's log.
 * @param {{ prefix?: string, logLevel?: string, timeoutMs?: number }} [opts]
 */
export async function startContainerd({ prefix = 'mydocker-containerd-', logLevel = 'info', timeoutMs = 20000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const sock = path.join(dir, 'c.sock');
  const logFile = path.join(dir, 'containerd.log');
  const config = path.join(dir, 'config.toml');
  fs.writeFileSync(
    config,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]',
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '[debug]',
      `  level = "${logLevel}"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${dir}/opt"`,
      '',
    ].join('\n'),
  );
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(CONTAINERD, ['--config', config], { env: envWithoutProxies(), stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  child.on('error', () => {});

  let stopped = false;
  const cd = {
    dir,
    sock,
    child,
    pid: child.pid,
    /** `ctr --address SOCK --namespace NS ARGS` (see exec() for opts and the result). */
    ctr(ns, args, opts) {
      return exec(CTR, ['--address', sock, '--namespace', ns, ...args], opts);
    },
    /** The last 40 lines of containerd's log (only those containing `filter`, if given). */
    log(filter) {
      try {
        const lines = fs.readFileSync(logFile, 'utf8').split('\n');
        return (filter ? lines.filter((l) => l.includes(filter)) : lines).slice(-40).join('\n');
      } catch {
        return '';
      }
    },
    /** The shim's bundle log (the runtime's --log json file) of a container, while its bundle exists. */
    bundleLog(ns, id) {
      try {
        return fs.readFileSync(path.join(dir, 'state', 'io.containerd.runtime.v2.task', ns, id, 'log.json'), 'utf8');
      } catch {
        return '';
      }
    },
    /** pids of the containerd-shim processes this containerd started (matched on its socket address). */
    shims() {
      return pidsMentioning(sock, /containerd-shim/).filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(sock);
        } catch {
          return false;
        }
      });
    },
    /** Best-effort removal of a container and its task. */
    async removeContainer(ns, id) {
      const ls = await cd.ctr(ns, ['task', 'ls'], { timeoutMs: 10000 });
      if (new RegExp(`^${id}\\s`, 'm').test(ls.stdout)) {
        await cd.ctr(ns, ['task', 'kill', '--all', '--signal', 'SIGKILL', id], { timeoutMs: 10000 });
        await cd.ctr(ns, ['task', 'delete', '--force', id], { timeoutMs: 15000 });
      }
      await cd.ctr(ns, ['container', 'delete', id], { timeoutMs: 10000 });
    },
    /** Removes everything (see the top of this file). Idempotent. */
    async stop({ namespaces = [], images = [] } = {}) {
      if (stopped) return;
      stopped = true;
      try {
        if (child.exitCode === null && child.signalCode === null) {
          for (const ns of namespaces) {
            const cs = await cd.ctr(ns, ['container', 'ls', '--quiet']);
            for (const id of cs.stdout.split('\n').filter(Boolean)) await cd.removeContainer(ns, id);
            for (const ref of images) await cd.ctr(ns, ['image', 'rm', ref]); // content and snapshots go with the temp root
          }
        }
      } finally {
        await stopChild(child);
        for (const pid of cd.shims()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        for (const m of mountsUnder(dir).sort().reverse()) {
          await exec('umount', ['-l', m], { timeoutMs: 5000 });
        }
        for (const ns of namespaces) {
          removeCgroupEverywhere(ns);
          // the shim's --root for the runtime (created by the runtime; empty once every container is deleted)
          fs.rmSync(path.join(SHIM_RUNC_ROOT, ns), { recursive: true, force: true });
        }
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (fs.existsSync(sock)) {
      const r = await exec(CTR, ['--address', sock, 'version'], { timeoutMs: 5000 });
      if (r.code === 0 && /Server:/.test(r.stdout)) return cd;
    }
    await sleep(50);
  }
  const log = cd.log();
  await cd.stop();
  throw new Error(`containerd did not come up:\n${log}`);
}
