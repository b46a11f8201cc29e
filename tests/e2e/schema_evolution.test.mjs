// ctest-labels: sanitize
// Automatic schema evolution end to end: a job with add_and_widen reads a
// topic mixing valid, invalid and evolving messages. Proves: every valid row
// lands in the table (read with icebird, by field id: rows written before a
// column existed read null there); the table gained the new columns and the
// widened type as new schemas; the job's fields show them; each change is a
// schema_changed event; records no change fits are rejected as type_conflict;
// the job never stops. A Paimon job (the default policy, add_columns) gets
// schema/schema-1 as Paimon writes it, each data file its schema's id, and a
// field it leaves out on purpose (advanced.ignored_sources) never comes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { readTable } from './lib/iceberg_read.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

let broker;
let server;
let warehouse;

async function api(method, path, body) {
  return server.request(method, path, { body });
}

before(async () => {
  broker = await startBroker(['mixed:1', 'pmixed:1']);
  server = await startServer({ dataDir: tempDir('lakesync-evolve-') });
  warehouse = tempDir('lakesync-evolve-wh-');
});

after(async () => {
  await server.cleanup();
  await broker.stop();
  fs.rmSync(warehouse, { recursive: true, force: true });
});

async function waitForRows(tableUrl, want, timeoutMs = 40000) {
  const until = Date.now() + timeoutMs;
  let rows = [];
  while (Date.now() < until) {
    try {
      ({ rows } = await readTable(tableUrl));
    } catch {
      rows = [];
    }
    if (rows.length >= want) return rows;
    await sleep(300);
  }
  assert.fail(`the table has ${rows.length} rows, expected ${want}`);
}

const num = (v) => (v === null || v === undefined ? v : Number(v));

test('a mixed topic evolves the table and the job keeps running', async () => {
  const source = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'mixed', message_format: 'json',
  });
  assert.equal(source.status, 201, source.text);
  const groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const created = await api('POST', '/api/v1/jobs', {
    data_source_id: source.json.id,
    destination: { type: 'managed', format: 'iceberg' },
    database: 'e2e', table: 'mixed', parse_levels: 2,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: 'score', name: 'score', type: 'int' },
    ],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1, schema_evolution: 'add_and_widen' },
  });
  assert.equal(created.status, 201, created.text);
  const job = created.json;
  assert.equal(job.advanced.schema_evolution, 'add_and_widen');

  const plain = (i) => JSON.stringify({ id: i, name: `n${i}`, score: i });
  await broker.produce('mixed', [
    ...range(1, 21).map(plain),
    'not json',                                  // invalid JSON
    JSON.stringify({ id: 'abc', name: 'x' }),    // a string into bigint: type conflict
    // A new nested field: column device_model.
    ...range(21, 41).map((i) => JSON.stringify({ id: i, name: `n${i}`, score: i,
                                                 device: { model: `m${i}` } })),
    // Past int32: score widens to bigint.
    ...range(41, 51).map((i) => JSON.stringify({ id: i, name: `n${i}`, score: 5000000000 + i })),
    // Another new field, a real: column ratio (double).
    ...range(51, 61).map((i) => JSON.stringify({ id: i, name: `n${i}`, ratio: i + 0.5 })),
    JSON.stringify({ id: 61, name: 'n61', ratio: 'high' }), // a string into double
    JSON.stringify({ id: 62, name: 'n62', score: 1.5 }),    // a real into bigint
    ...range(63, 66).map(plain),
  ]);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);

  const tableUrl = job.destination.path.replace(/\/$/, '');
  const rows = await waitForRows(tableUrl, 63);
  const byId = new Map(rows.map((r) => [num(r.id), r]));
  const valid = [...range(1, 61), ...range(63, 66)];
  assert.deepEqual([...byId.keys()].sort((a, b) => a - b), valid);
  assert.equal(rows.length, valid.length, 'a row appears twice');
  assert.equal(byId.get(5).device_model ?? null, null);   // before the column existed
  assert.equal(byId.get(25).device_model, 'm25');
  assert.equal(byId.get(45).device_model ?? null, null);
  assert.equal(num(byId.get(7).score), 7);                // written as int32, read as long
  assert.equal(num(byId.get(45).score), 5000000045);
  assert.equal(num(byId.get(55).ratio), 55.5);
  assert.equal(byId.get(30).ratio ?? null, null);

  const { metadata } = await readTable(tableUrl);
  const current = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  const columns = Object.fromEntries(current.fields.map((f) => [f.name, f]));
  assert.deepEqual(Object.keys(columns), ['id', 'name', 'score', 'device_model', 'ratio']);
  assert.equal(columns.score.type, 'long');
  assert.equal(columns.device_model.type, 'string');
  assert.equal(columns.ratio.type, 'double');
  assert.equal(columns.ratio.required, false);
  assert.equal(metadata.schemas.length, 4); // created, +device_model, score widened, +ratio
  assert.equal(metadata['last-column-id'], 5);

  // The catalog's view: every schema, the current one last.
  const table = (await api('GET', '/api/v1/databases/e2e/tables/mixed')).json;
  assert.deepEqual(table.schemas.map((s) => s.schema_id), [0, 1, 2, 3]);
  assert.equal(table.schema.schema_id, 3);

  const fields = (await api('GET', `/api/v1/jobs/${job.id}`)).json.fields;
  assert.deepEqual(fields.map((f) => [f.source, f.name, f.type]), [
    ['id', 'id', 'bigint'], ['name', 'name', 'string'], ['score', 'score', 'bigint'],
    ['device.model', 'device_model', 'string'], ['ratio', 'ratio', 'double'],
  ]);

  const events = (await api('GET', `/api/v1/jobs/${job.id}/events`)).json.items;
  const changes = events.filter((e) => e.kind === 'schema_changed').map((e) => e.message);
  assert.deepEqual(changes, [
    "added column device_model (string) for 'device.model'",
    'widened column score from int to bigint',
    "added column ratio (double) for 'ratio'",
  ]);
  assert.ok(!events.some((e) => e.kind === 'state' && /failed|stopped/.test(e.message)),
            JSON.stringify(events));
  const state = (await api('GET', `/api/v1/jobs/${job.id}`)).json.state;
  assert.equal(state, 'running');

  // The rejected records are counted (the first ones are in the worker's log
  // with their kind: invalid_json, type_conflict).
  let errors = 0;
  for (const until = Date.now() + 10000; Date.now() < until && errors < 4; await sleep(300)) {
    errors = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json.totals.errors;
  }
  assert.equal(errors, 4);
  const log = server.stderr();
  for (const [field, why] of [['id', 'column id is bigint and a JSON string cannot become bigint'],
                              ['ratio', 'column ratio is double and a JSON string'],
                              ['score', 'column score is bigint and 1.5 is not an integer']]) {
    assert.match(log, new RegExp(`type_conflict in '${field}' at byte \\d+: type conflict: ${why}`));
  }
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
});

// The committed rows of a Paimon table: the live files our reader lists,
// read by DuckDB by column name across the files' schemas.
async function paimonRows(dir) {
  let table;
  try {
    table = JSON.parse(execFileSync(path.join(process.env.LAKESYNC_BUILD_DIR, 'paimon_ls'), [dir],
                                    { encoding: 'utf8' }));
  } catch {
    return { table: null, rows: [] };
  }
  if (!table.files.length) return { table, rows: [] };
  const files = table.files.map((f) => `'${path.join(dir, f.path)}'`);
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = (await conn.runAndReadAll(
    `SELECT * FROM read_parquet([${files.join(', ')}], union_by_name = true)`,
  )).getRowObjectsJson();
  return { table, rows };
}

test('a Paimon job adds columns as schema/schema-1', async () => {
  const wh = `file://${warehouse}/wh`;
  const db = await api('POST', '/api/v1/databases', {
    name: 'pdb', catalog: 'paimon', external: true, location: `${wh}/pdb.db/`,
    properties: { 'paimon.warehouse': wh },
  });
  assert.equal(db.status, 201, db.text);
  const source = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'pmixed', message_format: 'json',
  });
  const groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const created = await api('POST', '/api/v1/jobs', {
    data_source_id: source.json.id,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/pdb.db/events/` },
    database: 'pdb', table: 'events', parse_levels: 1,
    fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'name', name: 'name', type: 'string' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1, ignored_sources: ['secret'] },
  });
  assert.equal(created.status, 201, created.text);
  const job = created.json;
  assert.equal(job.advanced.schema_evolution, 'add_columns');
  // "secret" is left out on purpose: never a column, never holds a message.
  await broker.produce('pmixed', [
    ...range(1, 11).map((i) => JSON.stringify({ id: i, name: `n${i}`, secret: 's' })),
    ...range(11, 21).map((i) => JSON.stringify({ id: i, name: `n${i}`, model: `m${i}`, secret: 's' })),
  ]);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);

  const dir = path.join(warehouse, 'wh', 'pdb.db', 'events');
  let got = { rows: [] };
  for (const until = Date.now() + 40000; Date.now() < until && got.rows.length < 20;) {
    await sleep(300);
    got = await paimonRows(dir);
  }
  assert.equal(got.rows.length, 20);
  const byId = new Map(got.rows.map((r) => [Number(r.id), r]));
  assert.equal(byId.get(3).model, null);
  assert.equal(byId.get(13).model, 'm13');

  const schema1 = JSON.parse(fs.readFileSync(path.join(dir, 'schema', 'schema-1'), 'utf8'));
  assert.deepEqual(schema1.fields.map((f) => [f.id, f.name, f.type]),
                   [[1, 'id', 'BIGINT'], [2, 'name', 'STRING'], [3, 'model', 'STRING']]);
  assert.equal(schema1.highestFieldId, 3);
  assert.equal(schema1.id, 1);
  assert.ok(!fs.existsSync(path.join(dir, 'schema', 'schema-2')));
  assert.equal(got.table.schema_id, 1);
  // Files written before the change keep schema 0; every file with a model has 1.
  const ids = new Set(got.table.files.map((f) => f.schema_id));
  assert.deepEqual([...ids].sort(), [0, 1]);

  const table = (await api('GET', '/api/v1/databases/pdb/tables/events')).json;
  assert.deepEqual(table.schemas.map((s) => s.schema_id), [0, 1]);
  const events = (await api('GET', `/api/v1/jobs/${job.id}/events`)).json.items;
  assert.deepEqual(events.filter((e) => e.kind === 'schema_changed').map((e) => e.message),
                   ["added column model (string) for 'model'"]);
  assert.equal((await api('GET', `/api/v1/jobs/${job.id}`)).json.state, 'running');
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
});
