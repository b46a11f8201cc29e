// Jobs writing to S3 (s3rver) through the fault proxy: the worker's data
// uploads and the server's commits (manifests, metadata) all cross it. The
// table is read back with icebird straight from s3rver, through its metadata
// only, so only committed data counts. Proves: (1) 500 / 503 / connection
// resets / stalls during ingest leave the table with exactly the produced
// messages; (2) a stop while a commit is in flight (the server's metadata
// write stalls) ends within the stop grace period without SIGKILL, the
// worker giving the commit up as of unknown outcome, and the next run still
// yields every message exactly once. The jobs leave path_style unset: the
// worker gets null (automatic, so path-style for this custom endpoint) and
// must reach s3rver just as the server does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { startS3rver } from './lib/s3rver.mjs';
import { startFaultProxy } from './lib/faultproxy.mjs';
import { readTable } from './lib/iceberg_read.mjs';
import {
  assertExactlyOnce, createSources, range, waitFor, waitForState, workerPids,
} from './lib/jobs.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const GRACE_MS = 8000;

let broker;
let server;
let s3;
let proxy;
let groupId;
let sourceIds;

const message = (id) => JSON.stringify({ id, name: `n${id}` });
const api = (method, path, body) => server.request(method, path, { body });

async function createJob(topic, table, commitIntervalS) {
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sourceIds[topic],
    destination: { type: 'user_path', format: 'iceberg', path: `s3://lake/wh/${table}/`,
                   endpoint: proxy.url, region: 'us-east-1',
                   access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey },
    database: 's3faults', table, parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: commitIntervalS },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

// Straight from s3rver, not through the proxy.
async function read(job) {
  try {
    return await readTable(job.destination.path.replace(/\/$/, ''), { s3Endpoint: s3.endpoint });
  } catch {
    return { metadata: null, rows: [] }; // no metadata yet
  }
}

const waitForRows = (job, want, timeoutMs) =>
  waitFor(`rows of ${job.table}`, async () => {
    const n = (await read(job)).rows.length;
    return n >= want || n;
  }, { timeoutMs, server });

const state = async (jobId) => (await api('GET', `/api/v1/jobs/${jobId}`)).json.state;

// The spec a worker is given, fetched with that worker's own token.
async function workerSpec(jobId) {
  const pid = workerPids(server)[0];
  const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const token = environ.find((e) => e.startsWith('LAKESYNC_WORKER_TOKEN=')).split('=')[1];
  const res = await server.request('GET', `/internal/v1/jobs/${jobId}/spec`, { token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

before(async () => {
  broker = await startBroker(['ingest:2', 'stopping:2']);
  s3 = await startS3rver({ buckets: ['lake'] });
  proxy = await startFaultProxy({ target: s3.endpoint, seed: 7, stallMs: 2000 });
  // No AWS_* environment: only the jobs' own settings reach s3rver.
  server = await startServer({
    dataDir: tempDir('lakesync-s3-faults-'),
    env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000', LAKESYNC_STOP_GRACE_MS: String(GRACE_MS),
           AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL: '' },
  });
  groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  sourceIds = await createSources(server, broker.bootstrap, ['ingest', 'stopping']);
});

after(async () => {
  await server?.cleanup();
  await proxy?.stop();
  await s3?.stop();
  await broker?.stop();
});

test('object-store faults during ingest: the table holds exactly the produced messages', async (t) => {
  const job = await createJob('ingest', 'ingest', 1);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitFor('a worker', async () => workerPids(server).length > 0);
  const spec = await workerSpec(job.id);
  assert.equal(spec.storage.path_style, null); // unset: automatic, as the server decides
  assert.equal(spec.storage.endpoint, proxy.url);

  // Batches a second apart: each commit (a data file PUT by the worker; the
  // server's manifest, manifest list and metadata PUTs) meets the faults.
  proxy.setFaultRate(0.3);
  for (let batch = 0; batch < 8; batch++) {
    await broker.produce('ingest', range(1 + batch * 200, 201 + batch * 200).map(message));
    await sleep(1000);
  }
  await waitForRows(job, 1600, 50000);
  proxy.setFaultRate(0);
  await sleep(2500); // a late duplicate commit would land by now
  const { rows, metadata } = await read(job);
  assertExactlyOnce(rows, range(1, 1601));
  const offsets = JSON.parse(metadata.snapshots.at(-1).summary['lakesync.offsets']);
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), 1600);
  const c = proxy.counts;
  t.diagnostic(`proxy: ${JSON.stringify(c)}`);
  assert.ok(c['500'] + c['503'] + c.reset + c.stall >= 3, `too few faults: ${JSON.stringify(c)}`);
  assert.notEqual(await state(job.id), 'failed');
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');
});

test('a stop during a commit ends within the grace period and loses nothing', async (t) => {
  // A long interval: the only commit is the final one, made on stop.
  const job = await createJob('stopping', 'stopping', 3600);
  // Explicit partitions: left to kcat's sticky partitioner, every message can
  // land in one partition, and the other's position stays -1 (never read).
  await broker.produce('stopping', range(1, 201).map(message), { partition: 0 });
  await broker.produce('stopping', range(201, 401).map(message), { partition: 1 });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitFor('the worker holds every message', async () => {
    const m = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
    return (m.workers ?? []).reduce((n, w) => n + (w?.messages ?? 0), 0) === 400;
  });
  assert.equal((await read(job)).rows.length, 0);

  // From now on the server's metadata writes hang: the final commit cannot
  // finish (the server retries each stalled write after 2 s, in vain).
  proxy.setFaults(['stall']);
  proxy.setMatch((req) => req.method === 'PUT' && req.url.includes('/metadata/'));
  proxy.setFaultRate(1);
  const stallsBefore = proxy.counts.stall;
  const stderrBefore = server.stderr().length;
  const stopAt = Date.now();
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped', 30000);
  const seenStopped = Date.now() - stopAt;
  const log = server.stderr().slice(stderrBefore);
  assert.ok(proxy.counts.stall > stallsBefore, 'the commit never reached the metadata write');
  // From SIGTERM to the worker's exit, by the server's own clock.
  const at = (re) => Date.parse(log.split('\n').find((l) => re.test(l))?.split(' ')[0]);
  const took = at(/worker 0 exited/) - at(/is stopping/);
  t.diagnostic(`the worker stopped in ${took} ms; the API said stopped after ${seenStopped} ms`);
  assert.ok(took < GRACE_MS, `the worker took ${took} ms to stop, the grace is ${GRACE_MS} ms:\n${log}`);
  assert.match(log, /giving up the commit \(the stop grace period ends\)/);
  assert.doesNotMatch(log, /killed by signal 9/);

  // Faults off: the server's stalled commit lands or fails on its own, and
  // the next run starts from whatever the table then says. Its only commit
  // is again the final one, now unhindered. The next run starts once the
  // old commit has ended (its request line is in the log): a worker that
  // read the offsets while it was still in flight would start behind the
  // table, and its final commit would be refused (409) for ranges the old
  // commit had covered, leaving its newer messages for a later run.
  proxy.setFaultRate(0);
  proxy.setMatch(() => true);
  await waitFor('the old run\'s commit to land or fail', async () =>
    /POST \/internal\/v1\/jobs\/\S+\/commits \d{3} /.test(server.stderr().slice(stderrBefore)), { server });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await broker.produce('stopping', range(401, 451).map(message), { partition: 0 });
  await broker.produce('stopping', range(451, 501).map(message), { partition: 1 });
  await waitFor('the worker reaches the end of both partitions', async () => {
    const m = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
    const parts = (m.workers ?? []).flatMap((w) => Object.values(w?.partitions ?? {}));
    return (parts.length === 2 && parts.reduce((n, p) => n + p.position, 0) === 500) || parts;
  });
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  await waitForState(server, job.id, 'stopped');
  const { rows, metadata } = await read(job);
  assertExactlyOnce(rows, range(1, 501));
  const offsets = JSON.parse(metadata.snapshots.at(-1).summary['lakesync.offsets']);
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), 500);
});
