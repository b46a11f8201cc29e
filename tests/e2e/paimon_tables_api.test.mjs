// ctest-labels: sanitize
// The table endpoints of the REST API on Paimon tables, in the shapes of the
// Iceberg ones: a table a real Paimon job wrote (file://), and the three
// fixture tables written by Paimon Java, each put where a job's table lies.
// The API reads them with our Paimon reader and our C Parquet reader: schema
// and schema history from every schema/schema-N, partition keys, snapshots
// with commitKind, record counts and lakesync.offsets, and preview rows equal
// to the produced messages and to the fixtures' documented rows (paimon-cpp's
// READMEs, see each fixture's SOURCE.txt).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readAvro } from './lib/paimon_avro.mjs';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fixtures = path.join(process.env.LAKESYNC_SHARED_DIR, 'fixtures', 'paimon');
const COUNT = 40;

let broker;
let server;
let groupId;
let job;
let dir; // the job's table directory
let flatJob; // an unpartitioned table of the same messages
let flatDir;

const oses = ['linux', 'mac', 'mac os/x=1'];
function message(i) {
  return JSON.stringify({ id: i, name: `n${i}`, os: oses[i % 3], price: `${i}.25`,
                          ts: `2026-11-${10 + (i % 5)}T08:30:0${i % 10}Z` });
}

const api = (method, p, body) => server.request(method, p, { body });

async function until(what, fn, timeoutMs = 90000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(300);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function stopJob(id) {
  assert.equal((await api('POST', `/api/v1/jobs/${id}/stop`)).status, 200);
  await until(`job ${id} to stop`, async () => (await api('GET', `/api/v1/jobs/${id}`)).json.state === 'stopped');
}

async function source(topic) {
  const res = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic, message_format: 'json',
  });
  assert.equal(res.status, 201, res.text);
  return res.json.id;
}

async function paimonDatabase(name) {
  const wh = `file://${server.dataDir}/wh-${name}`;
  const res = await api('POST', '/api/v1/databases', {
    name, catalog: 'paimon', external: true, location: `${wh}/${name}.db/`,
    properties: { 'paimon.warehouse': wh },
  });
  assert.equal(res.status, 201, res.text);
  return wh;
}

before(async () => {
  broker = await startBroker(['pev:2', 'quiet:1']);
  server = await startServer({ dataDir: tempDir('lakesync-paimon-api-'),
                               env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
  const group = await api('POST', '/api/v1/resource-groups', { name: 'papi', max_acus: 4 });
  assert.equal(group.status, 201, group.text);
  groupId = group.json.id;
  const wh = await paimonDatabase('papi');
  const pev = await source('pev');
  const flat = await api('POST', '/api/v1/jobs', {
    data_source_id: pev,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/papi.db/flat/` },
    database: 'papi', table: 'flat', parse_levels: 1,
    fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'name', name: 'name', type: 'string' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(flat.status, 201, flat.text);
  flatJob = flat.json;
  flatDir = path.join(server.dataDir, 'wh-papi', 'papi.db', 'flat');
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: pev,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/papi.db/events/` },
    database: 'papi', table: 'events', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: 'os', name: 'os', type: 'string' },
      { source: 'price', name: 'price', type: 'decimal(10,2)' },
      { source: 'ts', name: 'ts', type: 'timestamptz' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
    ],
    partition: [{ source: 'os', transform: 'identity', name: 'os' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(res.status, 201, res.text);
  job = res.json;
  dir = path.join(server.dataDir, 'wh-papi', 'papi.db', 'events');
  // Two batches, so the table has more than one snapshot.
  await broker.produce('pev', Array.from({ length: COUNT / 2 }, (_, i) => message(i + 1)));
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  assert.equal((await api('POST', `/api/v1/jobs/${flatJob.id}/start`)).status, 200);
  await until('the first batch', async () => {
    const t = await api('GET', '/api/v1/databases/papi/tables/events');
    return t.status === 200 && t.json.current_snapshot?.total_record_count >= COUNT / 2;
  });
  await broker.produce('pev', Array.from({ length: COUNT / 2 }, (_, i) => message(COUNT / 2 + i + 1)));
  await until('every row', async () => {
    const t = await api('GET', '/api/v1/databases/papi/tables/events');
    const f = await api('GET', '/api/v1/databases/papi/tables/flat');
    return t.json.current_snapshot?.total_record_count === COUNT &&
           f.json.current_snapshot?.total_record_count === COUNT;
  });
  await stopJob(job.id);
  await stopJob(flatJob.id);
});

after(async () => {
  await server?.cleanup();
  await broker?.stop();
});

test('a Paimon job\'s table: schema, partition keys and current snapshot from its files', async () => {
  const res = await api('GET', '/api/v1/databases/papi/tables/events');
  assert.equal(res.status, 200, res.text);
  const t = res.json;
  assert.equal(t.format, 'paimon');
  assert.equal(t.format_version, null);
  assert.equal(t.location, job.destination.path.replace(/\/$/, ''));
  assert.deepEqual(t.schema.fields.map((f) => [f.id, f.name, f.type, f.required]), [
    [1, 'id', 'BIGINT', false], [2, 'name', 'STRING', false], [3, 'os', 'STRING', false],
    [4, 'price', 'DECIMAL(10, 2)', false], [5, 'ts', 'TIMESTAMP(6) WITH LOCAL TIME ZONE', false],
    [6, 'kp', 'INT', false],
  ]);
  assert.equal(t.schema.schema_id, 0);
  assert.deepEqual(t.schemas, [t.schema]);
  assert.deepEqual(t.partition_keys, ['os']);
  assert.deepEqual(t.partition_spec, { spec_id: null, fields: [{ source_id: 3, field_id: null, name: 'os', transform: 'identity' }] });
  // The current snapshot is the one snapshot/LATEST names, as written.
  const latest = Number(fs.readFileSync(path.join(dir, 'snapshot', 'LATEST'), 'utf8'));
  const file = JSON.parse(fs.readFileSync(path.join(dir, 'snapshot', `snapshot-${latest}`), 'utf8'));
  const cur = t.current_snapshot;
  assert.equal(cur.snapshot_id, latest);
  assert.equal(cur.operation, 'APPEND');
  assert.equal(cur.commit_kind, 'APPEND');
  assert.equal(cur.timestamp_ms, file.timeMillis);
  assert.equal(Date.parse(cur.timestamp), file.timeMillis);
  assert.equal(cur.schema_id, 0);
  assert.equal(cur.total_record_count, COUNT);
  assert.equal(cur.summary['total-records'], String(COUNT));
  assert.equal(cur.summary['added-records'], String(file.deltaRecordCount));
  assert.equal(cur.summary['lakesync.job-id'], job.id);
  assert.deepEqual(cur.summary['lakesync.offsets'], JSON.parse(file.properties['lakesync.offsets']));
  assert.equal(cur.commit_user, file.commitUser);
  assert.equal(t.last_updated_ms, file.timeMillis);
  assert.equal(t.metadata_location, `${job.destination.path.replace(/\/$/, '')}/snapshot/snapshot-${latest}`);
});

test('snapshots: every snapshot file, consecutive ids, record counts and offsets', async () => {
  const res = await api('GET', '/api/v1/databases/papi/tables/events/snapshots');
  assert.equal(res.status, 200, res.text);
  const snaps = res.json.items;
  assert.equal(res.json.truncated, false);
  const files = fs.readdirSync(path.join(dir, 'snapshot')).filter((n) => n.startsWith('snapshot-'));
  assert.equal(snaps.length, files.length);
  assert.ok(snaps.length >= 2, `${snaps.length} snapshots`);
  let total = 0;
  snaps.forEach((s, i) => {
    assert.equal(s.snapshot_id, i + 1);
    assert.equal(s.parent_snapshot_id, i === 0 ? null : i);
    assert.equal(s.sequence_number, null);
    assert.equal(s.operation, 'APPEND');
    total += s.delta_record_count;
    assert.equal(s.total_record_count, total);
    const offsets = s.summary['lakesync.offsets'];
    assert.equal(offsets.topic, 'pev');
    assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), total);
  });
  assert.equal(total, COUNT);
});

test('preview: rows equal the produced messages, read from the partition directories', async () => {
  const res = await api('GET', '/api/v1/databases/papi/tables/events/preview?limit=1000');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.snapshot_id, Number(fs.readFileSync(path.join(dir, 'snapshot', 'LATEST'), 'utf8')));
  const rows = res.json.rows.sort((a, b) => a.id - b.id);
  assert.equal(rows.length, COUNT);
  rows.forEach((row, k) => {
    const m = JSON.parse(message(k + 1));
    assert.deepEqual(Object.keys(row).sort(), ['id', 'kp', 'name', 'os', 'price', 'ts']);
    assert.equal(row.id, m.id);
    assert.equal(row.name, m.name);
    assert.equal(row.os, m.os);
    assert.equal(row.price, m.price);
    assert.equal(Date.parse(row.ts), Date.parse(m.ts));
    assert.match(row.ts, /Z$/);
  });
  assert.equal((await api('GET', '/api/v1/databases/papi/tables/events/preview')).json.rows.length, 20);
  // The worker's files lie in Paimon's partition directories and carry the
  // schema's field ids, as DuckDB reads them.
  const files = fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.parquet'));
  assert.ok(files.length >= 2);
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  for (const f of files) {
    assert.match(f, /^os=(linux|mac|mac os%2Fx%3D1)\/bucket-0\/data-[0-9a-f-]+-\d+\.parquet$/);
    const ids = (await duck.runAndReadAll(`SELECT name, field_id FROM parquet_schema('${path.join(dir, f)}')
        WHERE name <> 'paimon_schema'`)).getRowObjectsJson();
    assert.deepEqual(ids.map((c) => [c.name, Number(c.field_id)]),
                     [['id', 1], ['name', 2], ['os', 3], ['price', 4], ['ts', 5], ['kp', 6]]);
  }
  assert.equal((await api('GET', '/api/v1/databases/papi/tables/events/preview?limit=0')).status, 400);
  assert.equal((await api('GET', '/api/v1/databases/papi/tables/nope/preview')).status, 404);
});

test('the job\'s metadata has the Java writer\'s Avro schemas and JSON fields', async () => {
  // The newest fixture (Paimon with row tracking): the layout we write.
  const ref = path.join(fixtures, 'append_unaware_unpartitioned_timestamps');
  const names = (d, list) => fs.readdirSync(path.join(d, 'manifest'))
    .filter((n) => n.startsWith('manifest-list-') === list).map((n) => path.join(d, 'manifest', n));
  for (const list of [false, true]) {
    const want = await readAvro(names(ref, list)[0]);
    const ours = names(dir, list);
    assert.ok(ours.length >= 2);
    for (const f of ours) {
      const got = await readAvro(f);
      assert.equal(got.schema, want.schema, f);
      assert.equal(got.codec, 'zstandard');
    }
  }
  const refSnap = Object.keys(JSON.parse(fs.readFileSync(path.join(ref, 'snapshot', 'snapshot-1'))));
  for (const n of fs.readdirSync(path.join(dir, 'snapshot')).filter((x) => x.startsWith('snapshot-'))) {
    const snap = JSON.parse(fs.readFileSync(path.join(dir, 'snapshot', n)));
    assert.deepEqual(Object.keys(snap), [...refSnap.slice(0, -1), 'properties', refSnap.at(-1)]);
  }
  const refSchema = JSON.parse(fs.readFileSync(path.join(ref, 'schema', 'schema-0')));
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'schema', 'schema-0')));
  assert.deepEqual(Object.keys(schema), Object.keys(refSchema));
  assert.deepEqual(schema.options, refSchema.options);
});

test('an unpartitioned job\'s table: bucket-0/ at the root, the empty partition row, every row', async () => {
  const t = (await api('GET', '/api/v1/databases/papi/tables/flat')).json;
  assert.deepEqual(t.partition_keys, []);
  assert.deepEqual(t.partition_spec.fields, []);
  const files = fs.readdirSync(flatDir, { recursive: true }).filter((f) => f.endsWith('.parquet'));
  assert.ok(files.length >= 1);
  for (const f of files) assert.match(f, /^bucket-0\/data-[0-9a-f-]+-\d+\.parquet$/);
  // _PARTITION of every entry: the empty BinaryRow, as the unpartitioned fixture's.
  const refDir = path.join(fixtures, 'append_unaware_unpartitioned_timestamps', 'manifest');
  const ref = (await readAvro(path.join(refDir, fs.readdirSync(refDir).find((n) => !n.startsWith('manifest-list-'))))).records[0];
  const manifests = fs.readdirSync(path.join(flatDir, 'manifest')).filter((n) => !n.startsWith('manifest-list-'));
  for (const m of manifests) {
    for (const e of (await readAvro(path.join(flatDir, 'manifest', m))).records) {
      assert.equal(e._PARTITION.toString('hex'), ref._PARTITION.toString('hex'));
      assert.equal(e._BUCKET, 0);
      assert.equal(e._TOTAL_BUCKETS, -1);
    }
  }
  const rows = (await api('GET', '/api/v1/databases/papi/tables/flat/preview?limit=1000')).json.rows;
  assert.deepEqual(rows.map((r) => [r.id, r.name]).sort((a, b) => a[0] - b[0]),
                   Array.from({ length: COUNT }, (_, i) => [i + 1, `n${i + 1}`]));
});

// The fixtures become tables of the catalog the way any Paimon table does:
// a job creates the table (schema-0 at its location), then the directory is
// replaced with the fixture's files while the job is stopped.
async function fixtureTables(names) {
  const wh = await paimonDatabase('pfix');
  const quiet = await source('quiet');
  const group = await api('POST', '/api/v1/resource-groups', { name: 'fixtures', max_acus: 2 * names.length });
  assert.equal(group.status, 201, group.text);
  const jobs = [];
  for (const name of names) {
    const res = await api('POST', '/api/v1/jobs', {
      data_source_id: quiet,
      destination: { type: 'user_path', format: 'paimon', path: `${wh}/pfix.db/${name}/` },
      database: 'pfix', table: name, parse_levels: 1,
      fields: [{ source: 'x', name: 'x', type: 'bigint' }],
      sync: { start: { mode: 'earliest' }, resource_group_id: group.json.id, acus: 2 },
    });
    assert.equal(res.status, 201, res.text);
    jobs.push(res.json);
    assert.equal((await api('POST', `/api/v1/jobs/${res.json.id}/start`)).status, 200);
  }
  // Each job's table and its dead-letter table.
  await until('the fixture tables', async () =>
    (await api('GET', '/api/v1/databases/pfix/tables')).json.items.length === 2 * names.length);
  for (const j of jobs) await stopJob(j.id);
  for (const name of names) {
    const target = path.join(server.dataDir, 'wh-pfix', 'pfix.db', name);
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(path.join(fixtures, name), target, { recursive: true });
  }
}

const T = (s) => `1970-01-01T00:00:${s}`;

test('fixtures written by Paimon Java read through the API with their documented rows', async () => {
  const ts = 'append_unaware_unpartitioned_timestamps';
  const evo = 'append_unaware_partitioned_schema_evolution';
  const fixed = 'append_fixed_bucket2_partitioned';
  await fixtureTables([ts, evo, fixed]);
  const get = async (name, p = '') => {
    const res = await api('GET', `/api/v1/databases/pfix/tables/${name}${p}`);
    assert.equal(res.status, 200, res.text);
    return res.json;
  };

  // Timestamps of every precision, local and with local time zone; Parquet
  // MILLIS, MICROS and INT96 columns, shown in microseconds (nanoseconds cut).
  let t = await get(ts);
  assert.deepEqual(t.schema.fields.map((f) => f.type), ['TIMESTAMP(0)', 'TIMESTAMP(3)', 'TIMESTAMP(6)',
    'TIMESTAMP(9)', 'TIMESTAMP(0) WITH LOCAL TIME ZONE', 'TIMESTAMP(3) WITH LOCAL TIME ZONE',
    'TIMESTAMP(6) WITH LOCAL TIME ZONE', 'TIMESTAMP(9) WITH LOCAL TIME ZONE']);
  assert.deepEqual(t.partition_keys, []);
  assert.equal(t.current_snapshot.snapshot_id, 1);
  assert.equal(t.current_snapshot.total_record_count, 3);
  let p = await get(ts, '/preview');
  assert.equal(p.snapshot_id, 1);
  assert.deepEqual(p.rows.map((r) => [r.ts_sec, r.ts_milli, r.ts_micro, r.ts_nano, r.ts_tz_sec, r.ts_tz_milli,
                                      r.ts_tz_micro, r.ts_tz_nano]), [
    [T('01.000000'), T('00.001000'), T('00.000001'), T('00.000000'), T('02.000000Z'), T('00.002000Z'), T('00.000002Z'), T('00.000000Z')],
    [T('03.000000'), T('00.003000'), null, T('00.000000'), T('04.000000Z'), T('00.004000Z'), T('00.000004Z'), T('00.000000Z')],
    [T('05.000000'), T('00.005000'), null, null, T('06.000000Z'), null, T('00.000006Z'), null],
  ]);

  // Schema evolution: both schema files in the history; the rows of the
  // schema-0 files are read with schema-1 by field id (b renamed c, d
  // renamed a, a and c dropped, d and e added as null).
  t = await get(evo);
  assert.deepEqual(t.schemas.map((s) => s.schema_id), [0, 1]);
  assert.deepEqual(t.schemas[0].fields.map((f) => [f.id, f.name]),
                   [[0, 'key0'], [1, 'key1'], [2, 'a'], [3, 'b'], [4, 'c'], [5, 'd'], [6, 'k']]);
  assert.equal(t.schema.schema_id, 1);
  assert.deepEqual(t.schema.fields.map((f) => [f.id, f.name]),
                   [[0, 'key0'], [1, 'key1'], [6, 'k'], [3, 'c'], [7, 'd'], [5, 'a'], [8, 'e']]);
  assert.deepEqual(t.partition_keys, ['key0', 'key1']);
  assert.deepEqual(t.partition_spec.fields.map((f) => [f.source_id, f.name]), [[0, 'key0'], [1, 'key1']]);
  const evoSnaps = (await get(evo, '/snapshots')).items;
  assert.deepEqual(evoSnaps.map((s) => [s.snapshot_id, s.schema_id, s.operation, s.delta_record_count, s.total_record_count]),
                   [[1, 0, 'APPEND', 5, 5], [2, 1, 'APPEND', 5, 10]]);
  p = await get(evo, '/preview');
  const cols = ['key0', 'key1', 'k', 'c', 'd', 'a', 'e'];
  const rows = p.rows.map((r) => cols.map((c) => r[c])).sort((a, b) => a[0] - b[0] || a[2] - b[2]);
  assert.deepEqual(rows, [
    [0, 1, 16, 13, null, 15, null], [0, 1, 26, 23, null, 25, null], [0, 1, 36, 33, null, 35, null],
    [0, 1, 66, 63, 517, 65, 618], [0, 1, 76, 73, 527, 75, 628], [0, 1, 86, 83, 537, 85, 638],
    [1, 1, 46, 43, null, 45, null], [1, 1, 56, 53, null, 55, null],
    [1, 1, 96, 93, 547, 95, 648], [1, 1, 106, 103, 557, 105, 658],
  ]);
  assert.ok(p.rows.every((r) => Object.keys(r).length === cols.length));

  // Fixed buckets and a COMPACT snapshot: the 8 live rows, not the 3 files it replaced.
  const snaps = (await get(fixed, '/snapshots')).items;
  assert.deepEqual(snaps.map((s) => s.operation), ['APPEND', 'APPEND', 'APPEND', 'COMPACT']);
  assert.equal(snaps.at(-1).total_record_count, 8);
  p = await get(fixed, '/preview?limit=100');
  assert.equal(p.snapshot_id, 4);
  assert.equal(p.rows.length, 8);
  assert.deepEqual(p.rows.map((r) => r.f1).sort(), [10, 10, 10, 10, 10, 10, 20, 20]);
  // paimon-cpp's ReadInteTest TestAppendReadWithComplexTypePredicate documents
  // the rows of snapshot 4 where f6 IS NOT NULL AND (f5 > 0 OR f3 IS NULL OR
  // f4 < Timestamp(-2240521239999 ms, 1002 ns)): the same filter over our rows
  // gives exactly them (f6 BYTES as hex, f4 TIMESTAMP(9) cut to microseconds).
  const nanos = (ts) => (BigInt(Date.parse(`${ts.slice(0, 23)}Z`)) * 1000n + BigInt(ts.slice(23, 26))) * 1000n;
  const picked = p.rows.filter((r) => r.f6 !== null &&
    (Number(r.f5) > 0 || r.f3 === null || (r.f4 !== null && nanos(r.f4) < -2240521239999n * 1000000n + 1002n)));
  assert.deepEqual(picked.map((r) => [r.f6, r.f2, r.f4, r.f3, r.f5]).sort(), [
    ['616464', 1, '2033-05-18T03:33:20.000000', '1973-05-19', '123456789987654321.45678'],
    ['636174', 1, '2033-05-18T03:33:20.000001', '2024-07-05', '12.30000'],
    ['666174', 1, '1899-01-01T00:59:20.001001', null, '0.00000'],
    ['626164', 1, '1899-01-01T00:59:20.001001', '1966-08-16', '-123456789987654321.45678'],
  ].sort());
});

test('what the preview cannot apply, and corrupt metadata, answer errors naming the problem', async () => {
  // Runs after the fixture test: the timestamps fixture is a table of pfix.
  const root = path.join(server.dataDir, 'wh-pfix', 'pfix.db', 'append_unaware_unpartitioned_timestamps');
  const url = '/api/v1/databases/pfix/tables/append_unaware_unpartitioned_timestamps';
  const schemaFile = path.join(root, 'schema', 'schema-0');
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  fs.writeFileSync(schemaFile, JSON.stringify({ ...schema, primaryKeys: ['ts_sec'] }));
  let res = await api('GET', `${url}/preview`);
  assert.equal(res.status, 422, res.text);
  assert.equal(res.json.error.message, 'the table has primary keys, whose rows the preview cannot merge');

  fs.writeFileSync(path.join(root, 'snapshot', 'snapshot-1'), '{"id": 1, ');
  for (const p of ['', '/snapshots']) {
    res = await api('GET', `${url}${p}`);
    assert.equal(res.json.error.code, 'corrupt_data', res.text);
    assert.match(res.json.error.message, /^snapshot\/snapshot-1 is not JSON/);
  }
  assert.equal((await api('GET', `${url}/preview`)).json.error.code, 'corrupt_data');
});

test('snapshots: the newest 500 when a table has more, and the stale LATEST hint is not trusted', async () => {
  // Runs after the fixture test: 503 more snapshots of the schema-evolution
  // fixture (copies of snapshot-2 with their own ids; LATEST still says 2).
  const root = path.join(server.dataDir, 'wh-pfix', 'pfix.db', 'append_unaware_partitioned_schema_evolution');
  const snap2 = JSON.parse(fs.readFileSync(path.join(root, 'snapshot', 'snapshot-2'), 'utf8'));
  for (let id = 3; id <= 505; id++)
    fs.writeFileSync(path.join(root, 'snapshot', `snapshot-${id}`), JSON.stringify({ ...snap2, id }));
  const url = '/api/v1/databases/pfix/tables/append_unaware_partitioned_schema_evolution';
  const res = await api('GET', `${url}/snapshots`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.truncated, true);
  assert.equal(res.json.items.length, 500);
  assert.deepEqual([res.json.items[0].snapshot_id, res.json.items.at(-1).snapshot_id], [6, 505]);
  assert.equal((await api('GET', url)).json.current_snapshot.snapshot_id, 505);
  assert.equal((await api('GET', `${url}/preview`)).json.snapshot_id, 505);
});

test('a schema change before the next snapshot: the newest schema file is current, as in Paimon', async () => {
  // What the committer writes when a job evolves: schema-N+1 with one more
  // field, before any snapshot uses it (SchemaManager#latest is the table's
  // schema; the snapshot keeps the schema its files were written with).
  const before = (await api('GET', '/api/v1/databases/papi/tables/flat')).json;
  const newest = before.schemas.at(-1).schema_id;
  const last = JSON.parse(fs.readFileSync(path.join(flatDir, 'schema', `schema-${newest}`), 'utf8'));
  const timeMillis = Date.now() + 60000; // newer than any snapshot of the table
  const next = { ...last, id: newest + 1, highestFieldId: last.highestFieldId + 1, timeMillis,
                 fields: [...last.fields, { id: last.highestFieldId + 1, name: 'coupon', type: 'STRING' }] };
  fs.writeFileSync(path.join(flatDir, 'schema', `schema-${newest + 1}`), JSON.stringify(next));
  const t = (await api('GET', '/api/v1/databases/papi/tables/flat')).json;
  assert.equal(t.schema.schema_id, newest + 1);
  assert.equal(t.schema.fields.at(-1).name, 'coupon');
  assert.deepEqual(t.schemas.map((s) => s.schema_id), [...before.schemas.map((s) => s.schema_id), newest + 1]);
  assert.equal(t.current_snapshot.schema_id, before.current_snapshot.schema_id);
  assert.equal(t.last_updated_ms, timeMillis);
});
