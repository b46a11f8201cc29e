// ctest-labels: sanitize
// `lakesync parquet-cat --json` against DuckDB on the same files:
//  1. every .parquet file under fixtures/iceberg and fixtures/paimon (written
//     by parquet-mr 1.13/1.15 and Arrow 20: PLAIN, PLAIN_DICTIONARY,
//     RLE_DICTIONARY, INT96, FLBA decimals, GZIP and ZSTD);
//  2. files DuckDB writes itself with PARQUET_VERSION V1 and V2 and every codec
//     (data pages v2, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
//     DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT, RLE booleans, several row groups).
//
// Normalization (both sides become strings before comparing):
//  - boolean, int, bigint: the decimal text (our JSON numbers are kept as
//    their exact text, never through a JS double);
//  - decimal: the unscaled integer at the column's scale (DuckDB prints
//    "-.5" when P == S, we print "-0.5");
//  - date: YYYY-MM-DD; timestamp / timestamptz: microseconds since the epoch
//    (DuckDB epoch_us(); ours parsed from the RFC 3339 text), and the "Z"
//    suffix must match timestamptz. One known difference: an INT96 instant
//    before 1970 with digits below the microsecond is floored by us (Paimon's
//    documented 1899-01-01T00:59:20.001001001 reads .001001) and truncated
//    toward zero by DuckDB (.001002), so there ours may be DuckDB's minus 1;
//  - float / double: the JS number of both (float compared after
//    Math.fround), NaN and infinities by name;
//  - string: the text; binary: base64 (DuckDB to_base64()).
// Top-level nested fields (a map in the pyiceberg fixture) cannot be read by
// lakesync; the test says so per file and checks they are exactly DuckDB's
// non-primitive columns, so nothing else can be skipped unnoticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const bin = process.env.LAKESYNC_BIN;
const fixtures = path.join(process.env.LAKESYNC_SHARED_DIR, 'fixtures');

function findParquet(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findParquet(p));
    else if (e.name.endsWith('.parquet')) out.push(p);
  }
  return out.sort();
}

function cat(file, ...args) {
  const r = spawnSync(bin, ['parquet-cat', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`parquet-cat ${file} failed (${r.status}): ${r.stderr}`);
  return r;
}

// A JSON parser that keeps numbers as their source text, so 64-bit integers
// are compared exactly (JSON.parse would round them to doubles).
function parseJsonExact(text) {
  let i = 0;
  const ws = () => { while (' \t\r\n'.includes(text[i])) i++; };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const o = {}; ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws(); const k = value(); ws(); assert.equal(text[i++], ':');
        o[k] = value(); ws();
        if (text[i] === ',') { i++; continue; }
        assert.equal(text[i++], '}'); return o;
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)); i = j + 1; return s;
    }
    const m = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    assert.ok(m, `bad JSON at ${i}: ${text.slice(i, i + 20)}`);
    i += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return { num: m[0] };
  };
  const v = value(); ws(); assert.equal(i, text.length); return v;
}

function unscaled(text, scale) {
  const neg = text.startsWith('-');
  const [ip, fp = ''] = text.replace('-', '').split('.');
  assert.equal(fp.length, scale, `decimal text ${text} should have scale ${scale}`);
  const v = BigInt((ip || '0') + fp);
  return (neg ? -v : v).toString();
}

// Our RFC 3339 text ("2024-01-02T03:04:05.000006", "Z" for timestamptz) as
// microseconds since the epoch.
function micros(text, utc) {
  const m = /^([+-]?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})(Z?)$/.exec(text);
  assert.ok(m, `timestamp text ${text}`);
  assert.equal(m[8] === 'Z', utc, `timestamp ${text} should ${utc ? '' : 'not '}end in Z`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  return (BigInt(d.getTime()) * 1000n + BigInt(m[7])).toString();
}

function floatOf(v) {
  if (typeof v === 'string') return { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity }[v];
  return Number(v.num);
}

// Our JSON value of a column, normalized.
function ours(col, v) {
  if (v === null) return null;
  const t = col.type;
  if (t === 'boolean') return String(v);
  if (t === 'int' || t === 'bigint') return v.num;
  if (t.startsWith('decimal')) return unscaled(v, Number(/,(\d+)\)/.exec(t)[1]));
  if (t === 'timestamp' || t === 'timestamptz') return micros(v, t === 'timestamptz');
  if (t === 'float') return String(Math.fround(floatOf(v)));
  if (t === 'double') return String(floatOf(v));
  return v; // string, binary (base64), date
}

// DuckDB's expression for a column and the normalization of its JS value.
function duckExpr(col) {
  const q = `"${col.name.replaceAll('"', '""')}"`;
  const t = col.type;
  if (t === 'timestamp' || t === 'timestamptz') return `CAST(epoch_us(${q}) AS VARCHAR)`;
  if (t === 'binary') return `to_base64(CAST(${q} AS BLOB))`;
  if (t === 'float' || t === 'double') return `CAST(${q} AS DOUBLE)`;
  return `CAST(${q} AS VARCHAR)`;
}

function duckValue(col, v) {
  if (v === null) return null;
  const t = col.type;
  if (t.startsWith('decimal')) return unscaled(v, Number(/,(\d+)\)/.exec(t)[1]));
  if (t === 'float') return String(Math.fround(v));
  if (t === 'double') return String(v);
  return String(v);
}

async function compareFile(conn, file, t) {
  const schema = cat(file, '--schema', '--json');
  const cols = schema.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const skipped = [...schema.stderr.matchAll(/skipping field '([^']*)'/g)].map((m) => m[1]);
  const fq = file.replaceAll("'", "''");
  const duckCols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${fq}', hive_partitioning = false)`)).getRowObjectsJson();
  const nested = duckCols.filter((c) => /^(STRUCT|MAP)|\[\]$/.test(String(c.column_type))).map((c) => c.column_name);
  assert.deepEqual(skipped.sort(), nested.sort(), `${file}: skipped fields must be exactly the nested ones`);
  if (skipped.length) t.diagnostic(`${file.startsWith(fixtures) ? path.relative(fixtures, file) : path.basename(file)}: nested field(s) not readable by lakesync, not compared: ${skipped.join(', ')}`);
  assert.deepEqual(cols.map((c) => c.name), duckCols.map((c) => c.column_name).filter((n) => !nested.includes(n)));

  const int96 = new Set((await conn.runAndReadAll(`SELECT name FROM parquet_schema('${fq}') WHERE type = 'INT96'`))
    .getRowObjectsJson().map((c) => c.name));
  const rows = cat(file, '--json').stdout.split('\n').filter(Boolean).map(parseJsonExact);
  const sql = `SELECT ${cols.map(duckExpr).join(', ')} FROM read_parquet('${fq}', hive_partitioning = false)`;
  const expected = (await conn.runAndReadAll(sql)).getRows();
  assert.equal(rows.length, expected.length, `${file}: row count`);
  for (let r = 0; r < rows.length; r++) {
    cols.forEach((col, c) => {
      const got = ours(col, rows[r][col.name]);
      const want = duckValue(col, expected[r][c]);
      const floored = int96.has(col.name) && want !== null && BigInt(want) < 0n && got === String(BigInt(want) - 1n);
      if (got !== want && !floored) assert.fail(`${file} row ${r} column ${col.name} (${col.type}): lakesync ${got}, DuckDB ${want}`);
    });
  }
  return rows.length;
}

async function duck() {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
  return db.connect();
}

test('parquet-cat reads every Iceberg and Paimon fixture as DuckDB does', async (t) => {
  const files = [...findParquet(path.join(fixtures, 'iceberg')), ...findParquet(path.join(fixtures, 'paimon'))];
  assert.ok(files.length >= 20, `found ${files.length} fixture files`);
  const conn = await duck();
  let total = 0;
  for (const file of files) total += await compareFile(conn, file, t);
  t.diagnostic(`${files.length} files, ${total} rows compared`);
  assert.ok(total > 100000);
});

test('parquet-cat reads DuckDB-written v1 and v2 files with every codec', async (t) => {
  const conn = await duck();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preader-'));
  try {
    // Low-cardinality and unique columns, nulls, extremes, empty strings.
    await conn.run(`CREATE TABLE src AS SELECT
        i % 3 = 0 AS b,
        CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 7919) % 2147483647 - 1073741823 END::INTEGER AS i32,
        CASE WHEN i = 1 THEN 9223372036854775807 WHEN i = 2 THEN -9223372036854775808 ELSE i * 1000003 END::BIGINT AS i64,
        (i % 50)::TINYINT AS tiny, (i % 3000)::SMALLINT AS small, (i * 13)::UINTEGER AS u32, (i * 977)::UBIGINT AS u64,
        CASE WHEN i % 11 = 0 THEN NULL ELSE i / 7.0 END::FLOAT AS f,
        CASE WHEN i = 5 THEN 'NaN'::DOUBLE WHEN i = 6 THEN 'inf'::DOUBLE ELSE i / 3.0 END::DOUBLE AS d,
        (i * 0.01)::DECIMAL(9,2) AS dec9, (i * -1.001)::DECIMAL(18,3) AS dec18,
        (i::HUGEINT * 100000000000000000000)::DECIMAL(38,5) AS dec38,
        CASE WHEN i % 5 = 0 THEN '' ELSE 'v' || (i % 40) END AS s_dict,
        CASE WHEN i % 13 = 0 THEN NULL ELSE md5(i::VARCHAR) || repeat('x', i % 20) END AS s_unique,
        encode('bin' || (i % 9)) AS blob_col,
        DATE '1970-01-01' + (i % 40000 - 20000)::INTEGER AS day,
        TIMESTAMP '2000-01-01' + INTERVAL (i * 1234567) MICROSECOND AS ts,
        TIMESTAMPTZ '2020-06-01 00:00:00+00' + INTERVAL (i) SECOND AS tstz
      FROM range(1, 30001) t(i)`);
    let n = 0;
    for (const version of ['V1', 'V2']) {
      for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd']) {
        const file = path.join(dir, `${version}_${codec}.parquet`);
        await conn.run(`COPY src TO '${file}' (FORMAT parquet, PARQUET_VERSION ${version}, COMPRESSION ${codec}, ROW_GROUP_SIZE 8000)`);
        const encodings = (await conn.runAndReadAll(`SELECT DISTINCT encodings FROM parquet_metadata('${file}')`)).getRows().map((r) => String(r[0]));
        t.diagnostic(`${version} ${codec}: encodings ${[...new Set(encodings.join(',').split(',').map((s) => s.trim()))].join(' ')}`);
        assert.equal(await compareFile(conn, file, t), 30000);
        n++;
      }
    }
    assert.equal(n, 8);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('nested fields before flat ones are skipped and the flat ones still line up', async (t) => {
  const conn = await duck();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preader-'));
  try {
    const file = path.join(dir, 'nested.parquet');
    await conn.run(`COPY (SELECT {'x': i, 'y': 's' || i} AS st, [i, i + 1] AS lst, i AS flat,
        MAP {'k': i} AS m, CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || i END AS s2
      FROM range(0, 5000) t(i)) TO '${file}' (FORMAT parquet)`);
    assert.equal(await compareFile(conn, file, t), 5000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('parquet-cat options and failures', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preader-'));
  try {
    const file = findParquet(path.join(fixtures, 'iceberg', 'spark_v2_unpartitioned_lineitem'))[0];
    const two = cat(file, '--json', '--limit', '2', '--columns', 'l_comment,l_orderkey').stdout.trim().split('\n');
    assert.equal(two.length, 2);
    assert.deepEqual(Object.keys(JSON.parse(two[0])), ['l_comment', 'l_orderkey']);
    const text = cat(file, '--limit', '1').stdout;
    assert.equal(text.split('\n')[0].split('\t').length, 16);
    const schema = cat(file, '--schema').stdout.split('\n')[0];
    assert.equal(schema, 'l_orderkey\tbigint\toptional\t1');

    // A damaged copy: exit status 1 and a message, never a crash.
    const bytes = fs.readFileSync(file);
    bytes.writeUInt32LE(0xffffff, bytes.length - 8);
    const bad = path.join(dir, 'bad.parquet');
    fs.writeFileSync(bad, bytes);
    const r = spawnSync(bin, ['parquet-cat', bad, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /parquet-cat: .*bad\.parquet: .*footer.*\(corrupt_data\)/);
    const missing = spawnSync(bin, ['parquet-cat', path.join(dir, 'none.parquet')], { encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /not_found/);
    assert.equal(spawnSync(bin, ['parquet-cat'], { encoding: 'utf8' }).status, 2);
    assert.equal(spawnSync(bin, ['parquet-cat', file, '--limit', 'x'], { encoding: 'utf8' }).status, 2);
    assert.equal(spawnSync(bin, ['parquet-cat', file, '--columns', 'nope'], { encoding: 'utf8' }).status, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
