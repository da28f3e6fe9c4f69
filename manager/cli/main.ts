// mydocker's command line: thin. Parse with the runtime's fast parser (yargs' own parser driven
// by the command table), call the command, print, exit. The full yargs loads only for --help.
import { parseCommandLine } from '../../runtime/cli/parse';
import { consoleOutput, type Context, defaultRuntime } from '../context';
import { exitCodeOf, messageOf } from '../errors';
import { DEFAULT_ROOT, DEFAULT_RUN_ROOT, managerPaths } from '../paths';
import type { ManagerCommand, OptionSpec } from './command';
import { BUNDLE_COMMANDS } from './bundle';
import { CONTAINERS_COMMANDS } from './containers';
import { IMAGES_COMMANDS } from './images';
import { REGISTRY_COMMANDS } from './registry';
import { SYSTEM_COMMANDS } from './system';
import { VOLUMES_COMMANDS } from './volumes';

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'root', type: 'string', describe: `persistent state: images, layers, containers, volumes (default $MYDOCKER_ROOT or ${DEFAULT_ROOT})` },
  { name: 'run-root', type: 'string', describe: `volatile state: runtime state, monitor sockets (default $MYDOCKER_RUN_ROOT or ${DEFAULT_RUN_ROOT})` },
  { name: 'runtime', type: 'string', describe: 'the OCI runtime to run containers with (default $MYDOCKER_RUNTIME or mydocker-runtime)' },
  { name: 'debug', alias: 'D', type: 'boolean', default: false, describe: 'print debug messages' },
];

export const COMMANDS: ManagerCommand[] = [...REGISTRY_COMMANDS, ...IMAGES_COMMANDS, ...BUNDLE_COMMANDS, ...CONTAINERS_COMMANDS, ...VOLUMES_COMMANDS, ...SYSTEM_COMMANDS];

const TABLE = { globals: GLOBAL_OPTIONS, commands: COMMANDS };

/** docker's management commands: `volume ls` is the command named "volume ls". */
const GROUPS = new Set(['volume', 'image', 'container', 'system', 'network']);

/** Joins a group word and its subcommand into one argument (after any global options). */
function joinGroupCommand(args: readonly string[]): string[] {
  const out = [...args];
  const takesValue = new Set(GLOBAL_OPTIONS.filter((o) => o.type !== 'boolean').map((o) => `--${o.name}`));
  for (let i = 0; i < out.length; i++) {
    const arg = out[i]!;
    if (takesValue.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    const next = out[i + 1];
    if (GROUPS.has(arg) && next !== undefined && !next.startsWith('-')) out.splice(i, 2, `${arg} ${next}`);
    break;
  }
  return out;
}

export async function main(args: readonly string[]): Promise<number> {
  const output = consoleOutput();
  try {
    if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) args = ['version'];
    const parsed = parseCommandLine(joinGroupCommand(args), TABLE);
    if (!parsed) {
      const { showHelp } = await import('../../runtime/cli/help');
      showHelp(args, TABLE, { scriptName: 'mydocker', usage: '$0 [global options] <command> [options]\n\nA docker-like container manager on mydocker-runtime.' });
      return 0;
    }
    const { values, lists } = parsed;
    const root = (values.root as string | undefined) ?? process.env.MYDOCKER_ROOT ?? DEFAULT_ROOT;
    const runRoot = (values['run-root'] as string | undefined) ?? process.env.MYDOCKER_RUN_ROOT ?? DEFAULT_RUN_ROOT;
    const ctx: Context = {
      paths: managerPaths(root, runRoot),
      runtime: (values.runtime as string | undefined) ?? defaultRuntime(),
      debug: Boolean(values.debug),
      ...output,
    };
    return await (parsed.command as ManagerCommand).run({ values, lists }, ctx);
  } catch (err) {
    output.err(`mydocker: ${messageOf(err)}\n`);
    if (args.includes('--debug') || args.includes('-D')) output.err(`${(err as Error)?.stack ?? ''}\n`);
    return exitCodeOf(err);
  }
}
