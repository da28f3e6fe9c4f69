// The process a container runs: the image's Entrypoint and Cmd with docker's override rules.
import { UsageError } from '../errors';
import type { ImageRuntimeConfig } from '../images/types';

export interface CommandOverrides {
  /** --entrypoint: undefined when not given; '' resets the image's entrypoint */
  entrypoint?: string;
  /** the arguments after the image name; empty: the image's Cmd */
  command?: readonly string[];
}

/**
 * Entrypoint + Cmd. Arguments replace the image's Cmd; --entrypoint replaces the image's
 * Entrypoint and drops its Cmd too (docker does not combine a new entrypoint with the old Cmd).
 */
export function resolveCommand(image: ImageRuntimeConfig | undefined, run: CommandOverrides): string[] {
  const given = run.command ?? [];
  let argv: string[];
  if (run.entrypoint !== undefined) {
    argv = [...(run.entrypoint === '' ? [] : [run.entrypoint]), ...given];
  } else {
    argv = [...(image?.Entrypoint ?? []), ...(given.length > 0 ? given : image?.Cmd ?? [])];
  }
  if (argv.length === 0) throw new UsageError('no command specified');
  return argv;
}
