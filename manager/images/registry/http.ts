// The HTTP the registry client speaks, behind a small fetch-like surface (status, headers.get,
// text(), bytes(), pipeTo(sink) for a streamed body): plain HTTP and big GETs on connections of
// their own (./own-connection.ts), the small requests to HTTPS registries through node:https.
//
// Why not the global fetch the design first named: measured here, a cold `mydocker pull` process
// spends about twice as long in undici (loading it and running its stream code before the JIT
// warms up) as in node:http for the same requests: ping, manifest, config and a 1 MB layer took
// ~700 ms with fetch and ~350 ms with node:http on a loaded 2-core machine. A pull is a short-lived
// process, so that start-up cost is most of its time.
//
// Redirects are followed (registries on object storage redirect blob downloads), dropping the
// Authorization header when the redirect leaves the origin. node:https's connections are kept
// alive and reused (one agent per scheme); idle ones do not keep the process alive.
import type http = require('node:http');
import type https = require('node:https');
import { requestOnOwnConnection } from './own-connection';

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** a big body to stream: read through a 1 MB buffer (see ./own-connection.ts) */
  bulk?: boolean;
}

export interface HttpResponse {
  status: number;
  /** the URL that answered (after redirects) */
  url: string;
  headers: { get(name: string): string | null };
  /**
   * Hands the body to `sink` as it arrives and resolves at its end (rejects if the connection
   * fails first, or `sink` throws). A chunk is valid only during the call: consume it or copy it.
   */
  pipeTo(sink: (chunk: Buffer) => void): Promise<void>;
  text(): Promise<string>;
  bytes(): Promise<Buffer>;
}

const MAX_REDIRECTS = 10;
/** No byte for this long on a connection: it is dead (a retry follows). */
const IDLE_TIMEOUT_MS = 60_000;

let httpAgent: http.Agent | undefined;
let httpsAgent: https.Agent | undefined;

function agentFor(protocol: string): { module: typeof http | typeof https; agent: http.Agent } {
  if (protocol === 'https:') {
    // node:https (and with it tls and the CA store) only when a registry speaks TLS
    const httpsModule = require('node:https') as typeof https;
    httpsAgent ??= new httpsModule.Agent({ keepAlive: true, maxSockets: 8 });
    return { module: httpsModule, agent: httpsAgent };
  }
  const httpModule = require('node:http') as typeof http;
  httpAgent ??= new httpModule.Agent({ keepAlive: true, maxSockets: 8 });
  return { module: httpModule, agent: httpAgent };
}

/** Plain HTTP, and big GETs over TLS, go on connections of their own (./own-connection.ts). */
function onOwnConnection(url: URL, init: HttpInit): boolean {
  const method = init.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return false;
  return url.protocol === 'http:' || (init.bulk === true && method === 'GET');
}

function wrap(res: http.IncomingMessage, url: string): HttpResponse {
  // events, not `for await`: the async iterator machinery costs ~7 ms to set up in a cold process
  const pipeTo = (sink: (chunk: Buffer) => void): Promise<void> =>
    new Promise((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        try {
          sink(chunk);
        } catch (err) {
          res.destroy(err as Error);
        }
      });
      res.once('end', resolve);
      res.once('error', reject);
      res.once('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    });
  const bytes = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    await pipeTo((chunk) => chunks.push(chunk));
    return Buffer.concat(chunks);
  };
  return {
    status: res.statusCode ?? 0,
    url,
    headers: {
      get(name) {
        const value = res.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    pipeTo,
    bytes,
    text: async () => (await bytes()).toString('utf8'),
  };
}

function once(url: URL, init: HttpInit): Promise<http.IncomingMessage> {
  const { module, agent } = agentFor(url.protocol);
  return new Promise((resolve, reject) => {
    const req = module.request(url, { method: init.method ?? 'GET', headers: init.headers, agent, ...(init.signal ? { signal: init.signal } : {}) }, resolve);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no answer from ${url.host} for ${IDLE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** One request, redirects followed; rejects with the socket's error (err.code: ECONNREFUSED, ...). */
export async function httpRequest(target: string, init: HttpInit = {}): Promise<HttpResponse> {
  let url = new URL(target);
  let headers = { ...init.headers };
  for (let hop = 0; ; hop++) {
    const res = onOwnConnection(url, init) ? await requestOnOwnConnection(url, { ...init, headers }) : wrap(await once(url, { ...init, headers }), url.toString());
    const location = res.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(res.status) || !location || hop >= MAX_REDIRECTS) return res;
    void res.bytes().catch(() => undefined);
    const next = new URL(location, url);
    if (next.origin !== url.origin) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    url = next;
  }
}
