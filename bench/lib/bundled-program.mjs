// A small benchmark program bundled and started the way dist/mydocker is: the compiled modules
// (dist/lib) bundled by esbuild into one minified file with scripts/bundle-options.mjs, run through
// its launcher (a V8 code cache kept next to it, filled by the bench's warm-up round; the manager
// has no node flags), koffi's addon dlopened from where the build finds it for mydocker, and
// ending as mydocker does (manager/bin.ts: exitProcess, with the _exit native/libc registers). So a
// bench times what a mydocker command pays to start and end, not loading dist/lib file by file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOptions, koffiAddonPath, launcher } from '../../scripts/bundle-options.mjs';

const nativeLib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/lib/native');

/** What every program starts with: `exitProcess` in scope, and libc loaded to give it _exit. */
const PROLOGUE = `const { exitProcess } = require(${JSON.stringify(path.join(nativeLib, 'exit.js'))});
require(${JSON.stringify(path.join(nativeLib, 'libc.js'))});
`;

/**
 * Writes `<work>/<name>.js` (the launcher) and its bundle from `source`, a CommonJS entry that
 * requires dist/lib modules by absolute path and ends with `exitProcess(code)` (in scope).
 * Returns the launcher: run it as `node LAUNCHER ...`.
 */
export async function bundleProgram(work, name, source) {
  const esbuild = await import('esbuild');
  const entry = path.join(work, `${name}.cjs`);
  fs.writeFileSync(entry, PROLOGUE + source);
  const outfile = path.join(work, `${name}.bundle.js`);
  const koffiAddon = koffiAddonPath();
  const define = koffiAddon ? { __KOFFI_ADDON__: JSON.stringify(path.relative(work, koffiAddon)) } : {};
  await esbuild.build(bundleOptions({ entry, outfile, define }));
  const launcherFile = path.join(work, `${name}.js`);
  fs.writeFileSync(launcherFile, launcher(path.basename(outfile)));
  return launcherFile;
}
