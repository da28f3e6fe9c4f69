// A bundle: a directory with config.json and the root filesystem it names.
import fs = require('node:fs');
import path = require('node:path');
import { SchemaError, validate } from '../schemas/validate';
import { ConfigError } from './errors';
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
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config.json: invalid JSON: ${(err as Error).message}`);
  }
  try {
    validate('config', doc, 'config.json');
  } catch (err) {
    if (err instanceof SchemaError) throw new ConfigError(err.message);
    throw err;
  }
  const config = doc as RuntimeConfig;
  if (!config.root?.path) throw new ConfigError('config.json: /root/path: a root filesystem is required on Linux');
  const rootfs = path.resolve(dir, config.root.path);
  try {
    if (!fs.statSync(rootfs).isDirectory()) throw new Error();
  } catch {
    throw new ConfigError(`config.json: /root/path: rootfs "${rootfs}" does not exist or is not a directory`);
  }
  return { dir, config, rootfs };
}
