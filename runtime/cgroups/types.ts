// The one interface the runtime drives cgroups through, for cgroup v1 (per-controller
// hierarchies, this machine) and v2 (the unified hierarchy, most hosts). An implementation is
// bound to one container's cgroup; every path it touches lies under `root` (a real cgroupfs
// mount, or a fake tree in tests).

/** linux.resources of the runtime spec (config-linux.md#control-groups), as the config carries it. */
export interface LinuxResources {
  devices?: { allow: boolean; type?: string; major?: number | null; minor?: number | null; access?: string }[];
  memory?: {
    limit?: number;
    reservation?: number;
    swap?: number;
    kernel?: number;
    kernelTCP?: number;
    swappiness?: number;
    disableOOMKiller?: boolean;
    useHierarchy?: boolean;
    checkBeforeUpdate?: boolean;
  };
  cpu?: {
    shares?: number;
    quota?: number;
    burst?: number;
    period?: number;
    realtimeRuntime?: number;
    realtimePeriod?: number;
    cpus?: string;
    mems?: string;
    idle?: number;
  };
  pids?: { limit: number };
  blockIO?: {
    weight?: number;
    leafWeight?: number;
    weightDevice?: { major: number; minor: number; weight?: number; leafWeight?: number }[];
    throttleReadBpsDevice?: { major: number; minor: number; rate: number }[];
    throttleWriteBpsDevice?: { major: number; minor: number; rate: number }[];
    throttleReadIOPSDevice?: { major: number; minor: number; rate: number }[];
    throttleWriteIOPSDevice?: { major: number; minor: number; rate: number }[];
  };
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
}

/** Figures for `events --stats` and `mydocker stats`. */
export interface CgroupStats {
  memory?: { usage: number; limit?: number; maxUsage?: number; failcnt?: number; oomKills?: number };
  cpu?: { usageNanoseconds: number; userNanoseconds?: number; systemNanoseconds?: number; throttledPeriods?: number };
  pids?: { current: number; limit?: number };
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** Creates the cgroup (and its parents) and applies the resources. */
  create(resources: LinuxResources | undefined): void;
  /** Moves a process in (before it runs the user program). */
  addProcess(pid: number): void;
  /**
   * Begins addProcess on worker threads and returns at once: the first move into any cgroup after
   * a quiet spell waits for an RCU grace period in the kernel (measured 6-32 ms here), which the
   * caller overlaps with other work. finishAddProcess() must follow before the process may run
   * anything (and while the main thread sees the host's /sys/fs/cgroup).
   */
  startAddProcess(pid: number): void;
  /** Completes the move startAddProcess began (waiting for it if need be) and throws if it failed; no-op without one. */
  finishAddProcess(): void;
  /** Applies (changed) resources; for `update` zero values mean "unset" and are skipped. */
  update(resources: LinuxResources): void;
  /** Host pids of every process in the cgroup. */
  pids(): number[];
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  stats(): CgroupStats;
  /** Kills every process in it and removes the cgroup (retrying while the kernel still holds it). */
  destroy(): void;
  /** Whether the cgroup exists. */
  exists(): boolean;
}
