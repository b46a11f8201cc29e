// A fault-injecting HTTP proxy for object-store tests: it forwards requests
// to a target (s3rver) and, for a configurable share of them chosen by a
// seeded generator (deterministic for a given request order), answers
// 500 / 503 with an S3 error document, resets the connection, or stalls
// without answering (past the client's timeout).
//
// Exports:
//   startFaultProxy({
//     target,              // 'http://127.0.0.1:PORT' (required)
//     faultRate = 0,       // 0..1: share of matching requests that get a fault
//     faults = ['500', '503', 'reset', 'stall'],  // kinds to pick from (uniformly); also
//                          // 'etag': forward, but answer with a wrong ETag header;
//                          // '412': answer PreconditionFailed (a conditional put that lost a race)
//     seed = 1,            // PRNG seed
//     stallMs = 30000,     // how long a stalled request is held before its socket is destroyed
//     match = () => true,  // (req) => boolean: which requests may get a fault
//     vhostSuffix = null,  // e.g. '.localhost': Host 'b.localhost:P' is rewritten to path-style /b/...
//   }) -> Promise<{
//     url, port,
//     log,                 // [{ method, url, headers, fault }] every request seen, in order
//     counts,              // { requests, forwarded, '500', '503', '412', reset, stall, etag }
//     setFaultRate(r), setMatch(fn), setFaults(kinds),
//     stop() -> Promise<void>   // closes the server and destroys open sockets
//   }>
//   mulberry32(seed) -> () => number in [0, 1)   the seeded generator it uses
import http from 'node:http';

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function errorBody(code, message) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${message}</Message><RequestId>faultproxy</RequestId></Error>`;
}

export async function startFaultProxy({
  target,
  faultRate = 0,
  faults = ['500', '503', 'reset', 'stall'],
  seed = 1,
  stallMs = 30000,
  match = () => true,
  vhostSuffix = null,
} = {}) {
  if (!target) throw new Error('startFaultProxy needs a target');
  const targetUrl = new URL(target);
  const random = mulberry32(seed);
  const sockets = new Set();
  const timers = new Set();
  const log = [];
  const counts = { requests: 0, forwarded: 0, '500': 0, '503': 0, '412': 0, reset: 0, stall: 0, etag: 0 };
  let rate = faultRate;
  let matcher = match;
  let kinds = faults;

  const forward = (req, res, path, fault = null) => {
    counts.forwarded++;
    const headers = { ...req.headers };
    // A virtual-hosted request rewritten to path-style goes to the target's own host.
    if (path !== req.url) headers.host = targetUrl.host;
    const upstream = http.request({
      host: targetUrl.hostname,
      port: targetUrl.port,
      method: req.method,
      path,
      headers,
    }, (up) => {
      const outHeaders = { ...up.headers };
      if (fault === 'etag' && outHeaders.etag) outHeaders.etag = '"00000000000000000000000000000000"';
      res.writeHead(up.statusCode, outHeaders);
      // A response cut upstream cuts the client's connection too; pipe()
      // alone would leave the client waiting for the rest forever.
      up.on('error', () => req.socket.destroy());
      up.on('aborted', () => req.socket.destroy());
      up.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  };

  const server = http.createServer((req, res) => {
    counts.requests++;
    let path = req.url;
    if (vhostSuffix) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (host.endsWith(vhostSuffix)) {
        path = `/${host.slice(0, -vhostSuffix.length)}${req.url}`;
      }
    }
    // Draw for every request so the sequence depends only on request order.
    const roll = random();
    const pick = kinds[Math.floor(random() * kinds.length)];
    const fault = matcher(req) && roll < rate ? pick : null;
    log.push({ method: req.method, url: req.url, path, headers: req.headers, fault });
    if (!fault) return forward(req, res, path);
    counts[fault]++;
    if (fault === 'etag') return forward(req, res, path, fault);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'stall') {
      req.resume();
      const t = setTimeout(() => { timers.delete(t); req.socket.destroy(); }, stallMs);
      timers.add(t);
      return;
    }
    req.resume();
    req.on('end', () => {
      const status = Number(fault);
      const body = status === 503 ? errorBody('SlowDown', 'Please reduce your request rate.')
        : status === 412 ? errorBody('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')
        : errorBody('InternalError', 'We encountered an internal error. Please try again.');
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    counts,
    setFaultRate(r) { rate = r; },
    setMatch(fn) { matcher = fn; },
    setFaults(list) { kinds = list; },
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
