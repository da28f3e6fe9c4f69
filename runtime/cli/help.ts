// --help: the full yargs, built from the same command table, loaded only when asked for.
import type { Argv, Options } from 'yargs';
import { COMMANDS, GLOBAL_OPTIONS, type OptionSpec } from './commands';

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

export function showHelp(args: readonly string[]): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yargs = require('yargs/yargs') as (args: string[]) => Argv;
  let parser = yargs([...args])
    .scriptName('mydocker-runtime')
    .usage('$0 [global options] <command> [options]\n\nAn OCI runtime, compatible with runc.')
    .version(false)
    .help()
    .wrap(100);
  for (const o of GLOBAL_OPTIONS) parser = parser.option(o.name, yargsOption(o));
  for (const c of COMMANDS) {
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
