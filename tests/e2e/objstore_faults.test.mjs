// lakesync storage through a fault-injecting proxy in front of s3rver:
// uploads survive 500 / 503 / connection resets / stalls with identical
// bytes (checked by reading s3rver directly), and with every request failing
// the client gives up past its retry bound with a clear error and leaves no
// object behind; a deadline (--deadline-ms, as a stopping worker's uploads
// get) cuts a stalled multipart upload short and still aborts it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startS3rver } from './lib/s3rver.mjs';
import { startFaultProxy } from './lib/faultproxy.mjs';

const BIN = process.env.LAKESYNC_BIN;
let s3;
let work;

// Short timeouts keep the suite fast: a stalled request costs one timeout.
const FAST = ['--timeout-ms', '2000', '--connect-timeout-ms', '1000', '--retry-base-ms', '20',
  '--retry-max-ms', '200', '--stats'];

function run(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['storage', ...args], {
      env: { ...process.env, ...s3.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const errs = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => errs.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(errs).toString() }));
  });
}

function stats(stderr) {
  const m = /stats: (\{.*\})/.exec(stderr);
  assert.ok(m, `no stats in: ${stderr}`);
  return JSON.parse(m[1]);
}

before(async () => {
  assert.ok(BIN, 'LAKESYNC_BIN must point to the lakesync binary');
  s3 = await startS3rver({ buckets: ['lake'] });
  work = mkdtempSync(path.join(tmpdir(), 'objstore-faults-'));
});

after(async () => {
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('uploads and downloads complete through 40% faults with identical bytes', async () => {
  const proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0.4, seed: Number(process.env.FAULT_SEED ?? 20261123), stallMs: 20000 });
  try {
    const data = crypto.randomBytes(12 * 1024 * 1024 + 7);
    const file = path.join(work, 'big.bin');
    writeFileSync(file, data);
    const small = path.join(work, 'small.bin');
    const smallData = crypto.randomBytes(100 * 1024);
    writeFileSync(small, smallData);
    const common = [...FAST, '--timeout-ms', '4000', '--endpoint', proxy.url, '--max-attempts', '20',
      '--max-retry-ms', '60000'];

    let retries = 0;
    let r = await run(['put', ...common, '--part-size', String(5 * 1024 * 1024), 's3://lake/faulty/big.bin', file]);
    assert.equal(r.code, 0, r.stderr);
    const st = stats(r.stderr);
    assert.equal(st.errors, 0);
    assert.ok(st.parts >= 3);
    retries += st.retries;

    r = await run(['put', ...common, 's3://lake/faulty/small.bin', small]);
    assert.equal(r.code, 0, r.stderr);
    retries += stats(r.stderr).retries;

    // Read back directly from s3rver, not through lakesync or the proxy.
    const direct = Buffer.from(await (await s3.fetchObject('lake', 'faulty/big.bin')).arrayBuffer());
    assert.ok(direct.equals(data), 'multipart object differs from the bytes sent');
    const directSmall = Buffer.from(await (await s3.fetchObject('lake', 'faulty/small.bin')).arrayBuffer());
    assert.ok(directSmall.equals(smallData));

    // And download through the faults too.
    const out = path.join(work, 'big.out');
    r = await run(['get', ...common, 's3://lake/faulty/big.bin', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).equals(data));
    retries += stats(r.stderr).retries;
    r = await run(['ls', ...common, 's3://lake/faulty/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), `${data.length}\tfaulty/big.bin\n${smallData.length}\tfaulty/small.bin\n`);
    retries += stats(r.stderr).retries;

    // Every injected fault cost one retry of ours, except that libcurl itself
    // silently re-sends a request whose reused connection was reset at once;
    // and every kind occurred.
    const c = proxy.counts;
    if (process.env.FAULT_DEBUG) console.log(JSON.stringify(c));
    const injected = c['500'] + c['503'] + c.reset + c.stall;
    // (Under heavy machine load a slow transfer may also time out and be
    // retried, so only the lower bound is asserted.)
    assert.ok(retries >= injected - c.reset, `retries ${retries}: ${JSON.stringify(c)}`);
    for (const kind of ['500', '503', 'reset', 'stall']) assert.ok(c[kind] >= 1, `no ${kind}: ${JSON.stringify(c)}`);
  } finally {
    await proxy.stop();
  }
});

test('every request failing: gives up after max attempts, no object left', async () => {
  const proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 1, faults: ['503', '500'], seed: 3 });
  try {
    const file = path.join(work, 'doomed.txt');
    writeFileSync(file, 'never stored');
    const r = await run(['put', ...FAST, '--endpoint', proxy.url, '--max-attempts', '4', 's3://lake/doomed/a.txt', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /put failed: unavailable: gave up after 4 attempts in \d+ ms: PUT doomed\/a\.txt: /);
    assert.equal(proxy.counts.requests, 4);
    const st = stats(r.stderr);
    assert.equal(st.retries, 3);
    assert.equal(st.errors, 1);
    assert.doesNotMatch(r.stderr, /S3RVER.*Signature|Authorization/);
    const direct = await s3.fetchObject('lake', 'doomed/a.txt', { method: 'HEAD' });
    assert.equal(direct.status, 404);
  } finally {
    await proxy.stop();
  }
});

test('multipart whose parts keep failing is aborted and leaves no object', async () => {
  const proxy = await startFaultProxy({
    target: s3.endpoint,
    faultRate: 1,
    faults: ['503', 'reset'],
    match: (req) => req.method === 'PUT' && req.url.includes('partNumber='),
  });
  try {
    const data = crypto.randomBytes(6 * 1024 * 1024);
    const file = path.join(work, 'mp.bin');
    writeFileSync(file, data);
    const r = await run(['put', ...FAST, '--endpoint', proxy.url, '--max-attempts', '3',
      '--part-size', String(5 * 1024 * 1024), 's3://lake/doomed/mp.bin', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /gave up after 3 attempts/);
    const st = stats(r.stderr);
    assert.equal(st.parts, 3);
    // create + abort (s3rver answers the abort with 405; it is logged, not fatal)
    assert.equal(st.multipart_control, 2);
    const abort = proxy.log.find((e) => e.method === 'DELETE');
    assert.ok(abort && /uploadId=/.test(abort.url), 'the multipart upload must be aborted');
    assert.ok(!proxy.log.some((e) => e.method === 'POST' && /uploadId=/.test(e.url)), 'never completed');
    const direct = await s3.fetchObject('lake', 'doomed/mp.bin', { method: 'HEAD' });
    assert.equal(direct.status, 404);
  } finally {
    await proxy.stop();
  }
});

test('stalls: each attempt times out and the total retry time is bounded', async () => {
  const proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 1, faults: ['stall'], stallMs: 60000 });
  try {
    const file = path.join(work, 'stall.txt');
    writeFileSync(file, 'stalled');
    const started = Date.now();
    const r = await run(['put', '--stats', '--endpoint', proxy.url, '--timeout-ms', '300', '--retry-base-ms', '10',
      '--retry-max-ms', '50', '--max-attempts', '1000', '--max-retry-ms', '1500', 's3://lake/doomed/stall.txt', file]);
    const elapsed = Date.now() - started;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unavailable: gave up after \d+ attempts in \d+ ms: .*timed out/);
    assert.ok(elapsed < 8000, `took ${elapsed} ms`);
    const st = stats(r.stderr);
    assert.ok(st.retries >= 2 && st.retries < 20, JSON.stringify(st));
    const direct = await s3.fetchObject('lake', 'doomed/stall.txt', { method: 'HEAD' });
    assert.equal(direct.status, 404);
  } finally {
    await proxy.stop();
  }
});

test('a deadline cuts a stalled multipart upload short and aborts it', async () => {
  // The second part hangs far longer than the request timeout: only the
  // deadline (what a stopping worker's uploads get) can end it.
  const proxy = await startFaultProxy({
    target: s3.endpoint,
    faultRate: 1,
    faults: ['stall'],
    stallMs: 60000,
    match: (req) => req.method === 'PUT' && req.url.includes('partNumber=2'),
  });
  try {
    const file = path.join(work, 'deadline.bin');
    writeFileSync(file, crypto.randomBytes(12 * 1024 * 1024));
    const started = Date.now();
    const r = await run(['put', '--stats', '--endpoint', proxy.url, '--timeout-ms', '60000',
      '--deadline-ms', '1500', '--part-size', String(5 * 1024 * 1024), 's3://lake/doomed/deadline.bin', file]);
    const elapsed = Date.now() - started;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /put failed: unavailable: PUT doomed\/deadline\.bin: cut off at the deadline/);
    // By the deadline, plus the abort's allowance (2 s) and a loaded box's slack.
    assert.ok(elapsed >= 1400 && elapsed < 8000, `took ${elapsed} ms`);
    const st = stats(r.stderr);
    assert.equal(st.parts, 2, JSON.stringify(st)); // the stalled one is not retried
    assert.equal(st.retries, 0, JSON.stringify(st));
    assert.equal(proxy.counts.stall, 1);
    // Past the deadline the abort still went out (s3rver answers it 405,
    // logged): listing never shows an unfinished upload, orphan removal
    // could not find it.
    const abort = proxy.log.find((e) => e.method === 'DELETE');
    assert.ok(abort && /uploadId=/.test(abort.url), 'the multipart upload must be aborted');
    assert.ok(!proxy.log.some((e) => e.method === 'POST' && /uploadId=/.test(e.url)), 'never completed');
    const direct = await s3.fetchObject('lake', 'doomed/deadline.bin', { method: 'HEAD' });
    assert.equal(direct.status, 404);
  } finally {
    await proxy.stop();
  }
});

test('an ETag that does not match the bytes sent fails the upload', async () => {
  const proxy = await startFaultProxy({
    target: s3.endpoint,
    faultRate: 1,
    faults: ['etag'],
    match: (req) => req.method === 'PUT',
  });
  try {
    const file = path.join(work, 'etag.txt');
    writeFileSync(file, 'checked bytes');
    let r = await run(['put', ...FAST, '--endpoint', proxy.url, 's3://lake/etag/a.txt', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /corrupt_data: PUT etag\/a\.txt: ETag 0{32} does not match the MD5 [0-9a-f]{32}/);

    const big = path.join(work, 'etag.bin');
    writeFileSync(big, crypto.randomBytes(6 * 1024 * 1024));
    r = await run(['put', ...FAST, '--endpoint', proxy.url, '--part-size', String(5 * 1024 * 1024),
      's3://lake/etag/b.bin', big]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UploadPart etag\/b\.bin: ETag 0{32} does not match/);
    assert.ok(proxy.log.some((e) => e.method === 'DELETE' && /uploadId=/.test(e.url)), 'aborted');
    const direct = await s3.fetchObject('lake', 'etag/b.bin', { method: 'HEAD' });
    assert.equal(direct.status, 404);
  } finally {
    await proxy.stop();
  }
});
