// checkpoint and restore: runc hands them to criu. This version cannot do either, and says why
// in one line: criu missing, criu unable to work on this host (Debian's criu 3.17 fails its own
// `criu check` on this machine's kernel, so a dump could not be made or tested here), or, where
// criu works, that mydocker-runtime does not drive it yet. The container is left as it was.
import childProcess = require('node:child_process');
import fs = require('node:fs');
import { RuntimeError, StateError } from '../errors';
import { checkId } from '../ids';
import { statusOf } from '../state/status';
import { type GlobalOptions, storeOf } from './options';

const CRIU_PATHS = ['/usr/sbin/criu', '/usr/bin/criu', '/sbin/criu', '/bin/criu'];

/** Why criu cannot be used here, in a few words; undefined when `criu check` passes. */
export function criuProblem(criu: string | undefined): string | undefined {
  if (criu === undefined) return 'criu is not installed (apt-get install criu)';
  const check = childProcess.spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 10_000 });
  if (check.status === 0) return undefined;
  const lines = `${check.stderr ?? ''}\n${check.stdout ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines.find((l) => l.startsWith('Error')) ?? lines[0] ?? check.error?.message ?? `status ${check.status}`;
  return `criu (${criu}) cannot work on this host: \`criu check\` fails: ${first}`;
}

export function findCriu(): string | undefined {
  return CRIU_PATHS.find((p) => fs.existsSync(p));
}

/** checkpoint ID / restore ID: refused with the reason; the container must exist (and run, for checkpoint). */
export function refuseCheckpoint(global: GlobalOptions, verb: 'checkpoint' | 'restore', id: string): never {
  checkId(id);
  if (verb === 'checkpoint') {
    const store = storeOf(global);
    const status = statusOf(store, store.read(id));
    if (status !== 'running' && status !== 'paused') throw new StateError(`checkpoint: container "${id}" is ${status}, not running`);
  }
  const problem = criuProblem(findCriu());
  throw new RuntimeError(`${verb}: ${problem ?? 'checkpoint/restore through criu is not implemented by this version of mydocker-runtime'}`);
}
