// A private mydocker world for the benchmarks: its own manager roots in a temporary directory
// under /var/tmp (MYDOCKER_ROOT / MYDOCKER_RUN_ROOT), its own bridge and subnet
// (MYDOCKER_BRIDGE / MYDOCKER_SUBNET) so that it never meets the tests' or the product's
// mydocker0, and a clean environment (no NODE_EXTRA_CA_CERTS, no proxies).
//
//   const md = createMydockerWorld({ bin: 'dist/mydocker', subnet: '10.a.b' });
//   await md.cli(['pull', ref]);  md.command(['run', '--rm', ref, 'true']);  // {cmd, args, env} to time
//   const problems = await md.cleanup();
//
// cleanup(): every container (rm -f), the image, conmon processes that name our directory (by
// pid, after rm had its chance), mounts under the directory, the bridge and its leases (the
// manager's own removeNetwork), the container cgroups mydocker made for our containers, the
// directory. Importing this module has no side effects.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../test/lib/dist.mjs';
import { alive, pidsMentioning, removeCgroupEverywhere, terminateSync, unmountUnder } from '../../test/clients/lib/host.mjs';
import { runCommand } from '../../test/clients/lib/podman.mjs';
import { removeEmptyCgroupParent } from '../../test/lib/cgroup-parent.mjs';

/** The environment the benchmarks give every tool: no CA bundle parsing, no proxies, no Node options. */
export function benchEnv(base = process.env) {
  const env = { ...base };
  for (const k of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'LISTEN_FDS', 'LISTEN_PID']) delete env[k];
  for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k) || k.startsWith('MYDOCKER_')) delete env[k];
  return env;
}

/**
 * @param {{ bin: string, subnet: string, tag?: string, timeoutMs?: number }} opts
 *   bin: the mydocker executable; subnet: "10.a.b" (a free /24, e.g. from pickSubnet())
 */
export function createMydockerWorld({ bin, subnet, tag = crypto.randomBytes(3).toString('hex'), timeoutMs = 60000 }) {
  const dir = fs.mkdtempSync('/var/tmp/mydocker-bench-run-');
  const root = path.join(dir, 'root');
  const runRoot = path.join(dir, 'run');
  const settings = { name: 'mydocker', bridge: `mdb${tag}`.slice(0, 15), subnet: `${subnet}.0/24` };
  const env = { ...benchEnv(), MYDOCKER_ROOT: root, MYDOCKER_RUN_ROOT: runRoot, MYDOCKER_BRIDGE: settings.bridge, MYDOCKER_SUBNET: settings.subnet };
  /** every container id this world has seen (their cgroups are checked at cleanup) */
  const containerIds = new Set();
  let cleaned = false;

  const world = {
    dir,
    root,
    runRoot,
    env,
    settings,
    containerIds,
    /** The command that runs `mydocker ARGS` in this world (for timing with spawnSync). */
    command: (args) => ({ cmd: bin, args, env }),
    /** `mydocker ARGS` in this world: {status, signal, stdout, stderr, ms, cmd}. */
    cli: (args, opts = {}) => runCommand(bin, args, { env, timeoutMs, ...opts }),
    /** Ids of all containers (also stopped ones). */
    async listIds() {
      const ps = await world.cli(['ps', '-a', '-q', '--no-trunc']);
      const ids = ps.status === 0 ? ps.stdout.split('\n').filter(Boolean) : [];
      for (const id of ids) containerIds.add(id);
      return ids;
    },
    /** `mydocker inspect` of containers: Id, State.Pid, Monitor.Pid. */
    async inspect(refs) {
      const r = await world.cli(['inspect', ...refs]);
      if (r.status !== 0) throw new Error(`mydocker inspect: ${r.stderr.trim()}`);
      return JSON.parse(r.stdout).map((c) => {
        containerIds.add(c.Id);
        return { id: c.Id, pid: c.State?.Pid ?? 0, monitorPid: c.Monitor?.Pid ?? 0, monitorKind: c.Monitor?.Kind ?? null };
      });
    },
    /** Removes everything (see the top of the file); resolves the problems met (strings). */
    async cleanup() {
      if (cleaned) return [];
      cleaned = true;
      const problems = [];
      if (fs.existsSync(root)) {
        const ids = await world.listIds();
        if (ids.length) {
          const rm = await world.cli(['rm', '-f', ...ids]);
          if (rm.status !== 0) problems.push(`mydocker rm -f: ${rm.stderr.trim()}`);
        }
        const left = await world.listIds();
        if (left.length) problems.push(`containers left after rm -f: ${left.join(' ')}`);
      }
      // conmons (and any other process) naming our directory: give exit commands a moment, then end them
      for (const pid of pidsMentioning(dir)) {
        if (!alive(pid)) continue;
        problems.push(`process ${pid} still running: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 200)}`);
        terminateSync(pid, 3000);
      }
      const unmounted = unmountUnder(dir);
      if (unmounted) problems.push(`unmounted ${unmounted} leftover mounts`);
      try {
        const { managerPaths } = load('manager/paths');
        await load('manager/network/network').removeNetwork(managerPaths(root, runRoot), settings);
      } catch (e) {
        problems.push(`network ${settings.bridge}: ${e.message}`);
      }
      for (const id of containerIds) for (const f of removeCgroupEverywhere(`/mydocker/${id}`)) problems.push(`cgroup ${f}`);
      removeEmptyCgroupParent();
      fs.rmSync(dir, { recursive: true, force: true });
      return problems;
    },
  };
  return world;
}
