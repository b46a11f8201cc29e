// Randomized round trip: random schemas and values (nulls, extremes, NaN,
// infinities, decimals at every precision up to 38, unicode, empty and huge
// strings) written by lakesync's Parquet writer with every codec, read back by
// DuckDB and hyparquet and compared with what was written. The writer's file
// statistics are compared with statistics computed here from the values.
//
// Reproduce a failure with PARQUET_SEED=<seed printed below>; more files with
// PARQUET_ITERATIONS=N.
//
// Documented limits of the comparison: timestamps stay within +-2^62 us
// (DuckDB reserves INT64_MAX / -INT64_MAX for +-infinity timestamps; bigint
// columns do cover INT64_MIN / INT64_MAX); hyparquet turns decimals into JS
// numbers, so it is compared with a relative tolerance there (DuckDB exactly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects, parquetMetadata } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const buildDir = process.env.LAKESYNC_BUILD_DIR;
const gen = path.join(buildDir, 'lakesync_parquet_gen');
const seed = Number(process.env.PARQUET_SEED ?? Math.floor(Math.random() * 2 ** 31));
const iterations = Number(process.env.PARQUET_ITERATIONS ?? 8);
console.log(`parquet_random: PARQUET_SEED=${seed} PARQUET_ITERATIONS=${iterations}`);

// mulberry32: a small seeded generator, so a seed reproduces a run.
function rng(s) {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['boolean', 'int', 'bigint', 'float', 'double', 'decimal', 'string', 'binary',
  'date', 'timestamp', 'timestamptz'];
const CODECS = ['zstd', 'snappy', 'gzip', 'none'];
const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;

function makeGen(rand) {
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const big = (lim) => {
    // uniform-ish BigInt in (-lim, lim)
    let v = 0n;
    for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
    v %= lim;
    return rand() < 0.5 ? -v : v;
  };
  const codePoint = () => {
    const r = rand();
    if (r < 0.5) return int(0x20, 0x7e);
    if (r < 0.7) return int(0xa0, 0x7ff);
    if (r < 0.9) return int(0x800, 0xd7ff);
    return int(0x10000, 0x10ffff);
  };
  const text = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCodePoint(codePoint());
    return s;
  };
  return {
    pick, int,
    column(i) {
      const kind = pick(TYPES);
      let type = kind, precision, scale;
      if (kind === 'decimal') {
        precision = rand() < 0.3 ? 38 : int(1, 38);
        scale = int(0, precision);
        type = `decimal(${precision},${scale})`;
      }
      // Low-cardinality columns exercise the dictionary, others its fallback.
      const distinct = rand() < 0.5 ? int(1, 20) : 0;
      return { name: `c${i}_${kind}`, type, kind, precision, scale, field_id: i + 1,
        required: rand() < 0.25, nullRate: pick([0, 0.1, 0.5, 0.95]), distinct, pool: [] };
    },
    value(col) {
      if (col.distinct && col.pool.length >= col.distinct) return pick(col.pool);
      const v = this.freshValue(col);
      if (col.distinct) col.pool.push(v);
      return v;
    },
    freshValue(col) {
      switch (col.kind) {
      case 'boolean': return rand() < 0.5;
      case 'int': return pick([-2147483648, 2147483647, 0, -1, int(-2147483648, 2147483647), int(-100, 100)]);
      case 'bigint': return pick([INT64_MIN, INT64_MAX, 0n, -1n, big(2n ** 63n), BigInt(int(-1000, 1000))]);
      case 'float': return pick([NaN, Infinity, -Infinity, -0, 0, 3.4028234663852886e38, 1.401298464324817e-45,
        Math.fround((rand() - 0.5) * 1e6), Math.fround((rand() - 0.5) * 1e-3)]);
      case 'double': return pick([NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, 5e-324, -Number.MAX_VALUE,
        (rand() - 0.5) * 1e300, (rand() - 0.5) * 1e-300, rand()]);
      case 'decimal': {
        const lim = 10n ** BigInt(col.precision);
        return pick([lim - 1n, -(lim - 1n), 0n, big(lim), BigInt(int(-99, 99)) % lim]);
      }
      case 'string': {
        const r = rand();
        if (r < 0.1) return '';
        if (r < 0.12) return text(int(20000, 70000)); // huge: bounds leave the footer
        return text(int(1, 30));
      }
      case 'binary': {
        const n = rand() < 0.1 ? 0 : int(1, 40);
        return Buffer.from(Array.from({ length: n }, () => int(0, 255)));
      }
      case 'date': return int(-719162, 2932896);
      case 'timestamp':
      case 'timestamptz': return pick([big(2n ** 62n), 0n, -1n, BigInt(int(0, 2e9)) * 1000000n]);
      }
      throw new Error(col.kind);
    },
  };
}

// The spec document's JSON form of a value (see tests/tools/parquet_gen.c).
function specValue(col, v) {
  if (v === null) return null;
  switch (col.kind) {
  case 'float':
  case 'double':
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    if (Object.is(v, -0)) return '-0';
    return v;
  case 'bigint':
  case 'decimal':
  case 'timestamp':
  case 'timestamptz': return v.toString();
  case 'binary': return v.toString('hex');
  default: return v;
  }
}

function decimalText(unscaled, scale) {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale === 0) return (neg ? '-' : '') + digits;
  digits = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

// The unscaled integer of DuckDB's decimal text ("-.000007" when P == S).
function unscaledOf(text, scale) {
  const neg = text.startsWith('-');
  const [ip, fp = ''] = text.replace('-', '').split('.');
  assert.equal(fp.length, scale, `decimal text ${text} has scale ${scale}`);
  const v = BigInt((ip || '0') + fp);
  return neg ? -v : v;
}

// SQL expression for a column whose JSON form is exact.
function duckExpr(col) {
  const q = `"${col.name}"`;
  switch (col.kind) {
  case 'decimal': return `CAST(${q} AS VARCHAR)`;
  case 'binary': return `hex(${q})`;
  case 'date': return `date_diff('day', DATE '1970-01-01', ${q})`;
  case 'timestamp':
  case 'timestamptz': return `epoch_us(${q})`;
  case 'bigint': return `CAST(${q} AS VARCHAR)`;
  default: return q;
  }
}

function expectDuck(col, v, got, where) {
  if (v === null) return assert.equal(got, null, where);
  switch (col.kind) {
  case 'float':
  case 'double':
    if (Number.isNaN(v)) return assert.equal(got, 'NaN', where);
    if (v === Infinity) return assert.equal(got, 'Infinity', where);
    if (v === -Infinity) return assert.equal(got, '-Infinity', where);
    return assert.equal(Number(got), col.kind === 'float' ? Math.fround(v) : v, where);
  case 'bigint': return assert.equal(got, v.toString(), where);
  case 'decimal': return assert.equal(unscaledOf(got, col.scale), v, `${where}: ${got} vs ${decimalText(v, col.scale)}`);
  case 'binary': return assert.equal(got, v.toString('hex').toUpperCase(), where);
  case 'date': return assert.equal(Number(got), v, where);
  case 'timestamp':
  case 'timestamptz': return assert.equal(BigInt(got), v, where);
  default: return assert.equal(got, v, where);
  }
}

function expectHyparquet(col, v, got, where) {
  if (v === null) return assert.equal(got ?? null, null, where);
  switch (col.kind) {
  case 'float':
  case 'double':
    if (Number.isNaN(v)) return assert.ok(Number.isNaN(got), where);
    return assert.equal(got, col.kind === 'float' ? Math.fround(v) : v, where);
  case 'int': return assert.equal(got, v, where);
  case 'bigint': return assert.equal(got, v, where);
  case 'decimal': {
    const want = Number(v) * 10 ** -col.scale;
    return assert.ok(Math.abs(got - want) <= Math.abs(want) * 1e-9 + 1e-300, `${where}: ${got} vs ${want}`);
  }
  case 'binary': return assert.equal(Buffer.from(got).toString('hex'), v.toString('hex'), where);
  case 'date': return assert.equal(got, v, where);
  case 'timestamp':
  case 'timestamptz': return assert.equal(BigInt(got), v, where);
  default: return assert.equal(got, v, where);
  }
}

// Statistics computed from the values, in the writer's report format.
function expectedStats(col, values) {
  let nulls = 0, nans = 0, min = null, max = null;
  const cmp = (a, b) => {
    if (col.kind === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    if (col.kind === 'binary') return Buffer.compare(a, b);
    if (col.kind === 'boolean') return Number(a) - Number(b);
    return a < b ? -1 : a > b ? 1 : 0;
  };
  for (const v of values) {
    if (v === null) { nulls++; continue; }
    if ((col.kind === 'float' || col.kind === 'double') && Number.isNaN(v)) { nans++; continue; }
    const x = col.kind === 'float' ? Math.fround(v) : v;
    if (min === null || cmp(x, min) < 0) min = x;
    if (max === null || cmp(x, max) > 0) max = x;
  }
  return { nulls, nans, min, max };
}

function statText(col, v, isMin) {
  switch (col.kind) {
  case 'boolean': return v ? '1' : '0';
  case 'string': return Buffer.from(v, 'utf8').toString('hex');
  case 'binary': return v.toString('hex');
  case 'float':
  case 'double': return v === 0 ? (isMin ? -0 : 0) : v;
  default: return v.toString();
  }
}

function parseStatDouble(s) {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return parseFloat(s);
}

test('random schemas and values round trip through DuckDB and hyparquet', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-parquet-random-'));
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
  const conn = await db.connect();
  try {
    for (let it = 0; it < iterations; it++) {
      const rand = rng(seed + it * 7919);
      const g = makeGen(rand);
      const columns = Array.from({ length: g.int(1, 12) }, (_, i) => g.column(i));
      const rowCount = g.pick([0, 1, 7, g.int(100, 3000)]);
      const rows = [];
      for (let r = 0; r < rowCount; r++)
        rows.push(columns.map((c) => (!c.required && rand() < c.nullRate ? null : g.value(c))));
      const options = {
        codec: g.pick(CODECS),
        page_bytes: g.pick([512, 4096, 1 << 20]),
        row_group_bytes: g.pick([8192, 65536, 128 << 20]),
        dictionary: rand() < 0.8,
        dictionary_max_entries: g.pick([8, 100, 65536]),
        batch_rows: g.pick([1, 64, 1000]),
      };
      const where0 = `seed ${seed} iteration ${it} (${options.codec}, ${columns.map((c) => c.type).join(' ')})`;
      const spec = { ...options, columns: columns.map(({ name, type, field_id, required }) => ({ name, type, field_id, required })),
        rows: rows.map((row) => row.map((v, i) => specValue(columns[i], v))) };
      const specPath = path.join(dir, `spec${it}.json`), file = path.join(dir, `f${it}.parquet`);
      fs.writeFileSync(specPath, JSON.stringify(spec));
      const stats = JSON.parse(execFileSync(gen, [specPath, file], { maxBuffer: 1 << 28 }).toString());
      assert.equal(stats.row_count, rowCount, where0);
      assert.equal(stats.file_size, fs.statSync(file).size, where0);

      // DuckDB: values, exactly.
      const sql = `SELECT ${columns.map((c) => duckExpr(c)).join(', ')} FROM read_parquet('${file}')`;
      const got = (await conn.runAndReadAll(sql)).getRowsJson();
      assert.equal(got.length, rowCount, where0);
      for (let r = 0; r < rowCount; r++)
        columns.forEach((c, i) => expectDuck(c, rows[r][i], got[r][i], `${where0} row ${r} ${c.name}`));
      // DuckDB: schema with field ids and repetition.
      const schema = (await conn.runAndReadAll(
        `SELECT name, field_id, repetition_type FROM parquet_schema('${file}')`)).getRowObjectsJson();
      columns.forEach((c, i) => {
        assert.equal(schema[i + 1].name, c.name, where0);
        assert.equal(String(schema[i + 1].field_id), String(c.field_id), where0);
        assert.equal(schema[i + 1].repetition_type, c.required ? 'REQUIRED' : 'OPTIONAL', where0);
      });

      // hyparquet: an independent decoder (all codecs through hyparquet-compressors).
      const buf = fs.readFileSync(file);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      const meta = parquetMetadata(ab);
      assert.equal(Number(meta.num_rows), rowCount, where0);
      const hrows = await parquetReadObjects({ file: ab, compressors, utf8: false,
        parsers: { timestampFromMicroseconds: (v) => v, dateFromDays: (d) => d } });
      assert.equal(hrows.length, rowCount, where0);
      for (let r = 0; r < rowCount; r++)
        columns.forEach((c, i) => expectHyparquet(c, rows[r][i], hrows[r][c.name], `${where0} hyparquet row ${r} ${c.name}`));

      // The writer's statistics against values computed here.
      columns.forEach((c, i) => {
        const want = expectedStats(c, rows.map((row) => row[i]));
        const s = stats.columns[i];
        const w = `${where0} stats ${c.name}`;
        assert.equal(s.field_id, c.field_id, w);
        assert.equal(s.value_count, rowCount, w);
        assert.equal(s.null_count, want.nulls, w);
        assert.equal(s.nan_count, want.nans, w);
        assert.equal(s.has_min_max, want.min !== null, w);
        if (want.min === null) return;
        if (c.kind === 'float' || c.kind === 'double') {
          assert.ok(Object.is(parseStatDouble(s.min), statText(c, want.min, true)), `${w} min ${s.min}`);
          assert.ok(Object.is(parseStatDouble(s.max), statText(c, want.max, false)), `${w} max ${s.max}`);
        } else {
          assert.equal(s.min, statText(c, want.min, true), w);
          assert.equal(s.max, statText(c, want.max, false), w);
        }
      });
      // Row groups: split offsets are the row groups' offsets DuckDB reports.
      const groups = (await conn.runAndReadAll(
        `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${file}') ORDER BY 1`)).getRowsJson();
      assert.equal(groups.length, stats.split_offsets.length, where0);
      assert.equal(groups.reduce((a, g2) => a + Number(g2[1]), 0), rowCount, where0);
    }
  } finally {
    conn.closeSync?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
