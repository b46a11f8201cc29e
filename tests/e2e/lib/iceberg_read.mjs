// Reads an Iceberg table the way an independent engine does: icebird, through
// the table's metadata (only committed snapshots), never by listing files.
//
//   readTable(tableUrl, { s3Endpoint }?) -> { metadata, rows }
//     tableUrl: file:///... , or s3://bucket/... with s3Endpoint the s3rver
//     holding it ('http://127.0.0.1:PORT', path-style, unsigned)
//
// icebird fetches with the global fetch(); during a read it is swapped for a
// shim that serves file:// paths (and s3:// from the given local s3rver)
// only, so nothing can reach the network.
import fs from 'node:fs';
import { icebergMetadata, icebergRead } from 'icebird';

// icebird turns s3://bucket/key into https://bucket.s3.amazonaws.com/key;
// either form is served by the local s3rver, path-style and unsigned.
function s3Url(endpoint, url) {
  let m = /^s3a?:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!m) m = /^https:\/\/([^./]+)\.s3\.amazonaws\.com(\/.*)?$/.exec(url);
  if (!m) return null;
  const [, bucket, rest = '/'] = m;
  const q = rest.indexOf('?');
  const key = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q);
  if (key === '/') return `${endpoint}/${bucket}${query}`;
  const encoded = key.slice(1).split('/').map((k) => encodeURIComponent(decodeURIComponent(k))).join('/');
  return `${endpoint}/${bucket}/${encoded}${query}`;
}

function localFetch(input, init = {}, s3Endpoint = null, realFetch = null) {
  const url = typeof input === 'string' ? input : input.url;
  const s3 = s3Endpoint && s3Url(s3Endpoint, url);
  if (s3) {
    const headers = new Headers(init.headers);
    headers.set('x-amz-content-sha256', 'UNSIGNED-PAYLOAD');
    return realFetch(s3, { method: init.method || 'GET', headers });
  }
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

export async function readTable(tableUrl, { s3Endpoint = null } = {}) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => localFetch(input, init, s3Endpoint, realFetch);
  try {
    const metadata = await icebergMetadata({ tableUrl });
    if (!metadata.snapshots || metadata.snapshots.length === 0) return { metadata, rows: [] };
    try {
      return { metadata, rows: await icebergRead({ tableUrl, metadata }) };
    } catch (e) {
      // A snapshot without data files (a commit of offsets only, such as a
      // pinned latest start) is valid Iceberg; icebird refuses to read it.
      if (/No data manifest files found/.test(e.message)) return { metadata, rows: [] };
      throw e;
    }
  } finally {
    globalThis.fetch = realFetch;
  }
}
