// A job stopped while the object store stalls the worker's uploads
// (s3rver behind the fault proxy, which holds the worker's data-file PUTs
// unanswered for longer than the stop grace period; the server's metadata
// writes pass): first the table's data files, then the dead-letter table's.
// Each time the worker must give the uploads up at its stop deadline, a
// margin before the grace period ends, and exit cleanly, not be SIGKILLed;
// nothing of the unfinished commit may reach either table, and the next
// run must yield every message exactly once, dead letters included (read
// with icebird straight from s3rver, through the tables' metadata only).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { startS3rver } from './lib/s3rver.mjs';
import { startFaultProxy } from './lib/faultproxy.mjs';
import { readTable } from './lib/iceberg_read.mjs';
import { assertExactlyOnce, createSources, range, waitFor, waitForState } from './lib/jobs.mjs';

const GRACE_MS = 8000; // the worker's requests get 6 s of it, aborts 1 s more

let broker;
let server;
let s3;
let proxy;
let groupId;
let sourceIds;

const message = (id) => JSON.stringify({ id, name: `n${id}` });
const api = (method, path, body) => server.request(method, path, { body });

before(async () => {
  broker = await startBroker(['uploads:2']);
  s3 = await startS3rver({ buckets: ['lake'] });
  // A stalled request is held far past the grace period: only the worker's
  // own deadline can end it.
  proxy = await startFaultProxy({ target: s3.endpoint, stallMs: 60000 });
  server = await startServer({
    dataDir: tempDir('lakesync-s3-stop-'),
    env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000', LAKESYNC_STOP_GRACE_MS: String(GRACE_MS),
           AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL: '' },
  });
  groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  sourceIds = await createSources(server, broker.bootstrap, ['uploads']);
});

after(async () => {
  await server?.cleanup();
  await proxy?.stop();
  await s3?.stop();
  await broker?.stop();
});

// The job's dead-letter table, beside its table (<table>__dlq).
const deadLetters = { destination: { path: 's3://lake/wh/uploads__dlq/' } };

// Straight from s3rver, not through the proxy.
async function read(job) {
  try {
    return await readTable(job.destination.path.replace(/\/$/, ''), { s3Endpoint: s3.endpoint });
  } catch {
    return { metadata: null, rows: [] }; // no metadata yet
  }
}

const metrics = async (jobId) => (await api('GET', `/api/v1/jobs/${jobId}/metrics`)).json;
const held = async (jobId) =>
  ((await metrics(jobId)).workers ?? []).reduce((n, w) => n + (w?.messages ?? 0), 0);

// Runs the job until its worker holds all 410 messages (from the table's
// offsets: none yet, so the earliest), then stops it while the proxy holds
// every PUT whose path has `stalled` (nothing else). Checks that the worker
// gave the uploads up by its deadline, exited on its own within the grace
// period, and that neither table holds anything of it.
async function runAndStopWhileStalled(t, job, stalled) {
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitFor('the worker holds every message', async () => (await held(job.id)) === 410,
    { server });
  proxy.setFaults(['stall']);
  proxy.setMatch((req) => req.method === 'PUT' && req.url.includes(stalled));
  proxy.setFaultRate(1);
  const stallsBefore = proxy.counts.stall;
  const requestsBefore = proxy.log.length;
  const stderrBefore = server.stderr().length;
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped', 30000);
  proxy.setFaultRate(0);
  const log = server.stderr().slice(stderrBefore);
  assert.ok(proxy.counts.stall > stallsBefore, `no upload to ${stalled} was made`);
  assert.ok(proxy.log.slice(requestsBefore).every((e) => !e.fault || e.url.includes(stalled)));
  // From SIGTERM to the worker's exit, by the server's own clock.
  const at = (re) => Date.parse(log.split('\n').find((l) => re.test(l))?.split(' ')[0]);
  const took = at(/worker 0 exited/) - at(/is stopping/);
  t.diagnostic(`stalling ${stalled}: the worker stopped in ${took} ms (grace ${GRACE_MS} ms)`);
  for (const line of log.split('\n').filter((l) => / (warn|error) +(worker|objstore) /.test(l))) {
    t.diagnostic(line);
  }
  assert.doesNotMatch(log, /killed by signal 9/, log);
  assert.ok(took < GRACE_MS, `the worker took ${took} ms to stop, the grace is ${GRACE_MS} ms:\n${log}`);
  assert.match(log, /giving up the uploads of the commit \(the stop grace period ends\)/);
  const key = stalled.slice(1); // the log names keys, without the bucket's '/'
  assert.ok(log.split('\n').some((l) => l.includes(key) && l.includes('cut off at the deadline')),
    `no upload to ${stalled} was cut off at the deadline:\n${log}`);
  assert.equal((await read(job)).rows.length, 0);
  assert.equal((await read(deadLetters)).rows.length, 0);
}

test('a stop while data uploads stall ends within the grace period and loses nothing', async (t) => {
  // A long interval: the only commit of a run is the final one, on stop.
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceIds.uploads,
    destination: { type: 'user_path', format: 'iceberg', path: 's3://lake/wh/uploads/',
                   endpoint: proxy.url, region: 'us-east-1',
                   access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey },
    database: 's3stop', table: 'uploads', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 3600, error_policy: 'dlq' },
  });
  assert.equal(res.status, 201, res.text);
  const job = res.json;
  // Explicit partitions: kcat's sticky partitioner may put all in one. Each
  // partition ends with 5 records the scanner rejects: dead letters.
  const bad = range(0, 5).map((i) => `{"id": oops${i}}`);
  await broker.produce('uploads', [...range(1, 201).map(message), ...bad], { partition: 0 });
  await broker.produce('uploads', [...range(201, 401).map(message), ...bad], { partition: 1 });

  // 1. The table's data-file PUTs hang: the commit never gets to the
  // dead-letter file nor to the server.
  await runAndStopWhileStalled(t, job, '/wh/uploads/data/');
  // 2. Again, now with the dead-letter table's PUT hanging: the data file
  // is stored but never committed (an orphan for maintenance to remove).
  await runAndStopWhileStalled(t, job, '/wh/uploads__dlq/data/');

  // 3. Faults off: the next run starts from the table's offsets (still
  // none), and its only commit is again the final one, now unhindered.
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await broker.produce('uploads', range(401, 451).map(message), { partition: 0 });
  await broker.produce('uploads', range(451, 501).map(message), { partition: 1 });
  await waitFor('the worker reaches the end of both partitions', async () => {
    const parts = ((await metrics(job.id)).workers ?? [])
      .flatMap((w) => Object.values(w?.partitions ?? {}));
    return (parts.length === 2 && parts.reduce((n, p) => n + p.position, 0) === 510) || parts;
  }, { server });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');
  const { rows, metadata } = await read(job);
  assertExactlyOnce(rows, range(1, 501));
  const offsets = JSON.parse(metadata.snapshots.at(-1).summary['lakesync.offsets']);
  assert.deepEqual(offsets.partitions, { 0: 255, 1: 255 });
  assert.equal(metadata.snapshots.length, 1, 'only the last run committed');
  const dead = (await read(deadLetters)).rows
    .map((r) => `${r.kafka_partition}/${r.kafka_offset}`).sort();
  assert.deepEqual(dead, [0, 1].flatMap((p) => range(200, 205).map((o) => `${p}/${o}`)).sort());
});
