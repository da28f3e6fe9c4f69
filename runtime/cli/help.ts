// --help: the full yargs, built from the same command table, loaded only when asked for.
import type { Argv, Options } from 'yargs';
import { COMMANDS, GLOBAL_OPTIONS, type OptionSpec } from './commands';
import type { CommandTable } from './parse';

/** What a program's help shows above its commands. */
export interface HelpIntro {
  scriptName: string;
  usage: string;
}

const RUNTIME_INTRO: HelpIntro = { scriptName: 'mydocker-runtime', usage: '$0 [global options] <command> [options]\n\nAn OCI runtime, compatible with runc.' };

function yargsOption(o: OptionSpec): Options {
  return {
    type: o.type,
    describe: o.describe,
    ...(o.alias ? { alias: o.alias } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.choices ? { choices: o.choices } : {}),
    ...(o.multiple ? { array: true } : {}),
  };
}

export function showHelp(
  args: readonly string[],
  table: CommandTable = { globals: GLOBAL_OPTIONS, commands: COMMANDS },
  intro: HelpIntro = RUNTIME_INTRO,
): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yargs = require('yargs/yargs') as (args: string[]) => Argv;
  let parser = yargs([...args])
    .scriptName(intro.scriptName)
    .usage(intro.usage)
    .version(false)
    .help()
    .wrap(100);
  for (const o of table.globals) parser = parser.option(o.name, yargsOption(o));
  for (const c of table.commands) {
    const usage = [c.name, ...c.positionals.map((p) => (p.variadic ? `[${p.name}..]` : p.required ? `<${p.name}>` : `[${p.name}]`))].join(' ');
    parser = parser.command([usage, ...(c.aliases ?? [])], c.describe, (y) => {
      for (const p of c.positionals) y.positional(p.name, { type: 'string', describe: p.describe });
      for (const o of c.options) y.option(o.name, yargsOption(o));
      return y;
    });
  }
  if (!args.some((a) => a === '--help' || a === '-h')) parser.showHelp('log');
  else parser.parse();
}
