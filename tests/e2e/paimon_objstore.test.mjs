// ctest-labels: sanitize
// Paimon jobs on object stores: one table on s3:// and one on oss://, both
// on s3rver behind the fault proxy, which records every request (s3rver
// itself ignores conditional headers). The server has no AWS_* environment:
// workers, committer and API use each job's own destination settings.
// Proves: Paimon's layout in the bucket (schema-0, snapshots, LATEST and
// EARLIEST hints, manifests, data files in partition directories), snapshots
// and schema-0 created only if absent with the store's own conditional put
// (S3 If-None-Match: *, OSS x-oss-forbid-overwrite: true) and no other object
// put that way; a snapshot put the store refuses with 412 (another writer won
// the race) is planned again with no row lost or doubled; the rows, read back
// through the preview API with our reader, equal the produced messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { startS3rver } from './lib/s3rver.mjs';
import { startFaultProxy } from './lib/faultproxy.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const COUNT = 30;

let broker;
let s3;
let proxy;
let server;
let sourceId;
let groupId;

function message(i) {
  return JSON.stringify({ id: i, name: `n${i}`, os: i % 2 ? 'linux' : 'mac' });
}

const api = (method, p, body) => server.request(method, p, { body });

async function until(what, fn, timeoutMs = 90000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(300);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const total = async (db) =>
  (await api('GET', `/api/v1/databases/${db}/tables/events`)).json?.current_snapshot?.total_record_count ?? 0;

before(async () => {
  broker = await startBroker(['objev:2']);
  s3 = await startS3rver({ buckets: ['lake'] });
  proxy = await startFaultProxy({ target: s3.endpoint, faults: ['412'] });
  server = await startServer({
    dataDir: tempDir('lakesync-paimon-objstore-'),
    env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '',
           AWS_ENDPOINT_URL: '' },
  });
  const group = await api('POST', '/api/v1/resource-groups', { name: 'objstore', max_acus: 4 });
  assert.equal(group.status, 201, group.text);
  groupId = group.json.id;
  const res = await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'objev', message_format: 'json',
  });
  assert.equal(res.status, 201, res.text);
  sourceId = res.json.id;
});

after(async () => {
  await server?.cleanup();
  await proxy?.stop();
  await s3?.stop();
  await broker?.stop();
});

// Creates the database and the job of one store; the database spells its
// warehouse property as given.
async function paimonJob(db, scheme, region, warehouseKey) {
  const wh = `${scheme}://lake/wh-${db}`;
  const made = await api('POST', '/api/v1/databases', {
    name: db, catalog: 'paimon', external: true, location: `${wh}/${db}.db/`,
    properties: { [warehouseKey]: wh },
  });
  assert.equal(made.status, 201, made.text);
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceId,
    destination: { type: 'user_path', format: 'paimon', path: `${wh}/${db}.db/events/`,
                   endpoint: proxy.url, region, path_style: true,
                   access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey },
    database: db, table: 'events', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: 'os', name: 'os', type: 'string' },
    ],
    partition: [{ source: 'os', transform: 'identity', name: 'os' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(res.status, 201, res.text);
  return { job: res.json, prefix: `wh-${db}/${db}.db/events/` };
}

async function object(key) {
  const res = await s3.fetchObject('lake', key);
  assert.equal(res.status, 200, `GET ${key}: ${res.status}`);
  return res.text();
}

// The PUTs the proxy saw under a table, by key relative to the table root.
function puts(prefix) {
  const root = `/lake/${prefix}`;
  return proxy.log.filter((e) => e.method === 'PUT' && e.path.startsWith(root))
    .map((e) => ({ key: decodeURIComponent(e.path.slice(root.length).split('?')[0]), headers: e.headers, fault: e.fault }));
}

test('Paimon jobs on s3:// and oss://: layout, conditional snapshot puts, hints, rows', async () => {
  const tables = [
    { db: 's3p', conditional: ['if-none-match', '*'], other: 'x-oss-forbid-overwrite',
      ...(await paimonJob('s3p', 's3', 'us-east-1', 'paimon.warehouse')) },
    { db: 'ossp', conditional: ['x-oss-forbid-overwrite', 'true'], other: 'if-none-match',
      ...(await paimonJob('ossp', 'oss', 'cn-hangzhou', 'adb.paimon.warehouse')) },
  ];
  // The first snapshot put of the s3 table loses a race it never ran: the
  // store answers 412 as it would had another writer created that snapshot.
  let refused = 0;
  proxy.setMatch((req) => req.method === 'PUT' &&
                          /^\/lake\/wh-s3p\/s3p\.db\/events\/snapshot\/snapshot-\d+$/.test(req.url) &&
                          refused++ === 0);
  proxy.setFaultRate(1);

  await broker.produce('objev', Array.from({ length: COUNT / 2 }, (_, i) => message(i + 1)));
  for (const t of tables) assert.equal((await api('POST', `/api/v1/jobs/${t.job.id}/start`)).status, 200);
  await until('the first batch in both tables', async () =>
    (await total('s3p')) === COUNT / 2 && (await total('ossp')) === COUNT / 2);
  await broker.produce('objev', Array.from({ length: COUNT / 2 }, (_, i) => message(COUNT / 2 + i + 1)));
  await until('every row in both tables', async () =>
    (await total('s3p')) === COUNT && (await total('ossp')) === COUNT);
  for (const t of tables) assert.equal((await api('POST', `/api/v1/jobs/${t.job.id}/stop`)).status, 200);

  assert.equal(proxy.counts['412'], 1);
  assert.match(server.stderr(), /s3p\.events: another writer created snapshot\/snapshot-1 first; planning again/);

  for (const t of tables) {
    const snaps = (await api('GET', `/api/v1/databases/${t.db}/tables/events/snapshots`)).json.items;
    const latest = snaps.at(-1).snapshot_id;
    assert.ok(latest >= 2, `${t.db}: ${latest} snapshots`);
    assert.deepEqual(snaps.map((s) => s.snapshot_id), Array.from({ length: latest }, (_, i) => i + 1));

    // Paimon's layout and hints in the bucket.
    assert.equal(await object(`${t.prefix}snapshot/LATEST`), String(latest));
    assert.equal(await object(`${t.prefix}snapshot/EARLIEST`), '1');
    const snapshot = JSON.parse(await object(`${t.prefix}snapshot/snapshot-${latest}`));
    assert.equal(snapshot.version, 3);
    assert.equal(snapshot.commitKind, 'APPEND');
    assert.equal(snapshot.totalRecordCount, COUNT);
    assert.equal(snapshot.properties['lakesync.job-id'], t.job.id);
    const offsets = JSON.parse(snapshot.properties['lakesync.offsets']);
    assert.equal(offsets.topic, 'objev');
    assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), COUNT);
    const schema = JSON.parse(await object(`${t.prefix}schema/schema-0`));
    assert.deepEqual(schema.fields.map((f) => [f.id, f.name, f.type]), [[1, 'id', 'BIGINT'], [2, 'name', 'STRING'], [3, 'os', 'STRING']]);
    assert.deepEqual(schema.partitionKeys, ['os']);
    assert.equal(schema.options.bucket, '-1');

    // Created only if absent: every snapshot and schema-0, with this store's
    // header; nothing else, and never the other store's header.
    const all = puts(t.prefix);
    const conditional = all.filter((p) => p.headers[t.conditional[0]] !== undefined);
    for (const p of all) assert.equal(p.headers[t.other], undefined, `${p.key} has ${t.other}`);
    for (const p of conditional) assert.equal(p.headers[t.conditional[0]], t.conditional[1]);
    const refusedPuts = t.db === 's3p' ? ['snapshot/snapshot-1'] : [];
    assert.deepEqual(conditional.map((p) => p.key).sort(),
                     ['schema/schema-0', ...refusedPuts, ...snaps.map((s) => `snapshot/snapshot-${s.snapshot_id}`)].sort());
    const kinds = new Set(all.filter((p) => !conditional.includes(p)).map((p) => p.key.replace(/-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}-\d+(\.parquet)?$/, '-*')));
    assert.deepEqual([...kinds].sort(), ['manifest/manifest-*', 'manifest/manifest-list-*', 'os=linux/bucket-0/data-*',
                                         'os=mac/bucket-0/data-*', 'snapshot/EARLIEST', 'snapshot/LATEST']);

    // The rows, read back through the API from the bucket.
    const rows = (await api('GET', `/api/v1/databases/${t.db}/tables/events/preview?limit=1000`)).json.rows;
    assert.deepEqual(rows.map((r) => [r.id, r.name, r.os]).sort((a, b) => a[0] - b[0]),
                     Array.from({ length: COUNT }, (_, i) => JSON.parse(message(i + 1))).map((m) => [m.id, m.name, m.os]));
  }
});
