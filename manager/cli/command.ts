// One manager command: its arguments (the same table format as the runtime's, parsed by the
// same fast parser) and what it does. Each area (images, containers, volumes, system) declares
// its commands in a file of its own; the operations they call are loaded only when run
// (`await import(...)` inside run), so that a command pays only for the code it uses.
import type { CommandSpec, OptionSpec } from '../../runtime/cli/commands';
import type { Values } from '../../runtime/cli/parse';
import type { Context } from '../context';

export type { OptionSpec, Values };

export interface CommandArgs {
  /** options by long name and positionals by name */
  values: Values;
  /** repeated options and the variadic positional, as lists */
  lists: Record<string, string[]>;
}

export interface ManagerCommand extends CommandSpec {
  /** Runs the command; resolves to the process exit status. */
  run(args: CommandArgs, ctx: Context): Promise<number>;
}

/** The string value of an option or positional, or undefined. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return v === undefined ? undefined : String(v);
}
