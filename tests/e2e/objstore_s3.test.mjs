// lakesync storage against s3rver: every operation, multipart (12 MiB),
// pagination past 1000 keys, keys with spaces and unicode, '..' refused,
// create-if-absent (S3 If-None-Match and OSS x-oss-forbid-overwrite headers
// observed on the wire through the proxy), virtual-hosted addressing, and the
// file:// backend through the same CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startS3rver } from './lib/s3rver.mjs';
import { startFaultProxy } from './lib/faultproxy.mjs';

const BIN = process.env.LAKESYNC_BIN;
let s3;
let work;

function run(args, { env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['storage', ...args], {
      env: { ...process.env, ...s3.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = [];
    const errs = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => errs.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({
      code,
      stdout: Buffer.concat(out),
      stderr: Buffer.concat(errs).toString(),
    }));
    child.stdin.end(input);
  });
}

function stats(stderr) {
  const m = /stats: (\{.*\})/.exec(stderr);
  assert.ok(m, `no stats in: ${stderr}`);
  return JSON.parse(m[1]);
}

const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');

before(async () => {
  assert.ok(BIN, 'LAKESYNC_BIN must point to the lakesync binary');
  s3 = await startS3rver({ buckets: ['lake', 'paged'] });
  work = mkdtempSync(path.join(tmpdir(), 'objstore-e2e-'));
});

after(async () => {
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('put, cat, get, head, ls, rm on s3://', async () => {
  const file = path.join(work, 'small.txt');
  writeFileSync(file, 'hello lakesync\n');
  let r = await run(['put', '--stats', 's3://lake/t/small.txt', file]);
  assert.equal(r.code, 0, r.stderr);
  const st = stats(r.stderr);
  assert.equal(st.put, 1);
  assert.equal(st.bytes_up, 15);

  r = await run(['cat', 's3://lake/t/small.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString(), 'hello lakesync\n');

  const out = path.join(work, 'small.out');
  r = await run(['get', 's3://lake/t/small.txt', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(out, 'utf8'), 'hello lakesync\n');

  r = await run(['head', 's3://lake/t/small.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { size_bytes: 15, etag: md5('hello lakesync\n') });

  // stdin upload
  r = await run(['put', 's3://lake/t/stdin.txt'], { input: 'from stdin' });
  assert.equal(r.code, 0, r.stderr);
  const direct = await s3.fetchObject('lake', 't/stdin.txt');
  assert.equal(await direct.text(), 'from stdin');

  r = await run(['ls', 's3://lake/t/']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString(), '15\tt/small.txt\n10\tt/stdin.txt\n');

  r = await run(['rm', 's3://lake/t/small.txt']);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['head', 's3://lake/t/small.txt']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not_found/);
  r = await run(['cat', 's3://lake/t/small.txt']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not_found/);
  // Deleting a missing object succeeds, as on S3.
  r = await run(['rm', 's3://lake/t/small.txt']);
  assert.equal(r.code, 0, r.stderr);
});

test('multipart upload of 12 MiB in 5 MiB parts, bytes identical', async () => {
  const data = crypto.randomBytes(12 * 1024 * 1024 + 123);
  const file = path.join(work, 'big.bin');
  writeFileSync(file, data);
  let r = await run(['put', '--stats', '--part-size', String(5 * 1024 * 1024), 's3://lake/big/file.bin', file]);
  assert.equal(r.code, 0, r.stderr);
  const st = stats(r.stderr);
  assert.equal(st.parts, 3);
  assert.equal(st.multipart_control, 2); // create + complete
  assert.equal(st.head, 1);              // length verified after complete
  assert.equal(st.put, 0);

  const direct = Buffer.from(await (await s3.fetchObject('lake', 'big/file.bin')).arrayBuffer());
  assert.equal(direct.length, data.length);
  assert.ok(direct.equals(data), 'bytes stored differ from bytes sent');

  const out = path.join(work, 'big.out');
  r = await run(['get', '--stats', 's3://lake/big/file.bin', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(out).equals(data));
  assert.equal(stats(r.stderr).get, 2); // 8 MiB ranges
});

test('keys with spaces and unicode round-trip', async () => {
  const key = 'dir with space/ünïcödé 文件 +&=%.txt';
  const file = path.join(work, 'u.txt');
  writeFileSync(file, 'unicode body');
  let r = await run(['put', `s3://lake/${key}`, file]);
  assert.equal(r.code, 0, r.stderr);
  const direct = await s3.fetchObject('lake', key);
  assert.equal(direct.status, 200);
  assert.equal(await direct.text(), 'unicode body');
  r = await run(['ls', 's3://lake/dir with space/']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString(), `12\t${key}\n`);
  r = await run(['cat', `s3://lake/${key}`]);
  assert.equal(r.stdout.toString(), 'unicode body');
});

test("'..' and other escaping keys are refused before any request", async () => {
  const file = path.join(work, 'x.txt');
  writeFileSync(file, 'x');
  for (const uri of ['s3://lake/a/../b', 's3://lake/../lake2/x', 's3://lake/a//b', 's3://lake/./a']) {
    const r = await run(['put', '--stats', uri, file]);
    assert.equal(r.code, 1, uri);
    assert.match(r.stderr, /invalid_argument: .*(refused|empty segment)/, uri);
    const st = stats(r.stderr);
    assert.equal(st.put + st.head + st.parts, 0, 'no request may be sent');
  }
  const r = await run(['put', `file://${work}/jail/../escape.txt`, file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refused/);
  assert.equal(existsSync(path.join(work, 'escape.txt')), false);
});

test('pagination past 1000 keys, default and small pages', async () => {
  const total = 1105;
  const keys = [];
  for (let i = 0; i < total; i++) keys.push(`p/k${String(i).padStart(5, '0')}`);
  // Seed directly (unsigned) so the test does not spawn a process per key.
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(keys.slice(i, i + 50).map(async (k) => {
      const res = await s3.fetchObject('paged', k, { method: 'PUT', body: k });
      assert.equal(res.status, 200);
    }));
  }
  let r = await run(['ls', '--stats', 's3://paged/p/']);
  assert.equal(r.code, 0, r.stderr);
  let lines = r.stdout.toString().trimEnd().split('\n');
  assert.equal(lines.length, total);
  assert.deepEqual(lines.map((l) => l.split('\t')[1]), keys);
  assert.ok(lines.every((l, i) => l === `${keys[i].length}\t${keys[i]}`));
  assert.equal(stats(r.stderr).list, 2);

  r = await run(['ls', '--stats', '--max-keys', '100', 's3://paged']);
  assert.equal(r.code, 0, r.stderr);
  lines = r.stdout.toString().trimEnd().split('\n');
  assert.equal(lines.length, total);
  assert.equal(stats(r.stderr).list, 12);
});

test('create-if-absent: conflict, and the conditional headers on the wire', async () => {
  const proxy = await startFaultProxy({ target: s3.endpoint });
  try {
    const file = path.join(work, 'snap.json');
    writeFileSync(file, '{"snapshot":1}');
    let r = await run(['put-if-absent', '--endpoint', proxy.url, 's3://lake/snap/s-1.json', file]);
    assert.equal(r.code, 0, r.stderr);
    const put = proxy.log.find((e) => e.method === 'PUT');
    assert.equal(put.headers['if-none-match'], '*');
    assert.ok(put.headers['content-md5']);
    assert.ok(put.headers['x-amz-content-sha256'].match(/^[0-9a-f]{64}$/));
    assert.match(put.headers.authorization, /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=content-md5;host;if-none-match;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);

    writeFileSync(file, '{"snapshot":2}');
    r = await run(['put-if-absent', 's3://lake/snap/s-1.json', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /conflict: object 'snap\/s-1.json' already exists/);
    const direct = await s3.fetchObject('lake', 'snap/s-1.json');
    assert.equal(await direct.text(), '{"snapshot":1}');

    // oss://: same protocol, OSS's own create-if-absent header.
    proxy.log.length = 0;
    r = await run(['put-if-absent', '--endpoint', proxy.url, '--region', 'cn-hangzhou', '--path-style',
      'oss://lake/snap/oss-1.json', file]);
    assert.equal(r.code, 0, r.stderr);
    const ossPut = proxy.log.find((e) => e.method === 'PUT');
    assert.equal(ossPut.headers['x-oss-forbid-overwrite'], 'true');
    assert.equal(ossPut.headers['if-none-match'], undefined);
    assert.match(ossPut.headers.authorization, /\/cn-hangzhou\/s3\/aws4_request/);
    r = await run(['put-if-absent', '--endpoint', proxy.url, '--region', 'cn-hangzhou', '--path-style',
      'oss://lake/snap/oss-1.json', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /conflict/);
  } finally {
    await proxy.stop();
  }
});

test('virtual-hosted addressing sends bucket.host and a bucket-less path', async () => {
  const proxy = await startFaultProxy({ target: s3.endpoint, vhostSuffix: '.localhost' });
  try {
    const file = path.join(work, 'vh.txt');
    writeFileSync(file, 'virtual host');
    const endpoint = `http://localhost:${proxy.port}`;
    let r = await run(['put', '--endpoint', endpoint, '--virtual-hosted', 's3://lake/vh/a b.txt', file]);
    assert.equal(r.code, 0, r.stderr);
    const put = proxy.log.find((e) => e.method === 'PUT');
    assert.equal(put.headers.host, `lake.localhost:${proxy.port}`);
    assert.equal(put.url, '/vh/a%20b.txt');
    r = await run(['ls', '--endpoint', endpoint, '--virtual-hosted', 's3://lake/vh/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), '12\tvh/a b.txt\n');
    const list = proxy.log.find((e) => e.method === 'GET');
    assert.equal(list.url, '/?list-type=2&max-keys=1000&prefix=vh%2F');

    // oss:// is virtual-hosted by default, even with a custom endpoint.
    proxy.log.length = 0;
    r = await run(['put', '--endpoint', endpoint, '--region', 'cn-hangzhou', 'oss://lake/vh/oss.txt', file]);
    assert.equal(r.code, 0, r.stderr);
    const ossPut = proxy.log.find((e) => e.method === 'PUT');
    assert.equal(ossPut.headers.host, `lake.localhost:${proxy.port}`);
    assert.equal(ossPut.url, '/vh/oss.txt');
    assert.equal(await (await s3.fetchObject('lake', 'vh/oss.txt')).text(), 'virtual host');
  } finally {
    await proxy.stop();
  }
});

test('session token is signed and sent; region comes from the environment', async () => {
  const proxy = await startFaultProxy({ target: s3.endpoint });
  try {
    const r = await run(['head', '--endpoint', proxy.url, 's3://lake/absent'], {
      env: { AWS_SESSION_TOKEN: 'session-token-value', AWS_REGION: 'eu-central-1' },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not_found/);
    const head = proxy.log.find((e) => e.method === 'HEAD');
    assert.equal(head.headers['x-amz-security-token'], 'session-token-value');
    assert.match(head.headers.authorization,
      /\/eu-central-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, /);
    assert.equal(head.headers['x-amz-content-sha256'], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  } finally {
    await proxy.stop();
  }
});

test('file:// backend through the same CLI', async () => {
  const root = path.join(work, 'wh');
  const file = path.join(work, 'f.bin');
  const data = crypto.randomBytes(3 * 1024 * 1024);
  writeFileSync(file, data);
  let r = await run(['put', `file://${root}/db/t/data/f 1.bin`, file]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(path.join(root, 'db/t/data/f 1.bin')).equals(data));
  r = await run(['head', `file://${root}/db/t/data/f 1.bin`]);
  assert.equal(JSON.parse(r.stdout).size_bytes, data.length);
  r = await run(['put-if-absent', `file://${root}/db/t/data/f 1.bin`, file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /conflict/);
  r = await run(['ls', `file://${root}/db/`]);
  assert.equal(r.stdout.toString(), `${data.length}\t${root.slice(1)}/db/t/data/f 1.bin\n`);
  r = await run(['cat', `file://${root}/db/t/data/f 1.bin`]);
  assert.ok(r.stdout.equals(data));
  r = await run(['rm', `file://${root}/db/t/data/f 1.bin`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(path.join(root, 'db/t/data/f 1.bin')), false);
});

test('bad usage exits 2, missing credentials exit 1 without leaking anything', async () => {
  let r = await run(['frobnicate', 's3://lake/x']);
  assert.equal(r.code, 2);
  r = await run(['put']);
  assert.equal(r.code, 2);
  r = await run(['head', 's3://lake/x'], { env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unauthenticated: no credentials/);
  r = await run(['head', '--secret-access-key', 'TOPSECRETVALUE', '--access-key-id', 'AK', 's3://lake/none']);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /TOPSECRETVALUE/);
});
