// How we reach a registry: which URL (HTTPS; plain HTTP only for loopback registries and those
// the user marks insecure), Docker Hub's real host, and which failures are worth a retry with
// backoff. Docker tries HTTPS first everywhere; for loopback we try plain HTTP first, because a
// TLS attempt costs ~50 ms of CA-store set-up and local registries almost always speak HTTP;
// a loopback registry that speaks only TLS still works (HTTPS is tried next).
import { DOCKER_HUB } from '../reference';
import { RegistryError, TransientError, TransportPolicyError } from './errors';

/** The host the registry API of `registry` answers on (Docker Hub's is registry-1.docker.io). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** localhost, 127.0.0.0/8 and ::1, with or without a port: never leaves the machine. */
export function isLoopback(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  const lower = host.toLowerCase();
  return lower === 'localhost' || lower.endsWith('.localhost') || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1';
}

/** Registries the user marked insecure: --insecure-registry, or MYDOCKER_INSECURE_REGISTRIES=host[:port],... */
export function isMarkedInsecure(registry: string, flag: boolean | undefined): boolean {
  if (flag) return true;
  const list = (process.env.MYDOCKER_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.includes(registry);
}

export interface TransportPolicy {
  /** the schemes to try for GET /v2/, in order */
  schemes: Array<'https' | 'http'>;
  /** plain HTTP may be used at all */
  httpFallback: boolean;
}

export function transportPolicy(registry: string, insecureFlag?: boolean): TransportPolicy {
  if (isLoopback(registry)) return { schemes: ['http', 'https'], httpFallback: true };
  if (isMarkedInsecure(registry, insecureFlag)) return { schemes: ['https', 'http'], httpFallback: true };
  return { schemes: ['https'], httpFallback: false };
}

/**
 * Go's TLS servers answer a plain HTTP request with 400 "Client sent an HTTP request to an
 * HTTPS server": then the other scheme is the one.
 */
export function isHttpsOnlyAnswer(status: number, body: string): boolean {
  return status === 400 && /HTTP request to an HTTPS server/i.test(body);
}

const TLS_MISMATCH = /^(?:ERR_SSL_|EPROTO$|ECONNRESET$|UND_ERR_SOCKET$)/;
/** OpenSSL's verification failures as Node reports them: retrying does not help. */
const UNTRUSTED = /^(?:CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|ERR_TLS_CERT_ALTNAME_INVALID$|HOSTNAME_MISMATCH$)/;

function causeOf(err: unknown): { code: string | undefined; message: string } {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as NodeJS.ErrnoException).code;
  const message = cause?.message?.split('\n')[0] ?? (err as Error)?.message ?? String(err);
  // OpenSSL's "...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/..." -> "wrong version number"
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1];
  return { code, message: openssl ?? message };
}

/** A network failure (refused, reset, a body cut short) as a TransientError naming `what`. */
export function networkError(err: unknown, what: string): Error {
  if (err instanceof RegistryError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const { code, message } = causeOf(err);
  if (code !== undefined && UNTRUSTED.test(code)) {
    return new RegistryError(`${what}: its TLS certificate is not trusted (${code}: ${message}): add its CA to NODE_EXTRA_CA_CERTS`);
  }
  return new TransientError(`${what}: ${code ? `${code}: ` : ''}${message}`);
}

/** Whether a failed HTTPS attempt looks like a server speaking plain HTTP. */
export function looksLikePlainHttp(err: unknown): boolean {
  const { code } = causeOf(err);
  return code !== undefined && TLS_MISMATCH.test(code);
}

export function plainHttpRefused(registry: string, err: unknown): TransportPolicyError {
  const { code, message } = causeOf(err);
  return new TransportPolicyError(
    `${registry} does not answer HTTPS (${code ? `${code}: ` : ''}${message}): plain HTTP is used only for loopback registries and those marked insecure (--insecure-registry ${registry} or MYDOCKER_INSECURE_REGISTRIES=${registry})`,
  );
}

export interface RetryOptions {
  attempts: number;
  /** first delay; doubles each time, at most maxDelayMs */
  baseDelayMs: number;
  maxDelayMs: number;
  /** called before waiting for attempt `n` (2, 3, ...) */
  onRetry?: (err: TransientError, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };

/** Runs `fn` again after TransientErrors, with exponential backoff (and the server's Retry-After). */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof TransientError) || attempt >= opts.attempts) throw err;
      const backoff = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.max(backoff, Math.min(err.retryAfterMs ?? 0, 30_000));
      opts.onRetry?.(err, attempt + 1, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Retry-After in milliseconds (seconds or an HTTP date), if the response has one. */
export function retryAfterMs(res: { headers: { get(name: string): string | null } }): number | undefined {
  const value = res.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
