// A small token server for docker-registry's token authentication (the protocol of
// distribution's docs/spec/auth/token.md): GET /token?service=S&scope=repository:NAME:ACTIONS
// with optional Basic credentials answers {token, access_token, expires_in, issued_at}, the
// token an RS256 JWT whose x5c header carries our self-signed certificate (the registry's
// rootcertbundle). It listens on 127.0.0.1 only.
//
//   const ts = await startTokenServer({ users: { alice: 'secret' } });
//   const registry = await startRegistry({ token: ts.registryAuth });
//   ... ts.requests: [{ user, scope, status }]
//   await ts.stop();
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const b64url = (data) => Buffer.from(data).toString('base64url');

/** A key pair and a self-signed certificate made with openssl (node:crypto cannot issue certificates). */
function makeCertificate(dir) {
  const key = path.join(dir, 'token.key');
  const cert = path.join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=mydocker-test-token-issuer'], { stdio: 'ignore' });
  return { key, cert };
}

function sign(claims, keyPem, certDer) {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('RSA-SHA256', Buffer.from(input), keyPem);
  return `${input}.${signature.toString('base64url')}`;
}

/** "repository:a/b:pull,push" -> { type, name, actions } (the name may hold colons: host:port never appears here). */
function parseScope(scope) {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

/**
 * @param {{ users?: Record<string,string>, anonymousPull?: (repo: string) => boolean, expiresIn?: number,
 *   service?: string, issuer?: string }} [opts] users who get every action they ask for; anonymous
 *   users get pull on repositories anonymousPull accepts (default: those under public/)
 */
export async function startTokenServer(opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-token-'));
  const { key, cert } = makeCertificate(dir);
  const keyPem = fs.readFileSync(key);
  const certDer = new crypto.X509Certificate(fs.readFileSync(cert)).raw;
  const service = opts.service ?? 'mydocker-test-registry';
  const issuer = opts.issuer ?? 'mydocker-test-issuer';
  const users = opts.users ?? {};
  const anonymousPull = opts.anonymousPull ?? ((repo) => repo.startsWith('public/'));
  const requests = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://token');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    let user;
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Basic ')) {
      const text = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const colon = text.indexOf(':');
      const name = text.slice(0, colon);
      if (colon < 0 || users[name] === undefined || users[name] !== text.slice(colon + 1)) {
        requests.push({ user: name, scopes, status: 401 });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      user = name;
    }
    const access = [];
    for (const scope of scopes) {
      const parsed = parseScope(scope);
      if (!parsed || parsed.type !== 'repository') continue;
      const actions = user !== undefined ? parsed.actions : parsed.actions.filter((a) => a === 'pull' && anonymousPull(parsed.name));
      if (actions.length) access.push({ type: 'repository', name: parsed.name, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresIn ?? 300;
    const claims = { iss: issuer, sub: user ?? '', aud: service, exp: now + expiresIn, nbf: now - 5, iat: now, jti: crypto.randomBytes(8).toString('hex'), access };
    const token = sign(claims, keyPem, certDer);
    requests.push({ user, scopes, status: 200 });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const realm = `http://127.0.0.1:${server.address().port}/token`;
  return {
    realm,
    requests,
    registryAuth: { realm, service, issuer, rootCertBundle: cert },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
