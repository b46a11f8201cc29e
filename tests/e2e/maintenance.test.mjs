// ctest-labels: sanitize
// Table maintenance on a table a real job writes every second: compaction
// (POST .../maintenance) brings the files per partition under a bound while
// ingestion continues; icebird (through the metadata) and DuckDB (on the live
// files found with avsc, an independent Avro reader) return exactly the
// produced messages, the same rows before and after; expiration leaves on
// disk only the files the current snapshot holds; the figures show in GET
// .../maintenance, /metrics and the job's events. Prints the file counts and
// read times before and after.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import avro from 'avsc';
import { longType } from './lib/avro_long.mjs';
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { readTable } from './lib/iceberg_read.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' };
// LAKESYNC_MAINTENANCE_INGEST_S=60 ingests longer (for the figures; CI: 6 s).
const INGEST_S = Number(process.env.LAKESYNC_MAINTENANCE_INGEST_S || 6);
const BOUND = 2; // live files per partition after compaction (+ what commits add meanwhile)

let broker;
let server;
let job;
let produced = 0;

function readAvro(file) {
  return new Promise((resolve, reject) => {
    const records = [];
    avro.createFileDecoder(file, {
      parseHook: (s) => avro.Type.forSchema(s, { registry: { long: longType } }),
      codecs: { null: (b, cb) => cb(null, b), deflate: (b, cb) => zlib.inflateRaw(b, cb) },
    })
      .on('data', (r) => records.push(r))
      .on('end', () => resolve(records))
      .on('error', reject);
  });
}

const local = (uri) => uri.replace(/^file:\/\//, '');
const tableDir = () => local(job.destination.path.replace(/\/$/, ''));

function currentMetadata() {
  const hint = fs.readFileSync(path.join(tableDir(), 'metadata/version-hint.text'), 'utf8').trim();
  return JSON.parse(fs.readFileSync(path.join(tableDir(), `metadata/v${hint}.metadata.json`), 'utf8'));
}

// The live data files of the current snapshot, read with avsc.
async function liveFiles() {
  const md = currentMetadata();
  const snap = md.snapshots.find((s) => s.snapshot_id === md['current-snapshot-id'] ||
                                        s['snapshot-id'] === md['current-snapshot-id']);
  const files = [];
  for (const m of await readAvro(local(snap['manifest-list']))) {
    for (const e of await readAvro(local(m.manifest_path))) {
      if (e.status !== 2) files.push({ path: local(e.data_file.file_path), grp: e.data_file.partition.grp });
    }
  }
  return { md, files };
}

function perPartition(files) {
  const counts = {};
  for (const f of files) counts[f.grp] = (counts[f.grp] || 0) + 1;
  return counts;
}

function allDataFiles(dir = path.join(tableDir(), 'data')) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? allDataFiles(path.join(dir, d.name)) : [path.join(dir, d.name)]);
}

const key = (r) => `${r.kp}/${r.ko}`;
const canon = (rows) => rows.map((r) => `${key(r)}:${r.id}:${r.grp}`).sort();

async function readIcebird() {
  const t0 = performance.now();
  const { rows } = await readTable(job.destination.path.replace(/\/$/, ''));
  return { rows: rows.map((r) => ({ id: Number(r.id), grp: r.grp, kp: Number(r.kp), ko: Number(r.ko) })),
           ms: performance.now() - t0 };
}

async function readDuckdb(files) {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
  const conn = await db.connect();
  const list = files.map((f) => `'${f.path}'`).join(',');
  const t0 = performance.now();
  const rows = (await conn.runAndReadAll(
    `SELECT id::BIGINT AS id, grp, kp::INT AS kp, ko::BIGINT AS ko FROM read_parquet([${list}])`)).getRowObjectsJson();
  const ms = performance.now() - t0;
  conn.closeSync();
  return { rows: rows.map((r) => ({ id: Number(r.id), grp: r.grp, kp: Number(r.kp), ko: Number(r.ko) })), ms };
}

function assertExactlyProduced(rows, n) {
  assert.equal(new Set(rows.map(key)).size, rows.length, 'a (partition, offset) appears twice');
  assert.deepEqual(rows.map((r) => r.id).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
}

async function produceBatch(count) {
  const lines = [];
  for (let i = 0; i < count; i++, produced++)
    lines.push(JSON.stringify({ id: produced, grp: produced % 2 ? 'a' : 'b', name: `n${produced}` }));
  await broker.produce('events', lines);
}

// Produces a batch every 250 ms until stop() is called (at the latest after
// the test, so a failed test does not go on producing into the next ones).
const producers = new Set();
function produceContinuously() {
  let running = true;
  const done = (async () => { while (running) { await produceBatch(20); await sleep(250); } })();
  const stop = async () => { running = false; producers.delete(stop); await done; };
  producers.add(stop);
  return stop;
}
afterEach(async () => {
  for (const stop of [...producers]) await stop();
});

async function waitForRows(n, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  let rows = [];
  while (Date.now() < until) {
    try { ({ rows } = await readIcebird()); } catch { rows = []; }
    if (rows.length >= n) return rows;
    await sleep(300);
  }
  const state = (await server.request('GET', `/api/v1/jobs/${job.id}`)).json;
  const log = server.stderr().split('\n').filter((l) => !/debug +(http|kafka)/.test(l)).slice(-60);
  assert.fail(`table has ${rows.length} rows, expected ${n}; the job is ${state?.state} ` +
              `(${state?.state_reason ?? ''}); the server's last lines:\n${log.join('\n')}`);
}

const api = (method, p, body) => server.request(method, p, { body });
const maintenancePath = () => `/api/v1/databases/maint/tables/events/maintenance`;

before(async () => {
  broker = await startBroker(['events:2']);
  server = await startServer({ env });
  const group = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const source = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'events', message_format: 'json' });
  assert.equal(source.status, 201, source.text);
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: source.json.id,
    destination: { type: 'managed', format: 'iceberg' },
    database: 'maint', table: 'events', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'grp', name: 'grp', type: 'string' },
      { source: 'name', name: 'name', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    partition: [{ source: 'grp', transform: 'identity', name: 'grp' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: group, acus: 2 },
    // Scheduled runs off: this test runs maintenance itself, at known times.
    advanced: { commit_interval_s: 1, maintenance: {
      enabled: false, min_input_files: 3, snapshot_retention: { max_age_s: 0, min_keep: 1 } } },
  });
  assert.equal(res.status, 201, res.text);
  job = res.json;
});

after(async () => {
  await server.cleanup();
  await broker.stop();
});

test('settings are validated naming the field', async () => {
  const res = await api('PATCH', `/api/v1/jobs/${job.id}`, {
    advanced: { commit_interval_s: 1, maintenance: { orphan_age_s: 5 } } });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.error.field, 'advanced.maintenance.orphan_age_s');
});

test('compaction under ingestion, same rows for icebird and DuckDB, expired files gone', async () => {
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  let stop = produceContinuously();
  await waitForRows(1);
  // A 1 s commit of small files per partition each second. Ingest for
  // INGEST_S, and on until some partition has more small files than
  // compaction leaves: a slow (ASan, loaded) box commits less often, and the
  // count, not the time, is what the comparison below needs.
  const ingestUntil = Date.now() + INGEST_S * 1000;
  const manyFiles = async () => {
    try {
      return Math.max(0, ...Object.values(perPartition((await liveFiles()).files))) > BOUND + 2;
    } catch {
      return false; // a metadata file replaced while read: look again
    }
  };
  const giveUp = ingestUntil + 120000;
  while (Date.now() < ingestUntil || !(await manyFiles())) {
    assert.ok(Date.now() < giveUp, `no partition reached ${BOUND + 3} small files`);
    await sleep(300);
  }
  await stop();
  await waitForRows(produced);

  // Before: many small files per partition.
  const before = await liveFiles();
  const beforeCounts = perPartition(before.files);
  const iceBefore = await readIcebird();
  const duckBefore = await readDuckdb(before.files);
  assertExactlyProduced(iceBefore.rows, produced);
  assert.deepEqual(canon(duckBefore.rows), canon(iceBefore.rows));
  assert.ok(Math.max(...Object.values(beforeCounts)) > BOUND + 2, JSON.stringify(beforeCounts));

  // Compaction while ingestion continues.
  stop = produceContinuously();
  await sleep(1500);
  const run = await api('POST', maintenancePath());
  assert.equal(run.status, 200, run.text);
  const r = run.json.result;
  assert.ok(r.files_rewritten >= before.files.length - 2, JSON.stringify(r));
  assert.ok(r.max_partition_files_after <= BOUND + 2, JSON.stringify(r));
  assert.ok(r.replace_snapshot_id > 0);
  await sleep(1500);
  await stop();
  await waitForRows(produced);

  // Ingestion went on from the same offsets: every message exactly once.
  const during = await readIcebird();
  assertExactlyProduced(during.rows, produced);

  // A quiet run: compaction of the tail, expiration of all but the current
  // snapshot, and the same rows for both readers as right before it.
  const rowsBefore = canon(during.rows);
  const run2 = await api('POST', maintenancePath());
  assert.equal(run2.status, 200, run2.text);
  const afterFiles = await liveFiles();
  const afterCounts = perPartition(afterFiles.files);
  for (const n of Object.values(afterCounts)) assert.ok(n <= BOUND, JSON.stringify(afterCounts));
  const iceAfter = await readIcebird();
  const duckAfter = await readDuckdb(afterFiles.files);
  assert.deepEqual(canon(iceAfter.rows), rowsBefore);
  assert.deepEqual(canon(duckAfter.rows), rowsBefore);
  assertExactlyProduced(iceAfter.rows, produced);

  // Expired snapshots' files are gone: on disk only the current snapshot's
  // data files remain, and only its manifest list.
  assert.equal(afterFiles.md.snapshots.length, 1);
  assert.ok(run2.json.result.snapshots_expired > 0);
  assert.deepEqual(allDataFiles().sort(), afterFiles.files.map((f) => f.path).sort());
  const lists = fs.readdirSync(path.join(tableDir(), 'metadata')).filter((n) => n.startsWith('snap-'));
  assert.deepEqual(lists.map((n) => path.join(tableDir(), 'metadata', n)),
                   [local(afterFiles.md.snapshots[0]['manifest-list'])]);
  // The offsets survive: the job goes on exactly once.
  stop = produceContinuously();
  await sleep(1500);
  await stop();
  assertExactlyProduced(await waitForRows(produced), produced);

  // Figures: the API, /metrics and the job's events.
  const state = await api('GET', maintenancePath());
  assert.equal(state.status, 200, state.text);
  assert.equal(state.json.runs, 2);
  assert.equal(state.json.settings.enabled, false);
  assert.ok(state.json.totals.files_rewritten >= r.files_rewritten);
  const metrics = await api('GET', '/metrics');
  assert.match(metrics.text, /lakesync_table_maintenance_files_rewritten_total\{database="maint",table="events"\} [1-9]/);
  const events = await api('GET', `/api/v1/jobs/${job.id}/events`);
  assert.ok(events.json.items.some((e) => e.kind === 'maintenance'), events.text);

  console.log(`maintenance: live data files ${before.files.length} -> ${afterFiles.files.length}, ` +
              `per partition ${JSON.stringify(beforeCounts)} -> ${JSON.stringify(afterCounts)}, ` +
              `icebird read ${iceBefore.ms.toFixed(0)} ms -> ` +
              `${iceAfter.ms.toFixed(0)} ms, DuckDB ${duckBefore.ms.toFixed(0)} ms -> ${duckAfter.ms.toFixed(0)} ms ` +
              `(${produced} rows)`);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
});

test('the scheduler compacts a table on its own at the job\'s interval', async () => {
  const group = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const sources = (await api('GET', '/api/v1/data-sources')).json.items;
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sources[0].id,
    destination: { type: 'managed', format: 'iceberg' },
    database: 'maint', table: 'auto', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    sync: { start: { mode: 'earliest' }, resource_group_id: group, acus: 2 },
    advanced: { commit_interval_s: 1, maintenance: { interval_s: 2, min_input_files: 3 } },
  });
  assert.equal(res.status, 201, res.text);
  const auto = res.json;
  assert.equal((await api('POST', `/api/v1/jobs/${auto.id}/start`)).status, 200);
  const stop = produceContinuously();
  const statePath = '/api/v1/databases/maint/tables/auto/maintenance';
  const until = Date.now() + 30000;
  let state;
  while (Date.now() < until) {
    state = (await api('GET', statePath)).json;
    if (state && state.totals && state.totals.files_rewritten > 0) break;
    await sleep(500);
  }
  await stop();
  assert.ok(state.totals.files_rewritten > 0, JSON.stringify(state));
  assert.ok(state.runs >= 1 && state.failures === 0, JSON.stringify(state));
  assert.equal(state.settings.interval_s, 2);
  // Every message of the topic exactly once in this table too. Read before
  // the stop: a stop commits what the worker has read, and the last batch
  // may still be on its way to it.
  const url = auto.destination.path.replace(/\/$/, '');
  const deadline = Date.now() + 30000;
  let rows = [];
  while (Date.now() < deadline) {
    ({ rows } = await readTable(url));
    if (rows.length >= produced) break;
    await sleep(300);
  }
  assertExactlyProduced(rows.map((r) => ({ id: Number(r.id), kp: Number(r.kp), ko: Number(r.ko) })), produced);
  assert.equal((await api('POST', `/api/v1/jobs/${auto.id}/stop`)).status, 200);
});

// The live files of a Paimon table as our paimon_ls tool lists them.
function paimonLs(dir) {
  return JSON.parse(execFileSync(path.join(process.env.LAKESYNC_BUILD_DIR, 'paimon_ls'), [dir],
                                 { encoding: 'utf8' }));
}

test('a Paimon table compacts into a COMPACT snapshot with the same rows and expires the rest', async () => {
  const warehouse = tempDir('lakesync-maint-paimon-');
  const wh = `file://${warehouse}/wh`;
  const db = await api('POST', '/api/v1/databases', {
    name: 'pmaint', catalog: 'paimon', external: true, location: `${wh}/pmaint.db/`,
    properties: { 'paimon.warehouse': wh } });
  assert.equal(db.status, 201, db.text);
  const group = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const sources = (await api('GET', '/api/v1/data-sources')).json.items;
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sources[0].id,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/pmaint.db/events/` },
    database: 'pmaint', table: 'events', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'grp', name: 'grp', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    partition: [{ source: 'grp', transform: 'identity', name: 'grp' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: group, acus: 2 },
    advanced: { commit_interval_s: 1, maintenance: {
      enabled: false, min_input_files: 3, snapshot_retention: { max_age_s: 0, min_keep: 1 } } },
  });
  assert.equal(res.status, 201, res.text);
  const pjob = res.json;
  const dir = path.join(warehouse, 'wh', 'pmaint.db', 'events');
  const readRows = async () => {
    let table;
    try { table = paimonLs(dir); } catch { return { table: null, rows: [] }; }
    if (!table.files.length) return { table, rows: [] };
    const files = table.files.map((f) => `'${path.join(dir, f.path)}'`);
    const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll(`SELECT id::BIGINT AS id, grp, kp::INT AS kp, ko::BIGINT AS ko
      FROM read_parquet([${files.join(', ')}], hive_partitioning = false)`)).getRowObjectsJson();
    conn.closeSync();
    return { table, rows: rows.map((r) => ({ id: Number(r.id), grp: r.grp, kp: Number(r.kp), ko: Number(r.ko) })) };
  };
  const waitFor = async (n) => {
    const until = Date.now() + 30000;
    let got = { rows: [] };
    while (Date.now() < until) {
      got = await readRows();
      if (got.rows.length >= n) return got;
      await sleep(300);
    }
    assert.fail(`the Paimon table has ${got.rows.length} rows, expected ${n}`);
  };
  assert.equal((await api('POST', `/api/v1/jobs/${pjob.id}/start`)).status, 200);
  await waitFor(produced); // the topic so far
  let stop = produceContinuously();
  // Ingest for 4 s, and on until a partition has min_input_files (3) files
  // for compaction to take: a slow (ASan, loaded) box commits less often.
  const ingestUntil = Date.now() + 4000;
  const giveUp = ingestUntil + 120000;
  const compactable = () => {
    try {
      const counts = {};
      for (const f of paimonLs(dir).files) counts[f.partition?.grp] = (counts[f.partition?.grp] || 0) + 1;
      return Math.max(0, ...Object.values(counts)) >= 3;
    } catch {
      return false; // a snapshot being written: look again
    }
  };
  while (Date.now() < ingestUntil || !compactable()) {
    assert.ok(Date.now() < giveUp, 'no partition of the Paimon table reached 3 files');
    await sleep(300);
  }
  const before = await readRows();
  const run = await api('POST', '/api/v1/databases/pmaint/tables/events/maintenance');
  assert.equal(run.status, 200, run.text);
  assert.ok(run.json.result.files_rewritten >= 3, run.text);
  await sleep(1000);
  await stop();
  const after = await waitFor(produced);
  assertExactlyProduced(after.rows, produced);
  const compactId = run.json.result.replace_snapshot_id;
  assert.ok(compactId > 0, run.text);
  assert.ok(run.json.result.snapshots_expired > 0, run.text); // all but the latest went
  // The COMPACT snapshot is the latest right after the run (appends may
  // follow): the snapshots API shows it while it is kept.
  const snaps = (await api('GET', '/api/v1/databases/pmaint/tables/events/snapshots')).json.items;
  const compact = snaps.find((x) => x.snapshot_id === compactId);
  if (compact) {
    assert.equal(compact.commit_kind, 'COMPACT');
    assert.equal(compact.delta_record_count, 0);
  }

  // A quiet run: compaction of the tail and expiration of all but the latest
  // snapshot; on disk only the latest snapshot's data files remain.
  const run2 = await api('POST', '/api/v1/databases/pmaint/tables/events/maintenance');
  assert.equal(run2.status, 200, run2.text);
  const last = await readRows();
  assertExactlyProduced(last.rows, produced);
  const snapshotFiles = fs.readdirSync(path.join(dir, 'snapshot')).filter((n) => n.startsWith('snapshot-'));
  assert.equal(snapshotFiles.length, 1, snapshotFiles.join());
  const latest = JSON.parse(fs.readFileSync(path.join(dir, 'snapshot', snapshotFiles[0]), 'utf8'));
  assert.equal(fs.readFileSync(path.join(dir, 'snapshot', 'EARLIEST'), 'utf8'), String(latest.id));
  const onDisk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? onDisk(path.join(d, e.name)) : [path.join(d, e.name)]);
  const dataOnDisk = fs.readdirSync(dir).filter((n) => n.startsWith('grp='))
    .flatMap((n) => onDisk(path.join(dir, n))).sort();
  assert.deepEqual(dataOnDisk, last.table.files.map((f) => path.join(dir, f.path)).sort());
  assert.ok(last.table.files.length < before.table.files.length,
            `${before.table.files.length} -> ${last.table.files.length} files`);
  assert.equal((await api('POST', `/api/v1/jobs/${pjob.id}/stop`)).status, 200);
  console.log(`maintenance (Paimon): live files ${before.table.files.length} -> ${last.table.files.length}`);
  fs.rmSync(warehouse, { recursive: true, force: true });
});

test('run-now on an unknown table answers 404', async () => {
  const res = await api('POST', '/api/v1/databases/maint/tables/nope/maintenance');
  assert.equal(res.status, 404, res.text);
});
