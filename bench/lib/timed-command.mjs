// One timed run of a client command (docker, podman, mydocker ...): wall time around spawnSync.
import { spawnSync } from 'node:child_process';

/**
 * Runs `cmd args` to completion (killed after timeoutMs) and measures its wall time.
 * @param {{ cmd: string, args: string[], env: object }} command
 * @returns {{ ok: boolean, ms: number, stdout: string, why?: string }} why: exit status and stderr when not ok
 */
export function timeCommand({ cmd, args, env }, timeoutMs = 60000) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status === 0) return { ok: true, ms, stdout: r.stdout };
  const status = r.error?.code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : `exit ${r.status ?? r.signal ?? r.error?.code}`;
  const why = `${[cmd, ...args].join(' ')}: ${status} in ${ms.toFixed(0)} ms: ${String(r.stderr || r.error?.message || '').trim().slice(0, 1000)}`;
  return { ok: false, ms, stdout: r.stdout ?? '', why };
}
