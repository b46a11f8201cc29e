// ctest-labels: sanitize
// Bad data never stops a job by accident (issue 8). A mixed topic of valid
// messages and every kind of bad one streams through a real server and
// workers: valid rows all land in the table, each bad message lands once in
// the dead-letter table `<table>__dlq` with the right error kind, and the job
// keeps running. Policy skip counts them only; policy fail and the error
// ratio stop the job with a clear reason, and a fixed job resumes from the
// table's offsets. A Paimon job (schema evolution on) sends its type conflicts
// there too. Tables are read back with icebird (only committed data).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { readTable } from './lib/iceberg_read.mjs';
import { mulberry32 } from './lib/faultproxy.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' };
const BIG = 10 * 1024 * 1024;

let broker;
let server;
let groupId;
const sourceIds = {};

const api = (method, path, body) => server.request(method, path, { body });

async function createJob(topic, advanced) {
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceIds[topic],
    destination: { type: 'managed', format: 'iceberg' },
    database: 'bad', table: topic, parse_levels: 2,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: 'amount', name: 'amount', type: 'double' },
      { source: 'dev.os', name: 'dev_os', type: 'string' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    // No schema evolution: the scanner's own error kinds, not type_conflict.
    advanced: { commit_interval_s: 1, schema_evolution: 'none', ...advanced },
  });
  assert.equal(res.status, 201, res.text);
  assert.equal((await api('POST', `/api/v1/jobs/${res.json.id}/start`)).status, 200);
  return res.json;
}

const tableUrl = (job, suffix = '') => job.destination.path.replace(/\/$/, '') + suffix;

async function rowsOf(url) {
  try {
    return (await readTable(url)).rows;
  } catch {
    return []; // no metadata yet
  }
}

// Waits until the table (and its dead-letter table) hold at least the wanted rows.
async function waitForRows(job, want, wantDead = 0, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  let rows = [];
  let dead = [];
  while (Date.now() < until) {
    rows = await rowsOf(tableUrl(job));
    dead = wantDead ? await rowsOf(tableUrl(job, '__dlq')) : [];
    if (rows.length >= want && dead.length >= wantDead) return { rows, dead };
    await sleep(500);
  }
  if (process.env.BAD_DATA_LOG) (await import('node:fs')).writeFileSync(process.env.BAD_DATA_LOG, server.stderr());
  const log = server.stderr().split('\n').filter((l) => / (warn|error) /.test(l)).slice(-20);
  assert.fail(`${job.table}: ${rows.length} rows and ${dead.length} dead letters, ` +
              `expected ${want} and ${wantDead}; the server's last warnings:\n${log.join('\n')}`);
}

async function waitForState(job, state, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = (await api('GET', `/api/v1/jobs/${job.id}`)).json;
    if (last.state === state) return last;
    await sleep(200);
  }
  assert.fail(`job ${job.id} is ${last.state} (${last.state_reason}), expected ${state}`);
}

// Waits until the job's metrics totals (from heartbeats) reach want.
async function waitForMetric(job, key, want, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  let metrics;
  do {
    metrics = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
    if (metrics.totals[key] >= want) return metrics;
    await sleep(300);
  } while (Date.now() < until);
  assert.fail(`${job.table}: totals.${key} is ${metrics.totals[key]}, expected ${want}`);
}

// Fisher-Yates with a seeded generator.
function shuffled(items, seed) {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const valid = (id, extra = {}) => JSON.stringify({ id, name: `n${id}`, amount: id / 2, ...extra });
const deep = (n) => '{"id":1,"name":' + '['.repeat(n) + ']'.repeat(n) + '}';

// Every bad kind the issue names, keyed so each dead letter can be found.
const bad = [
  ['empty', '', 'invalid_json'],
  ['whitespace', ' \t\r\n ', 'invalid_json'],
  ['bom', '\ufeff' + valid(1), 'invalid_json'],
  ['trailing', valid(1) + ' x', 'invalid_json'],
  ['too-deep', deep(80), 'too_deep'],
  ['huge-int', '{"id":123456789012345678901234567890}', 'out_of_range'],
  ['huge-double', '{"id":1,"amount":1e400}', 'out_of_range'],
  ['nan', '{"id":1,"amount":NaN}', 'invalid_json'],
  ['infinity', '{"id":1,"amount":-Infinity}', 'invalid_json'],
  ['bad-utf8', Buffer.concat([Buffer.from('{"id":1,"name":"'), Buffer.from([0xff, 0xc0]),
                              Buffer.from('"}')]), 'invalid_utf8'],
  ['lone-surrogate', '{"id":1,"name":"\\ud800"}', 'invalid_utf8'],
  ['mismatch', '{"id":"abc"}', 'type_mismatch'],
  ['not-object', '[1,2,3]', 'not_object'],
  ['big-bad', '{"id":1,"name":"' + 'x'.repeat(BIG), 'invalid_json'],
  ['tombstone', null, 'tombstone'],
];

before(async () => {
  broker = await startBroker(['mixed:4', 'skipped:1', 'failing:1', 'ratio:1', 'pmixed:1']);
  server = await startServer({ dataDir: tempDir('lakesync-bad-data-'), env });
  groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  for (const topic of ['mixed', 'skipped', 'failing', 'ratio', 'pmixed']) {
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

test('a mixed topic: valid rows in the table, every bad one in the dead-letter table', async () => {
  const good = [];
  for (let i = 1; i <= 40; i++) good.push({ key: `ok-${i}`, value: valid(i) });
  // Valid although odd: duplicate keys (the last wins), a dotted key beside
  // the nested one it would flatten to (the nested path is dev.os), a 10 MB value.
  good.push({ key: 'ok-dup', value: '{"id":41,"id":42,"name":"dup"}' });
  good.push({ key: 'ok-collide', value: '{"id":43,"dev.os":"flat","dev":{"os":"nested"}}' });
  const bigGood = { key: 'ok-big', value: JSON.stringify({ id: 44, name: 'y'.repeat(BIG) }) };
  const records = [...good];
  for (const [name, value] of bad) records.push({ key: `bad-${name}`, value });
  // Small messages in partitions 0 and 1, each 10 MB one alone in 2 and 3
  // (the test broker keeps about 5 MiB per partition).
  // Good and bad interleaved, in one fixed shuffled order (seeded: a failure
  // replays with the same order).
  const small = shuffled(records.filter((r) => r.key !== 'bad-big-bad'), 8);
  await broker.produceRecords('mixed', small.slice(0, 25), { partition: 0 });
  await broker.produceRecords('mixed', small.slice(25), { partition: 1 });
  await broker.produceRecords('mixed', [bigGood], { partition: 2 });
  await broker.produceRecords('mixed', records.filter((r) => r.key === 'bad-big-bad'), { partition: 3 });
  good.push(bigGood);
  records.push(bigGood);

  const job = await createJob('mixed', {});
  const { rows, dead } = await waitForRows(job, good.length, bad.length, 90000);
  assert.equal(rows.length, good.length);
  assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b),
                   [...Array.from({ length: 40 }, (_, i) => i + 1), 42, 43, 44]);
  assert.equal(rows.find((r) => Number(r.id) === 43).dev_os, 'nested');
  assert.equal(rows.find((r) => Number(r.id) === 44).name.length, BIG);

  assert.equal(dead.length, bad.length, 'each bad message once');
  const byKey = new Map(dead.map((d) => [d.kafka_key, d]));
  for (const [name, value, kind] of bad) {
    const d = byKey.get(`bad-${name}`);
    assert.ok(d, `no dead letter for ${name}`);
    assert.equal(d.error_kind, kind, `${name}: ${d.error_message}`);
    assert.equal(d.job_id, job.id);
    assert.equal(d.topic, 'mixed');
    assert.ok(d.error_message.length > 0);
    if (value === null) {
      assert.equal(d.value, null);
      assert.equal(d.value_encoding, null);
    } else {
      // The reader decodes strings with TextDecoder, which drops a leading BOM.
      const raw = Buffer.from(name === 'bom' ? value.slice(1) : value);
      const stored = d.value_encoding === 'base64' ? Buffer.from(d.value, 'base64')
                                                   : Buffer.from(d.value);
      assert.ok(stored.equals(raw), `${name}: the raw bytes`);
      assert.equal(d.value_encoding, name === 'bad-utf8' ? 'base64' : 'utf8');
    }
  }
  assert.equal(byKey.get('bad-mismatch').error_field, 'id');
  assert.equal(Number(byKey.get('bad-trailing').error_offset), Buffer.from(valid(1)).length + 1);

  // Both tables carry the same offsets: one commit covered both.
  const main = (await readTable(tableUrl(job))).metadata;
  const dlq = (await readTable(tableUrl(job, '__dlq'))).metadata;
  const offsets = JSON.parse(main.snapshots.at(-1).summary['lakesync.offsets']);
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), records.length);
  assert.equal(JSON.parse(dlq.snapshots.at(-1).summary['lakesync.offsets']).topic, 'mixed');

  assert.equal((await api('GET', `/api/v1/jobs/${job.id}`)).json.state, 'running');
  const metrics = await waitForMetric(job, 'dead_letter_rows', bad.length);
  assert.equal(metrics.dead_letter_table, 'mixed__dlq');
  assert.equal(metrics.totals.duplicate_key_rows, 1, 'the duplicate keys are reported');
  assert.equal(metrics.totals.dead_letter_rows, bad.length);
  const prom = (await api('GET', '/metrics')).text;
  assert.match(prom, new RegExp(`lakesync_job_dead_letter_rows_total\\{job_id="${job.id}"\\} ${bad.length}`));
  // The dead-letter table is a table like any other.
  const listed = (await api('GET', '/api/v1/databases/bad/tables')).json.items.map((t) => t.name);
  assert.ok(listed.includes('mixed__dlq'), listed.join());
  assert.equal((await api('POST', '/api/v1/jobs/' + job.id + '/stop')).status, 200);
});

test('policy skip counts bad records and writes no dead letters', async () => {
  const records = [1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: valid(i) }));
  records.push({ key: 'b1', value: 'nope' }, { key: 'b2', value: '{"id":"x"}' }, { key: 'b3', value: null });
  await broker.produceRecords('skipped', records);
  const job = await createJob('skipped', { error_policy: 'skip' });
  await waitForRows(job, 5);
  const metrics = await waitForMetric(job, 'errors', 3);
  assert.equal(metrics.totals.errors, 3);
  assert.equal(metrics.totals.dead_letter_rows, 0);
  assert.equal((await rowsOf(tableUrl(job, '__dlq'))).length, 0);
  assert.equal((await api('GET', `/api/v1/jobs/${job.id}`)).json.state, 'running');
  assert.equal((await api('POST', '/api/v1/jobs/' + job.id + '/stop')).status, 200);
});

test('policy fail stops the job with the record as its reason; fixed, it resumes', async () => {
  const records = [1, 2, 3].map((i) => ({ key: `k${i}`, value: valid(i) }));
  records.push({ key: 'bad', value: '{"id":4,"amount":"lots"}' });
  records.push(...[5, 6, 7].map((i) => ({ key: `k${i}`, value: valid(i) })));
  await broker.produceRecords('failing', records);
  const job = await createJob('failing', { error_policy: 'fail' });
  const failed = await waitForState(job, 'failed');
  assert.match(failed.state_reason, /fails on bad records and failing\[0\] offset 3 is one \(type_mismatch/);
  const events = (await api('GET', `/api/v1/jobs/${job.id}/events`)).json.items;
  assert.ok(events.some((e) => /failed: .*offset 3/.test(e.message)), JSON.stringify(events));
  // Nothing at or past the bad record was committed.
  for (const r of await rowsOf(tableUrl(job))) assert.ok(Number(r.ko) < 3);

  const patched = await api('PATCH', `/api/v1/jobs/${job.id}`, { advanced: { error_policy: 'dlq' } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  const { rows, dead } = await waitForRows(job, 6, 1);
  assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), [1, 2, 3, 5, 6, 7]);
  assert.equal(dead.length, 1);
  assert.equal(Number(dead[0].kafka_offset), 3);
  assert.equal(dead[0].error_field, 'amount');
  await waitForState(job, 'running');
  assert.equal((await api('POST', '/api/v1/jobs/' + job.id + '/stop')).status, 200);
});

test('too many bad records in a window stop the job; raising the ratio resumes it', async () => {
  const records = [];
  for (let i = 1; i <= 20; i++) records.push({ key: `k${i}`, value: valid(i) });
  for (let i = 21; i <= 30; i++) records.push({ key: `k${i}`, value: i % 2 ? 'garbage' : valid(i) });
  await broker.produceRecords('ratio', records);
  const job = await createJob('ratio', { max_error_ratio: 0.2, error_window: 10 });
  const failed = await waitForState(job, 'failed');
  assert.match(failed.state_reason,
               /too many bad records: 3 of the last \d+ messages were rejected, more than max_error_ratio 0.2 of error_window 10/);

  const bad = await api('PATCH', `/api/v1/jobs/${job.id}`, { advanced: { max_error_ratio: 1.5 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'advanced.max_error_ratio');
  const patched = await api('PATCH', `/api/v1/jobs/${job.id}`, { advanced: { max_error_ratio: 0.5 } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  const { rows, dead } = await waitForRows(job, 25, 5);
  assert.equal(rows.length, 25);
  assert.equal(dead.length, 5, 'dead letters of the failed run were never committed');
  assert.deepEqual(dead.map((d) => Number(d.kafka_offset)).sort((a, b) => a - b), [20, 22, 24, 26, 28]);
  await waitForState(job, 'running');
  assert.equal((await api('POST', '/api/v1/jobs/' + job.id + '/stop')).status, 200);
});

// Paimon: the committed files our reader lists, read by DuckDB.
async function paimonRows(dir, columns) {
  let table;
  try {
    table = JSON.parse(execFileSync(path.join(process.env.LAKESYNC_BUILD_DIR, 'paimon_ls'), [dir],
                                    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return []; // not created yet
  }
  if (!table.files.length) return [];
  const files = table.files.map((f) => `'${path.join(dir, f.path)}'`);
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  return (await conn.runAndReadAll(`SELECT ${columns} FROM read_parquet([${files.join(', ')}])`))
    .getRowObjectsJson();
}

test('a Paimon job writes its dead letters to a Paimon dead-letter table', async () => {
  const warehouse = tempDir('lakesync-bad-data-wh-');
  const wh = `file://${warehouse}`;
  const db = await api('POST', '/api/v1/databases', {
    name: 'pdb', catalog: 'paimon', external: true, location: `${wh}/pdb.db/`,
    properties: { 'paimon.warehouse': wh },
  });
  assert.equal(db.status, 201, db.text);
  const records = [1, 2, 3, 4, 5, 6].map((i) => ({ key: `k${i}`, value: valid(i) }));
  records.push({ key: 'b-json', value: '{"id":' }, { key: 'b-type', value: '{"id":true}' },
               { key: 'b-utf8', value: Buffer.from([0x22, 0xfe, 0x22]) }, { key: 'b-null', value: null });
  await broker.produceRecords('pmixed', records);
  const created = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceIds.pmixed,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/pdb.db/pevents/` },
    database: 'pdb', table: 'pevents', parse_levels: 1,
    fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'name', name: 'name', type: 'string' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 }, // schema evolution on: a conflict is a dead letter too
  });
  assert.equal(created.status, 201, created.text);
  const job = created.json;
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  const dir = path.join(warehouse, 'pdb.db', 'pevents');
  const until = Date.now() + 60000;
  let rows = [];
  let dead = [];
  while (Date.now() < until && (rows.length < 6 || dead.length < 4)) {
    await sleep(500);
    rows = await paimonRows(dir, 'id');
    dead = await paimonRows(`${dir}__dlq`, 'kafka_key, kafka_offset, error_kind, value, value_encoding');
  }
  assert.deepEqual(rows.map((r) => Number(r.id)).sort(), [1, 2, 3, 4, 5, 6]);
  const kinds = Object.fromEntries(dead.map((d) => [d.kafka_key, d.error_kind]));
  assert.deepEqual(kinds, { 'b-json': 'invalid_json', 'b-type': 'type_conflict',
                            'b-utf8': 'invalid_utf8', 'b-null': 'tombstone' });
  const utf8 = dead.find((d) => d.kafka_key === 'b-utf8');
  assert.equal(utf8.value_encoding, 'base64');
  assert.deepEqual([...Buffer.from(utf8.value, 'base64')], [0x22, 0xfe, 0x22]);
  // The dead-letter snapshot names the job's snapshot whose dead letters it holds.
  const latest = (d) => JSON.parse(fs.readFileSync(path.join(d, 'snapshot',
    `snapshot-${fs.readFileSync(path.join(d, 'snapshot', 'LATEST'), 'utf8').trim()}`), 'utf8'));
  const deadSnapshot = latest(`${dir}__dlq`);
  const source = JSON.parse(fs.readFileSync(path.join(dir, 'snapshot',
    `snapshot-${deadSnapshot.properties['lakesync.source-snapshot']}`), 'utf8'));
  assert.ok(source.properties['lakesync.dead-letter-files']);
  assert.equal(deadSnapshot.properties['lakesync.offsets'], source.properties['lakesync.offsets']);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  fs.rmSync(warehouse, { recursive: true, force: true });
});
