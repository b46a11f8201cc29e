// ctest-labels: sanitize
// Job definitions: every rule of DESIGN.md "Rules from the seed" and issue 2,
// each with its exact status and field; PATCH rules; a converge cycle.
// s3:// and oss:// destinations are checked for emptiness on a real S3
// protocol server (s3rver) holding the buckets used here; oss:// is
// virtual-hosted, so the server reaches s3rver through the fault proxy's
// vhost rewrite (Host 'bucket.localhost:P' -> path-style /bucket/...).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.mjs';
import { startS3rver } from './lib/s3rver.mjs';
import { startFaultProxy } from './lib/faultproxy.mjs';

// Every bucket a job path below names; any other bucket does not exist.
const BUCKETS = ['bucket-one', 'testbucketname', 'race-bucket', 'otherbucket'];

function assertError(res, status, code, field) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  if (field !== undefined) assert.equal(res.json.error.field, field, res.text);
}

describe('job definitions', () => {
  let server, ds, root, s3, proxy, seq = 0;
  const req = (...a) => server.request(...a);
  const table = () => `t${++seq}`;
  // A valid managed Iceberg job, with overrides merged one level deep.
  const job = (over = {}) => {
    const base = { data_source_id: ds.id, destination: { type: 'managed' }, database: 'jobs_db', table: table(),
                   fields: [{ source: 'name', type: 'string' }, { source: 'age', type: 'int' },
                            { source: '__kafka_timestamp__', name: 'ts', type: 'timestamptz' }] };
    const out = { ...base, ...over };
    for (const k of ['destination', 'sync', 'advanced'])
      if (over[k] && base[k]) out[k] = { ...base[k], ...over[k] };
    return out;
  };
  const post = (body) => req('POST', '/api/v1/jobs', { body });
  const userPath = (name) => `file://${path.join(root, name)}/`;

  before(async () => {
    s3 = await startS3rver({ buckets: BUCKETS });
    proxy = await startFaultProxy({ target: s3.endpoint, vhostSuffix: '.localhost' });
    // Many jobs are defined here: a large default group keeps ACUs out of the way.
    server = await startServer({ args: ['--default-group-acus', '10000'],
                                 env: { ...s3.env, AWS_SESSION_TOKEN: '', AWS_DEFAULT_REGION: '',
                                        AWS_ENDPOINT_URL: `http://localhost:${proxy.port}` } });
    root = tempDir('lakesync-dest-');
    ds = (await req('POST', '/api/v1/data-sources', { body: { bootstrap_servers: 'k:9092', topic: 'events' } })).json;
  });
  after(async () => {
    await server?.cleanup();
    await proxy?.stop();
    await s3?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a managed Iceberg job: defaults, derived path, database created, stored stopped', async () => {
    const res = await post(job({ database: 'new_db', table: 'events',
                                 partition: [{ source: 'ts', transform: 'day' }, { source: 'name', transform: 'bucket[16]' }] }));
    assert.equal(res.status, 201, res.text);
    const j = res.json;
    assert.equal(res.headers.get('location'), `/api/v1/jobs/${j.id}`);
    assert.equal(j.state, 'stopped');
    assert.equal(j.state_reason, null);
    assert.match(j.name, /^kafka_\d{8}_\d{6}/);
    assert.equal(j.parse_levels, 1);
    assert.equal(j.destination.format, 'iceberg');
    assert.match(j.destination.path, /^file:\/\/\/.*\/warehouse\/new_db\.db\/events\/$/);
    assert.equal(j.destination.secret_access_key_set, false);
    assert.deepEqual(j.sync.start, { mode: 'earliest' });
    assert.equal(j.sync.acus, 2);
    const groups = (await req('GET', '/api/v1/resource-groups')).json.items;
    const def = groups.find((g) => g.name === 'default');
    assert.equal(j.sync.resource_group_id, def.id);
    assert.equal(def.max_acus, 10000, '--default-group-acus sizes the default group');
    assert.equal(j.advanced.commit_interval_s, 300);
    assert.deepEqual(j.partition.map((p) => p.name), ['ts_day', 'name_bucket']);
    const db = await req('GET', '/api/v1/databases/new_db');
    assert.equal(db.status, 200, 'the Iceberg database is created when missing');
    assert.equal(db.json.catalog, 'iceberg');
    assert.equal((await req('GET', `/api/v1/jobs/${j.id}`)).json.state, 'stopped');
  });

  test('structure: required fields, unknown and read-only fields, wrong types', async () => {
    assertError(await post({ ...job(), destination: undefined }), 400, 'invalid_argument', 'destination');
    assertError(await post(job({ destination: { type: undefined } })), 400, 'invalid_argument', 'destination.type');
    assertError(await post(job({ destination: { type: 'lake' } })), 400, 'invalid_argument', 'destination.type');
    assertError(await post(job({ destination: { bucket: 'x' } })), 400, 'invalid_argument', 'destination.bucket');
    assertError(await post(job({ data_source_id: undefined })), 400, 'invalid_argument', 'data_source_id');
    assertError(await post(job({ database: undefined })), 400, 'invalid_argument', 'database');
    assertError(await post(job({ database: 'Bad-DB' })), 400, 'invalid_argument', 'database');
    assertError(await post(job({ table: undefined })), 400, 'invalid_argument', 'table');
    assertError(await post(job({ table: '1table' })), 400, 'invalid_argument', 'table');
    assertError(await post(job({ owner: 'me' })), 400, 'invalid_argument', 'owner');
    assertError(await post(job({ state: 'running' })), 400, 'invalid_argument', 'state');
    assertError(await post(job({ id: 'job_x' })), 400, 'invalid_argument', 'id');
    assertError(await post(job({ sync: 'fast' })), 400, 'invalid_argument', 'sync');
    assertError(await post(job({ advanced: { turbo: true } })), 400, 'invalid_argument', 'advanced.turbo');
    assertError(await post(job({ name: 'x'.repeat(129) })), 400, 'invalid_argument', 'name');
  });

  test('references: data source, resource group', async () => {
    assertError(await post(job({ data_source_id: 'ds_missing' })), 422, 'unprocessable', 'data_source_id');
    assertError(await post(job({ sync: { resource_group_id: 'rg_missing' } })), 422, 'unprocessable', 'sync.resource_group_id');
  });

  test('ACUs: at least 2, integers', async () => {
    assertError(await post(job({ sync: { acus: 1 } })), 400, 'invalid_argument', 'sync.acus');
    assertError(await post(job({ sync: { acus: 0 } })), 400, 'invalid_argument', 'sync.acus');
    assertError(await post(job({ sync: { acus: '4' } })), 400, 'invalid_argument', 'sync.acus');
    assertError(await post(job({ sync: { acus: 2.5 } })), 400, 'invalid_argument', 'sync.acus');
    const res = await post(job({ sync: { acus: 1 } }));
    assert.equal(res.json.error.message, 'acus must be at least 2');
  });

  test('parse levels 0-4', async () => {
    for (const bad of [-1, 5, '1', 1.5]) assertError(await post(job({ parse_levels: bad })), 400, 'invalid_argument', 'parse_levels');
    for (const ok of [1, 2, 3, 4]) assert.equal((await post(job({ parse_levels: ok }))).status, 201);
    const zero = await post(job({ parse_levels: 0, fields: [{ source: '__value__', type: 'string' }, { source: '__kafka_offset__', type: 'bigint' }] }));
    assert.equal(zero.status, 201, zero.text);
    assert.deepEqual(zero.json.fields.map((f) => f.name), ['__value__', '__kafka_offset__']);
    assertError(await post(job({ parse_levels: 0, fields: [{ source: 'name', type: 'string' }] })), 400, 'invalid_argument', 'fields[0].source');
    assertError(await post(job({ parse_levels: 1, fields: [{ source: '__value__', type: 'string' }] })), 400, 'invalid_argument', 'fields[0].source');
  });

  test('fields: names, uniqueness, types, sources', async () => {
    const f = (...fields) => post(job({ fields }));
    assertError(await post(job({ fields: undefined })), 400, 'invalid_argument', 'fields');
    assertError(await f(), 400, 'invalid_argument', 'fields');
    assertError(await post(job({ fields: {} })), 400, 'invalid_argument', 'fields');
    assertError(await f('name'), 400, 'invalid_argument', 'fields[0]');
    assertError(await f({ source: 'a', type: 'string', nullable: true }), 400, 'invalid_argument', 'fields[0].nullable');
    assertError(await f({ type: 'string' }), 400, 'invalid_argument', 'fields[0].source');
    assertError(await f({ source: 'a', name: '1abc', type: 'string' }), 400, 'invalid_argument', 'fields[0].name');
    assertError(await f({ source: 'a', name: 'a-b', type: 'string' }), 400, 'invalid_argument', 'fields[0].name');
    assertError(await f({ source: 'a', type: 'string' }, { source: 'b', name: 'A', type: 'int' }), 400, 'invalid_argument', 'fields[1].name');
    assertError(await f({ source: 'a', type: 'varchar' }), 400, 'invalid_argument', 'fields[0].type');
    assertError(await f({ source: 'a', type: 'decimal(40,2)' }), 400, 'invalid_argument', 'fields[0].type');
    assertError(await f({ source: 'a' }), 400, 'invalid_argument', 'fields[0].type');
    assertError(await f({ source: 'a', type: 'string' }, { source: 'a..b', type: 'string' }), 400, 'invalid_argument', 'fields[1].source');
    assertError(await f({ source: '.a', type: 'string' }), 400, 'invalid_argument', 'fields[0].source');
    assertError(await f({ source: '__kafka_headers__', type: 'string' }), 400, 'invalid_argument', 'fields[0].source');
    assertError(await f({ source: '__kafka_offset__', type: 'int' }), 400, 'invalid_argument', 'fields[0].type');
    assertError(await f({ source: '__kafka_timestamp__', type: 'date' }), 400, 'invalid_argument', 'fields[0].type');
    assertError(await f({ source: '__kafka_partition__', type: 'boolean' }), 400, 'invalid_argument', 'fields[0].type');
    assertError(await f({ source: '__kafka_key__', type: 'int' }), 400, 'invalid_argument', 'fields[0].type');
    const ok = await f({ source: 'device.os.test', type: 'STRING' }, { source: 'price', type: 'decimal(10, 2)' },
                       { source: '__kafka_partition__', type: 'int' }, { source: '__kafka_key__', type: 'binary' },
                       { source: '__kafka_timestamp__', type: 'timestamp' });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.json.fields.map((x) => [x.name, x.type]),
                     [['device_os_test', 'string'], ['price', 'decimal(10,2)'], ['__kafka_partition__', 'int'],
                      ['__kafka_key__', 'binary'], ['__kafka_timestamp__', 'timestamp']]);
  });

  test('partitions: sources, transforms and type compatibility', async () => {
    const fields = [{ source: 'name', type: 'string' }, { source: 'n', type: 'bigint' }, { source: 'd', type: 'date' },
                    { source: 'x', type: 'double' }, { source: 'ok', type: 'boolean' },
                    { source: '__kafka_timestamp__', name: 'ts', type: 'timestamptz' }];
    const p = (...partition) => post(job({ fields, partition }));
    assertError(await post(job({ fields, partition: 'day' })), 400, 'invalid_argument', 'partition');
    assertError(await p({ source: 'missing', transform: 'identity' }), 400, 'invalid_argument', 'partition[0].source');
    assertError(await p({ transform: 'identity' }), 400, 'invalid_argument', 'partition[0].source');
    assertError(await p({ source: 'name' }), 400, 'invalid_argument', 'partition[0].transform');
    for (const bad of ['week', 'bucket', 'bucket[0]', 'bucket[-1]', 'bucket[x]', 'truncate[]', 'bucket[16] ', 'bucket[2147483648]', 'Identity'])
      assertError(await p({ source: 'name', transform: bad }), 400, 'invalid_argument', 'partition[0].transform');
    assertError(await p({ source: 'name', transform: 'day' }), 400, 'invalid_argument', 'partition[0].transform');
    assertError(await p({ source: 'n', transform: 'year' }), 400, 'invalid_argument', 'partition[0].transform');
    assertError(await p({ source: 'd', transform: 'hour' }), 400, 'invalid_argument', 'partition[0].transform');
    assertError(await p({ source: 'x', transform: 'bucket[4]' }), 400, 'invalid_argument', 'partition[0].transform');
    assertError(await p({ source: 'ok', transform: 'bucket[4]' }), 400, 'invalid_argument', 'partition[0].transform');
    assertError(await p({ source: 'd', transform: 'truncate[4]' }), 400, 'invalid_argument', 'partition[0].transform');
    assertError(await p({ source: 'ts', transform: 'day' }, { source: 'ts', transform: 'day', name: 'again' }), 400, 'invalid_argument', 'partition[1].transform');
    assertError(await p({ source: 'ts', transform: 'day', name: 'name' }), 400, 'invalid_argument', 'partition[0].name');
    assertError(await p({ source: 'ts', transform: 'day', name: 'p' }, { source: 'n', transform: 'bucket[2]', name: 'P' }), 400, 'invalid_argument', 'partition[1].name');
    assertError(await p({ source: 'ts', transform: 'day', extra: 1 }), 400, 'invalid_argument', 'partition[0].extra');
    const ok = await p({ source: '__kafka_timestamp__', transform: 'hour' }, { source: 'd', transform: 'month' },
                       { source: 'n', transform: 'truncate[100]' }, { source: 'name', transform: 'identity' },
                       { source: 'ts', transform: 'year', name: 'event_year' });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.json.partition.map((x) => x.name), ['ts_hour', 'd_month', 'n_trunc', 'name', 'event_year']);
  });

  test('start position: mode and RFC 3339 timestamp', async () => {
    const s = (start) => post(job({ sync: { start } }));
    assertError(await s({ mode: 'newest' }), 400, 'invalid_argument', 'sync.start.mode');
    assertError(await s({ mode: 'timestamp' }), 400, 'invalid_argument', 'sync.start.timestamp');
    assertError(await s({ mode: 'earliest', timestamp: '2026-11-23T10:15:30Z' }), 400, 'invalid_argument', 'sync.start.timestamp');
    for (const bad of ['yesterday', '2026-02-30T00:00:00Z', '2026-11-23 10:15:30Z', '2026-11-23T24:00:00Z', '2026-11-23T10:15:30', '2026-13-01T00:00:00Z', '2026-11-23T10:15:30+0800'])
      assertError(await s({ mode: 'timestamp', timestamp: bad }), 400, 'invalid_argument', 'sync.start.timestamp');
    assertError(await s({ mode: 'latest', at: 1 }), 400, 'invalid_argument', 'sync.start.at');
    for (const ok of ['2026-11-23T10:15:30Z', '2024-02-29T23:59:59.123456+08:00', '2026-11-23T10:15:30-05:30']) {
      const res = await s({ mode: 'timestamp', timestamp: ok });
      assert.equal(res.status, 201, `${ok}: ${res.text}`);
      assert.deepEqual(res.json.sync.start, { mode: 'timestamp', timestamp: ok });
    }
    assert.equal((await s({ mode: 'latest' })).json.sync.start.mode, 'latest');
  });

  test('commit interval 1..86400, default 300', async () => {
    for (const bad of [0, 86401, '300', -5])
      assertError(await post(job({ advanced: { commit_interval_s: bad } })), 400, 'invalid_argument', 'advanced.commit_interval_s');
    assert.equal((await post(job({ advanced: { commit_interval_s: 5 } }))).json.advanced.commit_interval_s, 5);
    assert.equal((await post(job({ advanced: { commit_interval_s: 86400 } }))).status, 201);
  });

  test('managed storage is Iceberg only; its path is derived', async () => {
    assertError(await post(job({ destination: { type: 'managed', format: 'paimon' } })), 400, 'invalid_argument', 'destination.format');
    assertError(await post(job({ destination: { type: 'managed', format: 'orc' } })), 400, 'invalid_argument', 'destination.format');
    assertError(await post(job({ destination: { type: 'managed', path: userPath('elsewhere') } })), 400, 'invalid_argument', 'destination.path');
  });

  test('user paths: syntax, emptiness', async () => {
    const u = (p) => post(job({ destination: { type: 'user_path', path: p } }));
    assertError(await post(job({ destination: { type: 'user_path' } })), 400, 'invalid_argument', 'destination.path');
    for (const bad of ['http://x/y/', 'file://relative/dir/', 'file:///a/../b/', 'file:///a//b/', 's3://UPPER/x/', 'oss://ab/x/',
                       's3://bucket/a/./b/', 'oss://bucket/a?x=1', '/plain/path/', 'file:///a/%2e%2e/b/'])
      assertError(await u(bad), 400, 'invalid_argument', 'destination.path');
    fs.mkdirSync(path.join(root, 'full'));
    fs.writeFileSync(path.join(root, 'full', 'data.parquet'), 'x');
    assertError(await u(userPath('full')), 422, 'unprocessable', 'destination.path');
    fs.writeFileSync(path.join(root, 'afile'), 'x');
    assertError(await u(userPath('afile')), 422, 'unprocessable', 'destination.path');
    fs.mkdirSync(path.join(root, 'empty'));
    assert.equal((await u(userPath('empty'))).status, 201);
    assert.equal((await u(userPath('absent'))).status, 201);
    const s3 = await u('s3://bucket-one/lake/events/');
    assert.equal(s3.status, 201, s3.text);
    assert.equal(s3.json.destination.path, 's3://bucket-one/lake/events/');
  });

  test('object-store paths: the folder must be empty (s3:// path-style, oss:// virtual-hosted)', async () => {
    const u = (p, dest = {}) => post(job({ destination: { type: 'user_path', path: p, ...dest } }));
    const put = async (bucket, key, body = 'x') => {
      const res = await s3.fetchObject(bucket, key, { method: 'PUT', body });
      assert.equal(res.status, 200, `PUT ${bucket}/${key}: ${await res.text()}`);
    };
    await put('bucket-one', 'lake/full/part-0.parquet');
    let res = await u('s3://bucket-one/lake/full/');
    assertError(res, 422, 'unprocessable', 'destination.path');
    assert.match(res.json.error.message, /not empty/);
    assertError(await u('s3://bucket-one/lake/full'), 422, 'unprocessable', 'destination.path');
    assertError(await u('s3://bucket-one/lake/'), 422, 'unprocessable', 'destination.path');
    assertError(await u('s3://bucket-one/'), 422, 'unprocessable', 'destination.path');
    // Prefixes match whole segments: lake/ful/ holds nothing.
    res = await u('s3://bucket-one/lake/ful/');
    assert.equal(res.status, 201, res.text);
    res = await u('s3://bucket-one/lake/fresh/');
    assert.equal(res.status, 201, res.text);

    // oss:// is virtual-hosted: the request reached s3rver as bucket.localhost.
    await put('testbucketname', 'oss-full/data/f.parquet');
    const before = proxy.log.length;
    res = await u('oss://testbucketname/oss-full/');
    assertError(res, 422, 'unprocessable', 'destination.path');
    assert.match(res.json.error.message, /not empty/);
    const seen = proxy.log.slice(before);
    assert.ok(seen.some((e) => e.headers.host === `testbucketname.localhost:${proxy.port}` && e.path.startsWith('/testbucketname/')),
              JSON.stringify(seen.map((e) => [e.headers.host, e.url])));
    res = await u('oss://testbucketname/oss-empty/');
    assert.equal(res.status, 201, res.text);

    // A console's zero-byte folder marker alone leaves the folder empty.
    await put('bucket-one', 'marked/', '');
    res = await u('s3://bucket-one/marked/');
    assert.equal(res.status, 201, res.text);
    await put('bucket-one', 'marked2/', '');
    await put('bucket-one', 'marked2/x.json');
    assertError(await u('s3://bucket-one/marked2/'), 422, 'unprocessable', 'destination.path');
    // A job's own endpoint, path-style as it says, overrides the environment.
    await put('bucket-one', 'own/x.json');
    assertError(await u('s3://bucket-one/own/', { endpoint: s3.endpoint, path_style: true }), 422, 'unprocessable', 'destination.path');
    res = await u('oss://testbucketname/own-endpoint/', { endpoint: s3.endpoint, path_style: true, region: 'cn-hangzhou' });
    assert.equal(res.status, 201, res.text);
  });

  test('object-store paths: a store that cannot answer is refused promptly with the reason', async () => {
    const u = (p, dest = {}) => post(job({ destination: { type: 'user_path', path: p, ...dest } }));
    const timed = async (p, dest) => {
      const started = Date.now();
      const res = await u(p, dest);
      return { res, ms: Date.now() - started };
    };
    // Nothing listens on port 1: connections are refused.
    let { res, ms } = await timed('s3://bucket-one/unreachable/', { endpoint: 'http://127.0.0.1:1', path_style: true,
                                                                   access_key_id: 'AKIA3', secret_access_key: 'super-secret-key-3' });
    assertError(res, 422, 'unprocessable', 'destination.path');
    assert.match(res.json.error.message, /cannot be reached/);
    assert.ok(!res.text.includes('super-secret-key-3'), 'the secret is never echoed');
    assert.ok(ms < 5000, `answered in ${ms} ms`);
    // A store that accepts the connection and never answers.
    const stalled = await startFaultProxy({ target: s3.endpoint, faultRate: 1, faults: ['stall'], stallMs: 20000 });
    try {
      ({ res, ms } = await timed('s3://bucket-one/stalled/', { endpoint: stalled.url, path_style: true }));
      assertError(res, 422, 'unprocessable', 'destination.path');
      assert.match(res.json.error.message, /cannot be reached/);
      assert.ok(ms < 8000, `answered in ${ms} ms`);
    } finally {
      await stalled.stop();
    }
    res = await u('s3://no-such-bucket/lake/');
    assertError(res, 422, 'unprocessable', 'destination.path');
    assert.match(res.json.error.message, /no such bucket/);
    res = await u('oss://nosuchossbucket/lake/');
    assertError(res, 422, 'unprocessable', 'destination.path');
    assert.match(res.json.error.message, /no such bucket/);
    // A key id without its secret: no usable credentials (the environment's are not mixed in).
    res = await u('s3://bucket-one/halfcreds/', { access_key_id: 'AKIA4' });
    assertError(res, 422, 'unprocessable', 'destination.path');
    assert.match(res.json.error.message, /credentials/);
    // None of these was stored: the same paths are free once the store answers.
    assert.equal((await u('s3://bucket-one/unreachable/')).status, 201);
    assert.ok(!server.stderr().includes('super-secret-key-3'), 'secrets are never logged');
  });

  test('paths of different jobs must not share a prefix', async () => {
    const u = (p) => post(job({ destination: { type: 'user_path', path: p } }));
    assert.equal((await u('oss://testbucketname/test/sls1/')).status, 201);
    assert.equal((await u('oss://testbucketname/test/sls1x/')).status, 201, '.../sls1/ and .../sls1x/ are fine');
    assertError(await u('oss://testbucketname/test/sls1/conflict/'), 409, 'conflict', 'destination.path');
    assertError(await u('oss://testbucketname/test/'), 409, 'conflict', 'destination.path');
    assertError(await u('oss://testbucketname/test/sls1'), 409, 'conflict', 'destination.path');
    assert.equal((await u(userPath('a'))).status, 201);
    const nested = await u(userPath('a/b'));
    assertError(nested, 409, 'conflict', 'destination.path');
    assert.match(nested.json.error.message, /shares a prefix/);
    assert.equal((await u(userPath('ab'))).status, 201);
    // The managed warehouse is not a user path.
    const managed = (await post(job())).json.destination.path;
    assertError(await u(managed.replace(/[^/]+\/[^/]+\/$/, '')), 409, 'conflict', 'destination.path');
  });

  test('a table used by another job or already in the catalog is refused', async () => {
    const first = await post(job({ database: 'shared_db', table: 'orders' }));
    assert.equal(first.status, 201);
    assertError(await post(job({ database: 'shared_db', table: 'orders' })), 409, 'conflict', 'table');
    assertError(await post(job({ database: 'shared_db', table: 'orders', destination: { type: 'user_path', path: userPath('orders2') } })), 409, 'conflict', 'table');
    execFileSync('sqlite3', ['-cmd', '.timeout 5000', path.join(server.dataDir, 'lakesync.db'),
      "INSERT INTO tables(database, name, format, location, created_at) VALUES ('shared_db', 'existing', 'iceberg', 'file:///x/', 'now')"]);
    const res = await post(job({ database: 'shared_db', table: 'existing' }));
    assertError(res, 409, 'conflict', 'table');
    assert.match(res.json.error.message, /already exists/);
    assertError(await post(job({ name: first.json.name })), 409, 'conflict', 'name');
  });

  test('concurrent creates: one table, one path, ACUs never overbooked', async () => {
    let results = await Promise.all(Array.from({ length: 8 }, () => post(job({ database: 'race_db', table: 'same' }))));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409]);
    results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      post(job({ destination: { type: 'user_path', path: `s3://race-bucket/lake/${i % 2 ? 'x/' : ''}` } }))));
    assert.equal(results.filter((r) => r.status === 201).length, 1, results.map((r) => r.text).join('\n'));
    const g = (await req('POST', '/api/v1/resource-groups', { body: { name: 'race_group', max_acus: 10 } })).json;
    results = await Promise.all(Array.from({ length: 8 }, () => post(job({ sync: { resource_group_id: g.id, acus: 3 } }))));
    assert.equal(results.filter((r) => r.status === 201).length, 3);
    assert.ok(results.filter((r) => r.status !== 201).every((r) => r.status === 422 && r.json.error.field === 'sync.acus'));
    const after = (await req('GET', `/api/v1/resource-groups/${g.id}`)).json;
    assert.deepEqual([after.used_acus, after.available_acus], [9, 1]);
  });

  test('an Iceberg job needs an iceberg database', async () => {
    await req('POST', '/api/v1/databases', { body: { name: 'pdb_iceberg_check', catalog: 'paimon', external: true, location: 'oss://bkt/wh/pdb_iceberg_check.db/' } });
    assertError(await post(job({ database: 'pdb_iceberg_check' })), 422, 'unprocessable', 'database');
  });

  test('Paimon: user path only, in an external paimon database with a warehouse and a <db>.db/ location', async () => {
    const wh = 'oss://testbucketname/aps/data';
    const mkdb = async (body) => assert.equal((await req('POST', '/api/v1/databases', { body })).status, 201);
    const paimon = (database, tbl, p) => post(job({ database, table: tbl, destination: { type: 'user_path', format: 'paimon', path: p ?? `${wh}/${database}.db/${tbl}/` } }));
    // Each rule refuses with its own message, naming what failed.
    const refused = (res, field, message) => {
      assertError(res, field === 'destination.format' ? 400 : 422, field === 'destination.format' ? 'invalid_argument' : 'unprocessable', field);
      assert.equal(res.json.error.message, message);
    };
    refused(await post(job({ destination: { type: 'managed', format: 'paimon' } })), 'destination.format',
            'managed storage supports only Iceberg; write Paimon to a user_path destination');
    refused(await paimon('no_such_db', 't'), 'database',
            'database no_such_db does not exist; Paimon jobs need an existing external database with catalog paimon');
    await mkdb({ name: 'p_internal', catalog: 'paimon', location: `${wh}/p_internal.db/`, properties: { 'paimon.warehouse': wh } });
    refused(await paimon('p_internal', 't'), 'database', 'database p_internal must be external for a Paimon job');
    await mkdb({ name: 'p_iceberg', catalog: 'iceberg', external: true, location: `${wh}/p_iceberg.db/`, properties: { 'paimon.warehouse': wh } });
    refused(await paimon('p_iceberg', 't'), 'database', 'database p_iceberg must have catalog paimon for a Paimon job');
    await mkdb({ name: 'p_nowh', catalog: 'paimon', external: true, location: `${wh}/p_nowh.db/` });
    refused(await paimon('p_nowh', 't'), 'database',
            'a Paimon database needs the property paimon.warehouse (or adb.paimon.warehouse)');
    await mkdb({ name: 'p_badwh', catalog: 'paimon', external: true, location: `${wh}/p_badwh.db/`, properties: { 'adb.paimon.warehouse': 'ftp://x/wh' } });
    refused(await paimon('p_badwh', 't'), 'database', "the database's adb.paimon.warehouse 'ftp://x/wh' is not a valid location");
    await mkdb({ name: 'p_suffix', catalog: 'paimon', external: true, location: `${wh}/p_suffix/`, properties: { 'paimon.warehouse': wh } });
    refused(await paimon('p_suffix', 't', `${wh}/p_suffix/t/`), 'database',
            `the location of database p_suffix must end with p_suffix.db/, not ${wh}/p_suffix/`);
    await mkdb({ name: 'p_outside', catalog: 'paimon', external: true, location: 'oss://otherbucket/p_outside.db/', properties: { 'paimon.warehouse': wh } });
    refused(await paimon('p_outside', 't', 'oss://otherbucket/p_outside.db/t/'), 'database',
            `the location of database p_outside must lie under its warehouse ${wh}/`);
    // The seed's spelling of the warehouse property is accepted.
    await mkdb({ name: 'kafka_paimon_external_db', catalog: 'paimon', external: true,
                 location: `${wh}/kafka_paimon_external_db.db/`, properties: { 'adb.paimon.warehouse': wh } });
    refused(await paimon('kafka_paimon_external_db', 't1', `${wh}/kafka_paimon_external_db.db/elsewhere/`), 'destination.path',
            `a Paimon table's path must be its database location plus the table name: ${wh}/kafka_paimon_external_db.db/t1/`);
    assertError(await post(job({ database: 'kafka_paimon_external_db', destination: { type: 'user_path', format: 'paimon', path: `${wh}/kafka_paimon_external_db.db/tp/` },
                                 partition: [{ source: 'ts', transform: 'day' }] })), 400, 'invalid_argument', 'partition[0].transform');
    const res = await paimon('kafka_paimon_external_db', 'tp');
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.destination.format, 'paimon');
    await mkdb({ name: 'p_plain_prop', catalog: 'paimon', external: true, location: 'file:///srv/paimon/p_plain_prop.db/', properties: { 'paimon.warehouse': 'file:///srv/paimon' } });
    assert.equal((await paimon('p_plain_prop', 'tq', 'file:///srv/paimon/p_plain_prop.db/tq/')).status, 201);
  });

  test('PATCH: immutable destination and table, mutable settings, write-only secret', async () => {
    const created = await post(job({ destination: { type: 'user_path', path: userPath('patch_me'), access_key_id: 'AKIA1', secret_access_key: 'super-secret-key-1' } }));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.destination.secret_access_key_set, true);
    assert.equal(created.json.destination.secret_access_key, undefined);
    assert.ok(!created.text.includes('super-secret-key-1'));
    const url = `/api/v1/jobs/${created.json.id}`;
    assertError(await req('PATCH', url, { body: { destination: { path: userPath('moved') } } }), 400, 'invalid_argument', 'destination.path');
    assertError(await req('PATCH', url, { body: { destination: { format: 'paimon' } } }), 400, 'invalid_argument', 'destination.format');
    assertError(await req('PATCH', url, { body: { destination: { type: 'managed' } } }), 400, 'invalid_argument', 'destination.type');
    assertError(await req('PATCH', url, { body: { database: 'other_db' } }), 400, 'invalid_argument', 'database');
    assertError(await req('PATCH', url, { body: { table: 'other_table' } }), 400, 'invalid_argument', 'table');
    assertError(await req('PATCH', url, { body: { data_source_id: 'ds_other' } }), 400, 'invalid_argument', 'data_source_id');
    assertError(await req('PATCH', url, { body: { state: 'running' } }), 400, 'invalid_argument', 'state');
    assertError(await req('PATCH', url, { body: { parse_levels: 9 } }), 400, 'invalid_argument', 'parse_levels');
    assertError(await req('PATCH', url, { body: { name: null } }), 400, 'invalid_argument', 'name');
    // The same path written differently is the same path.
    const same = await req('PATCH', url, { body: { destination: { path: userPath('patch_me').slice(0, -1) } } });
    assert.equal(same.status, 200, same.text);

    const changed = await req('PATCH', url, { body: { name: 'renamed_job', sync: { acus: 4, start: { mode: 'latest' } },
                                                      advanced: { commit_interval_s: 60 }, fields: [{ source: 'only', type: 'bigint' }] } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.json.name, 'renamed_job');
    assert.equal(changed.json.sync.acus, 4);
    assert.deepEqual(changed.json.sync.start, { mode: 'latest' });
    assert.equal(changed.json.advanced.commit_interval_s, 60);
    assert.deepEqual(changed.json.fields, [{ source: 'only', name: 'only', type: 'bigint' }]);
    assert.equal(changed.json.destination.secret_access_key_set, true, 'absent secret is kept');
    assert.equal(changed.json.destination.access_key_id, 'AKIA1');
    const cleared = await req('PATCH', url, { body: { destination: { secret_access_key: null } } });
    assert.equal(cleared.json.destination.secret_access_key_set, false);
    const reset = await req('PATCH', url, { body: { destination: { secret_access_key: 'super-secret-key-2' } } });
    assert.equal(reset.json.destination.secret_access_key_set, true);
    assert.ok(!server.stderr().includes('super-secret-key'), 'secrets are never logged');
    const dbfile = fs.readFileSync(path.join(server.dataDir, 'lakesync.db'));
    const wal = path.join(server.dataDir, 'lakesync.db-wal');
    for (const blob of [dbfile, fs.existsSync(wal) ? fs.readFileSync(wal) : Buffer.alloc(0)])
      assert.equal(blob.indexOf('super-secret-key'), -1, 'secrets are encrypted at rest');
  });

  test('converge cycle: job', async () => {
    const desired = job({ name: 'tf_job', database: 'tf_db', table: 'tf_table', parse_levels: 2,
                          sync: { acus: 2, start: { mode: 'earliest' } }, advanced: { commit_interval_s: 300 } });
    const created = await post(desired);
    assert.equal(created.status, 201, created.text);
    const location = created.headers.get('location');
    const read = await req('GET', location);
    assert.deepEqual(read.json, created.json, 'read back identical');
    for (const k of ['name', 'data_source_id', 'database', 'table', 'parse_levels'])
      assert.deepEqual(read.json[k], desired[k], k);
    const list = (await req('GET', '/api/v1/jobs?page_size=1000')).json.items;
    assert.deepEqual(list.find((j) => j.id === created.json.id), created.json);

    const updated = await req('PATCH', location, { body: { sync: { acus: 3 } }, headers: { 'if-match': read.headers.get('etag') } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json.sync.acus, 3);
    assert.notEqual(updated.json.etag, read.json.etag);
    assertError(await req('PATCH', location, { body: { sync: { acus: 4 } }, headers: { 'if-match': read.headers.get('etag') } }), 412, 'precondition_failed');
    assertError(await req('DELETE', location, { headers: { 'if-match': read.json.etag } }), 412, 'precondition_failed');
    // Writing the read-back resource's own settings again changes nothing else.
    const again = await req('PATCH', location, { body: { parse_levels: 2 } });
    assert.equal(again.status, 200);
    assert.deepEqual({ ...again.json, etag: null, updated_at: null }, { ...updated.json, etag: null, updated_at: null });

    assert.equal((await req('DELETE', location, { headers: { 'if-match': again.json.etag } })).status, 204);
    assertError(await req('GET', location), 404, 'not_found');
    assertError(await req('DELETE', location), 404, 'not_found');
    // Deleting the job frees its table: the same definition is accepted again.
    assert.equal((await post(desired)).status, 201);
  });
});
