// lakesync's Paimon reader (via tests/tools/paimon_ls) on the three fixture
// tables written by Paimon Java: the snapshots, live files and row counts it
// reports are checked against fixtures/README.md, and the rows of the files
// it lists are read with DuckDB and checked against the values the fixtures'
// upstream tests document (paimon-cpp, see each SOURCE.txt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const buildDir = process.env.LAKESYNC_BUILD_DIR;
const fixtures = path.join(process.env.LAKESYNC_SHARED_DIR, 'fixtures', 'paimon');

function paimonLs(table, snapshot) {
  const args = [path.join(fixtures, table)];
  if (snapshot !== undefined) args.push(String(snapshot));
  return JSON.parse(execFileSync(path.join(buildDir, 'paimon_ls'), args, { encoding: 'utf8' }));
}

async function query(sql) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

function sqlPath(table, file) {
  return path.join(fixtures, table, file.path).replaceAll("'", "''");
}

test('unpartitioned timestamps table: 1 snapshot, 1 file, the documented 3 rows', async () => {
  const t = 'append_unaware_unpartitioned_timestamps';
  const ls = paimonLs(t);
  assert.equal(ls.latest_snapshot_id, 1);
  assert.equal(ls.earliest_snapshot_id, 1);
  assert.equal(ls.total_record_count, 3);
  assert.equal(ls.row_count, 3);
  assert.deepEqual(ls.partition_keys, []);
  assert.equal(ls.files.length, 1);
  const f = ls.files[0];
  assert.equal(f.path, 'bucket-0/data-9b8abdde-df4d-4655-bb4c-ffda164ef9d4-0.parquet');
  assert.equal(f.partition_hex, '000000000000000000000000');
  assert.equal(f.total_buckets, -1);
  assert.equal(f.file_size, fs.statSync(path.join(fixtures, t, f.path)).size);
  // paimon-cpp ParquetFileBatchReaderTest: rows (1s, 1ms, 1us, .., 2s, 2ms, 2us),
  // (3s, 3ms, null, .., 4s, 4ms, 4us), (5s, 5ms, null, .., 6s, null, 6us).
  const rows = await query(`SELECT epoch_us(ts_sec) a, epoch_us(ts_milli) b, epoch_us(ts_micro) c,
      epoch_us(ts_tz_sec) d, epoch_us(ts_tz_milli) e, epoch_us(ts_tz_micro) f
      FROM read_parquet('${sqlPath(t, f)}', hive_partitioning = false)`);
  assert.deepEqual(rows, [
    { a: '1000000', b: '1000', c: '1', d: '2000000', e: '2000', f: '2' },
    { a: '3000000', b: '3000', c: null, d: '4000000', e: '4000', f: '4' },
    { a: '5000000', b: '5000', c: null, d: '6000000', e: null, f: '6' },
  ]);
});

test('partitioned schema-evolution table: 2 snapshots, 4 files in key0/key1 dirs, 10 rows', async () => {
  const t = 'append_unaware_partitioned_schema_evolution';
  const ls = paimonLs(t);
  assert.equal(ls.latest_snapshot_id, 2);
  assert.equal(ls.earliest_snapshot_id, 1);
  assert.equal(ls.schema_id, 1);
  assert.equal(ls.total_record_count, 10);
  assert.equal(ls.row_count, 10);
  assert.deepEqual(ls.partition_keys, ['key0', 'key1']);
  assert.equal(ls.files.length, 4);
  assert.deepEqual(ls.files.map((f) => f.schema_id).sort(), [0, 0, 1, 1]);
  let total = 0;
  for (const f of ls.files) {
    assert.equal(f.path, `key0=${f.partition.key0}/key1=${f.partition.key1}/bucket-0/${f.file_name}`);
    assert.equal(f.file_size, fs.statSync(path.join(fixtures, t, f.path)).size);
    // Each file holds the columns of its own schema, by name, and only rows of its partition.
    const schema = JSON.parse(fs.readFileSync(path.join(fixtures, t, 'schema', `schema-${f.schema_id}`)));
    const cols = await query(`SELECT name, field_id FROM parquet_schema('${sqlPath(t, f)}') WHERE name <> 'paimon_schema'`);
    assert.deepEqual(cols.map((c) => [c.name, Number(c.field_id)]), schema.fields.map((x) => [x.name, x.id]));
    const rows = await query(`SELECT key0, key1, count(*) n FROM read_parquet('${sqlPath(t, f)}', hive_partitioning = false) GROUP BY ALL`);
    assert.deepEqual(rows, [{ key0: f.partition.key0, key1: f.partition.key1, n: String(f.row_count) }]);
    total += f.row_count;
  }
  assert.equal(total, 10);
  // Snapshot 1 alone: the two schema-0 files, 5 rows.
  const first = paimonLs(t, 1);
  assert.equal(first.row_count, 5);
  assert.deepEqual(first.files.map((f) => f.schema_id), [0, 0]);
});

test('fixed-bucket table: COMPACT replaced 3 files, 8 rows; buckets follow f2', async () => {
  const t = 'append_fixed_bucket2_partitioned';
  const ls = paimonLs(t);
  assert.equal(ls.latest_snapshot_id, 4);
  assert.equal(ls.earliest_snapshot_id, 1);
  assert.equal(ls.total_record_count, 8);
  assert.equal(ls.row_count, 8);
  assert.deepEqual(ls.files.map((f) => f.path).sort(), [
    'f1=10/bucket-0/data-f8754699-0c43-4e53-be00-7e8af1754913-0.parquet',
    'f1=20/bucket-0/data-ac0894ca-fc13-49c8-bb22-4556c8ee416c-0.parquet',
    'f1=20/bucket-1/data-e0a6a424-e3b0-47ba-b259-d033fc01e87c-0.parquet',
  ]);
  const compacted = ls.files.find((f) => f.partition.f1 === 10);
  assert.equal(compacted.file_source, 1);
  assert.equal(compacted.row_count, 6);
  for (const f of ls.files) {
    assert.equal(f.total_buckets, 2);
    const rows = await query(`SELECT f1, f2 FROM read_parquet('${sqlPath(t, f)}', hive_partitioning = false)`);
    assert.equal(rows.length, f.row_count);
    for (const r of rows) {
      assert.equal(r.f1, f.partition.f1);
      // Paimon's bucket function: f2=0 -> bucket 1, f2=1 -> bucket 0.
      assert.equal(f.bucket, r.f2 === 0 ? 1 : 0);
    }
  }
  // Before the compaction (snapshot 3): 5 files, also 8 rows.
  const before = paimonLs(t, 3);
  assert.equal(before.files.length, 5);
  assert.equal(before.row_count, 8);
});
