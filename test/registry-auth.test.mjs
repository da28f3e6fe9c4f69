// Registry authentication against a real docker-registry on 127.0.0.1: htpasswd (Basic) and
// token auth with the tests' own token server (RS256 JWTs), `mydocker login`/`logout` writing
// the docker config file in a DOCKER_CONFIG of the test's own (never the real home).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pushBusybox, startRegistry } from './clients/lib/registry.mjs';
import { load } from './lib/dist.mjs';
import { startTokenServer } from './lib/token-server.mjs';
import { cli, isolateDockerConfig, indexText, tempManager, verifiedBlobs } from './lib/pull-helpers.mjs';

isolateDockerConfig();
const { pullImage } = load('manager/images/pull');

function configJson(m) {
  const file = path.join(m.dockerConfig, 'config.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

/** pullImage in this process with the test's DOCKER_CONFIG. */
async function pullWith(m, ref, opts = {}) {
  const saved = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = m.dockerConfig;
  try {
    return await pullImage(m.paths, ref, { output: () => {}, ...opts });
  } finally {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
  }
}

test('htpasswd (Basic) auth: refused without login, login checks and stores the credentials, logout forgets them', async (t) => {
  const registry = await startRegistry({ htpasswd: { alice: 's3cret pass' } });
  t.after(() => registry.stop());
  const ref = await pushBusybox(registry, 'team/app', 'v1', { creds: 'alice:s3cret pass' });
  const m = tempManager(t);

  const anonymous = await cli(m, ['pull', ref]);
  assert.equal(anonymous.status, 1);
  assert.equal(anonymous.stderr, `mydocker: unauthorized: pulling ${registry.host}/team/app needs credentials: run \`mydocker login ${registry.host}\`\n`);

  const wrong = await cli(m, ['login', '-u', 'alice', '--password-stdin', registry.host], { input: 'nope\n' });
  assert.equal(wrong.status, 1);
  assert.equal(wrong.stderr, `mydocker: unauthorized: ${registry.host} refused the credentials of "alice": incorrect username or password\n`);
  assert.equal(configJson(m), undefined, 'nothing written after a failed login');

  const ok = await cli(m, ['login', '-u', 'alice', '--password-stdin', registry.host], { input: 's3cret pass\n' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'Login Succeeded\n');
  assert.deepEqual(configJson(m), { auths: { [registry.host]: { auth: Buffer.from('alice:s3cret pass').toString('base64') } } });
  assert.equal(fs.statSync(path.join(m.dockerConfig, 'config.json')).mode & 0o777, 0o600);

  const pulled = await cli(m, ['pull', '-q', ref]);
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(pulled.stdout, `${ref}\n`);
  verifiedBlobs(m.paths);

  // -p works too (with docker's warning); the other keys of the file are kept
  fs.writeFileSync(path.join(m.dockerConfig, 'config.json'), JSON.stringify({ auths: {}, psFormat: 'table {{.ID}}' }));
  const withP = await cli(m, ['login', '-u', 'alice', '-p', 's3cret pass', registry.host]);
  assert.equal(withP.status, 0, withP.stderr);
  assert.equal(withP.stderr, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  assert.equal(configJson(m).psFormat, 'table {{.ID}}');

  const out = await cli(m, ['logout', registry.host]);
  assert.equal(out.status, 0);
  assert.equal(out.stdout, `Removing login credentials for ${registry.host}\n`);
  assert.deepEqual(configJson(m).auths, {});
  assert.equal((await cli(m, ['logout', registry.host])).stdout, `Not logged in to ${registry.host}\n`);
  const again = await cli(m, ['pull', `${registry.host}/team/app:other`]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /needs credentials: run `mydocker login/);

  const usage = await cli(m, ['login', '--password-stdin', registry.host], { input: 'x\n' });
  assert.equal(usage.status, 125);
  assert.equal(usage.stderr, 'mydocker: login: --password-stdin needs --username\n');
});

test('token auth: anonymous tokens for public repositories, credentials for private ones, one token per scope while it is valid', async (t) => {
  const tokens = await startTokenServer({ users: { bob: 'hunter2' }, expiresIn: 3 });
  t.after(() => tokens.stop());
  const registry = await startRegistry({ token: tokens.registryAuth });
  t.after(() => registry.stop());
  const publicRef = await pushBusybox(registry, 'public/busybox', 'latest', { creds: 'bob:hunter2' });
  const privateRef = await pushBusybox(registry, 'private/busybox', 'latest', { creds: 'bob:hunter2', format: 'v2s2' });
  const m = tempManager(t);
  const scopeRequests = (scope) => tokens.requests.filter((r) => r.scopes.includes(scope));

  // anonymous: manifest, config and layer requests share one token
  tokens.requests.length = 0;
  const image = await pullWith(m, publicRef);
  assert.deepEqual(image.names, [publicRef]);
  assert.deepEqual(scopeRequests('repository:public/busybox:pull').map((r) => [r.user, r.status]), [[undefined, 200]]);
  // pulled again within its lifetime (3 s, reused until 0.3 s are left): no new token
  await pullWith(m, publicRef);
  assert.equal(scopeRequests('repository:public/busybox:pull').length, 1);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await pullWith(m, publicRef);
  assert.equal(scopeRequests('repository:public/busybox:pull').length, 2, 'a new token once the old one expired');

  const before = indexText(m.paths);
  const denied = await cli(m, ['pull', privateRef]);
  assert.equal(denied.status, 1);
  assert.equal(denied.stderr, `mydocker: unauthorized: pulling ${registry.host}/private/busybox needs credentials: run \`mydocker login ${registry.host}\`\n`);
  assert.equal(indexText(m.paths), before);

  const badLogin = await cli(m, ['login', '-u', 'bob', '--password-stdin', registry.host], { input: 'wrong' });
  assert.equal(badLogin.status, 1);
  assert.equal(badLogin.stderr, `mydocker: unauthorized: the token server of ${registry.host} refused the credentials of "bob": run \`mydocker login ${registry.host}\`\n`);
  assert.equal(configJson(m), undefined);

  const login = await cli(m, ['login', '--username=bob', '--password-stdin', `http://${registry.host}/v2/`], { input: 'hunter2' });
  assert.equal(login.status, 0, login.stderr);
  assert.ok(configJson(m).auths[registry.host]);
  tokens.requests.length = 0;
  const pulled = await cli(m, ['pull', privateRef]);
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.deepEqual(scopeRequests('repository:private/busybox:pull').map((r) => [r.user, r.status]), [['bob', 200]]);
  verifiedBlobs(m.paths);
});

test('credentials from the docker config file: Docker Hub key, URL keys, a credential helper', async (t) => {
  const m = tempManager(t);
  const { getCredentials, storeCredentials, removeCredentials } = load('manager/images/registry/credentials');
  const saved = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = m.dockerConfig;
  t.after(() => {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
  });
  assert.equal(getCredentials('docker.io'), undefined);
  storeCredentials('docker.io', { username: 'u', password: 'p:w' });
  assert.deepEqual(Object.keys(configJson(m).auths), ['https://index.docker.io/v1/']);
  assert.deepEqual(getCredentials('docker.io'), { username: 'u', password: 'p:w' });
  fs.writeFileSync(path.join(m.dockerConfig, 'config.json'), JSON.stringify({ auths: { 'https://reg.example:5000/v1/': { auth: Buffer.from('a:b').toString('base64') } } }));
  assert.deepEqual(getCredentials('reg.example:5000'), { username: 'a', password: 'b' });
  assert.equal(removeCredentials('reg.example:5000'), true);
  assert.equal(getCredentials('reg.example:5000'), undefined);

  // a credential helper on PATH: docker-credential-<name> get|store|erase
  const bin = path.join(m.dir, 'bin');
  fs.mkdirSync(bin);
  const store = path.join(m.dir, 'helper-store.json');
  fs.writeFileSync(
    path.join(bin, 'docker-credential-testhelper'),
    `#!/usr/bin/env node
const fs = require('fs'); const file = ${JSON.stringify(store)};
const db = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const input = fs.readFileSync(0, 'utf8').trim();
const action = process.argv[2];
if (action === 'get') { if (!db[input]) { process.stdout.write('credentials not found in native keychain'); process.exit(1); } process.stdout.write(JSON.stringify({ ServerURL: input, Username: db[input].Username, Secret: db[input].Secret })); }
else if (action === 'store') { const c = JSON.parse(input); db[c.ServerURL] = c; fs.writeFileSync(file, JSON.stringify(db)); }
else if (action === 'erase') { delete db[input]; fs.writeFileSync(file, JSON.stringify(db)); }
`,
    { mode: 0o755 },
  );
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  t.after(() => (process.env.PATH = savedPath));
  fs.writeFileSync(path.join(m.dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { 'h.example:1': 'testhelper' } }));
  assert.equal(getCredentials('h.example:1'), undefined);
  storeCredentials('h.example:1', { username: 'x', password: 'y' });
  assert.deepEqual(JSON.parse(fs.readFileSync(store, 'utf8'))['h.example:1'].Secret, 'y');
  assert.equal(JSON.stringify(configJson(m)).includes('"y"'), false, 'the secret is not in config.json');
  assert.deepEqual(getCredentials('h.example:1'), { username: 'x', password: 'y' });
  assert.equal(removeCredentials('h.example:1'), true);
  assert.equal(getCredentials('h.example:1'), undefined);
});
