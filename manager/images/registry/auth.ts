// Authorization for one registry: none, Basic (the stored credentials), or Bearer tokens from
// the realm the registry's challenge names, one per scope ("repository:library/busybox:pull"),
// kept until they expire (expires_in, 60 s when absent as the token spec says).
import { ManagerError } from '../../errors';
import type { Challenge } from './challenge';
import type { Credentials } from './credentials';
import type { HttpInit, HttpResponse } from './http';
import { describeErrorBody, RegistryError, TransientError, UnauthorizedError } from './errors';

/** CachedToken: a bearer token and when it stops being valid. */
interface CachedToken {
  token: string;
  expiresAt: number;
}

interface TokenResponse {
  token?: string;
  access_token?: string;
  expires_in?: number;
}

/** A token is used again while more than this part of its lifetime (at most 10 s) is left. */
function expiryMargin(lifetimeMs: number): number {
  return Math.min(10_000, lifetimeMs / 10);
}

/** Tokens of this process (one pull may be followed by another: `run` pulls, then a second `run`...). */
const TOKENS = new Map<string, CachedToken & { margin: number }>();

export type Fetch = (url: string, init: HttpInit) => Promise<HttpResponse>;

export class Authorizer {
  /** the challenge the registry answered GET /v2/ with (undefined: no authentication) */
  challenge: Challenge | undefined;

  constructor(
    readonly registry: string,
    private readonly credentials: () => Credentials | undefined,
    private readonly fetchFn: Fetch,
  ) {}

  /** The Authorization header value for a request needing `scope`, or undefined. */
  async header(scope: string | undefined): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const creds = this.credentials();
      return creds ? `Basic ${basic(creds)}` : undefined;
    }
    if (c.scheme === 'bearer') return `Bearer ${await this.token(c, scope)}`;
    throw new RegistryError(`${this.registry} asks for "${c.scheme}" authentication, which mydocker does not support`);
  }

  /** After a 401: adopt the new challenge (it may name the scope it wants) and drop the token that failed. */
  refused(challenge: Challenge | undefined, scope: string | undefined): void {
    if (challenge) this.challenge = challenge;
    TOKENS.delete(this.cacheKey(this.challenge, scope));
  }

  /** Checks the credentials the way `login` does: a token from the realm, or GET /v2/ with Basic. */
  async verifyLogin(): Promise<void> {
    const c = this.challenge;
    if (c?.scheme === 'bearer') {
      TOKENS.delete(this.cacheKey(c, undefined));
      await this.token(c, undefined);
    }
  }

  /** Tokens are per realm, service, scope and the user they were issued to. */
  private cacheKey(c: Challenge | undefined, scope: string | undefined): string {
    const creds = this.credentials();
    return JSON.stringify([this.registry, c?.params.realm, c?.params.service, scope, creds?.username, creds?.password]);
  }

  private async token(c: Challenge, scope: string | undefined): Promise<string> {
    const key = this.cacheKey(c, scope);
    const cached = TOKENS.get(key);
    if (cached && cached.expiresAt - cached.margin > Date.now()) return cached.token;
    const realm = c.params.realm;
    if (!realm) throw new RegistryError(`${this.registry}: its Bearer challenge names no realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError(`${this.registry}: token realm "${realm}" is not a URL`);
    }
    if (c.params.service) url.searchParams.set('service', c.params.service);
    if (scope) url.searchParams.set('scope', scope);
    const creds = this.credentials();
    const headers: Record<string, string> = {};
    if (creds) {
      url.searchParams.set('account', creds.username);
      headers.authorization = `Basic ${basic(creds)}`;
    }
    const started = Date.now();
    const res = await this.fetchFn(url.toString(), { headers });
    const text = await res.text();
    if (res.status === 401 || res.status === 403) {
      throw new UnauthorizedError(
        creds
          ? `unauthorized: the token server of ${this.registry} refused the credentials of "${creds.username}": run \`mydocker login ${this.registry}\``
          : `unauthorized: ${this.registry} needs credentials: run \`mydocker login ${this.registry}\``,
      );
    }
    if (res.status >= 500 || res.status === 429) throw new TransientError(`token server ${url.origin}: ${describeErrorBody(res.status, text).text}`);
    if (res.status !== 200) throw new RegistryError(`token server ${url.origin}: ${describeErrorBody(res.status, text).text}`);
    let body: TokenResponse;
    try {
      body = JSON.parse(text) as TokenResponse;
    } catch {
      throw new RegistryError(`token server ${url.origin} answered something that is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || token === '') throw new ManagerError(`token server ${url.origin} answered no token`);
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    TOKENS.set(key, { token, expiresAt: started + lifetime * 1000, margin: expiryMargin(lifetime * 1000) });
    return token;
  }
}

function basic(creds: Credentials): string {
  return Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
}
