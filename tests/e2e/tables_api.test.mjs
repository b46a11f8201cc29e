// ctest-labels: sanitize
// The table endpoints of the REST API and the Iceberg REST catalog, on a
// table a real job wrote: `lakesync serve` runs a worker that reads the test
// broker and commits snapshots; the API then shows the table's schema (ids
// and types), its snapshots with their Kafka offsets, and a preview whose
// rows equal the produced messages, read by our C Parquet reader. iceberg-js
// lists namespaces and loads the table through /iceberg/v1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IcebergRestCatalog, IcebergError } from 'iceberg-js';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { startS3rver } from './lib/s3rver.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const COUNT = 30;

let broker;
let server;
let job;
let s3;

function message(i) {
  return JSON.stringify({ id: i, name: `n${i}`, score: i / 4, price: `${i}.25`, ok: i % 2 === 0,
                          ts: `2026-11-${20 + (i % 3)}T10:00:0${i % 10}Z`,
                          day: `1969-12-${21 + (i % 10)}` });
}

const api = (method, path, body) => server.request(method, path, { body });

// Waits until the table's current snapshot holds want rows.
async function waitForRows(want, timeoutMs = 90000, table = 'tapi/tables/events') {
  const until = Date.now() + timeoutMs;
  let total = 0;
  while (Date.now() < until) {
    const res = await api('GET', `/api/v1/databases/${table}`);
    total = Number(res.json?.current_snapshot?.summary?.['total-records'] ?? 0);
    if (total >= want) return;
    await sleep(500);
  }
  assert.fail(`table has ${total} rows, expected ${want}`);
}

before(async () => {
  broker = await startBroker(['events:2']);
  s3 = await startS3rver({ buckets: ['lake'] });
  server = await startServer({ dataDir: tempDir('lakesync-tables-'),
                               env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000', AWS_ACCESS_KEY_ID: '',
                                      AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL: '' } });
  const groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const source = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'events', message_format: 'json',
  });
  assert.equal(source.status, 201, source.text);
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: source.json.id,
    destination: { type: 'managed', format: 'iceberg' },
    database: 'tapi', table: 'events', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: 'score', name: 'score', type: 'double' },
      { source: 'price', name: 'price', type: 'decimal(10,2)' },
      { source: 'ok', name: 'ok', type: 'boolean' },
      { source: 'ts', name: 'ts', type: 'timestamptz' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: 'day', name: 'day', type: 'date' },
    ],
    partition: [{ source: 'ts', transform: 'day', name: 'ts_day' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(res.status, 201, res.text);
  job = res.json;
  await broker.produce('events', Array.from({ length: COUNT }, (_, i) => message(i + 1)));
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitForRows(COUNT);
  await api('POST', `/api/v1/jobs/${job.id}/stop`);
});

after(async () => {
  await server?.cleanup();
  await broker?.stop();
  await s3?.stop();
});

test('tables list, table schema and partition spec', async () => {
  const list = await api('GET', '/api/v1/databases/tapi/tables');
  assert.equal(list.status, 200, list.text);
  // The job's dead-letter table is a table like any other.
  assert.deepEqual(list.json.items.map((t) => [t.name, t.format]),
                   [['events', 'iceberg'], ['events__dlq', 'iceberg']]);
  assert.equal(list.json.next_page_token, null);
  assert.equal((await api('GET', '/api/v1/databases/nosuchdb/tables')).status, 404);

  const res = await api('GET', '/api/v1/databases/tapi/tables/events');
  assert.equal(res.status, 200, res.text);
  const t = res.json;
  assert.equal(t.format, 'iceberg');
  assert.equal(t.format_version, 2);
  assert.equal(t.location, job.destination.path.replace(/\/$/, ''));
  assert.match(t.metadata_location, /\/metadata\/v\d+\.metadata\.json$/);
  assert.deepEqual(t.schema.fields.map((f) => [f.id, f.name, f.type]), [
    [1, 'id', 'long'], [2, 'name', 'string'], [3, 'score', 'double'],
    [4, 'price', 'decimal(10, 2)'], [5, 'ok', 'boolean'], [6, 'ts', 'timestamptz'], [7, 'kp', 'int'],
    [8, 'day', 'date'],
  ]);
  assert.deepEqual(t.schemas.map((s) => s.schema_id), [t.schema.schema_id]);
  assert.deepEqual(t.partition_spec.fields.map((f) => [f.source_id, f.name, f.transform]),
                   [[6, 'ts_day', 'day']]);
  assert.equal(Number(t.current_snapshot.summary['total-records']), COUNT);
  assert.equal((await api('GET', '/api/v1/databases/tapi/tables/nope')).status, 404);
});

test('snapshots carry their Kafka offsets as an object', async () => {
  const res = await api('GET', '/api/v1/databases/tapi/tables/events/snapshots');
  assert.equal(res.status, 200, res.text);
  const snaps = res.json.items;
  assert.ok(snaps.length >= 1);
  for (let i = 1; i < snaps.length; i++) {
    assert.equal(snaps[i].parent_snapshot_id, snaps[i - 1].snapshot_id);
    assert.equal(snaps[i].sequence_number, snaps[i - 1].sequence_number + 1);
  }
  const last = snaps.at(-1);
  assert.equal(last.operation, 'append');
  assert.ok(!Number.isNaN(Date.parse(last.timestamp)));
  const offsets = last.summary['lakesync.offsets'];
  assert.equal(typeof offsets, 'object');
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), COUNT);
  assert.equal(last.summary['lakesync.job-id'], job.id);
  const table = (await api('GET', '/api/v1/databases/tapi/tables/events')).json;
  assert.equal(table.current_snapshot.snapshot_id, last.snapshot_id);
});

test('preview rows equal the produced values', async () => {
  const res = await api('GET', '/api/v1/databases/tapi/tables/events/preview?limit=1000');
  assert.equal(res.status, 200, res.text);
  const rows = res.json.rows.sort((a, b) => a.id - b.id);
  assert.equal(rows.length, COUNT);
  rows.forEach((row, k) => {
    const i = k + 1;
    const m = JSON.parse(message(i));
    assert.deepEqual(Object.keys(row).sort(), ['day', 'id', 'kp', 'name', 'ok', 'price', 'score', 'ts']);
    assert.equal(row.id, i);
    assert.equal(row.name, m.name);
    assert.equal(row.score, m.score);
    assert.equal(row.price, m.price);
    assert.equal(row.ok, m.ok);
    assert.match(row.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(Date.parse(row.ts), Date.parse(m.ts));
    assert.ok(row.kp === 0 || row.kp === 1);
    assert.equal(row.day, m.day);
  });
  const dflt = await api('GET', '/api/v1/databases/tapi/tables/events/preview');
  assert.equal(dflt.json.rows.length, 20);
  const five = await api('GET', '/api/v1/databases/tapi/tables/events/preview?limit=5');
  assert.equal(five.json.rows.length, 5);
  for (const bad of ['0', '1001', 'x'])
    assert.equal((await api('GET', `/api/v1/databases/tapi/tables/events/preview?limit=${bad}`)).status, 400);
});

test('iceberg-js lists namespaces and loads the table from /iceberg/v1', async () => {
  const catalog = new IcebergRestCatalog({
    baseUrl: `${server.url}/iceberg`, auth: { type: 'bearer', token: server.adminToken },
  });
  const namespaces = await catalog.listNamespaces();
  assert.ok(namespaces.some((n) => n.namespace.join('.') === 'tapi'), JSON.stringify(namespaces));
  const tables = await catalog.listTables({ namespace: ['tapi'] });
  assert.deepEqual(tables.map((t) => t.name), ['events', 'events__dlq']);
  const md = await catalog.loadTable({ namespace: ['tapi'], name: 'events' });
  assert.equal(md['format-version'], 2);
  assert.equal(md.location, job.destination.path.replace(/\/$/, ''));
  const schema = md.schemas.find((s) => s['schema-id'] === md['current-schema-id']);
  assert.deepEqual(schema.fields.map((f) => f.name), ['id', 'name', 'score', 'price', 'ok', 'ts', 'kp', 'day']);
  assert.ok(md.snapshots.length >= 1);
  assert.equal(await catalog.tableExists({ namespace: ['tapi'], name: 'events' }), true);
  assert.equal(await catalog.tableExists({ namespace: ['tapi'], name: 'nope' }), false);
  assert.equal(await catalog.namespaceExists({ namespace: ['tapi'] }), true);
  await assert.rejects(catalog.loadTable({ namespace: ['tapi'], name: 'nope' }),
                       (e) => e instanceof IcebergError && e.status === 404);

  await catalog.createNamespace({ namespace: ['made_by_rest'] }, { properties: { owner: 'e2e' } });
  const loaded = await catalog.loadNamespaceMetadata({ namespace: ['made_by_rest'] });
  assert.equal(loaded.properties.owner, 'e2e');
  const db = await api('GET', '/api/v1/databases/made_by_rest');
  assert.equal(db.status, 200);
  assert.equal(db.json.catalog, 'iceberg');
});

test('REST catalog over plain fetch: config, errors, HEAD, tokens', async () => {
  const auth = { authorization: `Bearer ${server.adminToken}` };
  const base = `${server.url}/iceberg/v1`;
  let res = await fetch(`${base}/config`, { headers: auth });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { defaults: {}, overrides: {} });

  res = await fetch(`${base}/namespaces/tapi/tables/missing`, { headers: auth });
  assert.equal(res.status, 404);
  const body = await res.json();
  assert.equal(body.error.code, 404);
  assert.equal(body.error.type, 'NoSuchTableException');
  assert.equal(typeof body.error.message, 'string');

  res = await fetch(`${base}/namespaces/nosuchns/tables/events`, { headers: auth });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.type, 'NoSuchNamespaceException');

  res = await fetch(`${base}/namespaces/tapi/tables/events`, { method: 'HEAD', headers: auth });
  assert.equal(res.status, 204);
  res = await fetch(`${base}/namespaces/tapi/tables/missing`, { method: 'HEAD', headers: auth });
  assert.equal(res.status, 404);

  res = await fetch(`${base}/namespaces`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ namespace: ['tapi'] }),
  });
  assert.equal(res.status, 409);
  assert.equal((await res.json()).error.type, 'AlreadyExistsException');

  res = await fetch(`${base}/namespaces`);
  assert.equal(res.status, 401);
  assert.deepEqual((await res.json()).error.type, 'NotAuthorizedException');
  res = await fetch(`${base}/nothing/here`, { headers: auth });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, 404);

  res = await fetch(`${base}/namespaces/tapi/tables/events`, { headers: auth });
  const load = await res.json();
  assert.equal(res.status, 200);
  const table = (await api('GET', '/api/v1/databases/tapi/tables/events')).json;
  assert.equal(load['metadata-location'], table.metadata_location);
  assert.deepEqual(load.config, {});
});

test('Paimon tables are listed and read through /api/v1; the REST catalog does not show them', async () => {
  const wh = `file://${server.dataDir}/paimon-wh`;
  const db = await api('POST', '/api/v1/databases', {
    name: 'pdb', catalog: 'paimon', external: true, location: `${wh}/pdb.db/`,
    properties: { 'paimon.warehouse': wh },
  });
  assert.equal(db.status, 201, db.text);
  const created = await api('POST', '/api/v1/jobs', {
    data_source_id: job.data_source_id,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/pdb.db/events/` },
    database: 'pdb', table: 'events', parse_levels: 1,
    fields: [{ source: 'id', name: 'id', type: 'bigint' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: job.sync.resource_group_id, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal((await api('POST', `/api/v1/jobs/${created.json.id}/start`)).status, 200);
  let items = [];
  for (let i = 0; i < 100 && items.length < 2; i++) {
    items = (await api('GET', '/api/v1/databases/pdb/tables')).json.items;
    if (items.length < 2) await sleep(200);
  }
  await api('POST', `/api/v1/jobs/${created.json.id}/stop`);
  assert.deepEqual(items.map((t) => [t.name, t.format]), [['events', 'paimon'], ['events__dlq', 'paimon']]);
  // The shapes of the Iceberg endpoints (paimon_tables_api tests the contents).
  const t = await api('GET', '/api/v1/databases/pdb/tables/events');
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.format, 'paimon');
  assert.deepEqual(t.json.schema.fields.map((f) => [f.id, f.name, f.type]), [[1, 'id', 'BIGINT']]);
  assert.ok(Array.isArray((await api('GET', '/api/v1/databases/pdb/tables/events/snapshots')).json.items));
  assert.ok(Array.isArray((await api('GET', '/api/v1/databases/pdb/tables/events/preview')).json.rows));
  const res = await fetch(`${server.url}/iceberg/v1/namespaces/pdb/tables`,
                          { headers: { authorization: `Bearer ${server.adminToken}` } });
  assert.equal(res.status, 404);
});

test('a table on S3 is read with its job\'s own destination credentials', async () => {
  // The server has no AWS_* environment: only the job's settings reach s3rver.
  const created = await api('POST', '/api/v1/jobs', {
    data_source_id: job.data_source_id,
    destination: { type: 'user_path', format: 'iceberg', path: 's3://lake/wh/s3db/events/',
                   endpoint: s3.endpoint, region: 'us-east-1', path_style: true,
                   access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey },
    database: 's3db', table: 'events', parse_levels: 1,
    // score is mapped: left to schema evolution it would take the type of
    // the first message read, and i / 4 is written "1", "2"... for every
    // fourth message; read first (which depends on kcat's partitioner and
    // on the partition fetched first), one made score bigint and the other
    // 23 messages type conflicts, dead letters (seen: "7 rows, expected 30").
    fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'name', name: 'name', type: 'string' },
             { source: 'score', name: 'score', type: 'double' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: job.sync.resource_group_id, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal((await api('POST', `/api/v1/jobs/${created.json.id}/start`)).status, 200);
  await waitForRows(COUNT, 90000, 's3db/tables/events');
  await api('POST', `/api/v1/jobs/${created.json.id}/stop`);
  const t = (await api('GET', '/api/v1/databases/s3db/tables/events')).json;
  assert.equal(t.location, 's3://lake/wh/s3db/events');
  const res = await api('GET', '/api/v1/databases/s3db/tables/events/preview?limit=1000');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.rows.map((r) => [r.id, r.name]).sort((a, b) => a[0] - b[0]),
                   Array.from({ length: COUNT }, (_, i) => [i + 1, `n${i + 1}`]));
  const load = await fetch(`${server.url}/iceberg/v1/namespaces/s3db/tables/events`,
                           { headers: { authorization: `Bearer ${server.adminToken}` } });
  assert.equal(load.status, 200);
  assert.equal((await load.json()).metadata.location, 's3://lake/wh/s3db/events');
});
