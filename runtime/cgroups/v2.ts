// cgroup v2 (the unified hierarchy): one directory per cgroup under the cgroup2 mount, the
// controllers enabled from the top down through each ancestor's cgroup.subtree_control, the OCI
// resources (written for cgroup v1) converted to v2 files as runc converts them, and the device
// list as an eBPF program (devices-ebpf.ts).
//
// Conversions (runc's libcontainer/cgroups/fs2 and utils):
//   memory.limit        -> memory.max        (-1 -> "max", 0 -> unset)
//   memory.reservation  -> memory.low        (same)
//   memory.swap         -> memory.swap.max = swap - limit: OCI's swap is memory+swap, v2's is
//                          swap alone (limit -1 and swap unset -> "max"; swap -1 -> "max";
//                          swap == limit -> "0"; a swap without a limit, or below it, is an error)
//   cpu.shares          -> cpu.weight = 1 + ((shares - 2) * 9999) / 262142   ([2, 262144] -> [1, 10000])
//   cpu.quota/period    -> cpu.max "quota period" ("max" for quota <= 0, period 100000 by default)
//   cpu.burst, cpu.idle -> cpu.max.burst, cpu.idle (cpu.weight is not written when idle is 1)
//   cpu.cpus/mems       -> cpuset.cpus, cpuset.mems
//   pids.limit          -> pids.max          (negative -> "max", 0 -> unset)
//   blockIO.weight      -> io.bfq.weight as is when BFQ is there, else
//                          io.weight = 1 + (weight - 10) * 9999 / 990   ([10, 1000] -> [1, 10000])
//   blockIO.throttle*   -> io.max lines "major:minor rbps|wbps|riops|wiops=rate" (rate 0: skipped)
//   hugepageLimits      -> hugetlb.<size>.max (and hugetlb.<size>.rsvd.max where it exists)
//   rdma                -> rdma.max lines "device hca_handle=N hca_object=M"
//   unified             -> the named files, as is, last
// A zero (or an empty string or list) means "unset": nothing is written, which is what `update`
// needs (docker sends zeros for what it does not change). kernel, kernelTCP, swappiness,
// disableOOMKiller, useHierarchy, realtime*, leafWeight and network have no v2 file: ignored,
// as runc ignores them.
import fs = require('node:fs');
import path = require('node:path');
import { kill as killPid, strerror } from '../../native/libc';
import { errnoValue, SIGNALS } from '../../native/linux-constants';
import { ConfigError, RuntimeError } from '../errors';
import { JoinHeadStart } from './fsutil';
import { ebpfDeviceLoader, normalizeDeviceRules, type DeviceProgramLoader } from './devices-ebpf';
import type { CgroupManager, CgroupStats, LinuxResources } from './types';

export type { DeviceProgramLoader } from './devices-ebpf';

/**
 * What the kernel does by itself in a real cgroupfs. A fake tree (tests) emulates it here;
 * on a real mount leave them out.
 */
export interface CgroupFsHooks {
  /** After the manager made a cgroup directory: the kernel fills it with interface files. */
  created?(dir: string): void;
  /** Before the manager removes a cgroup directory: the interface files go with it. */
  removing?(dir: string): void;
  /** After a write to an interface file succeeded: the kernel acts on it. */
  written?(file: string, value: string): void;
}

export interface CgroupV2Options {
  /** How linux.resources.devices becomes a filter (default: the eBPF loader). */
  devices?: DeviceProgramLoader;
  hooks?: CgroupFsHooks;
  /** How long freeze waits for "frozen 1", and destroy for the processes to go (default 10 s). */
  timeoutMs?: number;
}

/** A cgroup file operation failed; `code` is the errno name (EINVAL, EBUSY, ...). */
export class CgroupError extends RuntimeError {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CgroupError';
  }
}

/** Whether `dir` is the root of a cgroup2 mount (it has cgroup.controllers). A v2 host: /sys/fs/cgroup. */
export function isCgroup2Mount(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, 'cgroup.controllers')).isFile();
  } catch {
    return false;
  }
}

// --- the conversions, exported for the tests and for `update`'s messages

/** runc: cpu.weight = 1 + ((shares - 2) * 9999) / 262142, shares clamped to the kernel's [2, 262144]. 0: unset. */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  const s = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** runc: io.weight = 1 + (weight - 10) * 9999 / 990, weight clamped to blkio's [10, 1000]. 0: unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  const w = Math.min(Math.max(weight, 10), 1000);
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

/**
 * runc's ConvertMemorySwapToCgroupV2Value: OCI swap is memory+swap, memory.swap.max is swap
 * alone. Returns -1 for "max", 0 for unset; throws the reason as a string's Error.
 */
export function memorySwapToV2(swap: number, limit: number): number {
  if (limit === -1 && swap === 0) return -1; // both unlimited
  if (swap === -1 || swap === 0) return swap;
  if (limit === -1) return swap; // unlimited memory: the swap is the swap
  if (limit === 0) throw new Error('unable to set swap limit without memory limit');
  if (limit < 0) throw new Error(`invalid memory value: ${limit}`);
  if (swap < limit) throw new Error(`memory+swap limit (${swap}) should be >= memory limit (${limit})`);
  return swap - limit;
}

// --- small helpers

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function reason(err: unknown): string {
  const code = errnoOf(err);
  if (code === 'ENOENT') return 'no such cgroup file';
  const n = code ? errnoValue(code) : undefined;
  if (n !== undefined) return strerror(n);
  return err instanceof Error ? err.message : String(err);
}

/** An integer as the kernel wants it (no exponent, whatever its size). */
function int(value: number, field: string): string {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ConfigError(`${field}: ${String(value)} is not an integer`);
  return BigInt(value).toString();
}

/** runc's numToStr for .max/.low files: 0 -> unset (''), -1 -> "max". */
function limitToStr(value: number | undefined, field: string): string {
  if (value === undefined || value === null || value === 0) return '';
  if (value === -1) return 'max';
  if (value < 0) throw new ConfigError(`${field}: ${value} is neither -1 (unlimited) nor a limit`);
  return int(value, field);
}

const DOMAIN_CONTROLLERS = new Set(['memory', 'io', 'cpu', 'hugetlb']);

/** linux.resources.devices, applied at its place in the order. */
interface DevicesStep {
  rules: NonNullable<LinuxResources['devices']>;
}

interface Write {
  field: string;
  file: string;
  value: string;
  /** A missing file is fine (an optional kernel feature). */
  optional?: boolean;
  /** On EINVAL, try again after the next write (cpu.max.burst before its cpu.max). */
  retryAfterNext?: boolean;
  /** A linux.resources.unified key (gets runc's explanation when the file is missing). */
  unifiedKey?: string;
}

type Mode = 'create' | 'update';

export class CgroupV2 implements CgroupManager {
  readonly version = 2 as const;
  /** The container's cgroup directory. */
  readonly dir: string;
  private readonly root: string;
  private readonly parts: string[];
  private readonly devices: DeviceProgramLoader;
  private readonly hooks: CgroupFsHooks;
  private readonly timeoutMs: number;

  constructor(root: string, cgroupPath: string, options: CgroupV2Options = {}) {
    this.root = path.resolve(root);
    this.parts = cgroupPath.split('/').filter((p) => p !== '');
    if (this.parts.length === 0) throw new ConfigError(`linux.cgroupsPath: "${cgroupPath}" names the root cgroup; a container needs a cgroup of its own`);
    for (const p of this.parts) {
      if (p === '.' || p === '..') throw new ConfigError(`linux.cgroupsPath: "${cgroupPath}" may not contain "${p}"`);
    }
    this.dir = path.join(this.root, ...this.parts);
    this.devices = options.devices ?? ebpfDeviceLoader;
    this.hooks = options.hooks ?? {};
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  // --- files

  private file(name: string, dir = this.dir): string {
    return path.join(dir, name);
  }

  private read(name: string, dir = this.dir): string | undefined {
    try {
      return fs.readFileSync(this.file(name, dir), 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw new CgroupError(`reading ${this.file(name, dir)}: ${reason(err)}`, errnoOf(err));
    }
  }

  private has(name: string, dir = this.dir): boolean {
    return fs.existsSync(this.file(name, dir));
  }

  /** One write(2) of `value` to an existing interface file (never created: no O_CREAT). */
  private writeRaw(file: string, value: string): void {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC); // as `echo >`: kernfs ignores the truncation
    try {
      fs.writeSync(fd, value);
    } finally {
      fs.closeSync(fd);
    }
    this.hooks.written?.(file, value);
  }

  private write(field: string, name: string, value: string, dir = this.dir): void {
    const file = this.file(name, dir);
    try {
      this.writeRaw(file, value);
    } catch (err) {
      throw new CgroupError(`${field}: writing "${value}" to ${file}: ${reason(err)}`, errnoOf(err));
    }
  }

  private words(name: string, dir: string): Set<string> {
    return new Set((this.read(name, dir) ?? '').split(/\s+/).filter(Boolean));
  }

  /** "key value" lines (cgroup.events, memory.events, cpu.stat) as numbers. */
  private keyed(name: string): Map<string, number> | undefined {
    const text = this.read(name);
    if (text === undefined) return undefined;
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
    }
    return out;
  }

  // --- CgroupManager

  exists(): boolean {
    try {
      return fs.statSync(this.dir).isDirectory();
    } catch {
      return false;
    }
  }

  create(resources: LinuxResources | undefined): void {
    if (!isCgroup2Mount(this.root)) {
      throw new CgroupError(`cgroup v2: ${this.root} is not a cgroup2 mount (it has no cgroup.controllers)`);
    }
    const r = resources ?? {};
    const needed = this.neededControllers(r);
    const made: string[] = [];
    try {
      // top down: each level exists, then enables the controllers for the level below; the
      // container's own cgroup is the leaf, where processes go and nothing is enabled
      let dir = this.root;
      this.enableControllers(dir, needed);
      for (let i = 0; i < this.parts.length; i++) {
        dir = path.join(dir, this.parts[i]!);
        if (this.mkdir(dir)) made.push(dir);
        if (i < this.parts.length - 1) this.enableControllers(dir, needed);
      }
      this.checkLeafType(needed);
      this.apply(r, 'create');
    } catch (err) {
      for (const dir of made.reverse()) {
        try {
          this.hooks.removing?.(dir);
          fs.rmdirSync(dir);
        } catch {
          /* in use by someone else, or already gone */
        }
      }
      throw err;
    }
  }

  update(resources: LinuxResources): void {
    if (!this.exists()) throw new CgroupError(`updating the cgroup: ${this.dir} is gone`, 'ENOENT');
    const needed = this.neededControllers(resources);
    if (needed.size > 0) {
      let dir = this.root;
      this.enableControllers(dir, needed);
      for (const part of this.parts.slice(0, -1)) {
        dir = path.join(dir, part);
        this.enableControllers(dir, needed);
      }
    }
    this.apply(resources, 'update');
  }

  addProcess(pid: number): void {
    const file = this.file('cgroup.procs');
    for (let attempt = 0; ; attempt++) {
      try {
        this.writeRaw(file, String(pid));
        return;
      } catch (err) {
        // EINVAL: the task is still being created (TASK_NEW): runc retries too
        if (errnoOf(err) === 'EINVAL' && attempt < 5) {
          sleep(30);
          continue;
        }
        const hint = errnoOf(err) === 'EBUSY' ? ' (the cgroup has controllers enabled for children: processes may only join leaves)' : '';
        throw new CgroupError(`adding process ${pid}: writing "${pid}" to ${file}: ${reason(err)}${hint}`, errnoOf(err));
      }
    }
  }

  private readonly headStart = new JoinHeadStart();

  startAddProcess(pid: number): void {
    this.headStart.start([this.file('cgroup.procs')], pid);
  }

  finishAddProcess(): void {
    this.headStart.finish((pid) => this.addProcess(pid));
  }

  pids(): number[] {
    const out: number[] = [];
    for (const dir of [this.dir, ...this.descendants()]) {
      for (const line of (this.read('cgroup.procs', dir) ?? '').split('\n')) {
        if (/^\d+$/.test(line.trim())) out.push(Number(line.trim()));
      }
    }
    return out;
  }

  freeze(): void {
    if (!this.has('cgroup.freeze')) {
      throw new CgroupError(`freezing: there is no ${this.file('cgroup.freeze')} (the cgroup v2 freezer needs Linux 5.2)`, 'ENOENT');
    }
    this.write('freezing', 'cgroup.freeze', '1');
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const events = this.keyed('cgroup.events');
      if (!events || !events.has('frozen') || events.get('frozen') === 1) return;
      if (Date.now() >= deadline) break;
      sleep(5);
    }
    // never leave a container half frozen
    try {
      this.write('thawing', 'cgroup.freeze', '0');
    } catch {
      /* report the first problem */
    }
    throw new CgroupError(`freezing: ${this.file('cgroup.events')} did not say "frozen 1" within ${this.timeoutMs} ms; thawed it again`, 'ETIMEDOUT');
  }

  thaw(): void {
    if (!this.has('cgroup.freeze')) return; // nothing can be frozen without it
    this.write('thawing', 'cgroup.freeze', '0');
  }

  isFrozen(): boolean {
    return (this.read('cgroup.freeze') ?? '0').trim() === '1';
  }

  stats(): CgroupStats {
    const out: CgroupStats = {};
    const current = this.read('memory.current');
    if (current !== undefined) {
      const memory: NonNullable<CgroupStats['memory']> = { usage: Number(current.trim()) };
      const max = this.read('memory.max')?.trim();
      if (max !== undefined && max !== 'max') memory.limit = Number(max);
      const peak = this.read('memory.peak');
      if (peak !== undefined) memory.maxUsage = Number(peak.trim());
      const events = this.keyed('memory.events');
      if (events?.has('oom_kill')) memory.oomKills = events.get('oom_kill')!;
      if (events?.has('max')) memory.failcnt = events.get('max')!;
      out.memory = memory;
    }
    const cpu = this.keyed('cpu.stat');
    if (cpu?.has('usage_usec')) {
      out.cpu = { usageNanoseconds: cpu.get('usage_usec')! * 1000 };
      if (cpu.has('user_usec')) out.cpu.userNanoseconds = cpu.get('user_usec')! * 1000;
      if (cpu.has('system_usec')) out.cpu.systemNanoseconds = cpu.get('system_usec')! * 1000;
      if (cpu.has('nr_throttled')) out.cpu.throttledPeriods = cpu.get('nr_throttled')!;
    }
    const pidsCurrent = this.read('pids.current');
    if (pidsCurrent !== undefined) {
      out.pids = { current: Number(pidsCurrent.trim()) };
      const max = this.read('pids.max')?.trim();
      if (max !== undefined && max !== 'max') out.pids.limit = Number(max);
    } else if (this.exists()) {
      out.pids = { current: this.pids().length }; // no pids controller: count them
    }
    return out;
  }

  destroy(): void {
    if (!this.exists()) return;
    this.killAll();
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const left = this.pids();
      if (left.length === 0) break;
      if (Date.now() >= deadline) {
        throw new CgroupError(`destroying ${this.dir}: processes ${left.join(', ')} are still in it after ${this.timeoutMs} ms`, 'EBUSY');
      }
      sleep(5);
    }
    // cgroups the container made inside its own go first (deepest first), as runc does
    for (const dir of [...this.descendants().reverse(), this.dir]) this.rmdir(dir);
  }

  // --- internals

  /** mkdir; returns whether it made the directory. */
  private mkdir(dir: string): boolean {
    try {
      fs.mkdirSync(dir, { mode: 0o755 });
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return false;
      throw new CgroupError(`creating cgroup ${dir}: ${reason(err)}`, errnoOf(err));
    }
    this.hooks.created?.(dir);
    return true;
  }

  /** rmdir, retrying a bounded number of times while the kernel still holds the cgroup. */
  private rmdir(dir: string): void {
    this.hooks.removing?.(dir);
    let delay = 5;
    for (let attempt = 1; ; attempt++) {
      try {
        fs.rmdirSync(dir);
        return;
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT') return;
        if (code === 'EBUSY' && attempt < 10) {
          sleep(delay);
          delay = Math.min(delay * 2, 100);
          continue;
        }
        throw new CgroupError(`destroying the cgroup: rmdir ${dir}: ${reason(err)}${code === 'EBUSY' ? ` (after ${attempt} tries)` : ''}`, code);
      }
    }
  }

  /** Every cgroup below ours, parents before children. */
  private descendants(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const sub = path.join(dir, e.name);
        out.push(sub);
        walk(sub);
      }
    };
    walk(this.dir);
    return out;
  }

  private killAll(): void {
    if (this.has('cgroup.kill')) {
      this.write('destroying the cgroup', 'cgroup.kill', '1'); // the whole subtree, race-free (Linux 5.14)
      return;
    }
    // older kernels: freeze so nothing forks meanwhile, SIGKILL everyone, thaw so they die
    let frozen = false;
    try {
      this.freeze();
      frozen = true;
    } catch {
      /* no freezer: kill anyway */
    }
    for (const pid of this.pids()) killPid(pid, SIGNALS.SIGKILL!);
    if (frozen) this.thaw();
  }

  /** The controllers these resources need, each with the field that needs it. */
  private neededControllers(r: LinuxResources): Map<string, string> {
    const need = new Map<string, string>();
    const add = (controller: string, field: string): void => {
      if (!need.has(controller)) need.set(controller, field);
    };
    const m = r.memory;
    if (m && (m.limit || m.reservation || m.swap)) add('memory', 'linux.resources.memory');
    const c = r.cpu;
    if (c && (c.shares || c.quota || c.period || c.burst !== undefined || c.idle !== undefined)) add('cpu', 'linux.resources.cpu');
    if (c && (c.cpus || c.mems)) add('cpuset', c.cpus ? 'linux.resources.cpu.cpus' : 'linux.resources.cpu.mems');
    if (r.pids && r.pids.limit) add('pids', 'linux.resources.pids');
    const b = r.blockIO;
    if (
      b &&
      (b.weight ||
        b.weightDevice?.length ||
        b.throttleReadBpsDevice?.length ||
        b.throttleWriteBpsDevice?.length ||
        b.throttleReadIOPSDevice?.length ||
        b.throttleWriteIOPSDevice?.length)
    ) {
      add('io', 'linux.resources.blockIO');
    }
    if (r.hugepageLimits?.length) add('hugetlb', 'linux.resources.hugepageLimits');
    if (r.rdma && Object.keys(r.rdma).length) add('rdma', 'linux.resources.rdma');
    for (const key of Object.keys(r.unified ?? {})) {
      const controller = /^([a-z_]+)\.[^/]+$/.exec(key)?.[1]; // a bad key is reported by plan()
      if (controller && controller !== 'cgroup') add(controller, `linux.resources.unified["${key}"]`);
    }
    return need;
  }

  /**
   * Enables, in dir's cgroup.subtree_control, every controller dir has (as runc does, so that
   * `update` and stats find their files later); a controller the resources need but dir does
   * not have is an error naming the resource.
   */
  private enableControllers(dir: string, needed: Map<string, string>): void {
    const available = this.words('cgroup.controllers', dir);
    for (const [controller, field] of needed) {
      if (!available.has(controller)) {
        throw new ConfigError(`${field}: the ${controller} controller is not available in ${dir} (cgroup v2)`);
      }
    }
    const enabled = this.words('cgroup.subtree_control', dir);
    const missing = [...available].filter((c) => !enabled.has(c));
    if (missing.length === 0) return;
    const file = this.file('cgroup.subtree_control', dir);
    try {
      this.writeRaw(file, missing.map((c) => `+${c}`).join(' '));
      return;
    } catch {
      /* one of them is refused: enable them one by one, failing only for the needed ones */
    }
    for (const controller of missing) {
      try {
        this.writeRaw(file, `+${controller}`);
      } catch (err) {
        const field = needed.get(controller);
        if (field === undefined) continue;
        const hint =
          errnoOf(err) === 'EBUSY' ? ` (${dir} has processes of its own: cgroup v2 enables controllers only for cgroups without processes)` : '';
        throw new CgroupError(`${field}: enabling the ${controller} controller: writing "+${controller}" to ${file}: ${reason(err)}${hint}`, errnoOf(err));
      }
    }
  }

  /** A threaded or invalid leaf cannot take domain controllers (memory, io, ...). */
  private checkLeafType(needed: Map<string, string>): void {
    const type = this.read('cgroup.type')?.trim();
    if (!type || type === 'domain') return;
    for (const [controller, field] of needed) {
      if (DOMAIN_CONTROLLERS.has(controller)) {
        throw new CgroupError(`${field}: ${this.dir} is a "${type}" cgroup, which cannot use the ${controller} controller`);
      }
    }
  }

  /** Validates everything first (so a bad value writes nothing), then writes in runc's order. */
  private apply(r: LinuxResources, mode: Mode): void {
    const steps = this.plan(r, mode);
    let retry: Write | undefined; // cpu.max.burst refused before its cpu.max
    for (const step of steps) {
      if ('rules' in step) {
        this.devices.apply(this.dir, step.rules, 'linux.resources.devices');
        continue;
      }
      if (this.run(step)) {
        retry = step;
        continue;
      }
      if (retry) {
        const again = retry;
        retry = undefined;
        this.run({ ...again, retryAfterNext: false });
      }
    }
    if (retry) this.run({ ...retry, retryAfterNext: false });
  }

  /** One planned write; returns true when it is to be tried again after the next one. */
  private run(w: Write): boolean {
    const file = this.file(w.file);
    try {
      this.writeRaw(file, w.value);
      return false;
    } catch (err) {
      const code = errnoOf(err);
      if (w.optional && code === 'ENOENT') return false;
      // a burst above what the old quota allows is EINVAL until the new quota is in (runc)
      if (w.retryAfterNext && code === 'EINVAL') return true;
      if (w.unifiedKey !== undefined && (code === 'ENOENT' || code === 'EPERM' || code === 'EACCES')) {
        throw new CgroupError(`${w.field}: ${this.explainUnified(w.unifiedKey)}`, code);
      }
      throw new CgroupError(`${w.field}: writing "${w.value}" to ${file}: ${reason(err)}`, code);
    }
  }

  private explainUnified(key: string): string {
    const file = this.file(key);
    const dot = key.indexOf('.');
    if (dot <= 0) return `there is no ${file}; unified keys have the form CONTROLLER.PARAMETER`;
    const controller = key.slice(0, dot);
    if (controller !== 'cgroup' && !this.words('cgroup.controllers', this.dir).has(controller)) {
      return `there is no ${file}: the ${controller} controller is not available here (cgroup v2)`;
    }
    return `there is no ${file} (this kernel has no such cgroup v2 file)`;
  }

  /** The steps for a set of resources, in runc's order (pids, memory, io, cpu, devices, cpuset, hugetlb, rdma, unified). */
  private plan(r: LinuxResources, mode: Mode): (Write | DevicesStep)[] {
    const out: (Write | DevicesStep)[] = [];
    const F = 'linux.resources';

    // pids
    if (r.pids && r.pids.limit) {
      const limit = r.pids.limit;
      out.push({ field: `${F}.pids.limit`, file: 'pids.max', value: limit < 0 ? 'max' : int(limit, `${F}.pids.limit`) });
    }

    // memory
    const m = r.memory;
    if (m && (m.limit || m.reservation || m.swap)) {
      const limit = m.limit ?? 0;
      const swap = m.swap ?? 0;
      if (m.checkBeforeUpdate && mode === 'update') this.checkMemoryUsage(limit, swap);
      let swapV2: number;
      try {
        // update: a swap without a limit is against the limit in force
        const against = mode === 'update' && swap > 0 && limit === 0 ? this.currentMemoryLimit() : limit;
        swapV2 = memorySwapToV2(swap, against);
      } catch (err) {
        throw new ConfigError(`${F}.memory.swap: ${(err as Error).message}`);
      }
      let swapStr = swapV2 === -1 ? 'max' : swapV2 === 0 ? '' : int(swapV2, `${F}.memory.swap`);
      if (swapStr === '' && swap > 0) swapStr = '0'; // swap == limit: no swap at all
      // without swap accounting memory.swap.max is missing: "max" and "0" then hold anyway
      if (swapStr) out.push({ field: `${F}.memory.swap`, file: 'memory.swap.max', value: swapStr, optional: swapStr === 'max' || swapStr === '0' });
      const max = limitToStr(m.limit, `${F}.memory.limit`);
      if (max) out.push({ field: `${F}.memory.limit`, file: 'memory.max', value: max });
      const low = limitToStr(m.reservation, `${F}.memory.reservation`);
      if (low) out.push({ field: `${F}.memory.reservation`, file: 'memory.low', value: low });
    }

    // io
    const b = r.blockIO;
    if (b) {
      const bfq = b.weight || b.weightDevice?.length ? this.read('io.bfq.weight') : undefined;
      if (b.weight) {
        if (bfq !== undefined) out.push({ field: `${F}.blockIO.weight`, file: 'io.bfq.weight', value: int(b.weight, `${F}.blockIO.weight`) });
        else out.push({ field: `${F}.blockIO.weight`, file: 'io.weight', value: String(blkioWeightToIoWeight(b.weight)) });
      }
      // per-device weights: only BFQ takes them ("default N" in io.bfq.weight: Linux 5.4+)
      if (bfq !== undefined && /default/.test(bfq)) {
        (b.weightDevice ?? []).forEach((d, i) => {
          const at = `${F}.blockIO.weightDevice[${i}]`;
          if (d.weight) out.push({ field: at, file: 'io.bfq.weight', value: `${int(d.major, `${at}.major`)}:${int(d.minor, `${at}.minor`)} ${int(d.weight, `${at}.weight`)}` });
        });
      }
      const throttles: [keyof NonNullable<LinuxResources['blockIO']>, string][] = [
        ['throttleReadBpsDevice', 'rbps'],
        ['throttleWriteBpsDevice', 'wbps'],
        ['throttleReadIOPSDevice', 'riops'],
        ['throttleWriteIOPSDevice', 'wiops'],
      ];
      for (const [key, name] of throttles) {
        const list = (b[key] ?? []) as { major: number; minor: number; rate: number }[];
        list.forEach((d, i) => {
          const at = `${F}.blockIO.${key}[${i}]`;
          if (!d.rate) return;
          out.push({ field: at, file: 'io.max', value: `${int(d.major, `${at}.major`)}:${int(d.minor, `${at}.minor`)} ${name}=${int(d.rate, `${at}.rate`)}` });
        });
      }
    }

    // cpu
    const c = r.cpu;
    if (c) {
      if (c.idle !== undefined && c.idle !== null) out.push({ field: `${F}.cpu.idle`, file: 'cpu.idle', value: int(c.idle, `${F}.cpu.idle`) });
      if (c.shares && !c.idle) {
        if (c.shares < 0) throw new ConfigError(`${F}.cpu.shares: ${c.shares} is negative`);
        out.push({ field: `${F}.cpu.shares`, file: 'cpu.weight', value: String(cpuSharesToWeight(c.shares)) });
      }
      const hasMax = !!(c.quota || c.period);
      if (c.burst !== undefined && c.burst !== null) {
        out.push({ field: `${F}.cpu.burst`, file: 'cpu.max.burst', value: int(c.burst, `${F}.cpu.burst`), retryAfterNext: hasMax });
      }
      if (hasMax) {
        let quota = c.quota ?? 0;
        let period = c.period ?? 0;
        if (mode === 'update' && (!quota || !period)) {
          // keep what is in force for the half `update` does not name
          const [q, p] = (this.read('cpu.max') ?? '').trim().split(/\s+/);
          if (!quota && q) quota = q === 'max' ? -1 : Number(q);
          if (!period && p) period = Number(p);
        }
        const value = `${quota > 0 ? int(quota, `${F}.cpu.quota`) : 'max'} ${period ? int(period, `${F}.cpu.period`) : '100000'}`;
        out.push({ field: c.quota ? `${F}.cpu.quota` : `${F}.cpu.period`, file: 'cpu.max', value });
      }
    }

    // devices (checked now, loaded in order)
    if (r.devices !== undefined && r.devices !== null) {
      normalizeDeviceRules(r.devices, `${F}.devices`);
      out.push({ rules: r.devices });
    }

    // cpuset
    if (c?.cpus) out.push({ field: `${F}.cpu.cpus`, file: 'cpuset.cpus', value: c.cpus });
    if (c?.mems) out.push({ field: `${F}.cpu.mems`, file: 'cpuset.mems', value: c.mems });

    // hugetlb
    (r.hugepageLimits ?? []).forEach((h, i) => {
      const at = `${F}.hugepageLimits[${i}]`;
      if (typeof h.pageSize !== 'string' || !/^\d+[KMG]B$/.test(h.pageSize)) {
        throw new ConfigError(`${at}.pageSize: "${String(h.pageSize)}" is not a huge page size such as 2MB or 1GB`);
      }
      if (h.limit < 0) throw new ConfigError(`${at}.limit: ${h.limit} is negative`);
      const value = int(h.limit, `${at}.limit`);
      out.push({ field: `${at}.limit`, file: `hugetlb.${h.pageSize}.max`, value });
      out.push({ field: `${at}.limit`, file: `hugetlb.${h.pageSize}.rsvd.max`, value, optional: true }); // Linux 5.7+
    });

    // rdma
    for (const [device, limits] of Object.entries(r.rdma ?? {})) {
      const at = `${F}.rdma["${device}"]`;
      if (!/^[^\s/]+$/.test(device)) throw new ConfigError(`${at}: "${device}" is not an RDMA device name`);
      let line = device;
      if (limits.hcaHandles !== undefined && limits.hcaHandles !== null) line += ` hca_handle=${int(limits.hcaHandles, `${at}.hcaHandles`)}`;
      if (limits.hcaObjects !== undefined && limits.hcaObjects !== null) line += ` hca_object=${int(limits.hcaObjects, `${at}.hcaObjects`)}`;
      if (line !== device) out.push({ field: at, file: 'rdma.max', value: line });
    }

    // unified: as is, last (it may override anything above)
    for (const [key, value] of Object.entries(r.unified ?? {})) {
      const at = `${F}.unified["${key}"]`;
      if (key.includes('/') || key === '.' || key === '..' || key === '') throw new ConfigError(`${at}: a unified key must be a file name (no slashes)`);
      if (typeof value !== 'string') throw new ConfigError(`${at}: the value must be a string`);
      out.push({ field: at, file: key, value, unifiedKey: key });
    }
    return out;
  }

  private currentMemoryLimit(): number {
    const text = this.read('memory.max')?.trim();
    if (text === undefined || text === 'max') return text === 'max' ? -1 : 0;
    return Number(text);
  }

  /** memory.checkBeforeUpdate: refuse a limit at or below what the cgroup uses now (runc). */
  private checkMemoryUsage(limit: number, swap: number): void {
    if (limit <= 0 && swap <= 0) return;
    const text = this.read('memory.current');
    if (text === undefined) return; // best effort, as runc
    const usage = Number(text.trim());
    if (swap > 0 && swap <= usage) throw new ConfigError(`linux.resources.memory.swap: rejecting memory+swap limit ${swap} <= usage ${usage}`);
    if (limit > 0 && limit <= usage) throw new ConfigError(`linux.resources.memory.limit: rejecting memory limit ${limit} <= usage ${usage}`);
  }
}
