// Errors the manager reports: one line the user can act on, and the exit status docker uses
// for the same case (125: the command itself failed; 126/127: the container's command could not
// be run; 1: a plain failure such as "No such container").

export class ManagerError extends Error {
  constructor(message: string, readonly exitCode = 125) {
    super(message);
    this.name = 'ManagerError';
  }
}

/** A bad argument or flag value; the message names the flag or argument. */
export class UsageError extends ManagerError {
  constructor(message: string) {
    super(message, 125);
    this.name = 'UsageError';
  }
}

/** An image, container, volume or network that does not exist. */
export class NotFoundError extends ManagerError {
  constructor(kind: 'image' | 'container' | 'volume' | 'object', name: string, exitCode = 1) {
    super(`No such ${kind}: ${name}`, exitCode);
    this.name = 'NotFoundError';
  }
}

/** A name or resource already in use (container name, host port, volume in use). */
export class ConflictError extends ManagerError {
  constructor(message: string, exitCode = 125) {
    super(message, exitCode);
    this.name = 'ConflictError';
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof ManagerError) return err.exitCode;
  return 125;
}
