// ctest-labels: sanitize
// Data sources, resource groups and databases: their rules, and a
// Terraform-style converge cycle (create, read back identical, update with
// If-Match, stale If-Match rejected, delete, 404).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

function assertError(res, status, code, field) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  if (field !== undefined) assert.equal(res.json.error.field, field, res.text);
}

const kafka = { bootstrap_servers: 'broker1:9092,broker2:9093', topic: 'orders.v1' };

describe('control-plane resources', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server.cleanup(); });
  const req = (...a) => server.request(...a);

  test('data source: auto name, defaults, write-only password', async () => {
    const res = await req('POST', '/api/v1/data-sources', {
      body: { ...kafka, security: { protocol: 'SASL_SSL', sasl_mechanism: 'PLAIN', username: 'alice', password: 'hunter2-secret' } } });
    assert.equal(res.status, 201, res.text);
    assert.match(res.json.name, /^kafka_\d{8}_\d{6}(_\d+)?$/);
    assert.equal(res.json.type, 'kafka');
    assert.equal(res.json.message_format, 'json');
    assert.equal(res.json.description, '');
    assert.deepEqual(res.json.security, { protocol: 'SASL_SSL', sasl_mechanism: 'PLAIN', username: 'alice', password_set: true });
    assert.ok(!res.text.includes('hunter2-secret'));
    assert.equal(res.headers.get('etag'), `"${res.json.etag}"`);
    const second = await req('POST', '/api/v1/data-sources', { body: kafka });
    assert.equal(second.status, 201);
    assert.notEqual(second.json.name, res.json.name, 'auto names are unique');
    const list = await req('GET', '/api/v1/data-sources');
    assert.ok(!list.text.includes('hunter2-secret'));
    assert.ok(!server.stderr().includes('hunter2-secret'), 'passwords are never logged');
  });

  test('data source rules', async () => {
    const post = (body) => req('POST', '/api/v1/data-sources', { body });
    assertError(await post({ ...kafka, message_format: 'avro' }), 400, 'invalid_argument', 'message_format');
    assertError(await post({ ...kafka, type: 'rabbitmq' }), 400, 'invalid_argument', 'type');
    assertError(await post({ topic: 't' }), 400, 'invalid_argument', 'bootstrap_servers');
    assertError(await post({ ...kafka, bootstrap_servers: 'nohostport' }), 400, 'invalid_argument', 'bootstrap_servers');
    assertError(await post({ ...kafka, bootstrap_servers: 'h:99999' }), 400, 'invalid_argument', 'bootstrap_servers');
    assertError(await post({ ...kafka, topic: 'bad topic' }), 400, 'invalid_argument', 'topic');
    assertError(await post({ ...kafka, topic: '' }), 400, 'invalid_argument', 'topic');
    assertError(await post({ ...kafka, security: { protocol: 'SASL_PLAINTEXT', username: 'u', password: 'p' } }), 400, 'invalid_argument', 'security.sasl_mechanism');
    assertError(await post({ ...kafka, security: { protocol: 'SASL_PLAINTEXT', sasl_mechanism: 'PLAIN', password: 'p' } }), 400, 'invalid_argument', 'security.username');
    assertError(await post({ ...kafka, security: { protocol: 'SASL_PLAINTEXT', sasl_mechanism: 'PLAIN', username: 'u' } }), 400, 'invalid_argument', 'security.password');
    assertError(await post({ ...kafka, security: { protocol: 'SSL', password: 'p' } }), 400, 'invalid_argument', 'security.password');
    assertError(await post({ ...kafka, security: { protocol: 'KERBEROS' } }), 400, 'invalid_argument', 'security.protocol');
    assertError(await post({ ...kafka, security: { protocol: 'SASL_SSL', sasl_mechanism: 'GSSAPI', username: 'u', password: 'p' } }), 400, 'invalid_argument', 'security.sasl_mechanism');
    const named = await post({ ...kafka, name: 'dup_source' });
    assert.equal(named.status, 201);
    assertError(await post({ ...kafka, name: 'dup_source' }), 409, 'conflict', 'name');
  });

  test('data source PATCH changes only name and description', async () => {
    const created = (await req('POST', '/api/v1/data-sources', { body: { ...kafka, name: 'patchme' } })).json;
    const url = `/api/v1/data-sources/${created.id}`;
    assertError(await req('PATCH', url, { body: { topic: 'other' } }), 400, 'invalid_argument', 'topic');
    assertError(await req('PATCH', url, { body: { security: { password: 'x' } } }), 400, 'invalid_argument', 'security');
    assertError(await req('PATCH', url, { body: { name: null } }), 400, 'invalid_argument', 'name');
    assertError(await req('PATCH', url, { body: { name: 'dup_source' } }), 409, 'conflict', 'name');
    const res = await req('PATCH', url, { body: { name: 'patched', description: 'orders from the shop' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, 'patched');
    assert.equal(res.json.description, 'orders from the shop');
    assert.equal(res.json.topic, created.topic);
    assert.notEqual(res.json.etag, created.etag);
    const cleared = await req('PATCH', url, { body: { description: '' } });
    assert.equal(cleared.json.description, '');
  });

  test('converge cycle: data source', async () => {
    const desired = { name: 'tf_source', description: 'managed by automation', ...kafka };
    const created = await req('POST', '/api/v1/data-sources', { body: desired });
    assert.equal(created.status, 201);
    const location = created.headers.get('location');
    assert.equal(location, `/api/v1/data-sources/${created.json.id}`);
    const read = await req('GET', location);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, created.json, 'read back identical');
    for (const [k, v] of Object.entries(desired)) assert.deepEqual(read.json[k], v, k);

    const updated = await req('PATCH', location, { body: { description: 'v2' }, headers: { 'if-match': read.headers.get('etag') } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json.description, 'v2');
    assert.deepEqual((await req('GET', location)).json, updated.json);

    const stale = await req('PATCH', location, { body: { description: 'v3' }, headers: { 'if-match': `"${created.json.etag}"` } });
    assertError(stale, 412, 'precondition_failed');
    assertError(await req('DELETE', location, { headers: { 'if-match': created.json.etag } }), 412, 'precondition_failed');
    assert.equal((await req('GET', location)).json.description, 'v2', 'a refused update changes nothing');

    assert.equal((await req('DELETE', location, { headers: { 'if-match': updated.json.etag } })).status, 204);
    assertError(await req('GET', location), 404, 'not_found');
    assertError(await req('DELETE', location), 404, 'not_found');
    assertError(await req('PATCH', location, { body: { description: 'x' } }), 404, 'not_found');
  });

  test('resource groups: default exists; 48 max with 8 used leaves 40', async () => {
    const groups = (await req('GET', '/api/v1/resource-groups')).json.items;
    const def = groups.find((g) => g.name === 'default');
    assert.ok(def, 'the default group exists from the first start');
    assert.equal(def.max_acus, 48);

    const g = await req('POST', '/api/v1/resource-groups', { body: { name: 'seed_example', max_acus: 48 } });
    assert.equal(g.status, 201, g.text);
    assert.deepEqual([g.json.max_acus, g.json.used_acus, g.json.available_acus], [48, 0, 48]);
    const ds = (await req('POST', '/api/v1/data-sources', { body: kafka })).json;
    const job = (acus, table) => ({ data_source_id: ds.id, destination: { type: 'managed' }, database: 'acu_db', table,
                                    fields: [{ source: 'id', type: 'bigint' }], sync: { resource_group_id: g.json.id, acus } });
    const first = await req('POST', '/api/v1/jobs', { body: job(8, 'existing_task') });
    assert.equal(first.status, 201, first.text);
    const after8 = (await req('GET', `/api/v1/resource-groups/${g.json.id}`)).json;
    assert.deepEqual([after8.max_acus, after8.used_acus, after8.available_acus], [48, 8, 40]);

    const tooMany = await req('POST', '/api/v1/jobs', { body: job(41, 'new_task') });
    assertError(tooMany, 422, 'unprocessable', 'sync.acus');
    assert.match(tooMany.json.error.message, /40 ACUs/);
    assertError(await req('POST', '/api/v1/jobs', { body: job(1, 'new_task') }), 400, 'invalid_argument', 'sync.acus');
    const exactly = await req('POST', '/api/v1/jobs', { body: job(40, 'new_task') });
    assert.equal(exactly.status, 201, exactly.text);
    const full = (await req('GET', `/api/v1/resource-groups/${g.json.id}`)).json;
    assert.deepEqual([full.used_acus, full.available_acus], [48, 0]);

    assertError(await req('PATCH', `/api/v1/resource-groups/${g.json.id}`, { body: { max_acus: 47 } }), 409, 'conflict', 'max_acus');
    assertError(await req('DELETE', `/api/v1/resource-groups/${g.json.id}`), 409, 'conflict');
    assertError(await req('DELETE', `/api/v1/data-sources/${ds.id}`), 409, 'conflict');
    // A job's own ACUs do not count against itself when it is changed.
    const patched = await req('PATCH', `/api/v1/jobs/${exactly.json.id}`, { body: { sync: { acus: 40 } } });
    assert.equal(patched.status, 200, patched.text);
    assertError(await req('PATCH', `/api/v1/jobs/${exactly.json.id}`, { body: { sync: { acus: 41 } } }), 422, 'unprocessable', 'sync.acus');
    for (const j of [first.json, exactly.json]) assert.equal((await req('DELETE', `/api/v1/jobs/${j.id}`)).status, 204);
    assert.equal((await req('DELETE', `/api/v1/data-sources/${ds.id}`)).status, 204);
    assert.equal((await req('GET', `/api/v1/resource-groups/${g.json.id}`)).json.used_acus, 0);
  });

  test('resource group rules and converge cycle', async () => {
    const post = (body) => req('POST', '/api/v1/resource-groups', { body });
    assertError(await post({ name: 'small', max_acus: 1 }), 400, 'invalid_argument', 'max_acus');
    assertError(await post({ max_acus: 8 }), 400, 'invalid_argument', 'name');
    assertError(await post({ name: 'bad name', max_acus: 8 }), 400, 'invalid_argument', 'name');
    assertError(await post({ name: 'default', max_acus: 8 }), 409, 'conflict', 'name');
    const def = (await req('GET', '/api/v1/resource-groups')).json.items.find((g) => g.name === 'default');
    assertError(await req('DELETE', `/api/v1/resource-groups/${def.id}`), 409, 'conflict');
    assertError(await req('PATCH', `/api/v1/resource-groups/${def.id}`, { body: { name: 'renamed' } }), 409, 'conflict', 'name');

    const created = await post({ name: 'tf_group', max_acus: 16 });
    const location = created.headers.get('location');
    const read = await req('GET', location);
    assert.deepEqual(read.json, created.json);
    const updated = await req('PATCH', location, { body: { max_acus: 24 }, headers: { 'if-match': read.json.etag } });
    assert.equal(updated.status, 200);
    assert.deepEqual([updated.json.max_acus, updated.json.available_acus], [24, 24]);
    assertError(await req('PATCH', location, { body: { max_acus: 32 }, headers: { 'if-match': read.json.etag } }), 412, 'precondition_failed');
    assert.equal((await req('DELETE', location, { headers: { 'if-match': updated.json.etag } })).status, 204);
    assertError(await req('GET', location), 404, 'not_found');
  });

  test('databases: rules and converge cycle', async () => {
    const post = (body) => req('POST', '/api/v1/databases', { body });
    assertError(await post({ name: 'Bad-Name' }), 400, 'invalid_argument', 'name');
    assertError(await post({ name: 'd1', catalog: 'hive' }), 400, 'invalid_argument', 'catalog');
    assertError(await post({ name: 'd1', external: true }), 400, 'invalid_argument', 'location');
    assertError(await post({ name: 'd1', location: 'ftp://x/y' }), 400, 'invalid_argument', 'location');
    assertError(await post({ name: 'd1', location: 's3://b/a/../c' }), 400, 'invalid_argument', 'location');
    assertError(await post({ name: 'd1', properties: { a: 1 } }), 400, 'invalid_argument', 'properties.a');
    assertError(await post({ name: 'd1', properties: 'x' }), 400, 'invalid_argument', 'properties');

    const desired = { name: 'kafka_paimon_external_db', catalog: 'paimon', external: true,
                      location: 'oss://testbucketname/aps/data/kafka_paimon_external_db.db/',
                      properties: { 'adb.paimon.warehouse': 'oss://testbucketname/aps/data' } };
    const created = await post(desired);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), '/api/v1/databases/kafka_paimon_external_db');
    const read = await req('GET', created.headers.get('location'));
    assert.deepEqual(read.json, created.json);
    for (const [k, v] of Object.entries(desired)) assert.deepEqual(read.json[k], v, k);
    assertError(await post(desired), 409, 'conflict', 'name');

    const managed = await post({ name: 'managed_db' });
    assert.equal(managed.json.catalog, 'iceberg');
    assert.equal(managed.json.external, false);
    assert.match(managed.json.location, /^file:\/\/\/.*\/warehouse\/managed_db\.db\/$/);
    assertError(await req('DELETE', '/api/v1/databases/managed_db', { headers: { 'if-match': '"stale"' } }), 412, 'precondition_failed');
    assert.equal((await req('DELETE', '/api/v1/databases/managed_db', { headers: { 'if-match': managed.json.etag } })).status, 204);
    assertError(await req('GET', '/api/v1/databases/managed_db'), 404, 'not_found');
  });
});
