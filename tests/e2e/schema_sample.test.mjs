// ctest-labels: sanitize
// Sample data and schema inference against the test broker (librdkafka's mock
// cluster as lakesync_testbroker): latest messages across partitions,
// untruncated 100 KB values, binary garbage returned with its parse error,
// missing topics and unreachable brokers, and inference giving the seed's
// tables at every parse level.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.mjs';

const seedDir = path.join(process.env.LAKESYNC_SOURCE_DIR, 'tests', 'data', 'jsonscan_seed');

// Starts lakesync_testbroker; it exits when our end of its stdin closes, so a
// crashed test run cannot leave it behind.
async function startBroker(topics) {
  const bin = path.join(process.env.LAKESYNC_BUILD_DIR, 'lakesync_testbroker');
  const args = ['--exit-on-stdin-eof'];
  for (const t of topics) args.push('--topic', t);
  const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const bootstrap = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${err}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^bootstrap (\S+)$/m);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`broker exited ${code}: ${err}`)); });
  });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    bootstrap,
    async stop() { proc.stdin.end(); return exited; },
  };
}

function kcat(args, input) {
  return execFileSync('kcat', args, { input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30000 });
}

function assertError(res, status, code, field) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  if (field !== undefined) assert.equal(res.json.error.field, field, res.text);
}

describe('sample and infer against the test broker', () => {
  let broker, server, dir, sourceId;
  const big = JSON.stringify({ blob: 'x'.repeat(100 * 1024), n: 1 });
  const garbage = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b]), crypto.randomBytes(251)]);
  const seed = fs.readFileSync(path.join(seedDir, 'seed_quoted.json'));

  before(async () => {
    broker = await startBroker(['demo:3', 'empty:1']);
    dir = tempDir('lakesync-sample-');
    const b = ['-b', broker.bootstrap, '-P', '-t', 'demo'];
    kcat([...b, '-p', '0', '-K', ':'], 'k1:{"name":"a","age":1}\nk2:{"name":"b","age":2}\nk3:{"name":"c","age":3.5}\n');
    fs.writeFileSync(path.join(dir, 'garbage'), garbage);
    kcat([...b, '-p', '1', path.join(dir, 'garbage')]);
    fs.writeFileSync(path.join(dir, 'big'), big);
    kcat([...b, '-p', '2', path.join(dir, 'big')]);
    kcat([...b, '-p', '0', path.join(seedDir, 'seed_quoted.json')]);
    server = await startServer();
    const res = await server.request('POST', '/api/v1/data-sources',
                                     { body: { bootstrap_servers: broker.bootstrap, topic: 'demo' } });
    assert.equal(res.status, 201, res.text);
    sourceId = res.json.id;
  });

  after(async () => {
    await server?.cleanup();
    await broker?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the sample holds every message, untruncated, garbage with its parse error', async () => {
    const res = await server.request('GET', `/api/v1/data-sources/${sourceId}/sample?limit=50`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.topic, 'demo');
    assert.equal(res.json.partition_count, 3);
    assert.equal(res.json.incomplete, false);
    const items = res.json.items;
    assert.equal(items.length, 6);
    for (let i = 1; i < items.length; i++)
      assert.ok(items[i - 1].timestamp_ms >= items[i].timestamp_ms, 'newest first');

    const large = items.find((m) => m.partition === 2);
    assert.equal(large.value_bytes, big.length);
    assert.equal(large.value, big);
    assert.equal(large.value_encoding, 'utf8');
    assert.equal(large.json_valid, true);
    assert.equal(large.json_error, null);
    assert.equal(large.key, null);

    const bad = items.find((m) => m.partition === 1);
    assert.equal(bad.value_encoding, 'base64');
    assert.deepEqual(Buffer.from(bad.value, 'base64'), garbage);
    assert.equal(bad.value_bytes, garbage.length);
    assert.equal(bad.json_valid, false);
    assert.equal(bad.json_error.kind, 'invalid_json');
    assert.equal(bad.json_error.offset, 0);

    const keyed = items.filter((m) => m.key !== null).map((m) => m.key).sort();
    assert.deepEqual(keyed, ['k1', 'k2', 'k3']);
    const k3 = items.find((m) => m.key === 'k3');
    assert.equal(k3.value, '{"name":"c","age":3.5}');
    assert.equal(k3.partition, 0);
    assert.equal(k3.offset, 2);
    const seedItem = items.find((m) => m.partition === 0 && m.offset === 3);
    assert.equal(seedItem.value, seed.toString('utf8'));
  });

  test('limit keeps the newest messages', async () => {
    const all = (await server.request('GET', `/api/v1/data-sources/${sourceId}/sample?limit=50`)).json.items;
    const res = await server.request('GET', `/api/v1/data-sources/${sourceId}/sample?limit=2`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.items.map((m) => [m.partition, m.offset]),
                     all.slice(0, 2).map((m) => [m.partition, m.offset]));
    const one = await server.request('GET', `/api/v1/data-sources/${sourceId}/sample`);
    assert.equal(one.status, 200);
    assert.equal(one.json.items.length, 6, 'default limit 10 covers all six');
  });

  test('bad limits, unknown sources', async () => {
    assertError(await server.request('GET', `/api/v1/data-sources/${sourceId}/sample?limit=0`), 400, 'invalid_argument', 'limit');
    assertError(await server.request('GET', `/api/v1/data-sources/${sourceId}/sample?limit=x`), 400, 'invalid_argument', 'limit');
    assertError(await server.request('GET', `/api/v1/data-sources/${sourceId}/sample?limit=1001`), 400, 'invalid_argument', 'limit');
    assertError(await server.request('GET', '/api/v1/data-sources/ds_nope/sample'), 404, 'not_found');
    assertError(await server.request('GET', `/api/v1/data-sources/${sourceId}/sample`, { token: null }), 401, 'unauthenticated');
  });

  test('an empty topic gives an empty sample', async () => {
    const src = await server.request('POST', '/api/v1/data-sources',
                                     { body: { bootstrap_servers: broker.bootstrap, topic: 'empty' } });
    const res = await server.request('GET', `/api/v1/data-sources/${src.json.id}/sample`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.items, []);
    assert.equal(res.json.partition_count, 1);
  });

  test('a missing topic is 404 and sampling does not create it', async () => {
    const src = await server.request('POST', '/api/v1/data-sources',
                                     { body: { bootstrap_servers: broker.bootstrap, topic: 'nope' } });
    const res = await server.request('GET', `/api/v1/data-sources/${src.json.id}/sample`);
    assertError(res, 404, 'not_found', 'topic');
    assert.match(res.json.error.message, /nope/);
    const listing = kcat(['-b', broker.bootstrap, '-L']).toString();
    assert.ok(!listing.includes('"nope"'), listing);
  });

  test('an unreachable broker is 503 within the time bound', async () => {
    const src = await server.request('POST', '/api/v1/data-sources',
                                     { body: { bootstrap_servers: '127.0.0.1:1', topic: 'demo' } });
    const started = Date.now();
    const res = await server.request('GET', `/api/v1/data-sources/${src.json.id}/sample?timeout_ms=2000`);
    assertError(res, 503, 'unavailable', 'bootstrap_servers');
    assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
  });

  test('inference over messages gives the seed tables at every level', async () => {
    for (let level = 0; level <= 4; level++) {
      const res = await server.request('POST', '/api/v1/schema/infer',
                                       { body: { messages: [seed.toString('utf8')], parse_levels: level } });
      assert.equal(res.status, 200, res.text);
      const golden = fs.readFileSync(path.join(seedDir, `level${level}.tsv`), 'utf8').trim().split('\n')
        .map((line) => line.split('\t'));
      assert.deepEqual(res.json.fields.map((f) => [f.source, f.name]), golden.map(([s, n]) => [s, n]));
      for (const f of res.json.fields)
        assert.equal(f.type, f.source === 'age' ? 'bigint' : 'string', JSON.stringify(f));
      assert.equal(res.json.samples, 1);
      assert.equal(res.json.invalid_samples, 0);
      assert.equal(res.json.first_invalid, null);
    }
  });

  test('inference unifies types across messages and reports collisions', async () => {
    const messages = [
      { id: 1, price: 1, at: '2024-01-01T00:00:00Z', tags: ['a'], 'a.b': true, a: { b: 1 } },
      { id: 2, price: 2.5, at: '2024-06-01T12:00:00+08:00', tags: [], 'a.b': false },
      '{"id": null, "price": 3}',
      '{"unquoted": lag}',
    ];
    const res = await server.request('POST', '/api/v1/schema/infer', { body: { messages, parse_levels: 2 } });
    assert.equal(res.status, 200, res.text);
    const types = Object.fromEntries(res.json.fields.map((f) => [f.source, f.type]));
    assert.deepEqual(types, { id: 'bigint', price: 'double', at: 'timestamptz', tags: 'string',
                              'a\\.b': 'boolean', 'a.b': 'bigint' });
    const names = Object.fromEntries(res.json.fields.map((f) => [f.source, f.name]));
    assert.equal(names['a\\.b'], 'a_b');
    assert.equal(names['a.b'], 'a_b_2');
    assert.deepEqual(res.json.collisions, [{ source: 'a.b', wanted: 'a_b', assigned: 'a_b_2' }]);
    assert.equal(res.json.invalid_samples, 1);
    assert.equal(res.json.first_invalid.index, 3);
    assert.equal(res.json.first_invalid.kind, 'invalid_json');
    const id = res.json.field_details.find((d) => d.source === 'id');
    assert.deepEqual([id.present, id.nulls, id.example], [3, 1, '1']);
  });

  test('inference over a data source samples its latest messages', async () => {
    const res = await server.request('POST', '/api/v1/schema/infer',
                                     { body: { data_source_id: sourceId, parse_levels: 1, sample_size: 100 } });
    assert.equal(res.status, 200, res.text);
    const types = Object.fromEntries(res.json.fields.map((f) => [f.source, f.type]));
    assert.equal(types.name, 'string');
    assert.equal(types.age, 'double'); // 1, 2 and 3.5
    assert.equal(types.blob, 'string');
    assert.equal(types.n, 'bigint');
    assert.equal(types.device, 'string');
    assert.equal(res.json.samples, 6);
    assert.equal(res.json.invalid_samples, 1);
  });

  test('inference rejects bad requests', async () => {
    assertError(await server.request('POST', '/api/v1/schema/infer', { body: {} }), 400, 'invalid_argument', 'data_source_id');
    assertError(await server.request('POST', '/api/v1/schema/infer', { body: { messages: ['{}'], data_source_id: sourceId } }),
                400, 'invalid_argument', 'data_source_id');
    assertError(await server.request('POST', '/api/v1/schema/infer', { body: { messages: ['{}'], parse_levels: 5 } }),
                400, 'invalid_argument', 'parse_levels');
    assertError(await server.request('POST', '/api/v1/schema/infer', { body: { messages: ['{}'], extra: 1 } }),
                400, 'invalid_argument');
    assertError(await server.request('POST', '/api/v1/schema/infer', { body: { data_source_id: 'ds_nope' } }),
                404, 'not_found');
  });
});
