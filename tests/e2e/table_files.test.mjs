// ctest-labels: sanitize
// GET /api/v1/databases/{db}/tables/{table}/files on tables real jobs wrote:
// an Iceberg table partitioned by region and day, one by year, month, hour
// and truncate[1], and a Paimon table partitioned by region. Proves for both formats: the list holds exactly the
// live files (their record counts add up to the produced messages), each
// file exists with the listed size, DuckDB reads in each file only rows of
// the file's listed partition values, the totals match, paging walks the
// same list; Iceberg files name a snapshot of the table. Also the storage
// usage in GET /jobs/{id}/metrics: the table's bytes and files equal the
// file list's totals, and the workers' uploaded bytes cover them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { waitForState } from './lib/jobs.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const COUNT = 24;
const REGIONS = ['eu', 'us', 'ap'];

let broker;
let server;
let warehouse;
const jobs = {};

function message(i) {
  return JSON.stringify({ id: i, region: REGIONS[i % 3], ts: `2026-11-${20 + (i % 2)}T1${i % 10}:00:00Z` });
}
// The day partition of message i, as the API shows Iceberg's day transform.
const dayOf = (i) => `2026-11-${20 + (i % 2)}`;

const api = (method, p, body) => server.request(method, p, { body });

async function files(table, query = '') {
  const res = await api('GET', `/api/v1/databases/${table}/files${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

async function waitForRecords(table, want, timeoutMs = 90000) {
  const until = Date.now() + timeoutMs;
  let got = 0;
  while (Date.now() < until) {
    const res = await api('GET', `/api/v1/databases/${table}/files`);
    got = res.status === 200 ? res.json.total_record_count : 0;
    if (got >= want) return;
    await sleep(500);
  }
  assert.fail(`${table} has ${got} records, expected ${want}`);
}

// Rows of one data file by DuckDB.
async function readFile(uri, columns) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const p = fileURLToPath(uri).replaceAll("'", "''");
  return (await conn.runAndReadAll(`SELECT ${columns} FROM read_parquet('${p}', hive_partitioning = false)`))
    .getRowObjectsJson();
}

before(async () => {
  broker = await startBroker(['fevents:2']);
  server = await startServer({ dataDir: tempDir('lakesync-files-'),
                               env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
  warehouse = tempDir('lakesync-files-wh-');
  const groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const source = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'fevents', message_format: 'json',
  });
  assert.equal(source.status, 201, source.text);
  const common = {
    data_source_id: source.json.id, parse_levels: 1,
    fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'region', name: 'region', type: 'string' },
             { source: 'ts', name: 'ts', type: 'timestamptz' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  };
  const wh = `file://${warehouse}/wh`;
  const db = await api('POST', '/api/v1/databases', {
    name: 'pfiles', catalog: 'paimon', external: true, location: `${wh}/pfiles.db/`,
    properties: { 'paimon.warehouse': wh },
  });
  assert.equal(db.status, 201, db.text);
  const specs = {
    iceberg: { ...common, destination: { type: 'managed', format: 'iceberg' }, database: 'ifiles', table: 'events',
               partition: [{ source: 'region', transform: 'identity', name: 'region' },
                           { source: 'ts', transform: 'day', name: 'ts_day' }] },
    // Iceberg's other time transforms, and truncate, as partition paths show them.
    times: { ...common, destination: { type: 'managed', format: 'iceberg' }, database: 'ifiles', table: 'times',
             partition: [{ source: 'ts', transform: 'year', name: 'ts_year' },
                         { source: 'ts', transform: 'month', name: 'ts_month' },
                         { source: 'ts', transform: 'hour', name: 'ts_hour' },
                         { source: 'region', transform: 'truncate[1]', name: 'region_initial' }] },
    paimon: { ...common, destination: { type: 'user_path', format: 'paimon', path: `${wh}/pfiles.db/events/` },
              database: 'pfiles', table: 'events',
              partition: [{ source: 'region', transform: 'identity', name: 'region' }] },
  };
  for (const [k, spec] of Object.entries(specs)) {
    const res = await api('POST', '/api/v1/jobs', spec);
    assert.equal(res.status, 201, res.text);
    jobs[k] = res.json;
  }
  await broker.produce('fevents', Array.from({ length: COUNT }, (_, i) => message(i + 1)));
  for (const j of Object.values(jobs))
    assert.equal((await api('POST', `/api/v1/jobs/${j.id}/start`)).status, 200);
  await waitForRecords('ifiles/tables/events', COUNT);
  await waitForRecords('pfiles/tables/events', COUNT);
  await waitForRecords('ifiles/tables/times', COUNT);
});

after(async () => {
  await server?.cleanup();
  await broker?.stop();
  if (warehouse) fs.rmSync(warehouse, { recursive: true, force: true });
});

// Checks what both formats share: sizes on disk, totals, rows per
// partition by DuckDB, and paging; returns the items.
async function checkList(table, format, partitionOf) {
  const all = await files(table, '?page_size=1000');
  assert.equal(all.format, format);
  assert.ok(all.snapshot_id > 0);
  assert.equal(all.next_page_token, null);
  assert.equal(all.file_count, all.items.length);
  assert.equal(all.total_record_count, COUNT);
  assert.equal(all.items.reduce((a, f) => a + f.record_count, 0), COUNT);
  assert.equal(all.items.reduce((a, f) => a + f.file_size_bytes, 0), all.total_file_size_bytes);
  const seen = new Set();
  for (const f of all.items) {
    assert.equal(f.content, 'data');
    assert.equal(fs.statSync(fileURLToPath(f.path)).size, f.file_size_bytes, f.path);
    const rows = await readFile(f.path, 'id');
    assert.equal(rows.length, f.record_count, f.path);
    for (const r of rows) {
      assert.deepEqual(partitionOf(Number(r.id)), f.partition, `${f.path} holds id ${r.id}`);
      assert.ok(!seen.has(r.id), `id ${r.id} twice`);
      seen.add(r.id);
    }
  }
  assert.equal(seen.size, COUNT);
  // One file per page: the same files in the same order.
  const paged = [];
  let token = '';
  for (let i = 0; i <= all.items.length; i++) {
    const page = await files(table, `?page_size=1${token ? `&page_token=${token}` : ''}`);
    assert.equal(page.snapshot_id, all.snapshot_id);
    paged.push(...page.items);
    if (!page.next_page_token) break;
    token = encodeURIComponent(page.next_page_token);
  }
  assert.deepEqual(paged, all.items);
  return all;
}

// The job's metrics name its table's bytes and files (equal to the file
// list's totals) and what its workers sent to the store: every live file
// was uploaded once, and nothing else (a local store, no retries).
test('job metrics: storage usage of the table and of the workers', async () => {
  for (const [k, table] of [['iceberg', 'ifiles/tables/events'], ['paimon', 'pfiles/tables/events']]) {
    const list = await files(table);
    let storage;
    const until = Date.now() + 30000;
    while (Date.now() < until) {
      const m = await api('GET', `/api/v1/jobs/${jobs[k].id}/metrics`);
      assert.equal(m.status, 200, m.text);
      storage = m.json.storage;
      if (storage.bytes_uploaded >= list.total_file_size_bytes) break;
      await sleep(300); // the next heartbeat brings the counters
    }
    assert.equal(storage.error, null, k);
    assert.equal(storage.snapshot_id, list.snapshot_id, k);
    assert.equal(storage.table_bytes, list.total_file_size_bytes, k);
    assert.equal(storage.table_files, list.file_count, k);
    assert.equal(storage.table_records, COUNT, k);
    assert.equal(storage.bytes_uploaded, list.total_file_size_bytes, k);
    assert.ok(storage.requests >= list.file_count, `${k}: ${storage.requests} requests`);
  }
});

test('Iceberg: the live files with partition values and the snapshots that added them', async () => {
  await api('POST', `/api/v1/jobs/${jobs.iceberg.id}/stop`);
  const all = await checkList('ifiles/tables/events', 'iceberg',
                              (id) => ({ region: REGIONS[id % 3], ts_day: dayOf(id) }));
  const snaps = (await api('GET', '/api/v1/databases/ifiles/tables/events/snapshots')).json.items;
  const ids = new Set(snaps.map((s) => s.snapshot_id));
  for (const f of all.items) {
    assert.ok(ids.has(f.added_snapshot_id), `${f.added_snapshot_id} is a snapshot`);
    assert.equal(f.spec_id, 0);
    assert.ok(f.path.startsWith(`${jobs.iceberg.destination.path.replace(/\/$/, '')}/`), f.path);
  }
  const summary = snaps.at(-1).summary;
  assert.equal(Number(summary['total-files-size']), all.total_file_size_bytes);
  assert.equal(Number(summary['total-data-files']), all.file_count);
});

test('Iceberg: year, month and hour as in partition paths, truncated strings', async () => {
  await api('POST', `/api/v1/jobs/${jobs.times.id}/stop`);
  const partitionOf = (id) => ({
    ts_year: '2026', ts_month: '2026-11', ts_hour: `${dayOf(id)}-1${id % 10}`, region_initial: REGIONS[id % 3][0],
  });
  const all = await checkList('ifiles/tables/times', 'iceberg', partitionOf);
  // Every distinct partition value has its own file(s).
  const distinct = new Set(Array.from({ length: COUNT }, (_, i) => JSON.stringify(partitionOf(i + 1))));
  assert.deepEqual(new Set(all.items.map((f) => JSON.stringify(f.partition))), distinct);
});

// A table whose current metadata file is gone: the files API and the job's
// storage figures say so instead of showing nothing.
test('an unreadable table is reported, not hidden', async () => {
  const t = (await api('GET', '/api/v1/databases/ifiles/tables/times')).json;
  const file = fileURLToPath(t.metadata_location);
  fs.renameSync(file, `${file}.away`);
  try {
    const res = await api('GET', '/api/v1/databases/ifiles/tables/times/files');
    assert.equal(res.status, 404, res.text);
    const m = (await api('GET', `/api/v1/jobs/${jobs.times.id}/metrics`)).json;
    assert.equal(m.storage.table_bytes, null);
    assert.match(m.storage.error, /metadata/);
  } finally {
    fs.renameSync(`${file}.away`, file);
  }
  const m = (await api('GET', `/api/v1/jobs/${jobs.times.id}/metrics`)).json;
  assert.equal(m.storage.error, null);
  assert.equal(m.storage.table_records, COUNT);
});

test('Paimon: the live files with partition values, buckets and levels', async () => {
  await api('POST', `/api/v1/jobs/${jobs.paimon.id}/stop`);
  const all = await checkList('pfiles/tables/events', 'paimon', (id) => ({ region: REGIONS[id % 3] }));
  for (const f of all.items) {
    assert.equal(f.added_snapshot_id, null);
    assert.equal(f.bucket, 0);
    assert.equal(f.level, 0);
    assert.match(f.path, new RegExp(`/pfiles\\.db/events/region=${f.partition.region}/bucket-0/[^/]+\\.parquet$`));
  }
});

test('bad pages and unknown tables', async () => {
  const bad = await api('GET', '/api/v1/databases/ifiles/tables/events/files?page_token=zzz');
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.json.error.field, 'page_token');
  assert.equal((await api('GET', '/api/v1/databases/ifiles/tables/events/files?page_size=0')).status, 400);
  assert.equal((await api('GET', '/api/v1/databases/ifiles/tables/nope/files')).status, 404);
  assert.equal((await api('GET', '/api/v1/databases/NoSuch/tables/events/files')).status, 404);
  // Past the end: an empty last page.
  const past = await files('ifiles/tables/events', '?page_token=p100000');
  assert.deepEqual(past.items, []);
  assert.equal(past.next_page_token, null);
});

// The job metrics' table figures are remembered per catalog pointer (the
// table's metadata_location): while no commit moves it, polls answer without
// reading the table, shown here by hiding what a read needs (Iceberg's
// current metadata file, Paimon's manifests) — the files API fails, the
// metrics still answer. A commit moves the pointer and the figures follow.
test('job metrics: the table is read once per pointer', async () => {
  const tables = { iceberg: 'ifiles/tables/events', paimon: 'pfiles/tables/events' };
  const hidden = {
    iceberg: async () => fileURLToPath((await api('GET', `/api/v1/databases/${tables.iceberg}`)).json
      .metadata_location),
    paimon: async () => `${warehouse}/wh/pfiles.db/events/manifest`,
  };
  const storageOf = async (k) => {
    const m = await api('GET', `/api/v1/jobs/${jobs[k].id}/metrics`);
    assert.equal(m.status, 200, m.text);
    const { table_bytes, table_files, table_records, snapshot_id, error } = m.json.storage;
    return { table_bytes, table_files, table_records, snapshot_id, error };
  };
  const first = {};
  for (const k of ['iceberg', 'paimon']) { // both jobs stopped by the tests above
    await waitForState(server, jobs[k].id, 'stopped');
    first[k] = await storageOf(k);
    assert.equal(first[k].error, null, k);
    assert.equal(first[k].table_records, COUNT, k);
    const path = await hidden[k]();
    fs.renameSync(path, `${path}.away`);
    try {
      const res = await api('GET', `/api/v1/databases/${tables[k]}/files`);
      assert.notEqual(res.status, 200, `${k}: the table is unreadable now`);
      for (let i = 0; i < 3; i++)
        assert.deepEqual(await storageOf(k), first[k], `${k}: poll ${i}`);
    } finally {
      fs.renameSync(`${path}.away`, path);
    }
  }
  // More messages: new commits, new pointers, new figures.
  const EXTRA = 6;
  for (const k of ['iceberg', 'paimon'])
    assert.equal((await api('POST', `/api/v1/jobs/${jobs[k].id}/start`)).status, 200);
  await broker.produce('fevents', Array.from({ length: EXTRA }, (_, i) => message(COUNT + i + 1)));
  for (const k of ['iceberg', 'paimon']) {
    await waitForRecords(tables[k], COUNT + EXTRA);
    const list = await files(tables[k]);
    const now = await storageOf(k);
    assert.deepEqual(now, { table_bytes: list.total_file_size_bytes, table_files: list.file_count,
                            table_records: COUNT + EXTRA, snapshot_id: list.snapshot_id, error: null }, k);
    assert.notEqual(now.snapshot_id, first[k].snapshot_id, k);
    assert.ok(now.table_files > first[k].table_files, k);
    assert.equal((await api('POST', `/api/v1/jobs/${jobs[k].id}/stop`)).status, 200);
  }
});
