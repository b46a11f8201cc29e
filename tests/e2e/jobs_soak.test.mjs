// The long chaos soak, behind a flag (CI skips it: LAKESYNC_SOAK unset).
//   LAKESYNC_SOAK=1 ctest --test-dir build -R e2e.jobs_soak --output-on-failure
// env LAKESYNC_SOAK_MESSAGES (default 200000), LAKESYNC_SOAK_SEED (default: the
// time; printed, so a failing run can be replayed in the same order).
// A two-worker job ingests while, at random moments, workers are SIGKILLed,
// the broker goes down for up to 7 s, and once the server is SIGKILLed and
// restarted (it resumes the job). Then the table must hold every produced
// message exactly once: no (partition, offset) twice, the ids exactly those
// produced, the offsets summing to the count. Each server lifetime sees at
// most 3 worker kills: 5 crashes within 5 minutes fail a job by design.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { readTable } from './lib/iceberg_read.mjs';
import { mulberry32 } from './lib/faultproxy.mjs';
import { assertExactlyOnce, createSources, range, waitFor, workerPids } from './lib/jobs.mjs';

const SOAK = Boolean(process.env.LAKESYNC_SOAK);
const COUNT = Number(process.env.LAKESYNC_SOAK_MESSAGES ?? 200000);
const SEED = Number(process.env.LAKESYNC_SOAK_SEED ?? Date.now() % 1000000);
const BATCHES = 10;
const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const random = mulberry32(SEED);
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo));

let broker;
let server;
let dataDir;
// kcat gives up when every broker is down: a produce and an outage never
// overlap (both run through this gate, one at a time).
let gate = Promise.resolve();
const exclusive = (fn) => (gate = gate.then(fn, fn));

const message = (id) => JSON.stringify({ id, name: `n${id}`, pad: 'x'.repeat(id % 17) });

before(async () => {
  if (!SOAK) return;
  broker = await startBroker(['soak:8']);
  dataDir = tempDir('lakesync-soak-');
  server = await startServer({ dataDir, env });
});

after(async () => {
  await server?.cleanup();
  await broker?.stop();
});

// One chaos phase while batches are produced: worker kills and one outage,
// in a random order at random moments.
async function chaos(log) {
  const actions = ['kill', 'kill', 'kill', 'outage'].sort(() => random() - 0.5);
  for (const action of actions) {
    await sleep(between(500, 4000));
    if (action === 'kill') {
      const pids = workerPids(server);
      if (!pids.length) continue;
      const pid = pids[between(0, pids.length)];
      log.push(`SIGKILL worker ${pid}`);
      process.kill(pid, 'SIGKILL');
    } else {
      const ms = between(1000, 7000);
      log.push(`broker down ${ms} ms`);
      await exclusive(async () => {
        await broker.down();
        await sleep(ms);
        await broker.up();
      });
    }
  }
}

test('soak: every message exactly once through worker, broker and server failures',
     { skip: !SOAK && 'set LAKESYNC_SOAK=1 to run the soak' }, async (t) => {
  t.diagnostic(`seed ${SEED}, ${COUNT} messages`);
  const api = (method, path, body) => server.request(method, path, { body });
  const groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const sources = await createSources(server, broker.bootstrap, ['soak']);
  const res = await api('POST', '/api/v1/jobs', {
    data_source_id: sources.soak,
    destination: { type: 'managed', format: 'iceberg' },
    database: 'soak', table: 'soak', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'name', name: 'name', type: 'string' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 4 },
    advanced: { commit_interval_s: 1 },
  });
  assert.equal(res.status, 201, res.text);
  const job = res.json;
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);

  const per = Math.ceil(COUNT / BATCHES);
  const produceBatches = async (from, to) => {
    for (let b = from; b < to; b++) {
      const ids = range(1 + b * per, 1 + Math.min(COUNT, (b + 1) * per));
      await exclusive(() => broker.produce('soak', ids.map(message)));
      await sleep(between(200, 1500));
    }
  };
  const log = [];
  await Promise.all([produceBatches(0, BATCHES / 2), chaos(log)]);
  log.push('SIGKILL server');
  server.proc.kill('SIGKILL');
  await new Promise((r) => server.proc.once('exit', r));
  await sleep(between(0, 3000));
  server = await startServer({ dataDir, env, adminToken: server.adminToken });
  await Promise.all([produceBatches(BATCHES / 2, BATCHES), chaos(log)]);
  t.diagnostic(log.join('; '));

  const tableUrl = job.destination.path.replace(/\/$/, '');
  let rows = [];
  await waitFor(`${COUNT} rows`, async () => {
    try {
      ({ rows } = await readTable(tableUrl));
    } catch { /* between commits */ }
    return rows.length >= COUNT || rows.length;
  }, { timeoutMs: 300000, server });
  await sleep(3000); // a duplicate would land in a later commit
  const { rows: final, metadata } = await readTable(tableUrl);
  assertExactlyOnce(final, range(1, COUNT + 1));
  const offsets = JSON.parse(metadata.snapshots.at(-1).summary['lakesync.offsets']);
  assert.equal(Object.values(offsets.partitions).reduce((a, b) => a + b, 0), COUNT);
  assert.equal((await api('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
});
