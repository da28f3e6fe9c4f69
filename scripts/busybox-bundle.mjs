// Writes an OCI bundle with a busybox root filesystem made from Debian's busybox-static:
//   node scripts/busybox-bundle.mjs DIR [-- ARGS...]
// The config is `mydocker-runtime spec` with terminal off and the given program.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs } from '../conformance/lib/bundle.mjs';

const [dir, separator, ...args] = process.argv.slice(2);
if (!dir || (separator !== undefined && separator !== '--')) {
  console.error('usage: node scripts/busybox-bundle.mjs DIR [-- ARGS...]');
  process.exit(2);
}
const runtime = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'mydocker-runtime');
fs.mkdirSync(dir, { recursive: true });
makeBusyboxRootfs(path.join(dir, 'rootfs'));
fs.rmSync(path.join(dir, 'config.json'), { force: true });
execFileSync(runtime, ['spec', '--bundle', dir]);
const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
config.process.terminal = false;
if (args.length > 0) config.process.args = args;
fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
console.error(`bundle written to ${dir}`);
