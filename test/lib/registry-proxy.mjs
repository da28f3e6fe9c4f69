// A fault-injecting HTTP proxy in front of a test registry (127.0.0.1 only): it forwards every
// request, records what it saw (method, path, Range header, status), and for the requests a test
// picks it cuts the connection after N bytes of the body, flips a byte of it, holds the
// answer back for a while or until a promise settles, or says when the answer has gone.
//
//   const proxy = await startFaultProxy(registry.host, (req) => req.url.includes(digest) ? { cutAfter: 1000 } : undefined);
//   pull `${proxy.host}/name:tag` ...; proxy.requests -> [{ method, url, range, status }]
import http from 'node:http';

/**
 * @param {string} target host:port of the registry
 * @param {(req: http.IncomingMessage, seen: number) => ({ cutAfter?: number, corrupt?: boolean, delayMs?: number, holdUntil?: Promise<unknown>, onDone?: () => void, status?: number } | undefined)} plan
 *   (status: answer that status without asking the registry; onDone: called when the whole answer is sent)
 *   called per request with how many earlier requests had the same method and path
 */
export async function startFaultProxy(target, plan = () => undefined) {
  const requests = [];
  /** Forwards one request; applies `fault` to the answer's body. */
  const forward = (req, res, record, fault) => {
    const [hostname, port] = target.split(':');
    const upstream = http.request({ host: hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (up) => {
      record.status = up.statusCode;
      res.writeHead(up.statusCode, up.headers);
      let sent = 0;
      up.on('data', (chunk) => {
        if (record.cut) return;
        let data = chunk;
        if (fault?.corrupt && sent === 0 && data.length > 0) {
          data = Buffer.from(chunk);
          data[0] ^= 0xff;
          record.corrupted = true;
        }
        if (fault?.cutAfter !== undefined && sent + data.length >= fault.cutAfter) {
          res.write(data.subarray(0, Math.max(0, fault.cutAfter - sent)));
          record.cut = true;
          up.destroy();
          // give the bytes a moment to leave, then drop the connection mid-body
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        sent += data.length;
        res.write(data);
      });
      up.on('end', () => res.end(() => fault?.onDone?.()));
    });
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  };
  const server = http.createServer((req, res) => {
    const seen = requests.filter((r) => r.method === req.method && r.url === req.url).length;
    const record = { method: req.method, url: req.url, range: req.headers.range, status: 0, cut: false, corrupted: false };
    requests.push(record);
    const fault = plan(req, seen);
    if (fault?.status) {
      record.status = fault.status;
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected by the test proxy' }] }));
      return;
    }
    if (fault?.holdUntil) fault.holdUntil.finally(() => forward(req, res, record, fault));
    else if (fault?.delayMs) setTimeout(() => forward(req, res, record, fault), fault.delayMs);
    else forward(req, res, record, fault);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const host = `127.0.0.1:${server.address().port}`;
  return {
    host,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
