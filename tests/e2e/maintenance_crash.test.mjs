// ctest-labels: sanitize
// The server is SIGKILLed in the middle of a compaction, at three points of
// its run on an s3:// table: while it uploads a rewritten data file, while it
// writes the replace commit's manifests, and while it writes the new table
// metadata. The fault proxy holds exactly the request of that point (a stall),
// so each kill lands inside the compaction, not before or after it. After
// each restart the table reads (icebird, from s3rver through its metadata) as
// before the kill: the same current snapshot, every message exactly once.
// Then an unhindered compaction succeeds, and the job goes on from the
// table's offsets, exactly once. The unit tests kill a compaction process at
// every point of a file:// table (test_maintenance.c); this is the server's
// own path, over an object store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { startS3rver } from './lib/s3rver.mjs';
import { startFaultProxy } from './lib/faultproxy.mjs';
import { readTable } from './lib/iceberg_read.mjs';
import { assertExactlyOnce, createSources, range, waitFor, waitForState } from './lib/jobs.mjs';

const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' };
const BATCHES = 4; // each its own 1 s commit: 4 small files per table partition

let broker;
let s3;
let proxy;
let server;
let dataDir;
let adminToken;
let job;
let produced = 0;

const api = (method, p, body) => server.request(method, p, { body });
const maintenancePath = '/api/v1/databases/crash/tables/events/maintenance';

async function read() {
  const { metadata, rows } = await readTable('s3://lake/wh/events', { s3Endpoint: s3.endpoint });
  return { metadata, rows: rows.map((r) => ({ id: Number(r.id), grp: r.grp, kp: r.kp, ko: r.ko })) };
}

// One batch into each Kafka partition (explicit partitions: kcat's own
// partitioner may put a whole batch in one), both table partitions in each.
async function produceBatch(count) {
  const lines = (from) => range(from, from + count / 2).map((id) =>
    JSON.stringify({ id, grp: id % 2 ? 'a' : 'b' }));
  await broker.produce('events', lines(produced), { partition: 0 });
  await broker.produce('events', lines(produced + count / 2), { partition: 1 });
  produced += count;
}

const waitForRows = (n) => waitFor(`${n} rows in the table`, async () => {
  try {
    const have = (await read()).rows.length;
    return have === n || have;
  } catch (e) {
    return e.message; // no metadata yet
  }
}, { server });

async function restartServer() {
  server = await startServer({ dataDir, env, adminToken });
}

// Runs maintenance with the proxy stalling the first request that matches,
// SIGKILLs the server while that request hangs, restarts it, and returns
// the URL of the stalled request.
async function killDuring(what, match) {
  const stalls = proxy.counts.stall;
  proxy.setMatch(match);
  proxy.setFaults(['stall']);
  proxy.setFaultRate(1);
  const run = api('POST', maintenancePath).catch((e) => e); // answered by nobody
  await waitFor(`the compaction reaches ${what}`, async () => proxy.counts.stall > stalls,
                { server });
  const stalled = proxy.log.findLast((r) => r.fault === 'stall').url;
  server.proc.kill('SIGKILL');
  await new Promise((r) => server.proc.once('exit', r));
  await run;
  proxy.setFaultRate(0);
  proxy.setMatch(() => true);
  await restartServer();
  return stalled;
}

before(async () => {
  broker = await startBroker(['events:2']);
  s3 = await startS3rver({ buckets: ['lake'] });
  // A stalled request is held far longer than the test takes to kill.
  proxy = await startFaultProxy({ target: s3.endpoint, stallMs: 120000 });
  dataDir = tempDir('lakesync-maint-crash-');
  server = await startServer({ dataDir, env: { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
  adminToken = server.adminToken;
  const group = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const sources = await createSources(server, broker.bootstrap, ['events']);
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sources.events,
    destination: { type: 'user_path', format: 'iceberg', path: 's3://lake/wh/events/',
                   endpoint: proxy.url, region: 'us-east-1',
                   access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey },
    database: 'crash', table: 'events', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'grp', name: 'grp', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    partition: [{ source: 'grp', transform: 'identity', name: 'grp' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: group, acus: 2 },
    // The scheduler stays off: only the runs this test starts compact.
    advanced: { commit_interval_s: 1, maintenance: {
      enabled: false, min_input_files: 2, snapshot_retention: { max_age_s: 0, min_keep: 1 } } },
  });
  assert.equal(res.status, 201, res.text);
  job = res.json;
});

after(async () => {
  await server?.cleanup();
  await proxy?.stop();
  await s3?.stop();
  await broker?.stop();
});

test('a server killed during a compaction leaves the table as it was; the next run compacts', async (t) => {
  // Small files: one commit per batch, each waited for.
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  for (let b = 0; b < BATCHES; b++) {
    await produceBatch(40);
    await waitForRows(produced);
  }
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');
  const before = await read();
  assertExactlyOnce(before.rows, range(0, produced));
  const current = before.metadata['current-snapshot-id'];

  // From here on only the server writes to the table: every stalled request
  // below is the compaction's own.
  const points = [
    ['a rewritten data file', (req) => req.method === 'PUT' && req.url.includes('/wh/events/data/')],
    ['the replace commit\'s manifests', (req) => req.method === 'PUT' && /\/metadata\/[^/]*\.avro/.test(req.url)],
    ['the new table metadata', (req) => req.method === 'PUT' && /\/metadata\/v\d+\.metadata\.json/.test(req.url)],
  ];
  for (const [what, match] of points) {
    const stalled = await killDuring(what, match);
    t.diagnostic(`killed during ${what}: ${stalled}`);
    const after = await read();
    assert.equal(after.metadata['current-snapshot-id'], current,
                 `after a kill during ${what} (${stalled}) the table moved`);
    assertExactlyOnce(after.rows, range(0, produced));
  }

  // Unhindered, the compaction runs to its end: at most one file per table
  // partition, the same rows.
  const run = await api('POST', maintenancePath);
  assert.equal(run.status, 200, run.text);
  assert.ok(run.json.result.files_rewritten >= 2 * BATCHES, run.text);
  assert.ok(run.json.result.max_partition_files_after <= 1, run.text);
  const compacted = await read();
  assert.notEqual(compacted.metadata['current-snapshot-id'], current);
  assert.equal(compacted.metadata.snapshots.at(-1).summary.operation, 'replace');
  assertExactlyOnce(compacted.rows, range(0, produced));

  // The job goes on from the offsets the replace carried.
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await produceBatch(40);
  await waitForRows(produced);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');
  assertExactlyOnce((await read()).rows, range(0, produced));
});
