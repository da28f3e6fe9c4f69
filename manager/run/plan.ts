// What `run`/`create` keep in a container's directory so that every later start (and clean-up)
// can redo the set-up: the image's layers and the network choices.
import fs = require('node:fs');
import path = require('node:path');
import type { NetworkMode } from '../spec/flags';
import type { PortMapping } from '../network/ports';

export interface ContainerPlan {
  /** overlay lower dirs, lowest first */
  lowerDirs: string[];
  network: NetworkMode;
  /** -p as given (host port 0 = any free one, picked at each start) */
  publish: PortMapping[];
  hostname: string;
}

const PLAN_FILE = 'plan.json';

export function writePlan(containerDir: string, plan: ContainerPlan): void {
  const file = path.join(containerDir, PLAN_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(plan), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** The plan, or undefined for a container created before it was written (a failed create). */
export function readPlan(containerDir: string): ContainerPlan | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(containerDir, PLAN_FILE), 'utf8')) as ContainerPlan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
