// Starting and driving a real `lakesync serve` from end-to-end tests.
//
// Exports:
//   startServer(options?) -> Promise<Server>
//     options.dataDir   data directory (default: a fresh temp dir, removed by
//                       server.cleanup())
//     options.env       extra environment variables (e.g. LAKESYNC_ADMIN_TOKEN)
//     options.args      extra `lakesync serve` arguments
//     options.cwd       working directory of the server (default: inherited)
//     options.adminToken  token to use when the data dir already has one and
//                       stdout will not print it (restarts); by default the
//                       helper reads <dataDir>/admin.token
//   Server:
//     url            "http://127.0.0.1:PORT" (from the "listening on" line)
//     adminToken     the admin token (printed at first start or read back)
//     dataDir        the data directory
//     proc           the ChildProcess
//     stdout(), stderr()  everything the server printed so far
//     request(method, path, {token, body, headers, rawBody}) -> {status, headers, json, text}
//                    token defaults to adminToken; pass token: null for none.
//                    body is JSON-encoded; rawBody is sent as is.
//     stop(signal = 'SIGTERM') -> Promise<exit code>  (waits for exit)
//     cleanup()      stop if running (throws unless the server exits 0 and
//                    its stderr has no sanitizer report: under the ASan build
//                    this is how leaks and UB fail a test), then remove the
//                    temp data dir it made
//   rawRequest(url, method, path, {headers, body}) -> {status, headers, text}
//     sends the path byte for byte (fetch would normalize "/../"), for
//     path-traversal tests.
//   tempDir(prefix) -> a new directory under os.tmpdir()
//   lakesyncBin()   the binary under test (LAKESYNC_BIN)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export function lakesyncBin() {
  const bin = process.env.LAKESYNC_BIN;
  if (!bin) throw new Error('LAKESYNC_BIN is not set (run through ctest)');
  return bin;
}

export function tempDir(prefix = 'lakesync-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startServer(options = {}) {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? tempDir();
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
                '--log-level', 'debug', ...(options.args ?? [])];
  const env = { ...process.env, ...(options.env ?? {}) };
  for (const k of ['LAKESYNC_LISTEN', 'LAKESYNC_DATA_DIR', 'LAKESYNC_WAREHOUSE'])
    if (!(options.env && k in options.env)) delete env[k];
  if (!(options.env && 'LAKESYNC_ADMIN_TOKEN' in options.env)) delete env.LAKESYNC_ADMIN_TOKEN;
  const proc = spawn(lakesyncBin(), args, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${err}`)), 30000);
    const check = () => {
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    proc.stdout.on('data', check);
    exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${out}\n${err}`)); });
  });
  const printed = out.match(/admin token: (\S+)/);
  let adminToken = options.adminToken ?? (printed ? printed[1] : null);
  const tokenFile = path.resolve(options.cwd ?? '.', dataDir, 'admin.token');
  if (!adminToken && fs.existsSync(tokenFile)) adminToken = fs.readFileSync(tokenFile, 'utf8').trim();
  if (!adminToken && options.env?.LAKESYNC_ADMIN_TOKEN) adminToken = options.env.LAKESYNC_ADMIN_TOKEN;
  let running = true;
  exited.then(() => { running = false; });

  const server = {
    url, adminToken, dataDir, proc,
    stdout: () => out,
    stderr: () => err,
    async request(method, p, opts = {}) {
      const headers = { ...(opts.headers ?? {}) };
      const token = 'token' in opts ? opts.token : adminToken;
      if (token) headers.authorization = `Bearer ${token}`;
      let body = opts.rawBody;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(url + p, { method, headers, body });
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, json, text };
    },
    async stop(signal = 'SIGTERM') {
      if (running) proc.kill(signal);
      return exited;
    },
    async cleanup() {
      const wasRunning = running;
      const code = await server.stop();
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
      if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(err))
        throw new Error(`sanitizer report from the server:\n${err.slice(-4000)}`);
      if (wasRunning && code !== 0)
        throw new Error(`server exited with ${code}:\n${err.slice(-4000)}`);
    },
  };
  return server;
}

export function rawRequest(url, method, rawPath, opts = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath,
                               headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}
