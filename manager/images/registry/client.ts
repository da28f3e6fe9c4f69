// A registry v2 client for one registry (HTTP through ./http.ts): the /v2/ ping that picks the scheme and
// learns the authentication challenge, authorized requests (a 401 mid-way adopts the new
// challenge and retries once), manifests with Accept headers for every type we read, and blob
// requests from an offset (Range) for resumed downloads.
//
// The first request does not wait for the ping: it goes out beside it, to the scheme the ping
// tries first and without credentials (none are known yet). Its answer is used when the ping
// chose that scheme and it is not a 4xx; otherwise it is dropped and the request made as usual.
// For a registry that needs no token that saves a round trip per pull; for one that does, it
// costs one request answered 401, and no time.
import { MEDIA_TYPES } from '../types';
import { Authorizer } from './auth';
import { type HttpInit, httpRequest, type HttpResponse } from './http';
import { type Challenge, parseChallenges } from './challenge';
import { type Credentials, getCredentials } from './credentials';
import { describeErrorBody, ManifestUnknownError, RegistryError, TransientError, UnauthorizedError } from './errors';
import { apiHost, isHttpsOnlyAnswer, looksLikePlainHttp, networkError, plainHttpRefused, retryAfterMs, transportPolicy, withRetries, type RetryOptions, DEFAULT_RETRY } from './transport';

/** Every manifest type we can use, OCI first (docker sends the same list). */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest].join(', ');

/** Manifests are small; a larger answer is not one (containerd's limit). */
const MANIFEST_LIMIT = 4 << 20;

const USER_AGENT = 'mydocker';

export interface RegistryClientOptions {
  /** allow plain HTTP for this registry (--insecure-registry) */
  insecure?: boolean;
  /** where credentials come from (default: the docker config file) */
  credentials?: () => Credentials | undefined;
  retry?: RetryOptions;
}

export interface FetchedManifest {
  bytes: Buffer;
  /** from the document, else the Content-Type */
  mediaType: string;
  /** the registry's Docker-Content-Digest header, if any */
  headerDigest: string | undefined;
}

export class RegistryClient {
  readonly host: string;
  readonly auth: Authorizer;
  readonly retry: RetryOptions;
  private base: Promise<string> | undefined;
  private readonly insecure: boolean;

  constructor(readonly registry: string, opts: RegistryClientOptions = {}) {
    this.host = apiHost(registry);
    this.insecure = Boolean(opts.insecure);
    this.retry = opts.retry ?? DEFAULT_RETRY;
    let creds: { value: Credentials | undefined } | undefined;
    const credentials = opts.credentials ?? (() => getCredentials(registry));
    this.auth = new Authorizer(registry, () => (creds ??= { value: credentials() }).value, (url, init) => this.rawFetch(url, init, `token server for ${registry}`));
  }

  /** The base URL (https://host or http://host), found by GET /v2/ once. */
  endpoint(): Promise<string> {
    this.base ??= withRetries(() => this.ping(), { ...this.retry, attempts: Math.min(this.retry.attempts, 3) });
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  private async ping(): Promise<string> {
    const policy = transportPolicy(this.registry, this.insecure);
    let httpsError: unknown;
    let otherError: unknown;
    for (const scheme of policy.schemes) {
      const base = `${scheme}://${this.host}`;
      let res: HttpResponse;
      try {
        res = await httpRequest(`${base}/v2/`, { headers: { 'user-agent': USER_AGENT } });
      } catch (err) {
        if (scheme === 'https') httpsError = err;
        else otherError = err;
        continue;
      }
      const body = await res.text();
      // a TLS server answering our plain HTTP: its HTTPS error (if any) is the one to report
      if (scheme === 'http' && isHttpsOnlyAnswer(res.status, body)) {
        otherError ??= new Error(`${base} answers HTTPS only`);
        continue;
      }
      return this.adoptPing(base, res);
    }
    if (httpsError !== undefined && !policy.httpFallback && looksLikePlainHttp(httpsError)) throw plainHttpRefused(this.registry, httpsError);
    throw networkError(httpsError ?? otherError, `cannot reach registry ${this.registry}${policy.schemes.length > 1 ? ' (tried HTTPS and HTTP)' : ''}`);
  }

  /** Learns the challenge from the answer to GET /v2/; the base URL if it is a registry. */
  private adoptPing(base: string, res: HttpResponse): string {
    if (res.status === 401) {
      this.auth.challenge = pickChallenge(parseChallenges(res.headers.get('www-authenticate')));
    } else if (res.status >= 500 || res.status === 429) {
      throw new TransientError(`registry ${this.registry}: GET /v2/ answered ${res.status}`, retryAfterMs(res));
    } else if (res.status !== 200) {
      throw new RegistryError(`${this.registry} is not a registry v2 endpoint: GET ${base}/v2/ answered ${res.status}`);
    }
    return base;
  }

  private async rawFetch(url: string, init: HttpInit, what: string): Promise<HttpResponse> {
    try {
      return await httpRequest(url, { ...init, headers: { 'user-agent': USER_AGENT, ...init.headers } });
    } catch (err) {
      throw networkError(err, what);
    }
  }

  /**
   * One authorized request to /v2/<path>; 401 once more with a fresh token, then an
   * UnauthorizedError; 5xx and 429 are TransientErrors. Other statuses are the caller's.
   */
  async request(repository: string, pathAfterV2: string, headers: Record<string, string>, what: string, signal?: AbortSignal, bulk = false): Promise<HttpResponse> {
    const early = this.base === undefined ? this.beforePing(pathAfterV2, headers, what, signal, bulk) : undefined;
    const base = await this.endpoint().catch(async (err: unknown) => {
      (await early?.answer)?.bytes().catch(() => undefined);
      throw err;
    });
    if (early) {
      const res = await early.answer;
      // not a 4xx: a 401, 403 or 404 may be the anonymous view of what credentials would open
      if (res && early.base === base && (res.status < 400 || res.status >= 500 || res.status === 429)) return this.checked(res, what);
      res?.bytes().catch(() => undefined);
    }
    const scope = `repository:${repository}:pull`;
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.header(scope);
      const res = await this.rawFetch(`${base}/v2/${pathAfterV2}`, { headers: { ...headers, ...(authorization ? { authorization } : {}) }, bulk, ...(signal ? { signal } : {}) }, what);
      if (res.status === 401) {
        const challenge = pickChallenge(parseChallenges(res.headers.get('www-authenticate')));
        await res.bytes().catch(() => undefined);
        if (attempt === 0 && challenge && (!authorization || challenge.scheme === 'bearer')) {
          this.auth.refused(challenge, scope);
          continue;
        }
        throw this.unauthorized(repository);
      }
      return this.checked(res, what);
    }
  }

  /** The request sent beside the ping (see the header), to the scheme it tries first. */
  private beforePing(pathAfterV2: string, headers: Record<string, string>, what: string, signal: AbortSignal | undefined, bulk: boolean): { base: string; answer: Promise<HttpResponse | undefined> } {
    const base = `${transportPolicy(this.registry, this.insecure).schemes[0]}://${this.host}`;
    const answer = this.rawFetch(`${base}/v2/${pathAfterV2}`, { headers, bulk, ...(signal ? { signal } : {}) }, what).catch(() => undefined);
    return { base, answer };
  }

  /** 5xx and 429 as TransientErrors; the rest is the caller's. */
  private async checked(res: HttpResponse, what: string): Promise<HttpResponse> {
    if (res.status >= 500 || res.status === 429) {
      const text = await res.text().catch(() => '');
      throw new TransientError(`${what}: ${describeErrorBody(res.status, text).text}`, retryAfterMs(res));
    }
    return res;
  }

  private unauthorized(repository: string): UnauthorizedError {
    const creds = (() => {
      try {
        return getCredentials(this.registry);
      } catch {
        return undefined;
      }
    })();
    return new UnauthorizedError(
      creds
        ? `unauthorized: ${this.registry} refused the credentials of "${creds.username}" for ${repository}: run \`mydocker login ${this.registry}\``
        : `unauthorized: pulling ${this.registry}/${repository} needs credentials: run \`mydocker login ${this.registry}\``,
    );
  }

  /** GET a manifest by tag or digest; `what` names it in errors (busybox:latest). */
  async getManifest(repository: string, reference: string, what: string): Promise<FetchedManifest> {
    return withRetries(async () => {
      const res = await this.request(repository, `${repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT }, `manifest for ${what}`);
      if (res.status === 404) {
        const { code } = describeErrorBody(404, await res.text());
        const thing = code === 'NAME_UNKNOWN' ? `repository ${this.registry}/${repository}` : `manifest for ${what}`;
        throw new ManifestUnknownError(`${code === 'NAME_UNKNOWN' ? 'name unknown' : 'manifest unknown'}: ${thing} not found`);
      }
      if (res.status !== 200) throw new RegistryError(`manifest for ${what}: ${describeErrorBody(res.status, await res.text()).text}`);
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MANIFEST_LIMIT) throw new RegistryError(`manifest for ${what}: ${length} bytes is more than a manifest can be (${MANIFEST_LIMIT})`);
      let bytes: Buffer;
      try {
        bytes = await res.bytes();
      } catch (err) {
        throw networkError(err, `manifest for ${what}`);
      }
      if (bytes.length > MANIFEST_LIMIT) throw new RegistryError(`manifest for ${what}: more than ${MANIFEST_LIMIT} bytes`);
      const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
      return { bytes, mediaType: mediaTypeOf(bytes, contentType), headerDigest: res.headers.get('docker-content-digest') ?? undefined };
    }, this.retry);
  }

  /**
   * GET a blob from byte `offset` (a Range request when > 0); `bulk` for a big one (a layer).
   * Resolves to the response (200, 206 or 416) for the caller to stream; 404 is a RegistryError, statuses worth retrying throw TransientError.
   */
  async openBlob(repository: string, digest: string, offset: number, what: string, signal?: AbortSignal, bulk = false): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: '*/*' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const res = await this.request(repository, `${repository}/blobs/${digest}`, headers, what, signal, bulk);
    if (res.status === 200 || res.status === 206 || res.status === 416) return res;
    const text = await res.text().catch(() => '');
    if (res.status === 404) throw new ManifestUnknownError(`blob unknown: ${what} (${digest}) not found in ${this.registry}/${repository}`);
    throw new RegistryError(`${what}: ${describeErrorBody(res.status, text).text}`);
  }
}

/** Bearer before Basic when a registry offers both (docker's preference). */
function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? challenges[0];
}

/** The document's own mediaType, else the Content-Type; schema 1 is recognized by either. */
function mediaTypeOf(bytes: Buffer, contentType: string): string {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; schemaVersion?: unknown };
    if (doc.schemaVersion === 1) return MEDIA_TYPES.dockerSchema1Signed;
    if (typeof doc.mediaType === 'string' && doc.mediaType !== '') return doc.mediaType;
  } catch {
    /* the caller reports what is not JSON */
  }
  return contentType;
}
