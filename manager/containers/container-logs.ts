// docker logs: what the container printed (stdout to ours, stderr to ours), --tail, -t, and
// -f until the container stops.
import type { Context } from '../context';
import { NotFoundError } from '../errors';
import { containerAlive } from './reconcile';
import { storeOf } from './store';
import { readLog, type Stream } from './logs';
import { readExitFile } from './monitor';
import type { ContainerRecord } from './types';

export interface LogsOptions {
  follow?: boolean;
  /** the last N lines (all when undefined) */
  tail?: number;
  timestamps?: boolean;
  /** where the text goes (default ctx.out / ctx.err by stream) */
  write?: (stream: Stream, text: string) => void;
}

function finished(ctx: Context, id: string): boolean {
  let record: ContainerRecord;
  try {
    record = storeOf(ctx).read(id);
  } catch (err) {
    if (err instanceof NotFoundError) return true;
    throw err;
  }
  if (record.state.status !== 'running' && record.state.status !== 'paused') return true;
  return !containerAlive(record) || readExitFile(record.bundle) !== undefined;
}

export async function containerLogs(ctx: Context, ref: string, options: LogsOptions = {}): Promise<void> {
  const store = storeOf(ctx);
  const id = store.resolve(ref);
  const record = store.read(id);
  const write = options.write ?? ((stream: Stream, text: string) => (stream === 'stdout' ? ctx.out(text) : ctx.err(text)));
  await readLog(record.logPath, {
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
    timestamps: options.timestamps ?? false,
    follow: options.follow ?? false,
    isDone: () => finished(ctx, id),
    write,
  });
}
