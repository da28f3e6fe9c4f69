// Memory and identity of processes from /proc, for the benchmarks that weigh monitor processes
// (conmon, containerd-shim) by pid. Nothing here looks processes up by name.
import fs from 'node:fs';

/**
 * Resident memory of one process in KiB: rss (VmRSS: every page it maps, shared ones in full),
 * pss (each shared page divided among the processes sharing it) and uss (pages only it maps:
 * what ending it would free). From /proc/PID/smaps_rollup; null if the process is gone.
 * @returns {{ rss: number, pss: number, uss: number } | null}
 */
export function processMemory(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return null;
  }
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { rss: field('Rss'), pss: field('Pss'), uss: field('Private_Clean') + field('Private_Dirty') };
}

/** The parent pid, or 0 if the process is gone. */
export function parentPid(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields after the last ')'
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

/** argv of a process ([] if it is gone). */
export function commandLine(pid) {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (args.at(-1) === '') args.pop();
    return args;
  } catch {
    return [];
  }
}

/**
 * Checks that `monitorPid` is the monitor of a container: the container's process is its child
 * and its command line names the container id. Resolves to a problem string, or null if it is.
 */
export function monitorProblem(monitorPid, containerPid, containerId) {
  if (!monitorPid) return `container ${containerId.slice(0, 12)}: no monitor pid`;
  if (containerPid && parentPid(containerPid) !== monitorPid) {
    return `container ${containerId.slice(0, 12)}: its process ${containerPid} is a child of ${parentPid(containerPid)}, not of the monitor ${monitorPid}`;
  }
  if (!commandLine(monitorPid).some((a) => a.includes(containerId))) return `monitor ${monitorPid} does not name container ${containerId.slice(0, 12)} on its command line`;
  return null;
}

/** Totals and per-process means (KiB) of the memory of `pids` (gone ones are counted in `missing`). */
export function sumMemory(pids) {
  const total = { rss: 0, pss: 0, uss: 0 };
  let counted = 0;
  for (const pid of pids) {
    const m = processMemory(pid);
    if (!m) continue;
    counted++;
    for (const k of Object.keys(total)) total[k] += m[k];
  }
  const mean = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, counted ? v / counted : NaN]));
  return { processes: counted, missing: pids.length - counted, totalKiB: total, perProcessKiB: mean };
}
