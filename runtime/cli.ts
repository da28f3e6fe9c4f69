// mydocker-runtime's command line: the runc CLI that containerd, podman and docker drive.
// Thin: parse with yargs, call the typed operation, print, exit.
import fs = require('node:fs');
import yargs = require('yargs/yargs');
import type { Argv } from 'yargs';
import { messageOf } from './errors';
import { configureLog, type LogFormat, log } from './log';
import { create } from './operations/create';
import { deleteContainer } from './operations/delete';
import { features, versionText } from './operations/features';
import { kill } from './operations/kill';
import { listStates, listText } from './operations/list';
import type { GlobalOptions } from './operations/options';
import { run } from './operations/run';
import { writeSpec } from './operations/spec';
import { start } from './operations/start';
import { state } from './operations/state';
import { DEFAULT_ROOT } from './state/store';

// Output goes through fs.writeSync: process.stdout would switch a pipe to O_NONBLOCK, and the
// container shares our stdio.
function out(text: string): void {
  fs.writeSync(1, text);
}

type Args = Record<string, unknown> & { _: (string | number)[] };

function globalOptions(argv: Args): GlobalOptions {
  return { root: String(argv.root), systemdCgroup: Boolean(argv['systemd-cgroup']), rootless: String(argv.rootless) };
}

const createFlags = (y: Argv) =>
  y
    .positional('id', { type: 'string', describe: 'container id' })
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' })
    .option('pid-file', { type: 'string', describe: 'file to write the init process id to' })
    .option('console-socket', { type: 'string', describe: 'AF_UNIX socket that receives the pty master' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass this many extra fds (3, 4, ...) to the container' })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'use MS_MOVE + chroot instead of pivot_root' })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'keep the caller\'s session keyring' });

function createOptions(argv: Args) {
  return {
    id: String(argv.id ?? ''),
    bundle: String(argv.bundle),
    pidFile: argv['pid-file'] as string | undefined,
    consoleSocket: argv['console-socket'] as string | undefined,
    preserveFds: Number(argv['preserve-fds']),
    noPivot: Boolean(argv['no-pivot']),
    noNewKeyring: Boolean(argv['no-new-keyring']),
  };
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === '--version' || args[0] === '-v') {
    out(versionText());
    return 0;
  }
  // Set up logging from the raw flags first so that argument errors are logged too.
  const logIndex = args.findIndex((a) => a === '--log' || a.startsWith('--log='));
  const formatArg = args.find((a) => a.startsWith('--log-format'));
  const format = (formatArg?.includes('=') ? formatArg.split('=')[1] : args[args.indexOf('--log-format') + 1]) ?? 'text';
  const logFile = logIndex < 0 ? undefined : args[logIndex]!.includes('=') ? args[logIndex]!.split('=')[1] : args[logIndex + 1];
  configureLog({
    file: logFile,
    format: format === 'json' ? 'json' : 'text',
    debug: args.includes('--debug'),
  });

  let status = 0;
  const parser = yargs(args)
    .scriptName('mydocker-runtime')
    .usage('$0 [global options] <command> [options]\n\nAn OCI runtime compatible with runc.')
    .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state' })
    .option('log', { type: 'string', describe: 'log file (default: stderr)' })
    .option('log-format', { choices: ['text', 'json'] as LogFormat[], default: 'text' as LogFormat, describe: 'log format' })
    .option('debug', { type: 'boolean', default: false, describe: 'log debug messages' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'manage cgroups through systemd (not available)' })
    .option('rootless', { type: 'string', default: 'auto', describe: 'rootless mode: true, false or auto' })
    .command('create <id>', 'create a container (its init waits for start)', createFlags, (argv) => {
      create(globalOptions(argv as Args), createOptions(argv as Args));
    })
    .command('start <id>', 'start a created container', (y) => y.positional('id', { type: 'string' }), (argv) => {
      start(globalOptions(argv as Args), String(argv.id));
    })
    .command('state <id>', 'print the state of a container as JSON', (y) => y.positional('id', { type: 'string' }), (argv) => {
      out(`${JSON.stringify(state(globalOptions(argv as Args), String(argv.id)), null, 2)}\n`);
    })
    .command(
      'kill <id> [signal]',
      'send a signal (number, name or SIG-name; default SIGTERM) to the container',
      (y) =>
        y
          .positional('id', { type: 'string' })
          .positional('signal', { type: 'string' })
          .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'send it to every process of the container' }),
      (argv) => {
        kill(globalOptions(argv as Args), String(argv.id), argv.signal as string | undefined, Boolean(argv.all));
      },
    )
    .command(
      'delete <id>',
      'delete a container and what it holds',
      (y) =>
        y
          .positional('id', { type: 'string' })
          .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill it first if it is running' }),
      (argv) => {
        deleteContainer(globalOptions(argv as Args), String(argv.id), Boolean(argv.force));
      },
    )
    .command(
      'run <id>',
      'create and start a container; wait for it unless --detach',
      (y) => createFlags(y).option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'do not wait for the container' }),
      async (argv) => {
        status = await run(globalOptions(argv as Args), { ...createOptions(argv as Args), detach: Boolean(argv.detach) });
      },
    )
    .command(
      ['list', 'ls'],
      'list containers',
      (y) =>
        y
          .option('format', { alias: 'f', choices: ['table', 'json'], default: 'table', describe: 'output format' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' }),
      (argv) => {
        out(listText(listStates(globalOptions(argv as Args)), String(argv.format), Boolean(argv.quiet)));
      },
    )
    .command(
      'spec',
      'write a starting config.json',
      (y) =>
        y
          .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'where to write config.json' })
          .option('rootless', { type: 'boolean', default: false, describe: 'a config for a rootless container' }),
      (argv) => {
        writeSpec(String(argv.bundle), Boolean(argv.rootless));
      },
    )
    .command('features', 'print the features document (JSON)', (y) => y, () => {
      out(`${JSON.stringify(features(), null, 2)}\n`);
    })
    .demandCommand(1, 'no command given: see --help')
    .strict()
    .version(false)
    .help()
    .wrap(100)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    const message = messageOf(err);
    fs.writeSync(2, `${message}\n`);
    if (logFile !== undefined) log('error', message);
    return 1;
  }
  return status;
}
