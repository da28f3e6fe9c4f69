// The registry client's HTTP layer (manager/images/registry/http.ts and bulk-get.ts) against
// small servers on 127.0.0.1: body framings (length, chunked, until close), a body cut short,
// and redirects across origins that must not carry the Authorization header.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
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
  test(`${bulk ? 'bulk' : 'node:http'} GET: Content-Length and chunked bodies arrive whole`, async (t) => {
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

  test(`${bulk ? 'bulk' : 'node:http'} GET: a body cut short rejects with a connection error`, async (t) => {
    const host = await serve(t, (req, res) => {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 100_000), () => setTimeout(() => res.socket.destroy(), 20));
    });
    const res = await httpRequest(`http://${host}/`, { bulk });
    let got = 0;
    await assert.rejects(res.pipeTo((c) => (got += c.length)), (err) => err.code === 'ECONNRESET');
    assert.equal(got, 100_000);
  });

  test(`${bulk ? 'bulk' : 'node:http'} GET: redirects are followed; Authorization stays with its origin`, async (t) => {
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
