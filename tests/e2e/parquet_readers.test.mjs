// A Parquet file with every lakesync type, nulls and a dictionary-encoded
// column, written with each codec, read by DuckDB and hyparquet: values,
// physical and logical types, field ids, key-value metadata, created_by and
// the column chunk statistics both readers see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects, parquetMetadata } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const gen = path.join(process.env.LAKESYNC_BUILD_DIR, 'lakesync_parquet_gen');

const columns = [
  { name: 'flag', type: 'boolean', field_id: 1 },
  { name: 'id', type: 'int', field_id: 2, required: true },
  { name: 'big', type: 'bigint', field_id: 3 },
  { name: 'ratio', type: 'float', field_id: 4 },
  { name: 'score', type: 'double', field_id: 5 },
  { name: 'price', type: 'decimal(9,2)', field_id: 6 },
  { name: 'amount', type: 'decimal(18,4)', field_id: 7 },
  { name: 'huge', type: 'decimal(38,10)', field_id: 8 },
  { name: 'city', type: 'string', field_id: 9 },
  { name: 'blob', type: 'binary', field_id: 10 },
  { name: 'day', type: 'date', field_id: 11 },
  { name: 'local_ts', type: 'timestamp', field_id: 12 },
  { name: 'utc_ts', type: 'timestamptz', field_id: 13 },
];
const cities = ['Zürich', 'Hangzhou 杭州', 'Oslo', ''];
function row(i) {
  if (i % 10 === 9) return columns.map((c) => (c.required ? i : null));
  return [i % 2 === 0, i, String(BigInt(i) * 1000000000000n - 9223372036854775807n), i / 4, i === 5 ? 'NaN' : i / 8 - 3,
    String(i * 101 - 5000), String(-i * 7), `${i}123456789012345678901234567`, cities[i % 4], (i % 256).toString(16).padStart(2, '0') + 'ff',
    18000 + i, 1700000000000000 + i * 1000001, -1000000 + i];
}
const ROWS = 500;
const expected = Array.from({ length: ROWS }, (_, i) => row(i));

async function duck() {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
  return db.connect();
}

for (const codec of ['zstd', 'snappy', 'gzip', 'none']) {
  test(`every type with ${codec}: DuckDB and hyparquet agree with what was written`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-parquet-readers-'));
    const specPath = path.join(dir, 'spec.json'), file = path.join(dir, 'all.parquet');
    fs.writeFileSync(specPath, JSON.stringify({ codec, columns, rows: expected, page_bytes: 2048,
      metadata: { 'iceberg.schema': '{"type":"struct"}', writer: 'lakesync-test' } }));
    const stats = JSON.parse(execFileSync(gen, [specPath, file]).toString());
    const conn = await duck();
    try {
      // Values.
      const got = (await conn.runAndReadAll(`SELECT flag, id, big::VARCHAR, ratio, score, price::VARCHAR, amount::VARCHAR,
        huge::VARCHAR, city, hex(blob), day::VARCHAR, local_ts::VARCHAR, utc_ts AT TIME ZONE 'UTC' FROM read_parquet('${file}')`)).getRowsJson();
      assert.equal(got.length, ROWS);
      assert.deepEqual(got[0].slice(0, 5), [true, 0, '-9223372036854775807', 0, -3]);
      assert.deepEqual(got[1].slice(5, 11), ['-48.99', '-0.0007', '112345678901234567.8901234567', 'Hangzhou 杭州', '01FF', '2019-04-15']);
      assert.equal(got[5][4], 'NaN');
      assert.equal(got[3][11], '2023-11-14 22:13:23.000003');
      assert.equal(got[2][12], '1969-12-31 23:59:59.000002');
      assert.deepEqual(got[9], [null, 9, null, null, null, null, null, null, null, null, null, null, null]);
      // Schema: physical and logical types, repetition, field ids.
      const schema = (await conn.runAndReadAll(`SELECT name, type, repetition_type, converted_type, field_id, logical_type,
        type_length, scale, precision FROM parquet_schema('${file}')`)).getRowObjectsJson();
      assert.equal(schema[0].name, 'table');
      const byName = Object.fromEntries(schema.slice(1).map((s) => [s.name, s]));
      columns.forEach((c) => assert.equal(String(byName[c.name].field_id), String(c.field_id), c.name));
      assert.equal(byName.id.repetition_type, 'REQUIRED');
      assert.equal(byName.flag.repetition_type, 'OPTIONAL');
      assert.equal(byName.price.type, 'INT32');
      assert.equal(byName.amount.type, 'INT64');
      assert.equal(byName.huge.type, 'FIXED_LEN_BYTE_ARRAY');
      assert.equal(String(byName.huge.type_length), '16');
      assert.match(byName.huge.logical_type, /DecimalType\(scale=10, precision=38\)/);
      assert.match(byName.city.logical_type, /StringType/);
      assert.equal(byName.city.converted_type, 'UTF8');
      assert.equal(byName.blob.logical_type, null);
      assert.match(byName.day.logical_type, /DateType/);
      assert.match(byName.local_ts.logical_type, /isAdjustedToUTC=0.*MICROS=MicroSeconds/);
      assert.match(byName.utc_ts.logical_type, /isAdjustedToUTC=1.*MICROS=MicroSeconds/);
      // DuckDB maps the types as Iceberg expects.
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowsJson().map((r) => r[1]);
      assert.deepEqual(types, ['BOOLEAN', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL(9,2)', 'DECIMAL(18,4)',
        'DECIMAL(38,10)', 'VARCHAR', 'BLOB', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE']);
      // Footer metadata.
      const kv = (await conn.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}') ORDER BY 1`)).getRowsJson();
      assert.deepEqual(kv, [['iceberg.schema', '{"type":"struct"}'], ['writer', 'lakesync-test']]);
      const fm = (await conn.runAndReadAll(`SELECT created_by, num_rows FROM parquet_file_metadata('${file}')`)).getRowsJson();
      assert.match(fm[0][0], /^lakesync version \d+\.\d+\.\d+ \(build [0-9a-z]+\)$/);
      assert.equal(String(fm[0][1]), String(ROWS));
      // Statistics as DuckDB reads them.
      const md = (await conn.runAndReadAll(`SELECT path_in_schema, stats_min_value, stats_max_value, stats_null_count, encodings,
        compression FROM parquet_metadata('${file}')`)).getRowObjectsJson();
      const st = Object.fromEntries(md.map((m) => [m.path_in_schema, m]));
      assert.equal(st.id.stats_min_value, '0');
      assert.equal(st.id.stats_max_value, '499');
      assert.equal(String(st.id.stats_null_count), '0');
      assert.equal(String(st.city.stats_null_count), '50');
      assert.equal(st.city.stats_min_value, '');
      assert.equal(st.city.stats_max_value, 'Zürich');
      assert.equal(st.price.stats_min_value, '-50.00');
      assert.equal(st.price.stats_max_value, '452.98');
      assert.equal(st.huge.stats_min_value, '12345678901234567.8901234567');
      assert.equal(st.score.stats_min_value, '-3.0');
      assert.equal(st.big.stats_min_value, '-9223372036854775807');
      assert.match(st.city.encodings, /RLE_DICTIONARY/);
      assert.equal(st.city.compression, codec === 'none' ? 'UNCOMPRESSED' : codec.toUpperCase());
      // The writer's own file statistics agree.
      assert.equal(stats.columns[8].null_count, 50);
      assert.equal(stats.columns[4].nan_count, 1);
      assert.equal(stats.columns[4].min, '-3');
      assert.equal(stats.split_offsets[0], 4);

      // hyparquet.
      const buf = fs.readFileSync(file);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      const meta = parquetMetadata(ab);
      assert.match(meta.created_by, /^lakesync version /);
      assert.deepEqual(meta.key_value_metadata.map((e) => e.key), ['iceberg.schema', 'writer']);
      assert.deepEqual(meta.schema.slice(1).map((s) => s.field_id), columns.map((c) => c.field_id));
      const cityChunk = meta.row_groups[0].columns[8].meta_data;
      assert.equal(cityChunk.statistics.null_count, 50n);
      const rows = await parquetReadObjects({ file: ab, compressors });
      assert.equal(rows.length, ROWS);
      assert.equal(rows[1].city, 'Hangzhou 杭州');
      assert.equal(rows[1].big, -9223371036854775807n);
      assert.ok(Math.abs(rows[2].price - (2 * 101 - 5000) / 100) < 1e-9); // hyparquet: unscaled * 10^-scale
      assert.ok(Number.isNaN(rows[5].score));
      assert.equal(rows[9].city, null);
      assert.equal(rows[499].id, 499);
      assert.deepEqual(rows.map((r) => r.flag), expected.map((r) => r[0]));
      assert.deepEqual(rows.map((r) => r.city), expected.map((r) => r[8]));
    } finally {
      conn.closeSync?.();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
