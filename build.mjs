// The build: precompiled schema validators, a type-checked tsc emit (dist/lib, what the tests
// import), one bundled file per program (fast start-up), and the native init helper.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundleOptions, koffiAddonPath, launcher, RUNTIME_NODE_FLAGS } from './scripts/bundle-options.mjs';

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
const koffiAddon = koffiAddonPath();

const RUNTIME_VALUE_FLAGS = ['--root', '--log', '--log-format', '--rootless', '--criu'];
const programs = [
  { entry: 'runtime/bin.ts', out: 'mydocker-runtime.js', valueFlags: RUNTIME_VALUE_FLAGS },
  { entry: 'manager/bin.ts', out: 'mydocker.js', valueFlags: ['--root', '--run-root', '--runtime'] },
].filter((p) => fs.existsSync(path.join(root, p.entry)));


for (const program of programs) {
  const bundleName = program.out.replace(/\.js$/, '.bundle.js');
  const finalFile = path.join(dist, bundleName);
  const outfile = `${finalFile}.${process.pid}.tmp`;
  await esbuild.build(
    bundleOptions({
      entry: path.join(root, program.entry),
      outfile,
      define: {
        __MYDOCKER_VERSION__: JSON.stringify(pkg.version),
        __MYDOCKER_COMMIT__: JSON.stringify(commit),
        __KOFFI_ADDON__: JSON.stringify(koffiAddon ? path.relative(dist, koffiAddon) : ''),
      },
    }),
  );
  fs.renameSync(outfile, finalFile);
  for (const old of fs.readdirSync(dist)) if (old.startsWith(`${bundleName}.`) && old.endsWith('.cache')) fs.rmSync(path.join(dist, old), { force: true });
  const launcherFile = path.join(dist, program.out);
  fs.writeFileSync(`${launcherFile}.tmp`, launcher(bundleName, program.valueFlags), { mode: 0o755 });
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
// NODE_FLAGS: the node flags the runtime starts with; KEEPER_COMMANDS: the commands that get the
// cgroup migration keeper, VALUE_FLAGS the global flags to skip to find them (native/launcher.c says why).
const cStrings = (list) => list.map((f) => JSON.stringify(f)).join(',');
cc('mydocker-runtime', 'native/launcher.c', [
  `-DMYDOCKER_NODE="${process.execPath}"`,
  '-DMYDOCKER_SCRIPT="mydocker-runtime.js"',
  `-DNODE_FLAGS=${cStrings(RUNTIME_NODE_FLAGS)}`,
  `-DKEEPER_COMMANDS=${cStrings(['create', 'run', 'exec'])}`,
  `-DVALUE_FLAGS=${cStrings(RUNTIME_VALUE_FLAGS)}`,
]);
if (programs.some((p) => p.out === 'mydocker.js')) {
  cc('mydocker', 'native/launcher.c', [
    `-DMYDOCKER_NODE="${process.execPath}"`,
    '-DMYDOCKER_SCRIPT="mydocker.js"',
    '-DKEEP_EXTRA_CA_CERTS',
  ]);
}
