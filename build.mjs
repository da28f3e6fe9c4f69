// The build: precompiled schema validators, a type-checked tsc emit (dist/lib, what the tests
// import), one bundled file per program (fast start-up), and the native init helper.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

fs.mkdirSync(dist, { recursive: true });
run(process.execPath, ['schemas/compile.mjs']);
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  /* not a git checkout */
}

// Where koffi's native addon is, relative to dist/ (see native/koffi.ts).
const requireHere = createRequire(import.meta.url);
requireHere('koffi');
const koffiAddon = Object.keys(requireHere.cache).find((file) => file.endsWith('.node') && file.includes('koffi'));

const programs = [
  { entry: 'runtime/bin.ts', out: 'mydocker-runtime.js' },
  { entry: 'manager/bin.ts', out: 'mydocker.js' },
].filter((p) => fs.existsSync(path.join(root, p.entry)));

// Node 20 has no module compile cache: each program is a small launcher that runs the bundle
// through vm.Script with V8's code cache (written next to it on first use), which saves
// compiling the bundle at every start.
const launcher = (bundleName) => `#!/usr/bin/env node
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const file = path.join(__dirname, ${JSON.stringify(bundleName)});
const cacheFile = file + '.cache';
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script(
  '(function (exports, require, module, __filename, __dirname) {' + fs.readFileSync(file, 'utf8') + '\\n})',
  { filename: file, cachedData },
);
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      const tmp = cacheFile + '.' + process.pid;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {}
  });
}
script.runInThisContext()(exports, require, module, file, __dirname);
`;

for (const program of programs) {
  const bundleName = program.out.replace(/\.js$/, '.bundle.js');
  const finalFile = path.join(dist, bundleName);
  const outfile = `${finalFile}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [path.join(root, program.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    minifyWhitespace: true,
    // koffi is a native addon; pino (a log line) and yargs (--help) are loaded only when needed.
    external: ['koffi', 'pino', 'yargs', 'yargs/yargs'],
    define: {
      __MYDOCKER_VERSION__: JSON.stringify(pkg.version),
      __MYDOCKER_COMMIT__: JSON.stringify(commit),
      __KOFFI_ADDON__: JSON.stringify(koffiAddon ? path.relative(dist, koffiAddon) : ''),
    },
    logLevel: 'warning',
  });
  fs.renameSync(outfile, finalFile);
  fs.rmSync(`${finalFile}.cache`, { force: true });
  const launcherFile = path.join(dist, program.out);
  fs.writeFileSync(`${launcherFile}.tmp`, launcher(bundleName), { mode: 0o755 });
  fs.chmodSync(`${launcherFile}.tmp`, 0o755);
  fs.renameSync(`${launcherFile}.tmp`, launcherFile);
}

// The native programs: static, so that exec does not pay for the dynamic loader.
// Built next to the target and renamed into place: a runtime in use never sees a half-written binary.
const cc = (out, source, defines = []) => {
  const tmp = path.join(dist, `.${out}.${process.pid}`);
  run('cc', ['-O2', '-static', '-Wall', '-Wextra', '-Werror', ...defines, '-o', tmp, source]);
  fs.renameSync(tmp, path.join(dist, out));
};
cc('mydocker-init', 'native/mydocker-init.c');
cc('mydocker-runtime', 'native/launcher.c', [`-DMYDOCKER_NODE="${process.execPath}"`, '-DMYDOCKER_SCRIPT="mydocker-runtime.js"']);
if (programs.some((p) => p.out === 'mydocker.js')) {
  cc('mydocker', 'native/launcher.c', [`-DMYDOCKER_NODE="${process.execPath}"`, '-DMYDOCKER_SCRIPT="mydocker.js"', '-DKEEP_EXTRA_CA_CERTS']);
}
