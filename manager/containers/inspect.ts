// docker inspect's view of a container, made from its metadata (pure).
import type { ContainerRecord } from './types';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface InspectView {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  Image: string;
  ImageName: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  HostConfig: { AutoRemove: boolean; CgroupParent: string };
  Config: Record<string, unknown>;
  NetworkSettings: Record<string, unknown>;
  Bundle: string;
  Rootfs: string;
  Monitor: { Kind: string; Pid: number } | null;
}

export function inspectView(record: ContainerRecord, pid = record.state.pid): InspectView {
  const s = record.state;
  const running = s.status === 'running' || s.status === 'paused';
  return {
    Id: record.id,
    Created: record.created,
    Path: record.path,
    Args: record.args,
    State: {
      Status: s.status,
      Running: running,
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: running ? pid : 0,
      ExitCode: s.exitCode,
      Error: s.error ?? '',
      StartedAt: s.startedAt ?? ZERO_TIME,
      FinishedAt: s.finishedAt ?? ZERO_TIME,
    },
    Image: record.image.id,
    ImageName: record.image.ref,
    LogPath: record.logPath,
    Name: `/${record.name}`,
    RestartCount: record.restartCount ?? 0,
    Driver: 'overlay',
    HostConfig: { AutoRemove: record.autoRemove, CgroupParent: record.cgroupsPath },
    Config: { ...record.config, Image: record.image.ref, StopSignal: record.stopSignal, StopTimeout: record.stopTimeout },
    NetworkSettings: record.network ?? {},
    Bundle: record.bundle,
    Rootfs: record.rootfs ?? '',
    Monitor: record.monitor ? { Kind: record.monitor.kind, Pid: record.monitor.pid } : null,
  };
}
