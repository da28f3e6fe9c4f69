// docker top: the host's ps(1) output, only the container's processes (the runtime lists
// their pids).
import { execFile } from 'node:child_process';
import type { Context } from '../context';
import { ManagerError } from '../errors';
import { runningContainer } from './lifecycle';
import { callRuntime, check } from './runtime-client';
import type { LifecycleOptions } from './types';

export interface TopResult {
  titles: string[];
  processes: string[][];
}

/** Keeps the rows of `ps` output whose PID column is one of `pids` (docker's parsing). */
export function filterPsOutput(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new ManagerError('top: the ps options must show a PID column');
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // the last column (the command) keeps its spaces
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (pids.has(Number(row[pidIndex]))) processes.push(row);
  }
  return { titles, processes };
}

export async function topContainer(ctx: Context, ref: string, psArgs: string[] = ['-ef'], lc: LifecycleOptions = {}): Promise<TopResult> {
  const record = await runningContainer(ctx, ref, lc);
  const listed = check(await callRuntime(ctx, ['ps', '--format', 'json', record.id]), `listing the processes of ${record.name}`);
  const pids = new Set((JSON.parse(listed.stdout || '[]') as number[]).map(Number));
  const output = await new Promise<string>((resolve, reject) =>
    execFile('ps', psArgs.length ? psArgs : ['-ef'], { maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new ManagerError(`top: ps ${psArgs.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    ),
  );
  return filterPsOutput(output, pids);
}
