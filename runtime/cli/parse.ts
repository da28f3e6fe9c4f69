// The fast path of the command line: yargs' own parser (yargs-parser) driven by the command
// table, with yargs' strictness (unknown options and extra arguments are errors). The full
// yargs, which costs more to load than a whole `state` call, is loaded only for --help.
import yargsParser = require('yargs-parser');
import { RuntimeError } from '../errors';
import { type CommandSpec, COMMANDS, GLOBAL_OPTIONS, type OptionSpec } from './commands';

/** A program's command line: its global options and its commands (the manager has its own table). */
export interface CommandTable {
  globals: readonly OptionSpec[];
  commands: readonly CommandSpec[];
}

const RUNTIME_TABLE: CommandTable = { globals: GLOBAL_OPTIONS, commands: COMMANDS };

export type Values = Record<string, string | boolean | number | undefined>;

export interface ParsedCommandLine {
  command: CommandSpec;
  /** Global and command options by their long names, and positionals by name. */
  values: Values;
  /** Options given several times, and the variadic positional, as lists. */
  lists: Record<string, string[]>;
}

function parserOptions(options: readonly OptionSpec[]): yargsParser.Options {
  const spec: yargsParser.Options = { string: [], boolean: [], number: [], array: [], alias: {}, default: {} };
  for (const o of options) {
    spec[o.type]!.push(o.name);
    if (o.multiple) (spec.array as string[]).push(o.name);
    if (o.alias) spec.alias![o.name] = [o.alias];
    if (o.default !== undefined) spec.default![o.name] = o.default;
  }
  spec.configuration = {
    'camel-case-expansion': false,
    'dot-notation': false,
    'parse-numbers': false,
    'parse-positional-numbers': false,
    // -e A=1 -e B=2: one value per flag (a greedy array would swallow the id and the command)
    'greedy-arrays': false,
    // --no-pivot, --no-new-keyring, --no-new-privs are flags of their own, not negations
    'boolean-negation': false,
  };
  return spec;
}

function check(options: readonly OptionSpec[], argv: yargsParser.Arguments, where: string): void {
  const known = new Set(['_', ...options.flatMap((o) => (o.alias ? [o.name, o.alias] : [o.name]))]);
  for (const key of Object.keys(argv)) {
    if (!known.has(key)) throw new RuntimeError(`unknown option ${key.length === 1 ? '-' : '--'}${key}${where}: see --help`);
  }
  for (const o of options) {
    const value = argv[o.name];
    if (Array.isArray(value) && !o.multiple) throw new RuntimeError(`--${o.name} given more than once${where}`);
    if (o.type === 'number' && value !== undefined && !Number.isFinite(value)) {
      throw new RuntimeError(`--${o.name}: "${value}" is not a number`);
    }
    if (o.type === 'string' && value === '' && o.default === undefined) throw new RuntimeError(`--${o.name} needs a value${where}`);
    if (o.choices && value !== undefined && !o.choices.includes(String(value))) {
      throw new RuntimeError(`--${o.name}: "${value}" is not one of ${o.choices.join(', ')}`);
    }
  }
}

/**
 * yargs-parser reads a lone "-" after a string option as a positional, not as its value; runc
 * takes it as the value (`update --resources -` reads stdin). Joined into `--option=-` first.
 */
function joinDashValues(args: readonly string[], options: readonly OptionSpec[]): string[] {
  const takesValue = new Set(options.filter((o) => o.type !== 'boolean').flatMap((o) => (o.alias ? [`--${o.name}`, `-${o.alias}`] : [`--${o.name}`])));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (takesValue.has(args[i]!) && args[i + 1] === '-') {
      out.push(`${args[i]}=-`);
      i++;
    } else out.push(args[i]!);
  }
  return out;
}

/**
 * --help or -h asks for help, unless it belongs to a variadic command line
 * (`mydocker run busybox ls -h` passes -h to ls) or the command has a -h of its own
 * (docker's `run -h HOSTNAME`).
 */
function wantsHelp(args: readonly string[], table: CommandTable): boolean {
  const isHelp = (arg: string, command?: CommandSpec) => arg === '--help' || (arg === '-h' && !command?.options.some((o) => o.alias === 'h'));
  for (const [i, arg] of args.entries()) {
    if (arg === '--') return false;
    const command = table.commands.find((c) => c.name === arg || c.aliases?.includes(arg));
    if (command) {
      const variadic = command.positionals.some((p) => p.variadic);
      // a variadic command line is the container's: help only before the first positional
      for (const r of args.slice(i + 1)) {
        if (isHelp(r, command)) return true;
        if (variadic && !r.startsWith('-')) return false;
      }
      return false;
    }
    if (isHelp(arg)) return true;
  }
  return false;
}

/** Parses `[global options] <command> [options] <positionals>`; undefined means: show help. */
export function parseCommandLine(args: readonly string[], table: CommandTable = RUNTIME_TABLE): ParsedCommandLine | undefined {
  const globalOptions = table.globals;
  const findCommand = (name: string) => table.commands.find((c) => c.name === name || c.aliases?.includes(name));
  if (wantsHelp(args, table)) return undefined;
  const globals = yargsParser([...args], { ...parserOptions(globalOptions), configuration: { ...parserOptions(globalOptions).configuration, 'halt-at-non-option': true } });
  if (globals.error) throw new RuntimeError(globals.error.message);
  const [name, ...rest] = globals._.map(String);
  if (name === undefined || name === 'help') return undefined;
  const command = findCommand(name);
  if (!command) throw new RuntimeError(`unknown command "${name}": see --help`);
  // A command option shadows a global one of the same name (`spec --rootless`).
  const own = new Set(command.options.map((o) => o.name));
  const globalsHere = globalOptions.filter((o) => !own.has(o.name));
  const options = [...globalsHere, ...command.options];
  // A variadic positional (exec's command) ends option parsing: what follows is the command's.
  const variadic = command.positionals.some((p) => p.variadic);
  const spec = parserOptions(options);
  if (variadic) spec.configuration = { ...spec.configuration, 'halt-at-non-option': true };
  const argv = yargsParser(joinDashValues(rest, options), spec);
  if (argv.error) throw new RuntimeError(`${command.name}: ${argv.error.message}`);
  // Global options may come before the command (as containerd and podman pass them) or after it.
  for (const o of globalsHere) {
    if (!rest.some((a) => a === `--${o.name}` || a.startsWith(`--${o.name}=`))) argv[o.name] = globals[o.name];
  }
  const where = ` for "${command.name}"`;
  check(options, argv, where);
  const values: Values = {};
  for (const o of options) if (!o.multiple) values[o.name] = argv[o.name] as Values[string];
  const positionals = argv._.map(String);
  if (!variadic && positionals.length > command.positionals.length) {
    throw new RuntimeError(`${command.name}: unexpected argument "${positionals[command.positionals.length]}"`);
  }
  const lists: Record<string, string[]> = {};
  command.positionals.forEach((p, i) => {
    if (positionals[i] === undefined && p.required) throw new RuntimeError(`${command.name}: missing <${p.name}> argument`);
    if (p.variadic) lists[p.name] = positionals.slice(i);
    else values[p.name] = positionals[i];
  });
  for (const o of options) if (o.multiple) lists[o.name] = ([] as unknown[]).concat(argv[o.name] ?? []).map(String);
  return { command, values, lists };
}
