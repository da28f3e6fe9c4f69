// Options after the operands of a command whose last positional takes a list (`rmi IMAGE... -f`,
// `inspect NAME -f '{{.Id}}'`, `save IMAGE -o FILE`): the fast parser stops reading options at the
// first operand (right for `run IMAGE CMD...`, whose command has options of its own), so for
// commands where every operand is a name, the options among them are read here, as docker does.
import { UsageError } from '../errors';
import type { CommandArgs, OptionSpec } from './command';

/** The operands of the list `name`; options found among them are moved into args.values/lists. */
export function operandsWithOptions(args: CommandArgs, name: string, command: string, options: readonly OptionSpec[]): string[] {
  const list = args.lists[name] ?? [];
  const operands: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const arg = list[i]!;
    if (arg === '--') {
      operands.push(...list.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      operands.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const option = options.find((o) => key === `--${o.name}` || (o.alias !== undefined && key === `-${o.alias}`));
    if (!option) throw new UsageError(`unknown option ${key} for "${command}": see --help`);
    let value: string | boolean;
    if (option.type === 'boolean') {
      if (eq >= 0 && !['true', 'false'].includes(arg.slice(eq + 1))) throw new UsageError(`${key}: "${arg.slice(eq + 1)}" is not true or false`);
      value = eq >= 0 ? arg.slice(eq + 1) === 'true' : true;
    } else {
      const given = eq >= 0 ? arg.slice(eq + 1) : list[++i];
      if (given === undefined || given === '') throw new UsageError(`--${option.name} needs a value for "${command}"`);
      if (option.choices && !option.choices.includes(given)) throw new UsageError(`--${option.name}: "${given}" is not one of ${option.choices.join(', ')}`);
      value = given;
    }
    if (option.multiple) (args.lists[option.name] ??= []).push(String(value));
    else {
      if (seen.has(option.name)) throw new UsageError(`--${option.name} given more than once for "${command}"`);
      seen.add(option.name);
      args.values[option.name] = value;
    }
  }
  args.lists[name] = operands;
  return operands;
}
