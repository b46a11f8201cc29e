// Reads a table written entirely by our modules (Parquet writer, iceberg
// manifests, manifest lists, metadata, version hint) with icebird, an
// independent Iceberg reader, through a fetch shim that serves only local
// file:// paths. Checks every row across three snapshots, a partition
// directory with escaped characters, and a schema change (new optional
// column, read as null for files written before it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { icebergRead, icebergMetadata } from 'icebird';

const tool = path.join(process.env.LAKESYNC_BUILD_DIR, 'iceberg_table_sample');

// Serves file:// URLs (taken literally: Iceberg paths are not URL-decoded)
// and nothing else.
function localFetch(input, init = {}) {
  const url = typeof input === 'string' ? input : input.url;
  if (!url.startsWith('file://')) {
    return Promise.resolve(new Response('only file:// is served', { status: 403 }));
  }
  const file = url.slice('file://'.length);
  if (!fs.existsSync(file)) return Promise.resolve(new Response('not found', { status: 404 }));
  const data = fs.readFileSync(file);
  const headers = { 'content-length': String(data.length) };
  if ((init.method || 'GET') === 'HEAD') return Promise.resolve(new Response(null, { status: 200, headers }));
  return Promise.resolve(new Response(data, { status: 200, headers }));
}

test('icebird reads every row of a table we wrote', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'iceberg-icebird-'));
  const realFetch = globalThis.fetch;
  globalThis.fetch = localFetch;
  try {
    execFileSync(tool, [out], { stdio: 'inherit' });
    const expected = JSON.parse(fs.readFileSync(path.join(out, 'rows.json'), 'utf8'));
    const tableUrl = `file://${out}/table`;
    const metadata = await icebergMetadata({ tableUrl });
    assert.equal(metadata['format-version'], 2);
    assert.equal(metadata['current-schema-id'], 1);
    assert.equal(metadata.snapshots.length, 3);
    const rows = await icebergRead({ tableUrl, metadata });
    assert.equal(rows.length, expected.length);
    const norm = (r) => ({
      id: Number(r.id),
      name: r.name,
      ts: r.ts instanceof Date ? r.ts.getTime() * 1000 : Number(r.ts),
      score: r.score,
      extra: r.extra ?? null,
    });
    const got = rows.map(norm).sort((x, y) => x.id - y.id);
    assert.deepEqual(got, expected);
    // An older snapshot: time travel to v3 (before the schema change).
    const old = await icebergRead({ tableUrl, metadataFileName: 'v3.metadata.json' });
    assert.equal(old.length, 6);
    assert.ok(old.every((r) => !('extra' in r) || r.extra === null || r.extra === undefined));
  } finally {
    globalThis.fetch = realFetch;
    fs.rmSync(out, { recursive: true, force: true });
  }
});
