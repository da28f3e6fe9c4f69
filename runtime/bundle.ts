// A bundle: a directory with config.json and the root filesystem it names.
import fs = require('node:fs');
import path = require('node:path');
import { ConfigError } from './errors';
import { parseValidated } from './json-input';
import type { RuntimeConfig } from './spec/types';

export interface Bundle {
  /** Absolute path of the bundle directory, as runc records it. */
  dir: string;
  config: RuntimeConfig;
  /** Absolute path of the root filesystem. */
  rootfs: string;
}

export function loadBundle(dirArg: string): Bundle {
  const dir = path.resolve(dirArg);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new ConfigError(`bundle "${dir}" does not exist`);
  }
  if (!stat.isDirectory()) throw new ConfigError(`bundle "${dir}" is not a directory`);

  const configPath = path.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `config.json not found in bundle "${dir}"` : `cannot read ${configPath}: ${code}`);
  }
  const config = parseValidated<RuntimeConfig>(text, 'config', 'config.json');
  if (!config.root?.path) throw new ConfigError('config.json: /root/path: a root filesystem is required on Linux');
  const rootfs = path.resolve(dir, config.root.path);
  try {
    if (!fs.statSync(rootfs).isDirectory()) throw new Error();
  } catch {
    throw new ConfigError(`config.json: /root/path: rootfs "${rootfs}" does not exist or is not a directory`);
  }
  return { dir, config, rootfs };
}
