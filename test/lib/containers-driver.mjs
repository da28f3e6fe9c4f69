#!/usr/bin/env node
// A small command line over the compiled container operations, for the container tests: it is
// conmon's exit command (`cleanup ID`), and the "other process" of the concurrency and crash
// tests. Until the CLI's containers commands exist, this is how a test drives the operations
// from a separate process.
//
//   node containers-driver.mjs ROOT RUN_ROOT RUNTIME cleanup ID
//   node containers-driver.mjs ROOT RUN_ROOT RUNTIME run SPEC_FILE [--detach] [--rm] [--name N] [--tty] [--interactive]
//   node containers-driver.mjs ROOT RUN_ROOT RUNTIME rm ID [--force]
//   node containers-driver.mjs ROOT RUN_ROOT RUNTIME ps
//   node containers-driver.mjs ROOT RUN_ROOT RUNTIME exec ID [--tty] [--interactive] [--detach] [-e X]... [-w DIR] [-u USER] -- CMD...
//
// Hooks: beforeStart/afterStop/beforeRemove append "<hook> <id>" to <dirname ROOT>/hooks.log,
// so a test can check they ran (also in the exit command).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './dist.mjs';

const { managerPaths } = load('manager/paths');
const { exitCodeOf, messageOf } = load('manager/errors');
const lifecycle = load('manager/containers/lifecycle');
const foreground = load('manager/containers/foreground');
const exec = load('manager/containers/exec');

export const DRIVER = fileURLToPath(import.meta.url);

/** The hooks every test world uses: each call is logged in <base>/hooks.log. */
export function recordingHooks(base) {
  const note = (hook) => (container) => fs.appendFileSync(path.join(base, 'hooks.log'), `${hook} ${container.id}\n`);
  return { beforeStart: note('beforeStart'), afterStop: note('afterStop'), beforeRemove: note('beforeRemove') };
}

/** The exit command conmon runs for the containers of a world. */
export function exitCommand(root, runRoot, runtime) {
  return [process.execPath, DRIVER, root, runRoot, runtime, 'cleanup'];
}

async function main(argv) {
  const [root, runRoot, runtime, op, ...rest] = argv;
  const ctx = {
    paths: managerPaths(root, runRoot),
    runtime,
    debug: false,
    out: (t) => void fs.writeSync(1, t),
    err: (t) => void fs.writeSync(2, t),
  };
  const lc = { hooks: recordingHooks(path.dirname(root)), exitCommand: exitCommand(root, runRoot, runtime) };
  const flag = (name) => rest.includes(name);
  const option = (name) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
  switch (op) {
    case 'cleanup':
      await lifecycle.cleanupContainer(ctx, rest[0], lc);
      return 0;
    case 'run': {
      const spec = JSON.parse(fs.readFileSync(rest[0], 'utf8'));
      const { record, exitCode } = await foreground.runContainer(
        ctx,
        {
          ...(option('--name') ? { name: option('--name') } : {}),
          image: { ref: 'busybox', id: 'sha256:test' },
          config: { tty: flag('--tty'), interactive: flag('--interactive') },
          autoRemove: flag('--rm'),
          spec: () => spec,
        },
        { ...lc, detach: flag('--detach') },
      );
      if (flag('--detach')) ctx.out(`${record.id}\n`);
      return exitCode ?? 0;
    }
    case 'rm':
      await lifecycle.removeContainer(ctx, rest[0], { ...lc, force: flag('--force') });
      return 0;
    case 'exec': {
      const dashes = rest.indexOf('--');
      const flags = rest.slice(1, dashes);
      const env = flags.flatMap((f, i) => (f === '-e' ? [flags[i + 1]] : []));
      return exec.execInContainer(
        ctx,
        rest[0],
        {
          command: rest.slice(dashes + 1),
          tty: flags.includes('--tty'),
          interactive: flags.includes('--interactive'),
          detach: flags.includes('--detach'),
          env,
          ...(flags.includes('-w') ? { workdir: flags[flags.indexOf('-w') + 1] } : {}),
          ...(flags.includes('-u') ? { user: flags[flags.indexOf('-u') + 1] } : {}),
        },
        lc,
      );
    }
    case 'ps':
      for (const c of await lifecycle.listContainers(ctx, { ...lc, all: true })) ctx.out(`${c.id} ${c.name} ${c.state.status} ${c.state.exitCode}\n`);
      return 0;
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

if (process.argv[1] === DRIVER) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`driver: ${messageOf(err)}\n`);
      process.exit(exitCodeOf(err));
    },
  );
}
