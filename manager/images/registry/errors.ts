// What can go wrong talking to a registry, as one-line errors that name the image or registry
// and say what to do. `docker pull` exits 1 for all of them; so do we.
import { ManagerError } from '../../errors';

export class RegistryError extends ManagerError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'RegistryError';
  }
}

/** The registry refused our credentials, or wants some we do not have. */
export class UnauthorizedError extends RegistryError {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** The repository, tag or digest does not exist (MANIFEST_UNKNOWN, NAME_UNKNOWN, BLOB_UNKNOWN). */
export class ManifestUnknownError extends RegistryError {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestUnknownError';
  }
}

/**
 * A failure worth retrying: the connection dropped or was refused, or the registry answered
 * 5xx/429. `partial` says bytes were received before the failure (a resume can use them).
 */
export class TransientError extends RegistryError {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'TransientError';
  }
}

/** The registry speaks plain HTTP and policy forbids it, or speaks neither. */
export class TransportPolicyError extends RegistryError {
  constructor(message: string) {
    super(message);
    this.name = 'TransportPolicyError';
  }
}

/** The errors array a registry sends with a 4xx ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}). */
export interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string; detail?: unknown }>;
}

/** "MANIFEST_UNKNOWN: manifest unknown" from a registry's error body, or the HTTP status. */
export function describeErrorBody(status: number, body: string): { code: string | undefined; text: string } {
  try {
    const parsed = JSON.parse(body) as RegistryErrorBody;
    const first = parsed.errors?.[0];
    if (first?.code !== undefined) return { code: first.code, text: `${first.code.toLowerCase().replace(/_/g, ' ')}${first.message && first.message.toLowerCase() !== first.code.toLowerCase().replace(/_/g, ' ') ? ` (${first.message})` : ''}` };
  } catch {
    /* not JSON */
  }
  const line = body.trim().split('\n')[0]?.slice(0, 200) ?? '';
  return { code: undefined, text: `HTTP ${status}${line ? `: ${line}` : ''}` };
}
