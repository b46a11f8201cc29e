// ctest-labels: sanitize
// A Paimon job runs for real: `lakesync serve` supervises `lakesync worker`
// processes that read the test broker, write Parquet files into the Paimon
// table's partition directories and commit Paimon snapshots through the
// server. The table is read back with our Paimon reader (paimon_ls, metadata
// only, so only committed files count) and DuckDB on the live files it lists.
// Proves: every message exactly once after a worker SIGKILL mid-ingest, the
// snapshot's lakesync properties, Paimon's directory layout, graceful stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' };
const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

let broker;
let server;
let warehouse; // a local directory
let sourceId;
let groupId;

// The partition value: two plain ones, one Paimon must escape, and none (a
// null partition, Paimon's __DEFAULT_PARTITION__ directory).
function os(id) {
  if (id % 50 === 0) return null;
  if (id % 7 === 0) return 'mac os/x=1';
  return id % 2 ? 'linux' : 'mac';
}

function message(id) {
  const o = os(id);
  return JSON.stringify(o === null ? { id, name: `n${id}` } : { id, name: `n${id}`, device: { os: o } });
}

const api = (method, p, body) => server.request(method, p, { body });

function paimonLs(dir) {
  return JSON.parse(execFileSync(path.join(process.env.LAKESYNC_BUILD_DIR, 'paimon_ls'), [dir],
                                 { encoding: 'utf8' }));
}

// The committed rows: the files our reader lists as live, read by DuckDB.
async function readRows(dir) {
  let table;
  try {
    table = paimonLs(dir);
  } catch {
    return { table: null, rows: [] }; // not created yet
  }
  if (!table.files.length) return { table, rows: [] };
  const files = table.files.map((f) => `'${path.join(dir, f.path).replaceAll("'", "''")}'`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const rows = (await conn.runAndReadAll(
    `SELECT id, device_os, kp, ko FROM read_parquet([${files.join(', ')}], hive_partitioning = false)`,
  )).getRowObjectsJson();
  return { table, rows };
}

async function waitForRows(dir, want, timeoutMs = 120000) {
  const until = Date.now() + timeoutMs;
  let got = { rows: [] };
  while (Date.now() < until) {
    got = await readRows(dir);
    if (got.rows.length >= want) return got;
    await sleep(500);
  }
  assert.fail(`the table has ${got.rows.length} rows, expected ${want}`);
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
  broker = await startBroker(['pevents:4']);
  server = await startServer({ dataDir: tempDir('lakesync-paimon-job-'), env });
  warehouse = tempDir('lakesync-paimon-wh-');
  groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const res = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'pevents', message_format: 'json',
  });
  assert.equal(res.status, 201, res.text);
  sourceId = res.json.id;
});

after(async () => {
  await server.cleanup();
  await broker.stop();
  fs.rmSync(warehouse, { recursive: true, force: true });
});

test('a Paimon job writes every message exactly once through a worker SIGKILL', async () => {
  const wh = `file://${warehouse}/wh`;
  const db = await api('POST', '/api/v1/databases', {
    name: 'pdb', catalog: 'paimon', external: true, location: `${wh}/pdb.db/`,
    properties: { 'paimon.warehouse': wh },
  });
  assert.equal(db.status, 201, db.text);
  const created = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceId,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/pdb.db/events/` },
    database: 'pdb', table: 'events', parse_levels: 2,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: 'device.os', name: 'device_os', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    partition: [{ source: 'device_os', transform: 'identity', name: 'device_os' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 4 }, // 2 workers
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(created.status, 201, created.text);
  const job = created.json;
  const dir = path.join(warehouse, 'wh', 'pdb.db', 'events');

  await broker.produce('pevents', range(1, 2001).map(message));
  const start = await api('POST', `/api/v1/jobs/${job.id}/start`);
  assert.equal(start.status, 200, start.text);
  await waitForRows(dir, 2000);

  // A worker dies mid-ingest; its partitions move and resume from the table.
  const producing = broker.produce('pevents', range(2001, 5001).map(message));
  await sleep(800);
  const pids = workerPids();
  assert.ok(pids.length > 0, 'no worker runs');
  process.kill(pids[0], 'SIGKILL');
  await producing;

  await waitForRows(dir, 5000);
  await sleep(2500); // nothing may arrive twice later
  const { table, rows } = await readRows(dir);
  assert.equal(rows.length, 5000);
  const keys = new Set(rows.map((r) => `${r.kp}/${r.ko}`));
  assert.equal(keys.size, 5000, 'a (partition, offset) appears twice');
  assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), range(1, 5001));
  for (const r of rows) assert.equal(r.device_os, os(Number(r.id)));

  // Files lie in Paimon's partition directories; the schema has ids 1..n.
  const dirs = { linux: 'linux', mac: 'mac', 'mac os/x=1': 'mac os%2Fx%3D1' };
  const seen = new Set();
  for (const f of table.files) {
    const value = f.partition.device_os;
    seen.add(value);
    assert.equal(f.path, `device_os=${value === null ? '__DEFAULT_PARTITION__' : dirs[value]}/bucket-0/${f.file_name}`);
    assert.equal(f.bucket, 0);
    assert.equal(f.total_buckets, -1);
  }
  assert.deepEqual([...seen].sort(), ['linux', 'mac', 'mac os/x=1', null].sort());
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'schema', 'schema-0'), 'utf8'));
  assert.deepEqual(schema.fields.map((f) => [f.id, f.name]),
                   [[1, 'id'], [2, 'name'], [3, 'device_os'], [4, 'kp'], [5, 'ko']]);
  assert.deepEqual(schema.partitionKeys, ['device_os']);
  assert.equal(schema.options.bucket, '-1');

  // The latest snapshot carries the job's progress.
  const latest = fs.readFileSync(path.join(dir, 'snapshot', 'LATEST'), 'utf8').trim();
  const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'snapshot', `snapshot-${latest}`), 'utf8'));
  assert.equal(snapshot.properties['lakesync.job-id'], job.id);
  const offsets = JSON.parse(snapshot.properties['lakesync.offsets']);
  assert.equal(offsets.topic, 'pevents');
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), 5000);
  assert.equal(snapshot.commitKind, 'APPEND');

  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(job.id, 'stopped');
  const after = await readRows(dir);
  assert.equal(after.rows.length, 5000);
});
