// `mydocker login` / `logout`: check credentials against the registry the way docker does (a
// token from the realm of a Bearer challenge, or GET /v2/ with Basic), then keep them in the
// docker config file; logout forgets them.
import { UsageError } from '../../errors';
import { DOCKER_HUB } from '../reference';
import { RegistryClient } from './client';
import { type Credentials, dockerConfigFile, removeCredentials, storeCredentials } from './credentials';
import { UnauthorizedError } from './errors';
import { httpRequest } from './http';

/** docker login's SERVER: host[:port], or a URL (https://host/v1/); none or Docker Hub's names mean docker.io. */
export function loginServer(text: string | undefined): string {
  if (text === undefined || text === '') return DOCKER_HUB;
  const host = text.replace(/^https?:\/\//i, '').split('/')[0]!.toLowerCase();
  if (!/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::\d+)?$/.test(host)) {
    throw new UsageError(`login: "${text}" is not a registry host[:port]`);
  }
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

/** Verifies `creds` with `registry`, then stores them; returns the config file written. */
export async function login(registry: string, creds: Credentials, opts: { insecure?: boolean } = {}): Promise<string> {
  const client = new RegistryClient(registry, { credentials: () => creds, ...(opts.insecure !== undefined ? { insecure: opts.insecure } : {}) });
  const base = await client.endpoint();
  const challenge = client.auth.challenge;
  if (challenge?.scheme === 'bearer') {
    await client.auth.verifyLogin();
  } else if (challenge?.scheme === 'basic') {
    const res = await httpRequest(`${base}/v2/`, { headers: { authorization: (await client.auth.header(undefined))! } });
    await res.bytes();
    if (res.status === 401 || res.status === 403) throw new UnauthorizedError(`unauthorized: ${registry} refused the credentials of "${creds.username}": incorrect username or password`);
  }
  storeCredentials(registry, creds);
  return dockerConfigFile();
}

export function logout(registry: string): boolean {
  return removeCredentials(registry);
}
