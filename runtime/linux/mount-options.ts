// Turns an OCI mount's options into mount(2) arguments: flags to set, propagation changes
// applied afterwards, and whatever the kernel should see as filesystem data.
import { MS } from '../../native/libc';

export interface ParsedMountOptions {
  flags: number;
  /** Propagation flags (MS_SHARED etc., maybe with MS_REC), each applied with its own mount call. */
  propagation: number[];
  /** Filesystem-specific options, comma-joined, passed as mount data. */
  data: string;
  bind: boolean;
  recursive: boolean;
  /** "idmap"/"ridmap": an idmapped bind mount (ridmap: the whole tree). */
  idmap?: 'idmap' | 'ridmap';
}

const SET: Record<string, number> = {
  ro: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  sync: MS.SYNCHRONOUS,
  remount: MS.REMOUNT,
  mand: MS.MANDLOCK,
  dirsync: MS.DIRSYNC,
  nosymfollow: MS.NOSYMFOLLOW,
  noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME,
  relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME,
  lazytime: MS.LAZYTIME,
  silent: MS.SILENT,
};
const CLEAR: Record<string, number> = {
  rw: MS.RDONLY,
  suid: MS.NOSUID,
  dev: MS.NODEV,
  exec: MS.NOEXEC,
  async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK,
  atime: MS.NOATIME,
  diratime: MS.NODIRATIME,
  norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME,
  symfollow: MS.NOSYMFOLLOW,
  loud: MS.SILENT,
};
export const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};
/** runc's own options that are not for the kernel. */
const IGNORED = new Set(['tmpcopyup', 'defaults']);

export function parseMountOptions(options: readonly string[] = [], type?: string): ParsedMountOptions {
  const parsed: ParsedMountOptions = { flags: 0, propagation: [], data: '', bind: type === 'bind', recursive: false };
  const data: string[] = [];
  for (const option of options) {
    if (option === 'bind') parsed.bind = true;
    else if (option === 'rbind') {
      parsed.bind = true;
      parsed.recursive = true;
    } else if (option in SET) parsed.flags |= SET[option]!;
    else if (option in CLEAR) parsed.flags &= ~CLEAR[option]!;
    else if (option in PROPAGATION) parsed.propagation.push(PROPAGATION[option]!);
    else if (option === 'idmap' || option === 'ridmap') parsed.idmap = option;
    else if (!IGNORED.has(option)) data.push(option);
  }
  parsed.data = data.join(',');
  return parsed;
}
