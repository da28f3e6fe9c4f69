// Registry credentials in docker's own file, $DOCKER_CONFIG/config.json (default
// ~/.docker/config.json): {"auths": {"HOST": {"auth": base64("user:password")}}}, Docker Hub under
// "https://index.docker.io/v1/". A credential helper named by "credHelpers" (per registry) or
// "credsStore" (for all) is used the way docker uses it: `docker-credential-NAME get|store|erase`.
// Other keys of the file are kept as they are when we write it.
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { ManagerError } from '../../errors';
import { DOCKER_HUB } from '../reference';

export interface Credentials {
  username: string;
  password: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [key: string]: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** The key docker uses in "auths" for a registry host. */
export function configKey(registry: string): string {
  return registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
}

/** "https://host:5000/v1/" and "host:5000" both name host:5000 (docker's ConvertToHostname). */
function keyHost(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0] ?? key;
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

export function dockerConfigFile(): string {
  return path.join(dockerConfigDir(), 'config.json');
}

function readConfig(): DockerConfigFile {
  const file = dockerConfigFile();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  if (text.trim() === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as DockerConfigFile;
  } catch (err) {
    throw new ManagerError(`${file}: not a valid docker config file: ${(err as Error).message}`);
  }
}

function writeConfig(config: DockerConfigFile): void {
  const file = dockerConfigFile();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function helperFor(config: DockerConfigFile, registry: string): string | undefined {
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) if (keyHost(key) === registry) return helper;
  return config.credsStore || undefined;
}

/** Runs docker-credential-<helper> <action> with `input` on stdin; its stdout. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): { ok: boolean; out: string } {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const res = spawnSync(`docker-credential-${helper}`, [action], { input, encoding: 'utf8', timeout: 30000 });
  if (res.error) throw new ManagerError(`credential helper docker-credential-${helper}: ${res.error.message}`);
  return { ok: res.status === 0, out: `${res.stdout}`.trim() || `${res.stderr}`.trim() };
}

function decodeAuth(entry: AuthEntry, key: string): Credentials | undefined {
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw new ManagerError(`${dockerConfigFile()}: auths["${key}"].auth is not base64 of user:password`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The stored credentials for a registry host, or undefined (then requests are anonymous). */
export function getCredentials(registry: string): Credentials | undefined {
  const config = readConfig();
  const helper = helperFor(config, registry);
  if (helper !== undefined) {
    const { ok, out } = runHelper(helper, 'get', configKey(registry));
    if (ok) {
      const parsed = JSON.parse(out) as { Username?: string; Secret?: string };
      if (parsed.Username && parsed.Secret) return { username: parsed.Username, password: parsed.Secret };
    }
    // a helper that has nothing ("credentials not found in native keychain"): fall back to auths
  }
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (keyHost(key) === registry) {
      const creds = decodeAuth(entry, key);
      if (creds) return creds;
    }
  }
  return undefined;
}

/** Saves credentials (the helper if one is configured, else base64 in auths). */
export function storeCredentials(registry: string, creds: Credentials): void {
  const config = readConfig();
  const helper = helperFor(config, registry);
  if (helper !== undefined) {
    const { ok, out } = runHelper(helper, 'store', JSON.stringify({ ServerURL: configKey(registry), Username: creds.username, Secret: creds.password }));
    if (!ok) throw new ManagerError(`credential helper docker-credential-${helper} could not store the credentials: ${out}`);
    config.auths = { ...config.auths, [configKey(registry)]: {} };
  } else {
    const auths = Object.fromEntries(Object.entries(config.auths ?? {}).filter(([key]) => keyHost(key) !== registry));
    auths[configKey(registry)] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
    config.auths = auths;
  }
  writeConfig(config);
}

/** Forgets the credentials of a registry; false if there were none. */
export function removeCredentials(registry: string): boolean {
  const config = readConfig();
  const keys = Object.keys(config.auths ?? {}).filter((key) => keyHost(key) === registry);
  const helper = helperFor(config, registry);
  let erased = false;
  if (helper !== undefined) erased = runHelper(helper, 'erase', configKey(registry)).ok;
  if (keys.length === 0) return erased;
  for (const key of keys) delete config.auths![key];
  writeConfig(config);
  return true;
}
