// Jobs against a Kafka that misbehaves or moves on while they are stopped:
// `lakesync serve` runs real workers on the test broker; the table is read
// back with icebird through its metadata only (committed data only).
// Proves: (1) the broker going down for longer than the group session and
// coming back loses and duplicates nothing, and the job keeps running;
// (2) a latest start is pinned in the table at once, so messages produced
// while the job is stopped to a partition that had received nothing yet are
// read after the restart, not skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { readTable } from './lib/iceberg_read.mjs';
import { assertExactlyOnce, createSources, range, waitFor, waitForState } from './lib/jobs.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' };

let broker;
let server;
let groupId;
let sourceIds;

const message = (id) => JSON.stringify({ id, name: `n${id}` });
const api = (method, path, body) => server.request(method, path, { body });

async function createJob(topic, table, start) {
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceIds[topic],
    destination: { type: 'managed', format: 'iceberg' },
    database: 'faults', table, parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    sync: { start, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function read(job) {
  try {
    return await readTable(job.destination.path.replace(/\/$/, ''));
  } catch {
    return { metadata: null, rows: [] }; // no metadata yet
  }
}

const waitForRows = (job, want) =>
  waitFor(`rows of ${job.table}`, async () => {
    const n = (await read(job)).rows.length;
    return n >= want || n;
  }, { server });

const state = async (jobId) => (await api('GET', `/api/v1/jobs/${jobId}`)).json.state;

before(async () => {
  broker = await startBroker(['flaky:2', 'pinned:2']);
  server = await startServer({ dataDir: tempDir('lakesync-broker-faults-'), env });
  groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  sourceIds = await createSources(server, broker.bootstrap, ['flaky', 'pinned']);
});

after(async () => {
  await server?.cleanup();
  await broker?.stop();
});

test('the broker down for longer than the session and up again: nothing lost or doubled', async () => {
  await broker.produce('flaky', range(1, 2001).map(message));
  const job = await createJob('flaky', 'flaky', { mode: 'earliest' });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitForRows(job, 1);
  // Down while the worker holds its partitions and has more to read.
  await broker.produce('flaky', range(2001, 4001).map(message));
  await broker.down();
  await sleep(8000); // past the 6 s session timeout
  assert.notEqual(await state(job.id), 'failed');
  await broker.up();
  await broker.produce('flaky', range(4001, 5001).map(message));
  await waitForRows(job, 5000);
  await sleep(1500); // a duplicate would show up in a later commit
  const { rows, metadata } = await read(job);
  assertExactlyOnce(rows, range(1, 5001));
  const offsets = JSON.parse(metadata.snapshots.at(-1).summary['lakesync.offsets']);
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), 5000);
  assert.equal(await state(job.id), 'running');
  const events = (await api('GET', `/api/v1/jobs/${job.id}/events`)).json.items.map((e) => e.message);
  assert.ok(!events.some((e) => e.startsWith('failed')), `events: ${events}`);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');
});

test('a latest start is kept across a stop: a partition idle until then is not skipped', async () => {
  // Before the start: never read. All in partition 0, so partition 1 is the
  // idle one (kcat's partitioner could have put some there, and the test would
  // no longer prove the idle case).
  await broker.produce('pinned', range(1, 101).map(message), { partition: 0 });
  const job = await createJob('pinned', 'pinned', { mode: 'latest' });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  // The start is committed at once as empty ranges: the table knows both
  // partitions before any message arrives.
  let pinned;
  await waitFor('the pinned start in the table', async () => {
    const { metadata } = await read(job);
    const summary = metadata?.snapshots?.at(-1)?.summary;
    pinned = summary && JSON.parse(summary['lakesync.offsets']).partitions;
    return (pinned && Object.keys(pinned).length === 2) || pinned || 'no snapshot';
  }, { server });
  assert.deepEqual(pinned, { 0: 100, 1: 0 });
  assert.equal((await read(job)).rows.length, 0);

  await broker.produce('pinned', range(101, 151).map(message), { partition: 0 });
  await waitForRows(job, 50);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');

  // Produced while stopped: partition 1 got nothing before, yet must not be
  // re-pinned to its new end on restart.
  await broker.produce('pinned', range(151, 181).map(message), { partition: 1 });
  await broker.produce('pinned', range(181, 201).map(message), { partition: 0 });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitForRows(job, 100);
  await sleep(1500);
  const { rows } = await read(job);
  assertExactlyOnce(rows, range(101, 201));
  assert.deepEqual(rows.filter((r) => Number(r.kp) === 1).map((r) => Number(r.id)).sort((a, b) => a - b),
                   range(151, 181));
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');
});
