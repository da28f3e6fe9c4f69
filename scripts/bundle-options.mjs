import { createRequire } from 'node:module';

// The esbuild options of a program bundle and the launcher that runs it: build.mjs makes
// dist/<program>.bundle.js and dist/<program>.js with them, and bench/pull.mjs its
// download-only program, so that both start the same way.
export function bundleOptions({ entry, outfile, define = {} }) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    // short local names: 25 % less to read and hold at every start (about 2 ms of `run`); stack
    // traces of the bundles are terse (errors carry their own messages; dist/lib is the readable build)
    minifyIdentifiers: true,
    minifyWhitespace: true,
    // escaped non-ASCII: the launcher reads the bundle as latin1 (a one-byte string, no UTF-8 decoding)
    charset: 'ascii',
    // the launcher compiles the bundle as one function of the CommonJS module arguments
    banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
    footer: { js: '\n})' },
    // koffi is a native addon; pino (a log line) and yargs (--help) are loaded only when needed.
    external: ['koffi', 'pino', 'yargs', 'yargs/yargs'],
    define,
    logLevel: 'warning',
  };
}

/**
 * Where koffi's native addon is: the bundles get its path relative to their own directory as
 * __KOFFI_ADDON__ and dlopen it directly (native/koffi.ts says why); undefined if not found.
 */
export function koffiAddonPath() {
  const requireHere = createRequire(import.meta.url);
  requireHere('koffi');
  return Object.keys(requireHere.cache).find((file) => file.endsWith('.node') && file.includes('koffi'));
}

// The node flags the runtime's native launcher starts it with (build.mjs compiles them into
// native/launcher.c as NODE_FLAGS; the reasons and figures are there). The manager has none.
export const RUNTIME_NODE_FLAGS = ['--jitless', '--no-expose-wasm', '--no-rehash-snapshot'];

// Node 20 has no module compile cache: each program is a small launcher that runs the bundle
// through vm.Script with V8's code cache (written next to it on first use), which saves
// compiling the bundle at every start. One cache per command: V8 deserializes a whole cache at
// every start, and the first successful run fills it with what that run compiled. One cache
// shared by all would hold whatever ran first (`state` after a build: `run` then compiles most of
// its code at every start) or everything (`state` then loads what only `run` needs).
// `valueFlags`: the program's global flags that take a separate value (to find the command).
export const launcher = (bundleName, valueFlags = []) => `#!/usr/bin/env node
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const file = path.join(__dirname, ${JSON.stringify(bundleName)});
const VALUE_FLAGS = new Set(${JSON.stringify(valueFlags)});
function commandKey(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (VALUE_FLAGS.has(arg)) i++;
    else if (!arg.startsWith('-')) return /^[a-z]{2,16}$/.test(arg) ? arg : 'other';
  }
  return 'other';
}
// V8 rejects a cache made under other flags: node started without the launcher's flags
// (e.g. \`node dist/mydocker-runtime.js\`) keeps a cache of its own instead of replacing it each time
const mode = (process.execArgv.includes('--jitless') ? '.jitless' : '') + (process.execArgv.includes('--no-rehash-snapshot') ? '.norehash' : '');
const cacheFile = file + '.' + commandKey(process.argv.slice(2)) + mode + '.cache';
// One buffer for both files: the bundle is read into it and copied out as a string, then the
// code cache is read over it. Every fresh page a read touches is a page fault (10 us each on the
// VMs we measure on, 70 pages a file).
const sourceFd = fs.openSync(file, 'r');
let cacheFd = -1;
try {
  cacheFd = fs.openSync(cacheFile, 'r');
} catch {}
const sourceSize = fs.fstatSync(sourceFd).size;
const cacheSize = cacheFd < 0 ? 0 : fs.fstatSync(cacheFd).size;
const buffer = Buffer.allocUnsafeSlow(Math.max(sourceSize, cacheSize));
function readWhole(fd, size) {
  let done = 0;
  for (let n = -1; done < size && n !== 0; done += n) n = fs.readSync(fd, buffer, done, size - done, done);
  fs.closeSync(fd);
  return done;
}
// the bundle is built wrapped in the module function: read as it is, the source is one flat
// string (a concatenation here would be copied again when V8 flattens it)
const source = buffer.latin1Slice(0, readWhole(sourceFd, sourceSize));
const cachedData = cacheFd < 0 ? undefined : buffer.subarray(0, readWhole(cacheFd, cacheSize));
const script = new vm.Script(source, { filename: file, cachedData });
// Written by a run that succeeded: a cache holds what its run compiled, and it stays while V8
// accepts it, so one made by a failed run (a mistyped image name: the pull stops at parsing)
// would leave every later run of the command compiling the rest of its code at each start.
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', (code) => {
    if (code !== 0) return;
    try {
      const tmp = cacheFile + '.' + process.pid;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {}
  });
}
script.runInThisContext()(exports, require, module, file, __dirname);
`;
