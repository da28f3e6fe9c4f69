// Helpers to drive an OCI runtime through the runc command line, for the conformance suite
// (and for test/ integration tests).
//
// The runtime under test is env RUNTIME: a path (anything with a "/") or a command name looked up
// in PATH, e.g. RUNTIME=runc. Default: <repo>/dist/mydocker-runtime (or dist/mydocker-runtime.js
// when only that is built).
//
// Every invocation gets the global `--root <dir>` of its harness (a fresh fs.mkdtempSync dir under
// /tmp per harness, i.e. per test file), so suites never see each other's containers.
//
// Output is captured through temporary files, not pipes: a created (or `run -d`) container
// inherits the runtime's stdout/stderr and keeps them open, which would make a pipe reader wait
// for the container to exit.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { BUNDLE_ENV, makeBundle, removeBundle } from './bundle.mjs';

/** Root of the repository (two levels above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The runtime command under test: env RUNTIME resolved against the cwd when it contains a
 * slash, kept as a command name otherwise; default defaultRuntime().
 */
export const RUNTIME = resolveRuntime(process.env.RUNTIME);

/** True when the runtime under test is runc (basename "runc", or env RUNTIME_IS_RUNC=1). */
export const IS_RUNC = path.basename(RUNTIME) === 'runc' || process.env.RUNTIME_IS_RUNC === '1';

/** Name of the environment variable carrying a per-invocation token (see processesWithToken). */
export const TOKEN_ENV = 'MYDOCKER_CONFORMANCE_TOKEN';

/**
 * The project's runtime: `<repo>/dist/mydocker-runtime` (the native launcher, package.json "bin"),
 * or `<repo>/dist/mydocker-runtime.js` when only the Node entry point has been built.
 * @returns {string}
 */
export function defaultRuntime() {
  const launcher = path.join(REPO_ROOT, 'dist', 'mydocker-runtime');
  const script = path.join(REPO_ROOT, 'dist', 'mydocker-runtime.js');
  return fs.existsSync(launcher) || !fs.existsSync(script) ? launcher : script;
}

/**
 * @param {string|undefined} value
 * @returns {string}
 */
export function resolveRuntime(value) {
  if (!value) return defaultRuntime();
  return value.includes('/') ? path.resolve(value) : value;
}

/** True when the runtime under test is ours (dist/mydocker-runtime or an installed mydocker-runtime). */
export const IS_MYDOCKER = /^mydocker-runtime(\.js)?$/.test(path.basename(RUNTIME));

/**
 * Test options for a check that mydocker-runtime does not pass yet: on ours the test still runs
 * and is reported as TODO with the issue that delivers the feature (node's test runner counts it
 * under "todo", and a failure there does not fail the run); on every other runtime it is a
 * normal test. Remove the mark when the feature lands.
 *
 * @param {string} issue e.g. 'issue 4: exec'
 * @returns {{todo: string|false}}
 */
export function notYetInMydocker(issue) {
  return { todo: IS_MYDOCKER ? `mydocker-runtime does not do this yet (${issue})` : false };
}

/**
 * Test options that mark a check as a known runc deviation from the spec: on runc the test is
 * skipped with the clause in the message; on every other runtime it runs normally.
 * Usage: `test('...', runcDeviation('runtime.md#start: ...'), async (t) => {...})`.
 *
 * @param {string} clause the spec clause runc does not follow (and how)
 * @returns {{skip: string|false}}
 */
export function runcDeviation(clause) {
  return { skip: IS_RUNC ? `known runc 1.1.5 deviation: ${clause}` : false };
}

/**
 * The environment for runtime processes: ours minus variables that would change their
 * behaviour or cost (NODE_EXTRA_CA_CERTS makes every Node start ~30 ms slower; LISTEN_* would
 * be taken as socket activation; NODE_TEST_CONTEXT/NODE_OPTIONS belong to the test runner).
 *
 * @param {Record<string,string>} [extra]
 * @returns {Record<string,string>}
 */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of ['NODE_EXTRA_CA_CERTS', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) {
    delete env[k];
  }
  return { ...env, ...extra };
}

/** A random lowercase hex string. */
export function randomHex(bytes = 6) {
  return crypto.randomBytes(bytes).toString('hex');
}

/** Promise that resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a process with this pid exists and is not a zombie.
 * @param {number} pid
 */
export function processAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && fields[0] !== 'X';
  } catch {
    return false;
  }
}

/**
 * The start time (clock ticks since boot, /proc/<pid>/stat field 22) of a process, or null.
 * With the pid it identifies a process even if the pid is later reused.
 * @param {number} pid
 */
export function processStartTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Pids of live processes whose environment contains the exact entry `entry` ("NAME=value").
 * @param {string} entry
 * @returns {number[]}
 */
export function processesWithEnv(entry) {
  const needle = Buffer.from(`\0${entry}\0`);
  const first = Buffer.from(`${entry}\0`);
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${name}/environ`);
      if ((env.includes(needle) || env.subarray(0, first.length).equals(first)) && processAlive(Number(name))) {
        pids.push(Number(name));
      }
    } catch {
      /* gone or not readable */
    }
  }
  return pids;
}

/**
 * Pids of live processes carrying an invocation's token (`<TOKEN_ENV>=<token>`): every runtime
 * invocation made by a harness gets a unique token, inherited by whatever the runtime forks
 * without replacing the environment.
 * @param {string} token
 * @returns {number[]}
 */
export function processesWithToken(token) {
  return processesWithEnv(`${TOKEN_ENV}=${token}`);
}

/**
 * Pids of live container processes started from a bundle made by makeBundle(): they carry
 * `CONFORMANCE_BUNDLE=<basename of the bundle>` in their environment (unless the test replaced
 * process.env). Works across pid and mount namespaces, unlike looking at /proc/<pid>/root, which
 * shows "/" for a process that pivoted into another mount namespace.
 * @param {string} bundleDir
 * @returns {number[]}
 */
export function processesOfBundle(bundleDir) {
  return processesWithEnv(`${BUNDLE_ENV}=${path.basename(bundleDir)}`);
}

/** The set of pids currently in /proc. */
export function pidSnapshot() {
  return new Set(
    fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number),
  );
}

function procField(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

function ppidOf(pid) {
  const stat = procField(pid, 'stat');
  if (!stat) return null;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * Processes that an invocation left behind: live processes that did not exist before it started
 * (result.pidsBefore), whose parent is pid 1, this test process, or another such new process
 * (orphans of the runtime are reparented to pid 1 here, there being no subreaper), and that look
 * like they belong to it: they carry its token in their environment, or their cmdline mentions the
 * runtime (its basename, "runc", "mydocker" or "init"), or their cwd is inside one of `paths`
 * (e.g. the bundle: runc's init starts in the bundle directory), or they carry the
 * CONFORMANCE_BUNDLE marker of a bundle among `paths`.
 *
 * @param {RunResult} r
 * @param {string[]} [paths]
 * @returns {number[]}
 */
export function leftoverProcesses(r, paths = []) {
  if (!r.pidsBefore) return [];
  const fresh = [...pidSnapshot()].filter((p) => !r.pidsBefore.has(p) && p !== process.pid && processAlive(p));
  const freshSet = new Set(fresh);
  const names = [path.basename(r.argv[0]), 'runc', 'mydocker', 'init'];
  const needles = [`${TOKEN_ENV}=${r.token}`, ...paths.map((p) => `${BUNDLE_ENV}=${path.basename(p)}\0`)];
  const real = paths.map((p) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return p;
    }
  });
  const within = (link) => {
    try {
      const target = fs.readlinkSync(link);
      return real.some((p) => target === p || target.startsWith(p + '/'));
    } catch {
      return false;
    }
  };
  return fresh.filter((pid) => {
    const ppid = ppidOf(pid);
    if (!(ppid === 1 || ppid === process.pid || freshSet.has(ppid))) return false;
    const env = procField(pid, 'environ') ?? '';
    const cmdline = (procField(pid, 'cmdline') ?? '').replace(/\0/g, ' ');
    return needles.some((n) => env.includes(n)) || names.some((n) => cmdline.includes(n)) || within(`/proc/${pid}/cwd`);
  });
}

/**
 * @typedef {object} RunResult
 * @property {number|null} status exit status (null when killed by a signal or not started)
 * @property {string|null} signal the signal that ended the runtime process, if any
 * @property {string} stdout everything the runtime (and anything sharing its stdout) wrote
 *   until it exited
 * @property {string} stderr likewise for stderr
 * @property {Error} [error] spawn error (ENOENT when the runtime does not exist, ETIMEDOUT)
 * @property {string[]} argv the full command line, for messages
 * @property {string} token the TOKEN_ENV value given to this invocation
 * @property {number} ms wall time in milliseconds
 * @property {Set<number>} pidsBefore pids that existed just before the runtime started (see leftoverProcesses)
 */

/**
 * @typedef {object} InvokeOptions
 * @property {string|Buffer} [input] data for the runtime's stdin (default: stdin is /dev/null)
 * @property {number} [timeoutMs=30000] the runtime is SIGKILLed after this long
 * @property {Array<number|'ignore'>} [extraFds] file descriptors to give the runtime as fd 3, 4, ...
 * @property {number|string} [stdout] an fd, or a file path (opened for append), to use as the
 *   runtime's stdout instead of a capture file (result.stdout is then '' for an fd, the file's
 *   content for a path)
 * @property {number|string} [stderr] likewise for stderr
 * @property {Record<string,string>} [env] extra environment variables
 * @property {string} [cwd] working directory of the runtime process
 * @property {boolean} [noRoot] do not pass the global --root (for commands such as `spec`)
 * @property {string[]} [globalArgs] more global options before the command (e.g. --log F)
 */

/**
 * A harness bound to one runtime command and one state root. It records every container id it
 * hands out (newId) or sees created, and `cleanup()` force-deletes them all, kills any container
 * process it observed that survived, and removes the root and capture directories.
 */
export class RuntimeHarness {
  /**
   * @param {object} [opts]
   * @param {string} [opts.command=RUNTIME] the runtime command
   * @param {string} [opts.root] state root (default: a new /tmp/conformance-root-XXXXXX)
   * @param {string} [opts.idPrefix='conf'] prefix of generated container ids
   */
  constructor({ command = RUNTIME, root, idPrefix = 'conf' } = {}) {
    this.command = command;
    this.ownsRoot = !root;
    this.root = root ?? fs.mkdtempSync(path.join('/tmp', 'conformance-root-'));
    this.ioDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-io-'));
    this.idPrefix = idPrefix;
    /** @type {Set<string>} */
    this.ids = new Set();
    /** @type {Map<number,string|null>} pid -> start time of container processes seen */
    this.pids = new Map();
    /** @type {string[]} bundles made by bundle(), removed by cleanup() */
    this.bundles = [];
    this.cleanedUp = false;
    this.seq = 0;
    this._exitHandler = () => this.cleanup();
    process.once('exit', this._exitHandler);
  }

  /**
   * A new unique container id `<idPrefix>-<tag>-<random>`, recorded for cleanup.
   * @param {string} [tag='c']
   */
  newId(tag = 'c') {
    const id = `${this.idPrefix}-${tag}-${randomHex(5)}`;
    this.ids.add(id);
    return id;
  }

  /** Record an id (e.g. one made by hand) so cleanup() force-deletes it. */
  track(id) {
    this.ids.add(id);
    return id;
  }

  _argv(args, opts) {
    const globals = opts.noRoot ? [] : ['--root', this.root];
    return [...globals, ...(opts.globalArgs ?? []), ...args];
  }

  _openOut(spec, name) {
    if (typeof spec === 'number') return { fd: spec, path: null, owned: false };
    const p = typeof spec === 'string' ? spec : path.join(this.ioDir, `${++this.seq}.${name}`);
    return { fd: fs.openSync(p, 'a'), path: p, owned: true, temp: typeof spec !== 'string' };
  }

  _finish(out, err) {
    const read = (o) => {
      if (o.owned) fs.closeSync(o.fd);
      if (!o.path) return '';
      const text = fs.readFileSync(o.path, 'utf8');
      if (o.temp) fs.rmSync(o.path, { force: true });
      return text;
    };
    return { stdout: read(out), stderr: read(err) };
  }

  _noteIds(args) {
    // Remember ids of create/run so cleanup() finds containers made with hand-written ids too.
    const cmd = args.find((a) => !a.startsWith('-'));
    if ((cmd === 'create' || cmd === 'run') && args.length > 1) {
      const last = args[args.length - 1];
      if (last && !last.startsWith('-')) this.ids.add(last);
    }
  }

  /**
   * Run the runtime synchronously: `<command> --root <root> ...args`.
   * @param {string[]} args
   * @param {InvokeOptions} [opts]
   * @returns {RunResult}
   */
  run(args, opts = {}) {
    this._noteIds(args);
    const argv = this._argv(args, opts);
    const token = randomHex(8);
    const out = this._openOut(opts.stdout, 'out');
    const err = this._openOut(opts.stderr, 'err');
    const stdin = opts.input !== undefined ? 'pipe' : 'ignore';
    const pidsBefore = pidSnapshot();
    const start = process.hrtime.bigint();
    const r = spawnSync(this.command, argv, {
      input: opts.input,
      stdio: [stdin, out.fd, err.fd, ...(opts.extraFds ?? [])],
      timeout: opts.timeoutMs ?? 30000,
      killSignal: 'SIGKILL',
      env: cleanEnv({ ...opts.env, [TOKEN_ENV]: token }),
      cwd: opts.cwd,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const { stdout, stderr } = this._finish(out, err);
    return {
      status: r.status,
      signal: r.signal,
      stdout,
      stderr,
      error: r.error,
      argv: [this.command, ...argv],
      token,
      ms,
      pidsBefore,
    };
  }

  /**
   * Start the runtime asynchronously. Resolves when the runtime process exits (it does not wait
   * for the container to close inherited stdio).
   * @param {string[]} args
   * @param {InvokeOptions} [opts]
   * @returns {{child: import('node:child_process').ChildProcess, token: string, result: Promise<RunResult>}}
   */
  spawn(args, opts = {}) {
    this._noteIds(args);
    const argv = this._argv(args, opts);
    const token = randomHex(8);
    const out = this._openOut(opts.stdout, 'out');
    const err = this._openOut(opts.stderr, 'err');
    const pidsBefore = pidSnapshot();
    const start = process.hrtime.bigint();
    const child = spawn(this.command, argv, {
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', out.fd, err.fd, ...(opts.extraFds ?? [])],
      env: cleanEnv({ ...opts.env, [TOKEN_ENV]: token }),
      cwd: opts.cwd,
    });
    if (opts.input !== undefined) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
    const result = new Promise((resolve) => {
      let error;
      const timer = setTimeout(() => {
        error = Object.assign(new Error(`timeout after ${opts.timeoutMs ?? 30000} ms: ${argv.join(' ')}`), {
          code: 'ETIMEDOUT',
        });
        child.kill('SIGKILL');
      }, opts.timeoutMs ?? 30000);
      const done = (status, signal, spawnError) => {
        clearTimeout(timer);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const { stdout, stderr } = this._finish(out, err);
        resolve({
          status,
          signal,
          stdout,
          stderr,
          error: spawnError ?? error,
          argv: [this.command, ...argv],
          token,
          ms,
          pidsBefore,
        });
      };
      child.once('error', (e) => done(null, null, e));
      child.once('exit', (code, signal) => done(code, signal));
    });
    return { child, token, result };
  }

  /**
   * makeBundle(options), removed by cleanup() after the containers are deleted.
   * @param {import('./bundle.mjs').BundleOptions & Record<string, any>} [options]
   * @returns {string} the bundle directory
   */
  bundle(options) {
    const dir = makeBundle(options);
    this.bundles.push(dir);
    return dir;
  }

  /**
   * `run --bundle <bundleDir> [...runArgs] <id>` with a fresh id (foreground unless runArgs has -d).
   * @param {string} bundleDir
   * @param {InvokeOptions & {id?: string, runArgs?: string[]}} [opts]
   * @returns {RunResult & {id: string}}
   */
  runBundle(bundleDir, opts = {}) {
    const { id = this.newId('run'), runArgs = [], ...invoke } = opts;
    return { ...this.run(['run', '--bundle', bundleDir, ...runArgs, id], invoke), id };
  }

  /**
   * `create --bundle <bundleDir> [...createArgs] <id>` with a fresh id.
   * @param {string} bundleDir
   * @param {InvokeOptions & {id?: string, createArgs?: string[]}} [opts]
   * @returns {RunResult & {id: string}}
   */
  create(bundleDir, opts = {}) {
    const { id = this.newId('create'), createArgs = [], ...invoke } = opts;
    return { ...this.run(['create', '--bundle', bundleDir, ...createArgs, id], invoke), id };
  }

  /**
   * `state <id>` parsed; throws (with the runtime's stderr) when it fails. A created/running
   * container's pid is recorded so cleanup() can make sure it is gone.
   * @param {string} id
   * @returns {object}
   */
  state(id) {
    const r = this.run(['state', id]);
    if (r.status !== 0) throw new Error(`state ${id} failed (${r.status}): ${r.stderr.trim()}`);
    const s = JSON.parse(r.stdout);
    if (s.pid > 0 && (s.status === 'created' || s.status === 'running') && !this.pids.has(s.pid)) {
      this.pids.set(s.pid, processStartTime(s.pid));
    }
    return s;
  }

  /**
   * `state <id>` that does not throw: the parsed state, or null when the command failed.
   * @param {string} id
   * @returns {object|null}
   */
  tryState(id) {
    try {
      return this.state(id);
    } catch {
      return null;
    }
  }

  /**
   * Poll `state <id>` until its status is `status` (or one of them).
   * @param {string} id
   * @param {string|string[]} status
   * @param {number} [timeoutMs=10000]
   * @returns {Promise<object>} the matching state
   */
  async waitForStatus(id, status, timeoutMs = 10000) {
    const want = Array.isArray(status) ? status : [status];
    const deadline = Date.now() + timeoutMs;
    let last = null;
    let lastErr = null;
    for (;;) {
      try {
        last = this.state(id);
        if (want.includes(last.status)) return last;
      } catch (e) {
        lastErr = e;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `container ${id} did not reach status ${want.join('|')} within ${timeoutMs} ms; ` +
            `last state: ${last ? last.status : 'none'}${lastErr ? `; last error: ${lastErr.message}` : ''}`,
        );
      }
      await sleep(25);
    }
  }

  /**
   * `list --format json` parsed into an array (runc prints `null` for no containers: mapped to []).
   * @returns {object[]}
   */
  list() {
    const r = this.run(['list', '--format', 'json']);
    if (r.status !== 0) throw new Error(`list failed (${r.status}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) ?? [];
  }

  /** Ids present in the runtime's list (uses `list -q`). */
  listIds() {
    const r = this.run(['list', '-q']);
    if (r.status !== 0) throw new Error(`list -q failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout.split('\n').filter(Boolean);
  }

  /**
   * `delete --force <id>`; never throws.
   * @param {string} id
   */
  forceDelete(id) {
    return this.run(['delete', '--force', id], { timeoutMs: 15000 });
  }

  /**
   * Force-delete every container this harness knows of (tracked ids plus whatever `list -q`
   * shows), SIGKILL any container process it observed that is still alive (same pid and start
   * time) and any live process of its bundles (processesOfBundle), and remove its bundles, the
   * state root and the capture directories. Idempotent; never throws.
   */
  cleanup() {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    process.removeListener('exit', this._exitHandler);
    const ids = new Set(this.ids);
    try {
      for (const id of this.listIds()) ids.add(id);
    } catch {
      /* runtime missing or broken: fall through to the pids */
    }
    for (const id of ids) {
      try {
        this.forceDelete(id);
      } catch {
        /* ignore */
      }
    }
    const kill = (pid) => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* ignore */
      }
    };
    for (const [pid, startTime] of this.pids) {
      if (processAlive(pid) && processStartTime(pid) === startTime) kill(pid);
    }
    // Container processes of our own bundles that a broken runtime left running (found by the
    // CONFORMANCE_BUNDLE marker in their environment: processes we started, never matched by name).
    for (const dir of this.bundles) for (const pid of processesOfBundle(dir)) kill(pid);
    for (const dir of this.bundles) removeBundle(dir);
    for (const dir of [this.ownsRoot ? this.root : null, this.ioDir]) {
      if (!dir) continue;
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* e.g. a busy mount left by a broken runtime */
      }
    }
  }
}

/**
 * Create a RuntimeHarness for the current test file and register its cleanup with node:test's
 * `after` (and process exit, as a fallback).
 *
 * @param {ConstructorParameters<typeof RuntimeHarness>[0]} [opts]
 * @returns {RuntimeHarness}
 */
export function setupRuntime(opts) {
  const rt = new RuntimeHarness(opts);
  after(() => rt.cleanup());
  return rt;
}

/**
 * A one-line description of a result for assertion messages.
 * @param {RunResult} r
 */
export function explain(r) {
  return `${r.argv.join(' ')} -> status ${r.status}${r.signal ? ` signal ${r.signal}` : ''}${
    r.error ? ` error ${r.error.code ?? r.error.message}` : ''
  }\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
}
