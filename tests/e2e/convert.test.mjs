// `lakesync convert`: NDJSON -> Parquet, compared with DuckDB's read_json of
// the same file; bad lines are reported with line numbers and fail the
// command unless --skip-bad-lines; the output path never holds a partial file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const bin = process.env.LAKESYNC_BIN;

function convert(args) {
  const r = spawnSync(bin, ['convert', ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

async function duck() {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
  return db.connect();
}

const mapping = [
  { source: 'name', name: 'name', type: 'string' },
  { source: 'age', name: 'age', type: 'bigint' },
  { source: 'device.os.test', name: 'device_os_test', type: 'string' },
  { source: 'device.brand', name: 'device_brand', type: 'string' },
  { source: 'event_time', name: 'event_time', type: 'timestamptz' },
  { source: 'score', name: 'score', type: 'double' },
  { source: 'price', name: 'price', type: 'decimal(10,2)' },
  { source: 'tags', name: 'tags', type: 'string' },
  { source: 'active', name: 'active', type: 'boolean' },
  { source: 'day', name: 'day', type: 'date' },
];

// Deterministic messages: unicode and escapes, missing fields, explicit
// nulls, offsets in timestamps, nested objects and arrays.
function message(i) {
  const m = {
    name: ['zhangle', 'Zoë', '杭州', 'quote"back\\slash', ''][i % 5] + `-${i}`,
    age: i % 7 === 0 ? null : 18 + (i % 60),
    device: { os: { test: i % 3 ? 'lag' : 'ok' }, brand: ['none', 'apple', 'huawei'][i % 3] },
    event_time: `2024-05-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:0${i % 10}.${String(i % 1000).padStart(3, '0')}${i % 2 ? 'Z' : '+08:00'}`,
    score: (i * 7919) % 100000 / 16,
    price: `${i % 1000}.${String(i % 100).padStart(2, '0')}`,
    tags: ['new', i % 2 ? 'vip' : 'beta'],
    active: i % 2 === 0,
    day: `2024-01-${String(1 + (i % 28)).padStart(2, '0')}`,
  };
  if (i % 11 === 0) delete m.device;
  if (i % 13 === 0) m.score = null;
  return JSON.stringify(m);
}

test('convert matches DuckDB read_json of the same NDJSON', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-convert-'));
  try {
    const input = path.join(dir, 'events.ndjson'), fields = path.join(dir, 'mapping.json');
    const output = path.join(dir, 'out.parquet');
    const N = 20000;
    // CRLF line ends and an empty line are accepted.
    fs.writeFileSync(input, Array.from({ length: N }, (_, i) => message(i)).join('\n').replace(/\n(?=.*"name":"Zoë-1\b)/, '\r\n') + '\n\n');
    fs.writeFileSync(fields, JSON.stringify(mapping));
    const r = convert(['--input', input, '--fields', fields, '--output', output]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /20000 rows/);
    const conn = await duck();
    const ours = (await conn.runAndReadAll(`SELECT name, age, device_os_test, device_brand, epoch_us(event_time), score,
      price::VARCHAR, tags, active, day::VARCHAR FROM read_parquet('${output}')`)).getRowsJson();
    const theirs = (await conn.runAndReadAll(`SELECT name, age, device.os.test, device.brand, epoch_us(event_time), score,
      price::VARCHAR, tags::VARCHAR, active, day::VARCHAR FROM read_json('${input}', format='newline_delimited', columns={
        name: 'VARCHAR', age: 'BIGINT', device: 'STRUCT(os STRUCT(test VARCHAR), brand VARCHAR)',
        event_time: 'TIMESTAMPTZ', score: 'DOUBLE', price: 'DECIMAL(10,2)', tags: 'JSON', active: 'BOOLEAN', day: 'DATE'})`)).getRowsJson();
    assert.equal(ours.length, N);
    assert.equal(theirs.length, N);
    for (let i = 0; i < N; i++) assert.deepEqual(ours[i], theirs[i], `row ${i}`);
    // Field ids 1..N in mapping order, zstd by default.
    const schema = (await conn.runAndReadAll(`SELECT name, field_id FROM parquet_schema('${output}') WHERE field_id IS NOT NULL`)).getRowsJson();
    assert.deepEqual(schema.map((s) => [s[0], Number(s[1])]), mapping.map((m, i) => [m.name, i + 1]));
    const codec = (await conn.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${output}')`)).getRowsJson();
    assert.deepEqual(codec, [['ZSTD']]);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['events.ndjson', 'mapping.json', 'out.parquet']);

    // Another codec.
    const snappy = path.join(dir, 'snappy.parquet');
    assert.equal(convert(['--input', input, '--fields', fields, '--output', snappy, '--compression', 'snappy']).status, 0);
    const codec2 = (await conn.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${snappy}')`)).getRowsJson();
    assert.deepEqual(codec2, [['SNAPPY']]);
    const count = (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${snappy}')`)).getRowsJson();
    assert.equal(Number(count[0][0]), N);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad lines fail the command with line numbers unless skipped; no partial output', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-convert-bad-'));
  try {
    const input = path.join(dir, 'in.ndjson'), fields = path.join(dir, 'mapping.json');
    const output = path.join(dir, 'out.parquet');
    const lines = Array.from({ length: 100 }, (_, i) => message(i));
    lines[4] = '{"name":"x","device":{"os":{"test":lag}}}'; // the seed's unquoted value
    lines[49] = '{"name":"y","age":"not a number"}';
    lines[99] = '{"name":"z"'; // cut short
    fs.writeFileSync(input, lines.join('\n'));
    fs.writeFileSync(fields, JSON.stringify(mapping));
    const r = convert(['--input', input, '--fields', fields, '--output', output]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /in\.ndjson:5: invalid_json/);
    assert.match(r.stderr, /in\.ndjson:50: type_mismatch in age/);
    assert.match(r.stderr, /in\.ndjson:100: invalid_json/);
    assert.match(r.stderr, /3 bad line/);
    assert.ok(!fs.existsSync(output), 'no output on failure');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['in.ndjson', 'mapping.json'], 'no temporary file left');

    const ok = convert(['--input', input, '--fields', fields, '--output', output, '--skip-bad-lines']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /97 rows, 3 bad lines skipped/);
    const conn = await duck();
    const names = (await conn.runAndReadAll(`SELECT count(*), count(DISTINCT name) FROM read_parquet('${output}')`)).getRowsJson();
    assert.deepEqual(names[0].map(Number), [97, 97]);

    // Usage and mapping errors.
    assert.equal(convert(['--input', input]).status, 2);
    fs.writeFileSync(fields, JSON.stringify([{ source: 'a', name: 'a', type: 'varchar' }]));
    const bad = convert(['--input', input, '--fields', fields, '--output', output]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /field 'a'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// A pipe cannot be mapped: it takes the read() path, which must give the
// same file byte for byte as the mapped path over the same lines (the last
// one without a '\n').
test('a pipe on stdin converts to the same file as the mapped path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-convert-pipe-'));
  try {
    const input = path.join(dir, 'in.ndjson'), fields = path.join(dir, 'mapping.json');
    const text = Array.from({ length: 3000 }, (_, i) => message(i)).join('\n');
    fs.writeFileSync(input, text);
    fs.writeFileSync(fields, JSON.stringify(mapping));
    const mapped = convert(['--input', input, '--fields', fields, '--output', path.join(dir, 'mapped.parquet')]);
    assert.equal(mapped.status, 0, mapped.stderr);
    // Through cat and sh: node's own stdin for a child is a socket, which
    // /dev/stdin cannot be opened on.
    const piped = spawnSync('sh', ['-c', 'cat "$0" | "$1" convert --input /dev/stdin --fields "$2" --output "$3"',
      input, bin, fields, path.join(dir, 'piped.parquet')], { encoding: 'utf8' });
    assert.equal(piped.status, 0, piped.stderr);
    assert.match(piped.stderr, /3000 rows/);
    assert.ok(fs.readFileSync(path.join(dir, 'piped.parquet')).equals(fs.readFileSync(path.join(dir, 'mapped.parquet'))));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
