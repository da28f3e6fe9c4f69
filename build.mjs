// The build: precompiled schema validators, a type-checked tsc emit (dist/lib, what the tests
// import), one bundled file per program (fast start-up), and the native init helper.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
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

const programs = [
  { entry: 'runtime/bin.ts', out: 'mydocker-runtime.js' },
  { entry: 'manager/bin.ts', out: 'mydocker.js' },
].filter((p) => fs.existsSync(path.join(root, p.entry)));

for (const program of programs) {
  const outfile = path.join(dist, program.out);
  await esbuild.build({
    entryPoints: [path.join(root, program.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    minifyWhitespace: true,
    // koffi is a native addon; pino is loaded lazily and only when a log line is written.
    external: ['koffi', 'pino'],
    banner: { js: '#!/usr/bin/env node' },
    define: {
      __MYDOCKER_VERSION__: JSON.stringify(pkg.version),
      __MYDOCKER_COMMIT__: JSON.stringify(commit),
    },
    logLevel: 'warning',
  });
  fs.chmodSync(outfile, 0o755);
}

// The init helper: static, so that exec does not pay for the dynamic loader.
run('cc', ['-O2', '-static', '-Wall', '-Wextra', '-Werror', '-o', path.join(dist, 'mydocker-init'), 'native/mydocker-init.c']);
