// The registry client's HTTP layer (manager/images/registry/http.ts and own-connection.ts) against
// small servers on 127.0.0.1: body framings (length, chunked, until close), a body cut short,
// HEAD, redirects across origins that must not carry the Authorization header, and which of
// Node's modules a plain-HTTP request loads (none of node:http, node:crypto).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { httpRequest } = load('manager/images/registry/http');

async function serve(t, handler, create = (h) => http.createServer(h)) {
  const server = create(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(resolve);
  }));
  return `127.0.0.1:${server.address().port}`;
}

async function collect(res) {
  const chunks = [];
  await res.pipeTo((c) => chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks);
}

const payload = crypto.randomBytes(3 * 1024 * 1024 + 17);

for (const bulk of [false, true]) {
  test(`${bulk ? 'bulk' : 'small'} GET: Content-Length and chunked bodies arrive whole`, async (t) => {
    const host = await serve(t, (req, res) => {
      if (req.url === '/length') {
        res.writeHead(200, { 'content-length': payload.length });
        res.end(payload);
      } else {
        res.writeHead(200); // no length: chunked
        for (let i = 0; i < payload.length; i += 100_000) res.write(payload.subarray(i, i + 100_000));
        res.end();
      }
    });
    for (const path of ['/length', '/chunked']) {
      const res = await httpRequest(`http://${host}${path}`, { bulk });
      assert.equal(res.status, 200);
      assert.ok((await collect(res)).equals(payload), path);
    }
  });

  test(`${bulk ? 'bulk' : 'small'} GET: a body cut short rejects with a connection error`, async (t) => {
    const host = await serve(t, (req, res) => {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 100_000), () => setTimeout(() => res.socket.destroy(), 20));
    });
    const res = await httpRequest(`http://${host}/`, { bulk });
    let got = 0;
    await assert.rejects(res.pipeTo((c) => (got += c.length)), (err) => err.code === 'ECONNRESET');
    assert.equal(got, 100_000);
  });

  test(`${bulk ? 'bulk' : 'small'} GET: redirects are followed; Authorization stays with its origin`, async (t) => {
    const seen = [];
    const storage = await serve(t, (req, res) => {
      seen.push({ where: 'storage', url: req.url, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-length': 5 });
      res.end('hello');
    });
    const registry = await serve(t, (req, res) => {
      seen.push({ where: 'registry', url: req.url, authorization: req.headers.authorization });
      if (req.url === '/blob') res.writeHead(307, { location: '/same-origin' }).end();
      else res.writeHead(302, { location: `http://${storage}/object?sig=1` }).end();
    });
    const res = await httpRequest(`http://${registry}/blob`, { bulk, headers: { authorization: 'Bearer secret' } });
    assert.equal(res.status, 200);
    assert.equal((await collect(res)).toString(), 'hello');
    assert.equal(res.url, `http://${storage}/object?sig=1`);
    assert.deepEqual(seen, [
      { where: 'registry', url: '/blob', authorization: 'Bearer secret' },
      { where: 'registry', url: '/same-origin', authorization: 'Bearer secret' },
      { where: 'storage', url: '/object?sig=1', authorization: undefined },
    ]);
  });
}

test('bulk GET: a body delimited by the end of the connection (HTTP/1.0 style)', async (t) => {
  const host = await serve(t, (socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n');
      socket.end(payload);
    });
  }, (h) => net.createServer(h));
  const res = await httpRequest(`http://${host}/`, { bulk: true });
  assert.equal(res.headers.get('Content-Type'), 'application/octet-stream');
  assert.ok((await collect(res)).equals(payload));
});

test('HEAD: the head only, though Content-Length announces a body', async (t) => {
  const host = await serve(t, (req, res) => {
    res.writeHead(200, { 'content-length': 12345, 'docker-content-digest': 'sha256:abc', 'x-method': req.method });
    res.end();
  });
  const res = await httpRequest(`http://${host}/v2/x/manifests/latest`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-method'), 'HEAD');
  assert.equal(res.headers.get('Docker-Content-Digest'), 'sha256:abc');
  assert.equal((await collect(res)).length, 0);
});

test('a plain-HTTP request and a sha256 load neither node:http nor node:crypto', async (t) => {
  const host = await serve(t, (req, res) => res.end('pong'));
  const lib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'lib');
  const program = `
    const { httpRequest } = require(${JSON.stringify(path.join(lib, 'manager/images/registry/http.js'))});
    const { sha256Hex, sha256Backend } = require(${JSON.stringify(path.join(lib, 'native/sha256.js'))});
    httpRequest('http://${host}/v2/').then((res) => res.text()).then((body) => {
      const loaded = process.moduleLoadList.filter((m) => /^NativeModule (http|https|_http_\\w+|crypto)$/.test(m));
      console.log(JSON.stringify({ body, loaded, hash: sha256Hex('abc'), backend: sha256Backend() }));
    });`;
  // a file, not -e (which loads crypto itself); run asynchronously: the server answers from this process
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mydocker-http-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'program.js'), program);
  const child = await promisify(execFile)(process.execPath, [path.join(dir, 'program.js')], { encoding: 'utf8', timeout: 30_000 });
  const out = JSON.parse(child.stdout);
  assert.equal(out.body, 'pong');
  assert.deepEqual(out.loaded, []);
  assert.equal(out.backend, 'openssl', 'node exports OpenSSL: SHA256_* from the process itself');
  assert.equal(out.hash, crypto.createHash('sha256').update('abc').digest('hex'));
});
