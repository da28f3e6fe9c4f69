// Errors the runtime reports to its caller. The message is the one line the user sees (on
// stderr and in the --log file); clients such as containerd and podman match parts of it
// ("does not exist", "container not running", "executable file not found in $PATH").

export class RuntimeError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** The id is unknown (containerd matches "does not exist"). */
export class NotFoundError extends RuntimeError {
  constructor(id: string) {
    super(`container "${id}" does not exist`);
  }
}

/** An operation that the container's current status does not allow. */
export class StateError extends RuntimeError {}

/** A problem with the bundle or its config.json, naming the field. */
export class ConfigError extends RuntimeError {}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
