// Tables written by lakesync's Paimon code (tests/tools/paimon_sample: schema,
// Parquet data files, manifests, manifest lists, snapshots and hints through
// the commit planner) compared with the fixtures written by Paimon Java:
// Avro header schema strings, snapshot and schema JSON fields and order,
// BinaryRow bytes of the same partition values; then read back with our
// reader (paimon_ls), avsc and DuckDB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readAvro } from './lib/paimon_avro.mjs';

const buildDir = process.env.LAKESYNC_BUILD_DIR;
const fixtures = path.join(process.env.LAKESYNC_SHARED_DIR, 'fixtures', 'paimon');
const newest = path.join(fixtures, 'append_unaware_unpartitioned_timestamps');
const evolution = path.join(fixtures, 'append_unaware_partitioned_schema_evolution');
let out;

before(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'paimon-written-'));
  execFileSync(path.join(buildDir, 'paimon_sample'), [out]);
});

after(() => fs.rmSync(out, { recursive: true, force: true }));

const table = (name) => path.join(out, 'db.db', name);
const manifests = (dir, prefix) => fs.readdirSync(path.join(dir, 'manifest'))
  .filter((n) => n.startsWith(prefix) && (prefix !== 'manifest-' || !n.startsWith('manifest-list-')))
  .map((n) => path.join(dir, 'manifest', n));

function paimonLs(dir) {
  return JSON.parse(execFileSync(path.join(buildDir, 'paimon_ls'), [dir], { encoding: 'utf8' }));
}

async function query(sql) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  return (await conn.runAndReadAll(sql)).getRowObjectsJson();
}

test('manifest and manifest-list Avro headers equal the newest fixture\'s, codec zstandard', async () => {
  const refManifest = await readAvro(manifests(newest, 'manifest-')[0]);
  const refList = await readAvro(manifests(newest, 'manifest-list-')[0]);
  for (const name of ['partitioned', 'unpartitioned']) {
    const ms = manifests(table(name), 'manifest-');
    const ls = manifests(table(name), 'manifest-list-');
    assert.ok(ms.length >= 1 && ls.length >= 2);
    for (const m of ms) {
      const got = await readAvro(m);
      assert.equal(got.schema, refManifest.schema);
      assert.equal(got.codec, 'zstandard');
    }
    for (const l of ls) {
      const got = await readAvro(l);
      assert.equal(got.schema, refList.schema);
      assert.equal(got.codec, 'zstandard');
    }
  }
});

test('snapshot and schema JSON have the fixtures\' fields in the fixtures\' order', () => {
  const ref = Object.keys(JSON.parse(fs.readFileSync(path.join(newest, 'snapshot', 'snapshot-1'))));
  for (const [name, id] of [['partitioned', 1], ['partitioned', 2], ['partitioned', 3], ['unpartitioned', 1]]) {
    const text = fs.readFileSync(path.join(table(name), 'snapshot', `snapshot-${id}`), 'utf8');
    const snap = JSON.parse(text);
    // Ours carries properties (the exactly-once offsets), placed where Jackson puts them.
    const withProps = [...ref.slice(0, -1), 'properties', ref.at(-1)];
    assert.deepEqual(Object.keys(snap), withProps);
    assert.equal(snap.version, 3);
    assert.equal(snap.id, id);
    assert.equal(snap.commitKind, 'APPEND');
    assert.equal(snap.properties['lakesync.job-id'], 'sample-job');
    assert.equal(JSON.parse(snap.properties['lakesync.offsets']).topic.length > 0, true);
    // Jackson's layout, as Paimon writes it.
    assert.match(text, /^\{\n {2}"version" : 3,\n {2}"id" : \d+,\n/);
    assert.match(text, /"logOffsets" : \{ \},\n/);
    for (const hint of ['LATEST', 'EARLIEST']) {
      assert.match(fs.readFileSync(path.join(table(name), 'snapshot', hint), 'utf8'), /^\d+$/);
    }
  }
  assert.equal(fs.readFileSync(path.join(table('partitioned'), 'snapshot', 'LATEST'), 'utf8'), '3');
  assert.equal(fs.readFileSync(path.join(table('partitioned'), 'snapshot', 'EARLIEST'), 'utf8'), '1');
  const refSchema = JSON.parse(fs.readFileSync(path.join(newest, 'schema', 'schema-0')));
  const schema = JSON.parse(fs.readFileSync(path.join(table('partitioned'), 'schema', 'schema-0')));
  assert.deepEqual(Object.keys(schema), Object.keys(refSchema));
  assert.deepEqual(Object.keys(schema.options), Object.keys(refSchema.options));
  assert.deepEqual(schema.partitionKeys, ['key0', 'key1']);
  assert.deepEqual(schema.fields.map((f) => f.type),
    ['INT', 'INT', 'BIGINT NOT NULL', 'STRING', 'DECIMAL(10, 2)', 'TIMESTAMP(6)']);
  // Schema evolution: schema-1 keeps every field and id and adds "note" as field 6.
  const schema1 = JSON.parse(fs.readFileSync(path.join(table('partitioned'), 'schema', 'schema-1')));
  assert.equal(schema1.id, 1);
  assert.equal(schema1.highestFieldId, 6);
  assert.deepEqual(schema1.fields.slice(0, 6), schema.fields);
  assert.deepEqual(schema1.fields[6], { id: 6, name: 'note', type: 'STRING' });
  const snap3 = JSON.parse(fs.readFileSync(path.join(table('partitioned'), 'snapshot', 'snapshot-3')));
  assert.equal(snap3.schemaId, 1);
});

test('_PARTITION and partition stats bytes equal the fixture\'s for the same values', async () => {
  // The schema-evolution fixture is partitioned by key0, key1 INT with (0,1) and (1,1), as ours.
  const refEntries = [];
  for (const m of manifests(evolution, 'manifest-')) refEntries.push(...(await readAvro(m)).records);
  const refBytes = new Map(refEntries.map((e) => [`${e._PARTITION.readInt32LE(12)}`, e._PARTITION.toString('hex')]));
  const ours = [];
  for (const m of manifests(table('partitioned'), 'manifest-')) ours.push(...(await readAvro(m)).records);
  assert.equal(ours.length, 4);
  for (const e of ours) {
    const key0 = e._PARTITION.readInt32LE(12);
    assert.equal(e._PARTITION.toString('hex'), refBytes.get(`${key0}`));
    assert.equal(e._BUCKET, 0);
    assert.equal(e._TOTAL_BUCKETS, -1);
    assert.equal(e._FILE._MIN_KEY.toString('hex'), '000000000000000000000000');
    assert.equal(e._FILE._LEVEL, 0);
    assert.equal(e._FILE._FILE_SOURCE, 0);
  }
  // The first commit's manifest-list record spans both partitions, like the fixture's.
  const refList = (await readAvro(path.join(evolution, 'manifest',
    'manifest-list-971647d9-603e-4dd5-8ad5-7c6d6945d86c-1'))).records[0];
  const snap1 = JSON.parse(fs.readFileSync(path.join(table('partitioned'), 'snapshot', 'snapshot-1')));
  const list = (await readAvro(path.join(table('partitioned'), 'manifest', snap1.deltaManifestList))).records;
  assert.equal(list.length, 1);
  assert.equal(list[0]._PARTITION_STATS._MIN_VALUES.toString('hex'), refList._PARTITION_STATS._MIN_VALUES.toString('hex'));
  assert.equal(list[0]._PARTITION_STATS._MAX_VALUES.toString('hex'), refList._PARTITION_STATS._MAX_VALUES.toString('hex'));
  assert.deepEqual(list[0]._PARTITION_STATS._NULL_COUNTS, [0, 0]);
  assert.equal(list[0]._NUM_ADDED_FILES, 2);
  assert.equal(list[0]._FILE_SIZE, fs.statSync(path.join(table('partitioned'), 'manifest', list[0]._FILE_NAME)).size);
  assert.equal(snap1.deltaManifestListSize, fs.statSync(path.join(table('partitioned'), 'manifest', snap1.deltaManifestList)).size);
  // The second snapshot's base list is the first snapshot's base + delta.
  const snap2 = JSON.parse(fs.readFileSync(path.join(table('partitioned'), 'snapshot', 'snapshot-2')));
  const base2 = (await readAvro(path.join(table('partitioned'), 'manifest', snap2.baseManifestList))).records;
  assert.deepEqual(base2.map((r) => r._FILE_NAME), [list[0]._FILE_NAME]);
  // Unpartitioned: the empty row, as the unpartitioned fixture.
  const un = (await readAvro(manifests(table('unpartitioned'), 'manifest-')[0])).records;
  assert.equal(un[0]._PARTITION.toString('hex'), '000000000000000000000000');
});

test('our reader and DuckDB read the written tables back, Parquet field ids = Paimon ids', async () => {
  const p = paimonLs(table('partitioned'));
  assert.equal(p.latest_snapshot_id, 3);
  assert.equal(p.schema_id, 1);
  assert.equal(p.total_record_count, 5);
  assert.equal(p.row_count, 5);
  assert.equal(p.files.length, 4);
  assert.deepEqual(p.files.map((f) => f.schema_id), [0, 0, 0, 1]);
  const rows = [];
  for (const f of p.files) {
    const fileSchema = JSON.parse(fs.readFileSync(path.join(table('partitioned'), 'schema', `schema-${f.schema_id}`)));
    assert.equal(f.path, `key0=${f.partition.key0}/key1=${f.partition.key1}/bucket-0/${f.file_name}`);
    const file = path.join(table('partitioned'), f.path).replaceAll("'", "''");
    assert.equal(f.file_size, fs.statSync(path.join(table('partitioned'), f.path)).size);
    const ids = await query(`SELECT name, field_id FROM parquet_schema('${file}') WHERE name <> 'paimon_schema'`);
    assert.deepEqual(ids.map((c) => [c.name, Number(c.field_id)]), fileSchema.fields.map((x) => [x.name, x.id]));
    rows.push(...await query(`SELECT key0, key1, id, name, amount::varchar amount, epoch_us(ts) ts
        FROM read_parquet('${file}', hive_partitioning = false)`));
  }
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  assert.deepEqual(rows, [
    { key0: 0, key1: 1, id: '1', name: 'alpha', amount: '10.50', ts: '1700000000000000' },
    { key0: 0, key1: 1, id: '2', name: 'a longer name than seven', amount: '-2.50', ts: '1700000000123456' },
    { key0: 1, key1: 1, id: '3', name: 'gamma', amount: '999.99', ts: '1600000000000000' },
    { key0: 0, key1: 1, id: '4', name: null, amount: null, ts: '1800000000000000' },
    { key0: 1, key1: 1, id: '5', name: 'epsilon', amount: '0.01', ts: '0' },
  ]);
  const u = paimonLs(table('unpartitioned'));
  assert.equal(u.row_count, 3);
  assert.equal(u.files[0].path.startsWith('bucket-0/data-'), true);
  const urows = await query(`SELECT count(*) n, count(name) with_name FROM read_parquet('${path.join(table('unpartitioned'), u.files[0].path)}')`);
  assert.deepEqual(urows, [{ n: '3', with_name: '2' }]);
});
