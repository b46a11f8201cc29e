// ctest-labels: sanitize
// Jobs run for real: `lakesync serve` supervises `lakesync worker` processes
// that read the test broker and commit Iceberg snapshots through the server.
// The table is read back with icebird, through its metadata only, so only
// committed data counts. Proves: every message exactly once after SIGKILLs of
// workers and of the server (which resumes the job on restart); the earliest,
// latest and point-in-time starts; graceful stop; metrics and events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { readTable } from './lib/iceberg_read.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' };

let broker;
let server;
let dataDir;
let adminToken;
let groupId;
let sourceIds = {};

function message(id, day = 23) {
  return JSON.stringify({ id, name: `n${id}`, device: { os: id % 2 ? 'linux' : 'mac', v: id % 7 },
                          ts: `2026-11-${day}T10:00:00Z` });
}
const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

async function api(method, path, body) {
  const res = await server.request(method, path, { body });
  return res;
}

async function createJob(topic, table, start, acus = 2) {
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceIds[topic],
    destination: { type: 'managed', format: 'iceberg' },
    database: 'e2e', table, parse_levels: 2,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: 'device.os', name: 'device_os', type: 'string' },
      { source: 'ts', name: 'ts', type: 'timestamptz' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    partition: [{ source: 'ts', transform: 'day', name: 'ts_day' }],
    sync: { start, resource_group_id: groupId, acus },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

function tableUrl(job) {
  return job.destination.path.replace(/\/$/, '');
}

// Waits until the committed table holds want rows (or the time runs out).
async function waitForRows(job, want, timeoutMs = 90000) {
  const until = Date.now() + timeoutMs;
  let rows = [];
  while (Date.now() < until) {
    try {
      ({ rows } = await readTable(tableUrl(job)));
    } catch {
      rows = []; // no metadata yet
    }
    if (rows.length >= want) return rows;
    await sleep(500);
  }
  assert.fail(`table ${job.table} has ${rows.length} rows, expected ${want}`);
}

function assertExactlyOnce(rows, ids) {
  const keys = new Set(rows.map((r) => `${r.kp}/${r.ko}`));
  assert.equal(keys.size, rows.length, 'a (partition, offset) appears twice');
  assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), ids);
}

async function waitForState(jobId, state, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = (await api('GET', `/api/v1/jobs/${jobId}`)).json.state;
    if (last === state) return;
    await sleep(200);
  }
  assert.fail(`job ${jobId} is ${last}, expected ${state}`);
}

function workerPids() {
  try {
    return execFileSync('pgrep', ['-P', String(server.proc.pid)]).toString().trim().split('\n')
      .filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

before(async () => {
  broker = await startBroker(['chaos:4', 'late:2', 'timed:2']);
  dataDir = tempDir('lakesync-jobs-');
  server = await startServer({ dataDir, env });
  adminToken = server.adminToken;
  groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  for (const topic of ['chaos', 'late', 'timed']) {
    const res = await api('POST', '/api/v1/data-sources', {
      type: 'kafka', bootstrap_servers: broker.bootstrap, topic, message_format: 'json',
    });
    assert.equal(res.status, 201, res.text);
    sourceIds[topic] = res.json.id;
  }
});

after(async () => {
  await server.cleanup();
  await broker.stop();
});

test('every message exactly once through worker and server SIGKILLs', async () => {
  await broker.produce('chaos', range(1, 3001).map((i) => message(i, 23 + (i % 3))));
  const job = await createJob('chaos', 'chaos', { mode: 'earliest' }, 4); // 2 workers
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitForRows(job, 3000);

  const producing = broker.produce('chaos', range(3001, 6001).map((i) => message(i)));
  for (let k = 0; k < 3; k++) {
    await sleep(700);
    const pids = workerPids();
    if (pids.length) process.kill(pids[k % pids.length], 'SIGKILL');
  }
  await producing;

  // The server dies too; on restart it resumes the job with a new run.
  server.proc.kill('SIGKILL');
  await new Promise((r) => server.proc.once('exit', r));
  server = await startServer({ dataDir, env, adminToken });
  await broker.produce('chaos', range(6001, 7001).map((i) => message(i)));

  const rows = await waitForRows(job, 7000, 120000);
  assertExactlyOnce(rows, range(1, 7001));
  // Schema evolution (add_columns, the default) added device.v, unmapped by the
  // job, through two workers and the kills: each worker holds a message with it
  // until its schema has the column, so every row carries it.
  assert.ok(rows.every((r) => Number(r.device_v) === Number(r.id) % 7), 'a row lacks device_v');
  assert.ok((await api('GET', `/api/v1/jobs/${job.id}`)).json.fields
    .some((f) => f.source === 'device.v' && f.name === 'device_v' && f.type === 'bigint'));
  const { metadata } = await readTable(tableUrl(job));
  const offsets = JSON.parse(metadata.snapshots.at(-1).summary['lakesync.offsets']);
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), 7000);
  assert.equal(metadata.snapshots.at(-1).summary['lakesync.job-id'], job.id);

  const metrics = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
  assert.equal(metrics.state, 'running');
  assert.equal(metrics.workers.length, 2);

  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(job.id, 'stopped');
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 409);
  const events = (await api('GET', `/api/v1/jobs/${job.id}/events`)).json.items.map((e) => e.message);
  for (const state of ['starting', 'running', 'stopping', 'stopped']) {
    assert.ok(events.includes(state), `events lack ${state}: ${events}`);
  }
});

test('latest start reads only messages produced after the start', async () => {
  await broker.produce('late', range(1, 501).map((i) => message(i)));
  // 8 ACUs would be 4 workers, but the topic has 2 partitions: 2 run.
  const job = await createJob('late', 'late', { mode: 'latest' }, 8);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  // Latest is pinned when partitions are assigned; heartbeats listing both
  // partitions (one per worker) show that has happened.
  const until = Date.now() + 60000;
  for (;;) {
    const m = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
    const held = m.workers.reduce((n, w) => n + Object.keys(w?.partitions || {}).length, 0);
    if (held === 2) break;
    assert.ok(Date.now() < until, 'the worker never got its partitions');
    await sleep(200);
  }
  assert.equal((await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json.workers.length, 2);
  await broker.produce('late', range(501, 701).map((i) => message(i)));
  const rows = await waitForRows(job, 200);
  await sleep(2000); // nothing older may trickle in
  assertExactlyOnce((await readTable(tableUrl(job))).rows, range(501, 701));
  assert.equal(rows.length, 200);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
});

test('a start time reads the first message at or after it in each partition', async () => {
  await broker.produce('timed', range(1, 301).map((i) => message(i)));
  await sleep(1500);
  const startAt = new Date().toISOString(); // the broker cannot look this up: the worker filters
  await sleep(1500);
  await broker.produce('timed', range(301, 501).map((i) => message(i)));
  const job = await createJob('timed', 'timed', { mode: 'timestamp', timestamp: startAt });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitForRows(job, 200);
  await sleep(2000);
  assertExactlyOnce((await readTable(tableUrl(job))).rows, range(301, 501));
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(job.id, 'stopped');
});
