// --help: the full yargs, built from the same command table, loaded only when asked for.
import type { Argv, Options } from 'yargs';
import { type CommandSpec, COMMANDS, GLOBAL_OPTIONS, type OptionSpec } from './commands';
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
  const usageOf = (c: CommandSpec, name: string) =>
    [name, ...c.positionals.map((p) => (p.variadic ? `[${p.name}..]` : p.required ? `<${p.name}>` : `[${p.name}]`))].join(' ');
  const builder = (c: CommandSpec) => (y: Argv) => {
    for (const p of c.positionals) y.positional(p.name, { type: 'string', describe: p.describe });
    for (const o of c.options) y.option(o.name, yargsOption(o));
    return y;
  };
  // "volume create" and the like are subcommands of a group command ("volume").
  const groups = new Map<string, CommandSpec[]>();
  for (const c of table.commands) {
    const space = c.name.indexOf(' ');
    if (space < 0) {
      parser = parser.command([usageOf(c, c.name), ...(c.aliases ?? [])], c.describe, builder(c));
      continue;
    }
    const group = c.name.slice(0, space);
    groups.set(group, [...(groups.get(group) ?? []), c]);
  }
  for (const [group, subs] of groups) {
    parser = parser.command(`${group} <command>`, `${group} commands: ${subs.map((c) => c.name.slice(group.length + 1)).join(', ')}`, (y) => {
      for (const c of subs) {
        const sub = c.name.slice(group.length + 1);
        const aliases = (c.aliases ?? []).filter((a) => a.startsWith(`${group} `)).map((a) => a.slice(group.length + 1));
        y.command([usageOf(c, sub), ...aliases], c.describe, builder(c));
      }
      return y;
    });
  }
  if (!args.some((a) => a === '--help' || a === '-h')) parser.showHelp('log');
  else parser.parse();
}
