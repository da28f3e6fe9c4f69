// Writes a bundle's config.json: to a temporary file first, then renamed into place, so that a
// runtime never reads half a file.
import fs = require('node:fs');
import path = require('node:path');
import type { RuntimeConfig } from '../../runtime/spec/types';

export function writeBundle(dir: string, spec: RuntimeConfig): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'config.json');
  const tmp = path.join(dir, `.config.json.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o644 });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return file;
}
