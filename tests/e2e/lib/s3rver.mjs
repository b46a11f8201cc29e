// Starts and stops s3rver (tests/node_modules/s3rver) as a real S3 protocol
// server for end-to-end tests. See ../../../shared/TESTING.md for its caveats:
// it never verifies signatures, ignores If-None-Match, needs
// x-amz-content-sha256, needs the legacy OpenSSL provider for paging
// (set here), and answers 405 to abort-multipart.
//
// Exports:
//   startS3rver({ buckets = ['test'], dir } = {}) -> Promise<{
//       endpoint,         // 'http://127.0.0.1:PORT'
//       port, dir,        // dir: its data directory (a fresh temp dir unless given)
//       accessKeyId, secretAccessKey,   // 'S3RVER' / 'S3RVER'
//       env,              // AWS_* variables pointing lakesync at it (path-style via AWS_ENDPOINT_URL)
//       objectUrl(bucket, key),  // direct URL of an object, each key segment percent-encoded
//       fetchObject(bucket, key, init?) -> Promise<Response>  // direct, unsigned request
//       stop() -> Promise<void>  // kills it and removes dir when it created it
//   }>
//   The server binds 127.0.0.1 on a free port (port 0) and is ready when the
//   promise resolves.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const testsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const s3rverBin = path.join(testsDir, 'node_modules', 's3rver', 'bin', 's3rver.js');

export function encodeKey(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

export async function startS3rver({ buckets = ['test'], dir } = {}) {
  const ownDir = !dir;
  const dataDir = dir ?? mkdtempSync(path.join(tmpdir(), 's3rver-'));
  const args = [s3rverBin, '-d', dataDir, '-a', '127.0.0.1', '-p', '0', '-s'];
  for (const b of buckets) args.push('--configure-bucket', b);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk;
      const m = /listening on [^:\s]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => { output += c; });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${output}`));
    });
  });
  child.removeAllListeners('exit');
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    endpoint,
    port,
    dir: dataDir,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    env: {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: endpoint,
    },
    objectUrl(bucket, key) {
      return `${endpoint}/${bucket}/${encodeKey(key)}`;
    },
    fetchObject(bucket, key, init = {}) {
      const headers = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...(init.headers ?? {}) };
      return fetch(`${endpoint}/${bucket}/${encodeKey(key)}`, { ...init, headers });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
