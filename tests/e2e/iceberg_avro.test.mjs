// Reads every manifest and manifest list that our iceberg module writes (via
// the iceberg_sample tool) with avsc, an independent Avro implementation, and
// checks: the embedded schema equals Iceberg Java 1.8.1's reference schema
// byte for byte (manifest list always; manifest for the identity(string)
// spec), field ids are kept, header keys are present, and decoded values
// equal what the tool wrote (bounds re-serialized here per Appendix D).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import avro from 'avsc';
import { longType } from './lib/avro_long.mjs';
import { decompress as zstdDecompress } from 'fzstd';
import { snappyUncompress } from 'hysnappy';

const buildDir = process.env.LAKESYNC_BUILD_DIR;
const sharedDir = process.env.LAKESYNC_SHARED_DIR;
const tool = path.join(buildDir, 'iceberg_sample');

const reference = {};
{
  const lines = fs.readFileSync(path.join(sharedDir, 'reference/avro-schemas.txt'), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('## Iceberg Java 1.8.1 manifest list')) reference.list = lines[i + 1];
    else if (lines[i].startsWith('## Iceberg Java 1.8.1 manifest (identity')) reference.manifest = lines[i + 1];
  }
}


function snappyBlock(buf, cb) {
  try {
    const data = buf.subarray(0, buf.length - 4);
    let len = 0, shift = 0, i = 0;
    for (;;) { const b = data[i++]; len |= (b & 0x7f) << shift; if (!(b & 0x80)) break; shift += 7; }
    const out = Buffer.from(snappyUncompress(data, len));
    const crc = buf.readUInt32BE(buf.length - 4);
    if (zlib.crc32(out) >>> 0 !== crc) throw new Error('snappy block CRC mismatch');
    cb(null, out);
  } catch (e) { cb(e); }
}

function readAvro(file) {
  return new Promise((resolve, reject) => {
    const records = [];
    let header;
    avro.createFileDecoder(file, {
      parseHook: (s) => avro.Type.forSchema(s, { registry: { long: longType } }),
      codecs: {
        null: (b, cb) => cb(null, b),
        deflate: (b, cb) => zlib.inflateRaw(b, cb),
        snappy: snappyBlock,
        zstandard: (b, cb) => { try { cb(null, Buffer.from(zstdDecompress(b))); } catch (e) { cb(e); } },
      },
    })
      .on('metadata', (type, codec, h) => { header = { codec, meta: Object.fromEntries(Object.entries(h.meta).map(([k, v]) => [k, v.toString()])) }; })
      .on('data', (r) => records.push(r))
      .on('end', () => resolve({ ...header, records }))
      .on('error', reject);
  });
}

// Every record field in the schema carries a field-id (and arrays an element-id).
function checkIds(schema, where) {
  if (Array.isArray(schema)) return schema.forEach((s) => checkIds(s, where));
  if (typeof schema !== 'object' || schema === null) return;
  if (schema.type === 'record') {
    for (const f of schema.fields) {
      assert.equal(typeof f['field-id'], 'number', `${where}: field ${f.name} has no field-id`);
      checkIds(f.type, `${where}.${f.name}`);
    }
  } else if (schema.type === 'array') {
    if (typeof schema.items !== 'object' || schema.items.type !== 'record') {
      assert.equal(typeof schema['element-id'], 'number', `${where}: array has no element-id`);
    }
    checkIds(schema.items, where);
  }
}

function serialize(kind, v) {
  if (kind === 'int') { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; }
  if (kind === 'string') return Buffer.from(v, 'utf8');
  throw new Error(kind);
}

const mapOf = (arr) => (arr === null ? null : Object.fromEntries(arr.map((kv) => [String(kv.key), kv.value])));

test('avsc reads our manifests and manifest lists with the reference schemas', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'iceberg-avro-'));
  try {
    execFileSync(tool, [out], { stdio: 'inherit' });
    const expected = JSON.parse(fs.readFileSync(path.join(out, 'expected.json'), 'utf8'));
    const seenFiles = new Map();
    let lists = 0, manifests = 0;
    for (const [table, exp] of Object.entries(expected)) {
      const metaDir = path.join(exp.dir, 'metadata');
      const hint = fs.readFileSync(path.join(metaDir, 'version-hint.text'), 'utf8');
      const metadata = JSON.parse(fs.readFileSync(path.join(metaDir, `v${hint}.metadata.json`), 'utf8'));
      assert.equal(metadata['format-version'], 2);
      assert.ok(metadata.location.startsWith('file://'));
      const snapshots = metadata.snapshots;
      for (const snap of snapshots) {
        assert.ok(snap['manifest-list'].startsWith('file://'), 'fully qualified manifest list');
        assert.equal(snap.summary.operation, 'append');
        assert.equal(snap.summary['lakesync.job-id'], 'sample-job');
        const list = await readAvro(snap['manifest-list'].slice(7));
        lists++;
        assert.equal(list.meta['avro.schema'], reference.list, `${table}: manifest list schema`);
        checkIds(JSON.parse(list.meta['avro.schema']), 'manifest_file');
        assert.equal(list.meta['format-version'], '2');
        assert.equal(list.meta['snapshot-id'], String(snap['snapshot-id']));
        assert.equal(list.meta['sequence-number'], String(snap['sequence-number']));
        assert.equal(list.meta['parent-snapshot-id'], snap['parent-snapshot-id'] === undefined ? 'null' : String(snap['parent-snapshot-id']));
        // Fast append: the new manifest first, then all of the parent's, unchanged.
        assert.equal(list.records.length, snap['sequence-number']);
        assert.equal(list.records[0].added_snapshot_id, BigInt(snap['snapshot-id']));
        for (const mf of list.records) {
          assert.ok(mf.manifest_path.startsWith('file://'));
          const file = mf.manifest_path.slice(7);
          assert.equal(mf.manifest_length, BigInt(fs.statSync(file).size));
          assert.equal(mf.content, 0);
          assert.equal(mf.sequence_number, mf.min_sequence_number);
          const m = await readAvro(file);
          manifests++;
          if (table === 'identity') {
            assert.equal(m.meta['avro.schema'], reference.manifest, 'manifest schema equals the reference');
          }
          checkIds(JSON.parse(m.meta['avro.schema']), 'manifest_entry');
          assert.equal(m.meta['format-version'], '2');
          assert.equal(m.meta.content, 'data');
          assert.equal(m.meta['partition-spec-id'], '0');
          assert.deepEqual(JSON.parse(m.meta['partition-spec']), metadata['partition-specs'][0].fields);
          assert.deepEqual(JSON.parse(m.meta.schema), metadata.schemas[0]);
          assert.ok(JSON.parse(m.meta['iceberg.schema']).fields.length === 5);
          assert.equal(m.records.length, mf.added_files_count);
          let rows = 0n;
          for (const e of m.records) {
            assert.equal(e.status, 1);
            assert.equal(e.snapshot_id, mf.added_snapshot_id);
            assert.equal(e.sequence_number, null);
            assert.equal(e.file_sequence_number, null);
            assert.equal(e.data_file.content, 0);
            assert.equal(e.data_file.file_format, 'PARQUET');
            rows += e.data_file.record_count;
            seenFiles.set(e.data_file.file_path, e);
          }
          assert.equal(rows, mf.added_rows_count);
          assert.equal(mf.partitions.length, metadata['partition-specs'][0].fields.length);
        }
      }
      for (const f of exp.files) {
        const e = seenFiles.get(f.path);
        assert.ok(e, `${f.path} is in a manifest`);
        const df = e.data_file;
        assert.equal(df.file_size_in_bytes, BigInt(f.size));
        assert.equal(df.record_count, BigInt(f.rows));
        assert.equal(e.snapshot_id, BigInt(f.snapshot));
        assert.deepEqual({ ...df.partition }, f.partition);
        if (f.bounds) {
          const lower = mapOf(df.lower_bounds), upper = mapOf(df.upper_bounds);
          for (const [id, [kind, lo, hi]] of Object.entries(f.bounds)) {
            assert.deepEqual(lower[id], serialize(kind, lo), `lower bound of ${id}`);
            assert.deepEqual(upper[id], serialize(kind, hi), `upper bound of ${id}`);
          }
          const values = mapOf(df.value_counts), nulls = mapOf(df.null_value_counts);
          for (const [id, [v, n]] of Object.entries(f.counts)) {
            assert.equal(values[id], BigInt(v));
            assert.equal(nulls[id], BigInt(n));
          }
          assert.deepEqual(df.split_offsets, f.split_offsets === null ? null : f.split_offsets.map(BigInt));
        }
      }
      if (exp.partition_path) {
        assert.ok(exp.files[0].path.includes(`/data/${exp.partition_path}/`));
      }
    }
    // identity: 2 lists (1 + 2 manifests read), multi: 1 list.
    assert.equal(lists, 3);
    assert.equal(manifests, 4);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
