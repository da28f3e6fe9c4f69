// Where the time of one `mydocker run --rm` goes, from strace: every execve, mount, umount2 and
// process exit of the manager and everything it starts (-f), with timestamps. strace only stops
// the traced processes at those few system calls (--seccomp-bpf), but each stop costs: the times
// are a little longer than untraced runs, and the benchmark prints both.
//
//   const p = await profileRuns({ command: (id) => ({ cmd, args, env }), runs: 3, idPrefix, removeLeft, checkpoint });
//   printProfile(p, 'mydocker run --rm IMAGE true');
//
// A run is cut into segments between milestones: the launcher's and Node's exec, the manager's own
// mounts (overlay rootfs, network namespace) and unmounts, and the spans of the processes it
// starts (CNI plugins, grouped into "CNI ADD" before the runtime's `run` and "CNI DEL" after it;
// each `mydocker-runtime` call; other programs). A segment between two milestones of the manager
// is the manager's own Node work (what it does there is named from the milestones around it).
// Each process span also gets its inner milestones (Node's exec, mydocker-init, the container's
// program) and counts the iptables calls made inside it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarize } from './stats.mjs';

const STRACE = '/usr/bin/strace';
const RUNTIME_COMMANDS = new Set(['run', 'create', 'start', 'delete', 'kill', 'state', 'exec']);
/** IPAM plugins are started by the interface plugins, not by the manager. */
const IPAM_PLUGINS = new Set(['host-local', 'dhcp', 'static']);

// ---------------------------------------------------------------------------------------------
// parsing strace -f -ttt output

/** The strings of a strace argument text (escapes kept as written; "..." truncation dropped). */
function strings(text) {
  const out = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  let m;
  while ((m = re.exec(text))) out.push(m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\'));
  return out;
}

/**
 * @returns {{ processes: Map<number, { pid: number, execs: { ts: number, path: string, argv: string[] }[], exitTs?: number, exit?: string }>,
 *            mounts: { pid: number, ts: number, op: 'mount'|'umount', target: string, fstype: string|null, ok: boolean }[], start: number }}
 */
export function parseStrace(text) {
  const processes = new Map();
  const mounts = [];
  const pending = new Map(); // pid -> { call, ts, args } of an <unfinished ...> call
  let start = Infinity;
  const proc = (pid) => {
    if (!processes.has(pid)) processes.set(pid, { pid, execs: [] });
    return processes.get(pid);
  };
  const finish = (pid, ts, call, args, result) => {
    const ok = /^\s*=\s*0\b/.test(result);
    if (call === 'execve') {
      if (!ok) return;
      const [file, ...argv] = strings(args.slice(0, args.lastIndexOf(']') + 1));
      proc(pid).execs.push({ ts, path: file, argv });
    } else if (call === 'mount') {
      // mount(source, target, fstype, flags, data): source and fstype may be NULL
      const parts = args.match(/^(NULL|"(?:[^"\\]|\\.)*"\.{0,3}), ("(?:[^"\\]|\\.)*"\.{0,3}), (NULL|"(?:[^"\\]|\\.)*")/);
      if (!parts) return;
      mounts.push({ pid, ts, op: 'mount', target: strings(parts[2])[0], fstype: parts[3] === 'NULL' ? null : strings(parts[3])[0], source: parts[1] === 'NULL' ? null : strings(parts[1])[0], ok });
    } else if (call === 'umount2') {
      mounts.push({ pid, ts, op: 'umount', target: strings(args)[0], fstype: null, source: null, ok });
    }
  };
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(\d+\.\d+) (.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ts = Number(m[2]) * 1000;
    const rest = m[3];
    start = Math.min(start, ts);
    let e;
    if ((e = /^\+\+\+ (exited with \d+|killed by \S+)/.exec(rest))) {
      if (processes.has(pid)) Object.assign(processes.get(pid), { exitTs: ts, exit: e[1] });
    } else if ((e = /^(\w+)\((.*) <unfinished \.\.\.>$/.exec(rest))) {
      pending.set(pid, { call: e[1], ts, args: e[2] });
    } else if ((e = /^<\.\.\. (\w+) resumed>(.*)\)(\s*=.*)$/.exec(rest))) {
      const p = pending.get(pid);
      pending.delete(pid);
      if (p && p.call === e[1]) finish(pid, p.ts, p.call, p.args + e[2], e[3]);
    } else if ((e = /^(\w+)\((.*)\)(\s*=.*)$/.exec(rest))) {
      finish(pid, ts, e[1], e[2], e[3]);
    }
  }
  return { processes, mounts, start };
}

// ---------------------------------------------------------------------------------------------
// from processes and mounts to a timeline

function describeProcess(p) {
  const first = p.execs[0];
  const base = path.basename(first.path);
  if (base === 'mydocker-runtime') {
    const sub = first.argv.find((a) => RUNTIME_COMMANDS.has(a)) ?? '?';
    const force = sub === 'delete' && first.argv.includes('--force') ? ' --force' : '';
    return { kind: 'runtime', name: `runtime ${sub}${force}` };
  }
  if (first.path.includes('/cni/')) return { kind: IPAM_PLUGINS.has(base) ? 'ipam' : 'cni', name: base };
  if (base === 'iptables' || base === 'ip6tables') return { kind: 'iptables', name: base };
  if (base === 'mydocker-init') return { kind: 'init', name: base };
  return { kind: 'other', name: base };
}

/** A manager mount event as a milestone name. */
function mountName(m) {
  const where = /\/netns\//.test(m.target) ? 'netns' : path.basename(m.target);
  if (m.op === 'umount') return `umount ${where}${m.ok ? '' : ' (gone)'}`;
  return where === 'netns' ? 'mount netns' : `mount ${m.fstype ?? 'bind'} ${where}`;
}

/**
 * The timeline of one traced run (ms from the launcher's exec).
 * @returns {{ totalMs: number, segments: { label: string, ms: number }[], spans: object[] }}
 */
export function timeline(parsed) {
  const all = [...parsed.processes.values()].filter((p) => p.execs.length);
  const manager = all.reduce((a, b) => (a.execs[0].ts <= b.execs[0].ts ? a : b));
  const t0 = manager.execs[0].ts;
  const rel = (ts) => ts - t0;
  const end = manager.exitTs ?? Math.max(...all.map((p) => p.exitTs ?? 0));
  const others = all.filter((p) => p !== manager).map((p) => ({ ...p, ...describeProcess(p), start: p.execs[0].ts, end: p.exitTs ?? end }));
  const runtimeRun = others.find((p) => p.name === 'runtime run');

  // spans the manager waits for: runtime calls, CNI plugins (grouped by phase), other programs
  const waitedFor = (p) => p.kind === 'runtime' || p.kind === 'cni';
  const top = others.filter((p) => waitedFor(p) || (p.kind !== 'init' && p.kind !== 'ipam' && !others.some((q) => waitedFor(q) && q.start < p.start && p.end <= q.end)));
  const spans = [];
  for (const p of top) {
    const inner = others.filter((q) => q !== p && q.start >= p.start && q.end <= p.end);
    const marks = [
      ...p.execs.slice(1).map((x) => ({ label: `exec ${path.basename(x.path)}`, ts: x.ts })),
      ...inner.filter((q) => q.kind === 'init').flatMap((q) => q.execs.map((x) => ({ label: `exec ${path.basename(x.path)}`, ts: x.ts }))),
      ...inner.filter((q) => q.kind === 'init' && q.exitTs).map((q) => ({ label: 'container exit', ts: q.exitTs })),
    ].sort((a, b) => a.ts - b.ts);
    spans.push({
      name: p.kind === 'cni' ? `cni ${p.name} ${runtimeRun && p.start > runtimeRun.start ? 'DEL' : 'ADD'}` : p.name,
      kind: p.kind,
      startMs: rel(p.start),
      ms: p.end - p.start,
      iptables: inner.filter((q) => q.kind === 'iptables').length,
      marks: marks.map((x) => ({ label: x.label, atMs: x.ts - p.start })),
    });
  }

  // milestones: the manager's mounts, the starts and ends of its spans (a CNI phase as one block)
  const milestones = [{ label: 'exec mydocker', ts: t0 }];
  for (const x of manager.execs.slice(1)) milestones.push({ label: `exec ${path.basename(x.path)}`, ts: x.ts });
  const managerSide = (m) => m.pid === manager.pid || !parsed.processes.has(m.pid); // its threads never exec
  for (const m of parsed.mounts) {
    if (!managerSide(m) || m.ts < t0 || m.ts > end) continue;
    if (top.some((p) => p.kind === 'runtime' && m.ts >= p.start && m.ts <= p.end)) continue; // the runtime's threads
    milestones.push({ label: mountName(m), ts: m.ts });
  }
  const phases = new Map();
  for (const s of top) {
    if (s.kind === 'cni') {
      const phase = runtimeRun && s.start > runtimeRun.start ? 'CNI DEL' : 'CNI ADD';
      const block = phases.get(phase) ?? { start: Infinity, end: -Infinity };
      block.start = Math.min(block.start, s.start);
      block.end = Math.max(block.end, s.end);
      phases.set(phase, block);
    } else {
      milestones.push({ label: `${s.name} starts`, ts: s.start }, { label: `${s.name} ends`, ts: s.end });
    }
  }
  for (const [phase, b] of phases) milestones.push({ label: `${phase} starts`, ts: b.start }, { label: `${phase} ends`, ts: b.end });
  milestones.push({ label: 'exit', ts: end });
  milestones.sort((a, b) => a.ts - b.ts);

  const segments = [];
  const seen = new Map();
  for (let i = 1; i < milestones.length; i++) {
    const a = milestones[i - 1];
    const b = milestones[i];
    const inside = a.label.endsWith(' starts') && b.label === a.label.replace(/ starts$/, ' ends');
    let label = inside ? a.label.replace(/ starts$/, '') : `${a.label} -> ${b.label}`;
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    if (n > 1) label += ` (#${n})`;
    segments.push({ label, ms: b.ts - a.ts, own: !inside });
  }
  return { totalMs: end - t0, segments, spans };
}

// ---------------------------------------------------------------------------------------------
// running and summarizing

/** Runs `command` under strace; resolves the timeline of the run (or throws with its error output). */
export function traceOnce({ cmd, args, env }, timeoutMs = 120000) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-bench-strace-')), 'trace');
  try {
    const started = process.hrtime.bigint();
    const r = spawnSync(STRACE, ['-f', '-q', '-ttt', '-s', '256', '--seccomp-bpf', '-e', 'trace=execve,mount,umount2', '-e', 'signal=none', '-o', out, cmd, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`strace ${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${String(r.stderr).trim().slice(0, 1000)}`);
    return { wallMs, ...timeline(parseStrace(fs.readFileSync(out, 'utf8'))) };
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

const med = (xs) => Math.round(summarize(xs).median * 10) / 10;

const START_CATEGORY = 'manager start (Node, CLI, image + layers, record)';
const OWN_CATEGORY = 'manager between calls (spec, mounts, spawns, exit)';

/** Segment medians summed by what they are: the manager's start, its other own work, each kind of call it makes. */
function categorize(segments) {
  const sums = new Map();
  for (const s of segments) {
    let category;
    if (!s.own) category = s.label.replace(/ \(#\d+\)$/, '');
    else if (s.label.startsWith('exec mydocker ->') || s.label.startsWith('exec node ->')) category = START_CATEGORY;
    else category = OWN_CATEGORY;
    const c = sums.get(category) ?? { category, ms: 0, calls: 0 };
    c.ms += s.ms;
    if (!s.own) c.calls++;
    sums.set(category, c);
  }
  return [...sums.values()].map((c) => ({ ...c, ms: Math.round(c.ms * 10) / 10 })).sort((a, b) => b.ms - a.ms);
}

/** The spans of a trace keyed by name, a repeated name numbered (#2, #3 ...). */
function spansByName(t) {
  const n = new Map();
  return t.spans.map((s) => {
    const k = (n.get(s.name) ?? 0) + 1;
    n.set(s.name, k);
    return { key: k > 1 ? `${s.name} (#${k})` : s.name, value: s.ms, meta: { iptables: s.iptables }, span: s };
  });
}

/** Median offsets of the inner milestones of the span `key` over the traces. */
function markMedians(traces, key) {
  const by = new Map();
  for (const t of traces) {
    const span = spansByName(t).find((x) => x.key === key)?.span;
    for (const m of span?.marks ?? []) {
      if (!by.has(m.label)) by.set(m.label, []);
      by.get(m.label).push(m.atMs);
    }
  }
  return [...by.entries()].map(([label, xs]) => ({ label, atMs: med(xs) }));
}

/**
 * `runs` traced runs of command(id); resolves medians per segment and per span (segments and
 * spans named alike in the runs are matched by name).
 */
export async function profileRuns({ command, runs, idPrefix, removeLeft, checkpoint = async () => {} }) {
  const traces = [];
  const errors = [];
  for (let i = 0; i < runs; i++) {
    const id = `${idPrefix}-${i}`;
    try {
      traces.push(traceOnce(command(id)));
    } catch (e) {
      errors.push(e.message);
      await removeLeft(id);
    }
    await checkpoint();
  }
  const collect = (pick) => {
    const by = new Map();
    for (const t of traces) {
      for (const x of pick(t)) {
        if (!by.has(x.key)) by.set(x.key, { ...x.meta, values: [] });
        by.get(x.key).values.push(x.value);
      }
    }
    return [...by.entries()].map(([key, v]) => ({ label: key, ...v, ms: med(v.values), runs: v.values.length, values: undefined }));
  };
  const segments = collect((t) => t.segments.map((s) => ({ key: s.label, value: s.ms, meta: { own: s.own } })));
  return {
    runs: traces.length,
    errors,
    categories: categorize(segments),
    wallMs: med(traces.map((t) => t.wallMs)),
    totalMs: med(traces.map((t) => t.totalMs)),
    segments,
    spans: collect(spansByName).map((s) => ({ ...s, marks: markMedians(traces, s.label) })),
  };
}

export function printProfile(p, title) {
  console.log(`\n== where the time goes: ${title} under strace (${p.runs} runs, medians; traced total ${p.totalMs.toFixed(1)} ms, wall ${p.wallMs.toFixed(1)} ms)`);
  const total = p.categories.reduce((a, c) => a + c.ms, 0);
  console.log('   by kind (sums of the segment medians below)');
  const w0 = Math.max(...p.categories.map((c) => c.category.length));
  for (const c of p.categories) console.log(`   ${c.category.padEnd(w0)}  ${c.ms.toFixed(1).padStart(7)} ms  ${((100 * c.ms) / total).toFixed(0).padStart(3)}%${c.calls > 1 ? `  (${c.calls} calls)` : ''}`);
  console.log('   timeline (segments between milestones; "->" segments are the manager\'s own Node work or waiting)');
  const w = Math.max(...p.segments.map((s) => s.label.length));
  for (const s of p.segments) console.log(`   ${s.label.padEnd(w)}  ${s.ms.toFixed(1).padStart(7)} ms`);
  console.log('   processes the manager started (each plugin with its own children; iptables calls counted)');
  const w2 = Math.max(...p.spans.map((s) => s.label.length));
  for (const s of p.spans) {
    const marks = s.marks.length ? `  [${s.marks.map((m) => `${m.label} @${m.atMs.toFixed(0)}`).join(', ')}]` : '';
    console.log(`   ${s.label.padEnd(w2)}  ${s.ms.toFixed(1).padStart(7)} ms${s.iptables ? `  (${s.iptables} iptables)` : ''}${marks}`);
  }
  for (const e of p.errors) console.log(`   failed: ${e}`);
}
