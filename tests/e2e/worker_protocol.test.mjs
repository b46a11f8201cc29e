// ctest-labels: sanitize
// `lakesync worker` end to end against the test broker and a protocol-faithful
// double of the server's worker endpoints (lib/control_double.mjs): messages
// produced with kcat must end up in the union of COMMITTED files exactly once
// (DuckDB: count, unique (partition, offset), and the same set as the topic
// holds), through fenced commits (409), a commit whose answer is lost, a
// graceful SIGTERM stop with a final commit, and a SIGKILL mid-ingest
// followed by a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { ControlDouble } from './lib/control_double.mjs';

const bin = process.env.LAKESYNC_BIN;
const buildDir = process.env.LAKESYNC_BUILD_DIR ?? path.dirname(bin ?? '.');
const TOKEN = 'worker-token-e2e';
const children = new Set();

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function spawnTracked(cmd, args, options) {
  const child = spawn(cmd, args, options);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

// The shared test broker when it is built, else the worker's own minimal one.
async function startBroker(topic, partitions) {
  const shared = path.join(buildDir, 'lakesync_testbroker');
  const own = path.join(buildDir, 'lakesync_worker_broker');
  const args = fs.existsSync(shared)
    ? [shared, ['--topic', `${topic}:${partitions}`, '--exit-on-stdin-eof']]
    : [own, ['--topic', `${topic}:${partitions}`]];
  const child = spawnTracked(args[0], args[1], { stdio: ['pipe', 'pipe', 'inherit'] });
  const bootstrap = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/bootstrap (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return { bootstrap, stop: () => child.stdin.end() };
}

function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${cmd} exited ${code}: ${stderr}`)));
    child.stdin.end(input ?? '');
  });
}

// Produces key<TAB>value lines; keys spread messages over partitions.
async function produce(bootstrap, topic, messages) {
  const lines = messages.map(([key, value]) => `${key}\t${value}`).join('\n') + '\n';
  await run('kcat', ['-P', '-b', bootstrap, '-t', topic, '-K', '\t', '-X', 'linger.ms=5'], lines);
}

// Everything the topic holds: [{p, o, value}].
async function topicContents(bootstrap, topic) {
  const out = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-e', '-o', 'beginning', '-q',
                                 '-f', '%p\t%o\t%s\n']);
  return out.split('\n').filter(Boolean).map((line) => {
    const [p, o, ...rest] = line.split('\t');
    return { p: Number(p), o: Number(o), value: rest.join('\t') };
  });
}

function endsOf(contents) {
  const ends = {};
  for (const { p, o } of contents) ends[p] = Math.max(ends[p] ?? 0, o + 1);
  return ends;
}

async function waitFor(what, cond, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function covered(double, ends) {
  return Object.entries(ends).every(([p, end]) => double.offsets[p] === end);
}

function startWorker(double, jobId, index = 0) {
  const child = spawnTracked(bin, ['worker'], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: {
      ...process.env,
      LAKESYNC_SERVER_URL: double.url,
      LAKESYNC_JOB_ID: jobId,
      LAKESYNC_WORKER_INDEX: String(index),
      LAKESYNC_WORKER_TOKEN: TOKEN,
      LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
  });
  child.log = '';
  child.stderr.on('data', (d) => {
    child.log += d;
    if (process.env.LAKESYNC_E2E_VERBOSE) process.stderr.write(d);
  });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

function spec({ jobId, runId, topic, bootstrap, dataDir, partitioned, intervalMs, targetBytes,
                partition }) {
  return {
    job_id: jobId,
    run_id: runId,
    kafka: { bootstrap_servers: bootstrap, topic, group_id: `lakesync-${jobId}`,
             security: { protocol: 'plaintext', sasl_mechanism: null, username: null, password: null } },
    start: { mode: 'earliest', timestamp_ms: 0 },
    parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint', field_id: 1 },
      { source: 'ts', name: 'ts', type: 'timestamptz', field_id: 2 },
      { source: 'user', name: 'user', type: 'string', field_id: 3 },
      { source: 'score', name: 'score', type: 'double', field_id: 4 },
      { source: '__kafka_partition__', name: 'kafka_partition', type: 'int', field_id: 5 },
      { source: '__kafka_offset__', name: 'kafka_offset', type: 'bigint', field_id: 6 },
      { source: '__kafka_timestamp__', name: 'kafka_timestamp', type: 'timestamptz', field_id: 7 },
      { source: '__kafka_key__', name: 'kafka_key', type: 'string', field_id: 8 },
    ],
    partition: partition ??
      (partitioned ? [{ source: 'ts', transform: 'day', name: 'ts_day', field_id: 1000 }] : []),
    format: 'iceberg',
    data_location: pathToFileURL(dataDir).href,
    storage: { endpoint: null, region: null, path_style: false, access_key_id: null, secret_access_key: null },
    commit_interval_ms: intervalMs,
    target_file_size_bytes: targetBytes,
    error_policy: 'skip',
  };
}

// Message i: valid JSON except every 97th, which the scanner rejects.
function messages(from, count) {
  const out = [];
  for (let i = from; i < from + count; i++) {
    const day = 1 + (i % 3);
    const value = i % 97 === 5
      ? `{"id": ${i}, broken`
      : JSON.stringify({ id: i, ts: `2026-11-0${day}T${String(i % 24).padStart(2, '0')}:00:00Z`,
                         user: ['ann', 'bo', 'zoë'][i % 3], score: i / 4, extra: { x: i } });
    out.push([`key-${i}`, value]);
  }
  return out;
}

async function duck() {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
  return db.connect();
}

// The union of committed files must hold every valid message exactly once.
async function checkExactlyOnce(double, contents) {
  const expected = contents.filter(({ value }) => {
    try { JSON.parse(value); return true; } catch { return false; }
  });
  const files = double.files.map((f) => fileURLToPath(f.path));
  assert.ok(files.length > 0, 'no committed files');
  for (const f of files) assert.ok(fs.existsSync(f), `committed file ${f} was deleted`);
  const conn = await duck();
  const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(',');
  const rows = (await conn.runAndReadAll(
    `SELECT kafka_partition, kafka_offset, id, kafka_key FROM read_parquet([${list}])`)).getRows();
  const seen = new Set(rows.map(([p, o]) => `${p}:${o}`));
  assert.equal(rows.length, expected.length, 'row count equals valid messages');
  assert.equal(seen.size, rows.length, 'no (partition, offset) twice');
  for (const { p, o } of expected) assert.ok(seen.has(`${p}:${o}`), `message ${p}:${o} missing`);
  for (const [, , id, key] of rows) assert.equal(key, `key-${id}`, 'key column matches the message');
  const recordCount = double.files.reduce((n, f) => n + f.record_count, 0);
  assert.equal(recordCount, rows.length, 'record_count of committed files adds up');
  return conn;
}

test('fenced commits, a lost answer, partition routing and a graceful stop', { timeout: 90000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-worker-'));
  const dataDir = path.join(dir, 'data');
  const topic = 'events';
  const broker = await startBroker(topic, 4);
  const jobId = 'job_fence';
  const double = await new ControlDouble({ jobId, token: TOKEN, spec: spec({
    jobId, runId: 1, topic, bootstrap: broker.bootstrap, dataDir, partitioned: true,
    intervalMs: 400, targetBytes: 1 << 20 }) }).start();
  let worker;
  try {
    await produce(broker.bootstrap, topic, messages(0, 1000));
    worker = startWorker(double, jobId);
    let contents = await topicContents(broker.bootstrap, topic);
    await waitFor('the first messages committed', () => covered(double, endsOf(contents)));

    // A fenced commit: nothing applied, files dropped, the worker repositions.
    double.fenceNext = 1;
    await produce(broker.bootstrap, topic, messages(1000, 500));
    contents = await topicContents(broker.bootstrap, topic);
    await waitFor('recovery after a 409', () => double.conflicts >= 1 && covered(double, endsOf(contents)));

    // A commit that lands but whose answer is lost: the retry gets 409 and
    // the worker sees from the table's offsets that it landed.
    double.applyThenFailNext = 1;
    const commitsBefore = double.commits.length;
    await produce(broker.bootstrap, topic, messages(1500, 500));
    contents = await topicContents(broker.bootstrap, topic);
    await waitFor('the lost answer', () => double.applyThenFailNext === 0 && covered(double, endsOf(contents)));
    assert.ok(double.commits.length > commitsBefore);

    worker.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.log);

    // A second run with a long interval: only the final commit on SIGTERM
    // can make the new messages visible.
    double.spec = { ...double.spec, run_id: 2, commit_interval_ms: 600000 };
    const commitsBeforeStop = double.commits.length;
    worker = startWorker(double, jobId);
    await produce(broker.bootstrap, topic, messages(2000, 300));
    contents = await topicContents(broker.bootstrap, topic);
    const total = contents.length - 2000;
    await waitFor('the second run consumed everything', () => {
      const last = double.heartbeats.at(-1);
      return last?.run_id === 2 && last.metrics.messages >= total;
    });
    assert.equal(double.commits.length, commitsBeforeStop, 'nothing committed before the stop');
    worker.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.log);
    assert.equal(double.commits.length, commitsBeforeStop + 1, 'one final commit');
    assert.ok(covered(double, endsOf(contents)), 'the final commit covers everything');

    const conn = await checkExactlyOnce(double, contents);
    // Hive-style partition directories, partition values as the protocol
    // encodes a day (days since 1970 as a string), rows in the right file.
    for (const f of double.files) {
      const m = f.path.match(/\/ts_day=(\d{4}-\d{2}-\d{2})\/00000-\d+-[0-9a-f-]{36}-\d{5}\.parquet$/);
      assert.ok(m, f.path);
      const days = String(Math.round(Date.parse(`${m[1]}T00:00:00Z`) / 86400000));
      assert.deepEqual(f.partition, { ts_day: days });
      const [[bad]] = (await conn.runAndReadAll(
        `SELECT count(*) FROM read_parquet('${fileURLToPath(f.path)}') WHERE CAST(ts AS DATE) <> DATE '${m[1]}'`)).getRows();
      assert.equal(Number(bad), 0);
      const ids = f.columns.find((c) => c.field_id === 1);
      assert.ok(typeof ids.lower === 'string' && typeof ids.upper === 'string', 'bigint bounds are strings');
    }
    // Rejected records are counted and covered by the ranges.
    const rejected = contents.filter(({ value }) => value.includes('broken')).length;
    assert.ok(rejected > 0);
    let rejectedInRun2 = 0;
    for (let i = 2000; i < 2300; i++) rejectedInRun2 += i % 97 === 5 ? 1 : 0;
    assert.equal(double.heartbeats.at(-1).metrics.errors, rejectedInRun2);
  } finally {
    worker?.kill('SIGKILL');
    await double.close();
    broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGKILL mid-ingest, restart: every message exactly once', { timeout: 90000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-worker-'));
  const dataDir = path.join(dir, 'data');
  const topic = 'chaos';
  const broker = await startBroker(topic, 8);
  const jobId = 'job_kill';
  const double = await new ControlDouble({ jobId, token: TOKEN, spec: spec({
    jobId, runId: 1, topic, bootstrap: broker.bootstrap, dataDir, partitioned: false,
    intervalMs: 300, targetBytes: 16 * 1024 }) }).start();
  let worker;
  try {
    worker = startWorker(double, jobId);
    let next = 0;
    const batch = 3000;
    await produce(broker.bootstrap, topic, messages(next, batch));
    next += batch;
    await waitFor('a first commit', () => double.commits.length >= 1);
    // Keep producing while the worker runs, and kill it in the middle.
    const producing = (async () => {
      for (let i = 0; i < 3; i++) {
        await produce(broker.bootstrap, topic, messages(next, batch));
        next += batch;
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    await new Promise((r) => setTimeout(r, 250));
    worker.kill('SIGKILL');
    assert.equal((await worker.exited).signal, 'SIGKILL');
    const committedAtKill = Object.values(double.offsets).reduce((a, b) => a + b, 0);
    await producing;
    assert.ok(committedAtKill < next, 'killed while messages were still arriving');
    const onDisk = fs.readdirSync(dataDir).length;

    worker = startWorker(double, jobId);
    await produce(broker.bootstrap, topic, messages(next, batch));
    next += batch;
    const contents = await topicContents(broker.bootstrap, topic);
    assert.equal(contents.length, next);
    await waitFor('everything committed after the restart', () => covered(double, endsOf(contents)), 60000);
    worker.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.log);
    await checkExactlyOnce(double, contents);
    // Files rolled at the target size: several per commit.
    assert.ok(double.files.length > double.commits.length);
    assert.ok(onDisk > 0);
  } finally {
    worker?.kill('SIGKILL');
    await double.close();
    broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a second worker joins: revoked partitions are committed, exactly once', { timeout: 90000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-worker-'));
  const dataDir = path.join(dir, 'data');
  const topic = 'rebalance';
  const broker = await startBroker(topic, 6);
  const jobId = 'job_rebalance';
  // A long interval: without the commit on revoke, nothing would be
  // committed before the stop, and the second worker would re-read it all.
  const double = await new ControlDouble({ jobId, token: TOKEN, spec: spec({
    jobId, runId: 1, topic, bootstrap: broker.bootstrap, dataDir, partitioned: false,
    intervalMs: 600000, targetBytes: 1 << 20 }) }).start();
  const workers = [];
  try {
    workers.push(startWorker(double, jobId, 0));
    await produce(broker.bootstrap, topic, messages(0, 2000));
    await waitFor('the first worker consumed', () => double.heartbeats.some(
      (h) => h.worker_index === 0 && h.metrics.messages >= 2000));
    assert.equal(double.commits.length, 0);
    workers.push(startWorker(double, jobId, 1));
    await waitFor('the commit on revoke', () => double.commits.length >= 1);
    assert.equal(double.commits[0].worker_index, 0);
    await produce(broker.bootstrap, topic, messages(2000, 2000));
    const contents = await topicContents(broker.bootstrap, topic);
    // A stop commits what was read, no more: wait until both workers hold
    // partitions AND, between their latest heartbeats, every partition's
    // position has reached its end. A heartbeat can list a partition just
    // assigned and not yet read; stopping then left it uncovered.
    const ends = endsOf(contents);
    await waitFor('both workers hold partitions and have read to the end', () => {
      const latest = [0, 1].map((index) => double.heartbeats.filter((h) => h.worker_index === index).at(-1));
      if (!latest.every((h) => h && Object.keys(h.metrics.partitions).length > 0)) return false;
      return Object.entries(ends).every(([p, end]) =>
        latest.some((h) => h.metrics.partitions[p]?.position === end));
    });
    for (const w of workers) w.kill('SIGTERM');
    for (const w of workers) assert.deepEqual(await w.exited, { code: 0, signal: null }, w.log);
    assert.ok(covered(double, endsOf(contents)), 'the final commits cover everything');
    assert.ok(double.commits.some((c) => c.worker_index === 1), 'the second worker committed');
    assert.equal(double.conflicts, 0, 'no commit was fenced');
    await checkExactlyOnce(double, contents);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await double.close();
    broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('more table partitions than open files: early commits; stop asked by the heartbeat', { timeout: 90000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-worker-'));
  const dataDir = path.join(dir, 'data');
  const topic = 'wide';
  const broker = await startBroker(topic, 2);
  const jobId = 'job_wide';
  // bucket[100] of id: 100 partitions, over the cap of 64 open files.
  const double = await new ControlDouble({ jobId, token: TOKEN, spec: spec({
    jobId, runId: 1, topic, bootstrap: broker.bootstrap, dataDir, intervalMs: 600000,
    targetBytes: 1 << 20,
    partition: [{ source: 'id', transform: 'bucket[100]', name: 'id_bucket', field_id: 1000 }] }) }).start();
  let worker;
  try {
    // More rows than one staging batch (4096), so routing happens before
    // any interval commit could.
    await produce(broker.bootstrap, topic, messages(0, 6000));
    worker = startWorker(double, jobId);
    await waitFor('an early commit', () => double.commits.length >= 1);
    const contents = await topicContents(broker.bootstrap, topic);
    await waitFor('everything consumed', () => double.heartbeats.at(-1)?.metrics.messages >= contents.length);
    // The server asks the worker to stop through the heartbeat's answer.
    double.stop = true;
    assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.log);
    assert.ok(covered(double, endsOf(contents)));
    await checkExactlyOnce(double, contents);
    const buckets = new Set(double.files.map((f) => f.partition.id_bucket));
    assert.ok(buckets.size > 64, `${buckets.size} buckets`);
    for (const f of double.files) assert.match(f.path, /\/id_bucket=\d+\//);
  } finally {
    worker?.kill('SIGKILL');
    await double.close();
    broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
