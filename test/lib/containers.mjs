// A private container world for the container tests: its own root and run root under
// /var/tmp, one read-only busybox rootfs shared by its containers, a config.json template from
// `mydocker-runtime spec`, conmon's exit command (test/lib/containers-driver.mjs), hooks that log
// their calls, and a clean-up that removes everything and reports what it had to clean.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs } from '../../conformance/lib/bundle.mjs';
import { exitCommand, recordingHooks } from './containers-driver.mjs';
import { load } from './dist.mjs';
import { removeEmptyCgroupParent } from './cgroup-parent.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RUNTIME = path.join(REPO, 'dist', 'mydocker-runtime');
export const DRIVER = path.join(REPO, 'test', 'lib', 'containers-driver.mjs');

const { managerPaths } = load('manager/paths');

/** Processes whose command line mentions `text` (conmon and friends of one world). */
export function processesMentioning(text) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text)) found.push({ pid: Number(entry), cmdline: cmdline.split('\0').join(' ').trim() });
    } catch {
      /* gone */
    }
  }
  return found;
}

/** The cgroup directories (every v1 hierarchy) of a container under /mydocker. */
export function cgroupDirsOf(id) {
  const dirs = [];
  for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', hierarchy, 'mydocker', id);
    if (fs.existsSync(dir)) dirs.push(dir);
  }
  return dirs;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls fn() until it returns a truthy value; throws after timeoutMs. */
export async function until(fn, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function makeWorld(label) {
  const base = fs.mkdtempSync(path.join('/var/tmp', `mydocker-${label}-`));
  const rootfs = path.join(base, 'rootfs');
  makeBusyboxRootfs(rootfs);
  execFileSync(RUNTIME, ['spec', '--bundle', base]);
  const template = JSON.parse(fs.readFileSync(path.join(base, 'config.json'), 'utf8'));
  fs.rmSync(path.join(base, 'config.json'));
  template.process.terminal = false;
  template.root = { path: rootfs, readonly: true };
  // a writable /tmp on the read-only rootfs
  template.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });

  const root = path.join(base, 'root');
  const runRoot = path.join(base, 'run');
  const output = { out: '', err: '' };
  const ctx = {
    paths: managerPaths(root, runRoot),
    runtime: RUNTIME,
    debug: false,
    out: (t) => void (output.out += t),
    err: (t) => void (output.err += t),
  };
  const lc = { hooks: recordingHooks(base), exitCommand: exitCommand(root, runRoot, RUNTIME) };
  const ids = new Set();

  /** config.json for a container running `args`; `edit(spec)` may change it further. */
  function spec(args, edit) {
    const s = structuredClone(template);
    s.process.args = args;
    edit?.(s);
    return s;
  }

  /** CreateOptions for `args`. */
  function create(args, extra = {}, edit) {
    return {
      image: { ref: 'busybox', id: 'sha256:busybox-test' },
      spec: (c) => {
        ids.add(c.id);
        return spec(args, edit);
      },
      ...extra,
    };
  }

  /** Writes a spec file for the driver (the "other process"). */
  function specFile(args, edit) {
    const file = path.join(base, `spec-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(spec(args, edit)));
    return file;
  }

  function hookLog() {
    try {
      return fs.readFileSync(path.join(base, 'hooks.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** What a container left on the host: conmon, runtime state, cgroups, its directory. */
  function leftoversOf(id) {
    const problems = [];
    for (const p of processesMentioning(id)) problems.push(`process ${p.pid}: ${p.cmdline}`);
    if (fs.existsSync(path.join(runRoot, 'runtime', id))) problems.push(`runtime state of ${id}`);
    for (const dir of cgroupDirsOf(id)) problems.push(`cgroup ${dir}`);
    if (fs.existsSync(path.join(root, 'containers', id))) problems.push(`container directory of ${id}`);
    return problems;
  }

  /** Removes every container and the world; returns what had to be cleaned by force. */
  async function cleanup() {
    const { listContainers, removeContainer } = load('manager/containers/lifecycle');
    const problems = [];
    try {
      for (const c of await listContainers(ctx, { ...lc, all: true })) {
        ids.add(c.id);
        await removeContainer(ctx, c.id, { ...lc, force: true }).catch((e) => problems.push(`rm ${c.name}: ${e.message}`));
      }
    } catch (e) {
      problems.push(`listing: ${e.message}`);
    }
    for (const p of processesMentioning(base)) {
      problems.push(`left process ${p.pid}: ${p.cmdline}`);
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const id of ids) {
      for (const dir of cgroupDirsOf(id)) {
        problems.push(`left cgroup ${dir}`);
        try {
          fs.rmdirSync(dir);
        } catch {
          /* busy */
        }
      }
      if (fs.existsSync(path.join(runRoot, 'runtime', id))) {
        problems.push(`left runtime state ${id}`);
        try {
          execFileSync(RUNTIME, ['--root', path.join(runRoot, 'runtime'), 'delete', '--force', id]);
        } catch {
          /* reported */
        }
      }
    }
    removeEmptyCgroupParent();
    fs.rmSync(base, { recursive: true, force: true });
    return problems;
  }

  return { base, root, runRoot, rootfs, ctx, lc, output, ids, spec, create, specFile, hookLog, leftoversOf, cleanup };
}
