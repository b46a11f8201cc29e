// Reads an Iceberg table the way an independent engine does: icebird, through
// the table's metadata (only committed snapshots), never by listing files.
//
//   readTable(tableUrl) -> { metadata, rows }   tableUrl: file:///...
//
// icebird fetches with the global fetch(); during a read it is swapped for a
// shim that serves file:// paths only, so nothing can reach the network.
import fs from 'node:fs';
import { icebergMetadata, icebergRead } from 'icebird';

function localFetch(input, init = {}) {
  const url = typeof input === 'string' ? input : input.url;
  if (!url.startsWith('file://')) {
    return Promise.resolve(new Response('only file:// is served', { status: 403 }));
  }
  const file = url.slice('file://'.length);
  if (!fs.existsSync(file)) return Promise.resolve(new Response('not found', { status: 404 }));
  const data = fs.readFileSync(file);
  const headers = { 'content-length': String(data.length) };
  if ((init.method || 'GET') === 'HEAD') {
    return Promise.resolve(new Response(null, { status: 200, headers }));
  }
  return Promise.resolve(new Response(data, { status: 200, headers }));
}

export async function readTable(tableUrl) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = localFetch;
  try {
    const metadata = await icebergMetadata({ tableUrl });
    if (!metadata.snapshots || metadata.snapshots.length === 0) return { metadata, rows: [] };
    const rows = await icebergRead({ tableUrl, metadata });
    return { metadata, rows };
  } finally {
    globalThis.fetch = realFetch;
  }
}
