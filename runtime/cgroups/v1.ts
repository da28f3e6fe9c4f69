// cgroup v1: one hierarchy per controller (or per group of co-mounted controllers), each with a
// directory for the container. On hybrid hosts the unified (v2) mount is joined as well, as runc
// does, so the container's processes can be found there too.
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError } from '../errors';
import { log } from '../log';
import { JoinHeadStart, makeCgroupDir, readPids, readTrimmed, removeCgroupDir, removeDefaultParent, sleepMs, writeCgroupFile } from './fsutil';
import { hostMountinfo } from './mountinfo';
import { type CgroupPathSpec, ownCgroups } from './paths';
import type { CgroupManager, CgroupStats, LinuxResources } from './types';

const KNOWN_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event',
  'hugetlb', 'pids', 'rdma', 'misc',
]);

export interface V1Hierarchy {
  /** e.g. /sys/fs/cgroup/memory */
  mountPoint: string;
  /** The /proc/self/cgroup key: "memory", "cpu,cpuacct", "name=systemd", "" for the unified mount. */
  key: string;
}

/** A cgroup mount from /proc/self/mountinfo: a hierarchy with the part of it that is mounted. */
export interface CgroupMount extends V1Hierarchy {
  /** The directory of the hierarchy mounted there ("/" for its root). */
  root: string;
}

/** Every cgroup mount (v1, and the unified one) in mountinfo, in order, duplicates included. */
export function cgroupMounts(mountinfo = hostMountinfo()): CgroupMount[] {
  const found: CgroupMount[] = [];
  for (const line of mountinfo.trim().split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    const fstype = fields[sep + 1];
    const root = fields[3]!;
    const mountPoint = fields[4]!;
    if (fstype === 'cgroup2') {
      found.push({ mountPoint, key: '', root });
    } else if (fstype === 'cgroup') {
      const options = (fields[sep + 3] ?? '').split(',');
      const key = options.filter((o) => KNOWN_CONTROLLERS.has(o) || o.startsWith('name=')).join(',');
      if (key) found.push({ mountPoint, key, root });
    }
  }
  return found;
}

/** The v1 hierarchies (and a hybrid host's unified mount) from /proc/self/mountinfo. */
export function v1Hierarchies(mountinfo = hostMountinfo()): V1Hierarchy[] {
  const found = cgroupMounts(mountinfo);
  // The same hierarchy mounted twice: keep the first mount.
  return found.filter((h, i) => found.findIndex((o) => o.key === h.key) === i).map(({ mountPoint, key }) => ({ mountPoint, key }));
}

/** The container's directory in each hierarchy. */
export function v1Dirs(spec: CgroupPathSpec, hierarchies = v1Hierarchies()): Record<string, string> {
  const own = spec.relative ? ownCgroups() : new Map<string, string>();
  const dirs: Record<string, string> = {};
  for (const h of hierarchies) {
    const base = spec.relative ? (own.get(h.key) ?? '/') : '/';
    dirs[h.key] = path.join(h.mountPoint, base, spec.path);
  }
  return dirs;
}

const positive = (v: number | undefined): v is number => v !== undefined && v > 0;
const setOrUnlimited = (v: number | undefined): v is number => v !== undefined && (v > 0 || v === -1);

export class CgroupV1 implements CgroupManager {
  readonly version = 1 as const;

  /** @param dirs hierarchy key -> the container's directory in it (state.json keeps these). */
  constructor(readonly dirs: Record<string, string>) {}

  /** The directory of the hierarchy holding `controller`, if that controller is mounted. */
  dir(controller: string): string | undefined {
    const key = Object.keys(this.dirs).find((k) => k.split(',').includes(controller));
    return key === undefined ? undefined : this.dirs[key];
  }

  private need(controller: string, field: string): string {
    const dir = this.dir(controller);
    if (!dir) throw new RuntimeError(`${field}: the ${controller} cgroup controller is not mounted on this host`);
    return dir;
  }

  exists(): boolean {
    return Object.values(this.dirs).some((d) => fs.existsSync(d));
  }

  create(resources: LinuxResources | undefined): void {
    for (const dir of Object.values(this.dirs)) makeCgroupDir(dir);
    const cpuset = this.dir('cpuset');
    if (cpuset) inheritCpuset(cpuset);
    if (resources) this.apply(resources, false);
  }

  addProcess(pid: number): void {
    for (const dir of Object.values(this.dirs)) writeCgroupFile(path.join(dir, 'cgroup.procs'), String(pid), `cgroup ${dir}`);
  }

  private readonly headStart = new JoinHeadStart();

  startAddProcess(pid: number): void {
    this.headStart.start(Object.values(this.dirs).map((dir) => path.join(dir, 'cgroup.procs')), pid);
  }

  finishAddProcess(): void {
    this.headStart.finish((pid) => this.addProcess(pid));
  }

  update(resources: LinuxResources): void {
    this.apply(resources, true);
  }

  /** Zero means "not set" (docker sends zeros for what it leaves alone), as runc reads it. */
  private apply(r: LinuxResources, updating: boolean): void {
    if (r.unified && Object.keys(r.unified).length) {
      throw new RuntimeError('linux.resources.unified: needs cgroup v2; this host uses cgroup v1');
    }
    if (r.memory) this.applyMemory(r.memory);
    if (r.cpu) this.applyCpu(r.cpu);
    if (r.pids && r.pids.limit !== 0) {
      const dir = this.need('pids', 'linux.resources.pids');
      writeCgroupFile(path.join(dir, 'pids.max'), r.pids.limit > 0 ? String(r.pids.limit) : 'max', 'linux.resources.pids.limit');
    }
    if (r.blockIO) this.applyBlockIO(r.blockIO);
    for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
      const dir = this.need('hugetlb', `linux.resources.hugepageLimits[${i}]`);
      writeCgroupFile(path.join(dir, `hugetlb.${h.pageSize}.limit_in_bytes`), String(h.limit), `linux.resources.hugepageLimits[${i}]`);
    }
    if (r.network) {
      if (positive(r.network.classID)) {
        const dir = this.need('net_cls', 'linux.resources.network.classID');
        writeCgroupFile(path.join(dir, 'net_cls.classid'), String(r.network.classID), 'linux.resources.network.classID');
      }
      for (const [i, p] of (r.network.priorities ?? []).entries()) {
        const dir = this.need('net_prio', `linux.resources.network.priorities[${i}]`);
        writeCgroupFile(path.join(dir, 'net_prio.ifpriomap'), `${p.name} ${p.priority}`, `linux.resources.network.priorities[${i}]`);
      }
    }
    if (r.rdma && Object.keys(r.rdma).length) {
      const dir = this.need('rdma', 'linux.resources.rdma');
      for (const [device, limit] of Object.entries(r.rdma)) {
        const parts = [`hca_handle=${limit.hcaHandles ?? 'max'}`, `hca_object=${limit.hcaObjects ?? 'max'}`];
        writeCgroupFile(path.join(dir, 'rdma.max'), `${device} ${parts.join(' ')}`, `linux.resources.rdma.${device}`);
      }
    }
    if (r.devices?.length) this.applyDevices(r.devices, updating);
  }

  private applyMemory(m: NonNullable<LinuxResources['memory']>): void {
    const field = 'linux.resources.memory';
    const wants = setOrUnlimited(m.limit) || setOrUnlimited(m.swap) || setOrUnlimited(m.reservation) ||
      (m.swappiness !== undefined && m.swappiness >= 0 && m.swappiness <= 100) || m.disableOOMKiller === true;
    if (!wants) return;
    const dir = this.need('memory', field);
    const limitFile = path.join(dir, 'memory.limit_in_bytes');
    const swapFile = path.join(dir, 'memory.memsw.limit_in_bytes');
    const writeLimit = () => setOrUnlimited(m.limit) && writeCgroupFile(limitFile, String(m.limit), `${field}.limit`);
    const writeSwap = () => {
      if (!setOrUnlimited(m.swap)) return;
      if (!fs.existsSync(swapFile)) throw new RuntimeError(`${field}.swap: swap accounting is not enabled on this host (no ${swapFile})`);
      writeCgroupFile(swapFile, String(m.swap), `${field}.swap`);
    };
    // memory+swap may never be below memory: raise it first when growing, lower it last when shrinking.
    const currentLimit = Number(readTrimmed(limitFile) ?? 0);
    if (setOrUnlimited(m.swap) && (m.swap === -1 || m.swap > currentLimit)) {
      writeSwap();
      writeLimit();
    } else {
      writeLimit();
      writeSwap();
    }
    if (setOrUnlimited(m.reservation)) writeCgroupFile(path.join(dir, 'memory.soft_limit_in_bytes'), String(m.reservation), `${field}.reservation`);
    if (m.swappiness !== undefined && m.swappiness >= 0 && m.swappiness <= 100) {
      writeCgroupFile(path.join(dir, 'memory.swappiness'), String(m.swappiness), `${field}.swappiness`);
    }
    if (m.disableOOMKiller) writeCgroupFile(path.join(dir, 'memory.oom_control'), '1', `${field}.disableOOMKiller`);
    if (positive(m.kernel) || positive(m.kernelTCP)) {
      log('warn', `${field}.kernel/kernelTCP: kernel memory limits are deprecated and ignored (as runc does)`);
    }
  }

  private applyCpu(c: NonNullable<LinuxResources['cpu']>): void {
    const field = 'linux.resources.cpu';
    if (positive(c.shares) || positive(c.period) || setOrUnlimited(c.quota) || c.burst !== undefined || positive(c.realtimePeriod) ||
      positive(c.realtimeRuntime) || c.idle !== undefined) {
      const dir = this.need('cpu', field);
      if (positive(c.shares)) writeCgroupFile(path.join(dir, 'cpu.shares'), String(c.shares), `${field}.shares`);
      if (positive(c.period)) writeCgroupFile(path.join(dir, 'cpu.cfs_period_us'), String(c.period), `${field}.period`);
      if (setOrUnlimited(c.quota)) writeCgroupFile(path.join(dir, 'cpu.cfs_quota_us'), String(c.quota), `${field}.quota`);
      if (c.burst !== undefined) writeCgroupFile(path.join(dir, 'cpu.cfs_burst_us'), String(c.burst), `${field}.burst`);
      if (positive(c.realtimePeriod)) writeCgroupFile(path.join(dir, 'cpu.rt_period_us'), String(c.realtimePeriod), `${field}.realtimePeriod`);
      if (positive(c.realtimeRuntime)) writeCgroupFile(path.join(dir, 'cpu.rt_runtime_us'), String(c.realtimeRuntime), `${field}.realtimeRuntime`);
      if (c.idle !== undefined) writeCgroupFile(path.join(dir, 'cpu.idle'), String(c.idle), `${field}.idle`);
    }
    if (c.cpus || c.mems) {
      const dir = this.need('cpuset', field);
      if (c.cpus) writeCgroupFile(path.join(dir, 'cpuset.cpus'), c.cpus, `${field}.cpus`);
      if (c.mems) writeCgroupFile(path.join(dir, 'cpuset.mems'), c.mems, `${field}.mems`);
    }
  }

  private applyBlockIO(b: NonNullable<LinuxResources['blockIO']>): void {
    const field = 'linux.resources.blockIO';
    const throttles: [keyof typeof b, string][] = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ];
    const any = positive(b.weight) || positive(b.leafWeight) || (b.weightDevice?.length ?? 0) > 0 ||
      throttles.some(([key]) => ((b[key] as unknown[] | undefined)?.length ?? 0) > 0);
    if (!any) return;
    const dir = this.need('blkio', field);
    const weightFile = fs.existsSync(path.join(dir, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight';
    if (positive(b.weight)) writeCgroupFile(path.join(dir, weightFile), String(b.weight), `${field}.weight`);
    if (positive(b.leafWeight)) writeCgroupFile(path.join(dir, 'blkio.leaf_weight'), String(b.leafWeight), `${field}.leafWeight`);
    for (const [i, d] of (b.weightDevice ?? []).entries()) {
      if (d.weight !== undefined) writeCgroupFile(path.join(dir, `${weightFile}_device`), `${d.major}:${d.minor} ${d.weight}`, `${field}.weightDevice[${i}]`);
      if (d.leafWeight !== undefined) writeCgroupFile(path.join(dir, 'blkio.leaf_weight_device'), `${d.major}:${d.minor} ${d.leafWeight}`, `${field}.weightDevice[${i}]`);
    }
    for (const [key, file] of throttles) {
      for (const [i, d] of ((b[key] as { major: number; minor: number; rate: number }[] | undefined) ?? []).entries()) {
        writeCgroupFile(path.join(dir, file), `${d.major}:${d.minor} ${d.rate}`, `${field}.${String(key)}[${i}]`);
      }
    }
  }

  /** The device rules in order; with a deny-all first, as docker sends, the cgroup starts from nothing. */
  private applyDevices(rules: NonNullable<LinuxResources['devices']>, updating: boolean): void {
    const dir = this.need('devices', 'linux.resources.devices');
    void updating;
    rules.forEach((rule, i) => {
      const type = rule.type ?? 'a';
      const major = rule.major === undefined || rule.major === null || rule.major < 0 ? '*' : String(rule.major);
      const minor = rule.minor === undefined || rule.minor === null || rule.minor < 0 ? '*' : String(rule.minor);
      const line = type === 'a' ? 'a' : `${type} ${major}:${minor} ${rule.access ?? 'rwm'}`;
      writeCgroupFile(path.join(dir, rule.allow ? 'devices.allow' : 'devices.deny'), line, `linux.resources.devices[${i}]`);
    });
  }

  pids(): number[] {
    for (const controller of ['pids', 'freezer', 'memory', 'cpu', 'devices']) {
      const dir = this.dir(controller);
      if (dir && fs.existsSync(dir)) return readPids(path.join(dir, 'cgroup.procs'));
    }
    const any = Object.values(this.dirs).find((d) => fs.existsSync(d));
    return any ? readPids(path.join(any, 'cgroup.procs')) : [];
  }

  freeze(): void {
    const dir = this.need('freezer', 'pause');
    writeCgroupFile(path.join(dir, 'freezer.state'), 'FROZEN', 'pause');
    for (let i = 0; i < 500 && readTrimmed(path.join(dir, 'freezer.state')) !== 'FROZEN'; i++) sleepMs(2);
    if (readTrimmed(path.join(dir, 'freezer.state')) !== 'FROZEN') {
      writeCgroupFile(path.join(dir, 'freezer.state'), 'THAWED', 'pause');
      throw new RuntimeError(`pause: the container's processes did not freeze (${dir})`);
    }
  }

  thaw(): void {
    const dir = this.need('freezer', 'resume');
    writeCgroupFile(path.join(dir, 'freezer.state'), 'THAWED', 'resume');
  }

  isFrozen(): boolean {
    const dir = this.dir('freezer');
    return dir !== undefined && readTrimmed(path.join(dir, 'freezer.state')) === 'FROZEN';
  }

  stats(): CgroupStats {
    const stats: CgroupStats = {};
    const num = (dir: string | undefined, file: string) => {
      const text = dir ? readTrimmed(path.join(dir, file)) : undefined;
      return text === undefined ? undefined : Number(text);
    };
    const memory = this.dir('memory');
    const usage = num(memory, 'memory.usage_in_bytes');
    if (usage !== undefined) {
      const oom = /oom_kill (\d+)/.exec(readTrimmed(path.join(memory!, 'memory.oom_control')) ?? '');
      stats.memory = {
        usage,
        limit: num(memory, 'memory.limit_in_bytes'),
        maxUsage: num(memory, 'memory.max_usage_in_bytes'),
        failcnt: num(memory, 'memory.failcnt'),
        oomKills: oom ? Number(oom[1]) : undefined,
      };
    }
    const cpuacct = this.dir('cpuacct');
    const cpuUsage = num(cpuacct, 'cpuacct.usage');
    if (cpuUsage !== undefined) {
      const throttled = /nr_throttled (\d+)/.exec(readTrimmed(path.join(this.dir('cpu') ?? cpuacct!, 'cpu.stat')) ?? '');
      stats.cpu = {
        usageNanoseconds: cpuUsage,
        userNanoseconds: num(cpuacct, 'cpuacct.usage_user'),
        systemNanoseconds: num(cpuacct, 'cpuacct.usage_sys'),
        throttledPeriods: throttled ? Number(throttled[1]) : undefined,
      };
    }
    const pids = this.dir('pids');
    const current = num(pids, 'pids.current');
    if (current !== undefined) {
      const max = readTrimmed(path.join(pids!, 'pids.max'));
      stats.pids = { current, limit: max === undefined || max === 'max' ? undefined : Number(max) };
    }
    return stats;
  }

  /** Freeze, SIGKILL everything, thaw, wait for the cgroup to empty, remove the directories. */
  destroy(): void {
    if (!this.exists()) return;
    const freezer = this.dir('freezer');
    const canFreeze = freezer !== undefined && fs.existsSync(freezer);
    for (let round = 0; round < 100; round++) {
      const pids = this.pids();
      if (pids.length === 0) break;
      if (canFreeze) writeCgroupFile(path.join(freezer, 'freezer.state'), 'FROZEN', 'delete');
      for (const pid of pids) killIfThere(pid);
      if (canFreeze) writeCgroupFile(path.join(freezer, 'freezer.state'), 'THAWED', 'delete');
      sleepMs(round < 10 ? 2 : 20);
    }
    for (const dir of Object.values(this.dirs)) {
      removeCgroupDir(dir);
      removeDefaultParent(dir);
    }
  }
}

/** A new cpuset cgroup has no cpus or mems: copy them down from the closest ancestor that has them. */
function inheritCpuset(dir: string): void {
  const chain: string[] = [];
  for (let d = dir; d !== path.dirname(d) && fs.existsSync(path.join(d, 'cpuset.cpus')); d = path.dirname(d)) chain.unshift(d);
  for (let i = 1; i < chain.length; i++) {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (!readTrimmed(path.join(chain[i]!, file))) {
        const parent = readTrimmed(path.join(chain[i - 1]!, file)) ?? '';
        writeCgroupFile(path.join(chain[i]!, file), parent, `cgroup ${chain[i]}`);
      }
    }
  }
}

/** SIGKILL; a process that is gone already (ESRCH) is fine. Node's kill: no addon for `state`'s path. */
function killIfThere(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
