// Driver of bench/freshness.sh: how long a message takes from its produce to
// being visible in a committed snapshot, with commit_interval_s = 1.
//
// A real `lakesync serve` (file:// managed warehouse) runs one job on a fresh
// topic of the test broker (started here). One kcat producer per partition (-p) sends, at a
// steady rate, messages stamped with their produce time (wall clock, ms); a
// partition's k-th message therefore has offset k. Meanwhile a poller asks
// the snapshots API every POLL_MS and notes when it first sees each snapshot;
// a message (p, o) is visible from the first snapshot whose lakesync.offsets
// hold p beyond o. Latency = first seen - produced (what a reader polling
// the catalog experiences, poll period included); also reported against the
// snapshots' own timestamps (commit time, no polling). At the end the table
// is read back with icebird to check the offset mapping: every row's
// produced_ms must be the one the producer recorded for its (p, o).
//
// Arguments: partitions rate_per_s seconds
// Needs LAKESYNC_BIN and LAKESYNC_BUILD_DIR (the test broker); run from
// tests/ (node_modules).
import { spawn } from 'node:child_process';
import { startBroker } from '../tests/e2e/lib/broker.mjs';
import { startServer } from '../tests/e2e/lib/server.mjs';
import { readTable } from '../tests/e2e/lib/iceberg_read.mjs';

const [partitionsText, rateText, secondsText] = process.argv.slice(2);
const topic = 'fresh';
const partitions = Number(partitionsText);
const rate = Number(rateText);
const seconds = Number(secondsText);
const POLL_MS = 50;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(server, method, p, body) {
  const res = await server.request(method, p, { body });
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${res.text}`);
  return res.json;
}

function producer(bootstrap, partition) {
  const kcat = spawn('kcat', ['-P', '-b', bootstrap, '-t', topic, '-p', String(partition),
                              '-X', 'linger.ms=0'], { stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = new Promise((resolve, reject) =>
    kcat.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`)))));
  return { kcat, exited, produced: [] };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(latencies) {
  const s = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) };
}

const broker = await startBroker([`${topic}:${partitions}`]);
const bootstrap = broker.bootstrap;
const server = await startServer({ env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
try {
  const groupId = (await api(server, 'GET', '/api/v1/resource-groups')).items[0].id;
  const source = await api(server, 'POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: bootstrap, topic, message_format: 'json',
  });
  const job = await api(server, 'POST', '/api/v1/jobs', {
    data_source_id: source.id,
    destination: { type: 'managed', format: 'iceberg' },
    database: 'bench', table: 'fresh', parse_levels: 1,
    fields: [
      { source: 'id', name: 'id', type: 'bigint' },
      { source: 'produced_ms', name: 'produced_ms', type: 'bigint' },
      { source: '__kafka_partition__', name: 'kp', type: 'int' },
      { source: '__kafka_offset__', name: 'ko', type: 'bigint' },
    ],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  });
  await api(server, 'POST', `/api/v1/jobs/${job.id}/start`);
  // Wait until the worker holds its partitions: joining is not freshness.
  for (;;) {
    const m = await api(server, 'GET', `/api/v1/jobs/${job.id}/metrics`);
    const held = (m.workers ?? []).reduce((n, w) => n + Object.keys(w?.partitions ?? {}).length, 0);
    if (held === partitions) break;
    await sleep(200);
  }

  const firstSeen = new Map(); // snapshot id -> { seen, at, offsets }
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const res = await server.request('GET', '/api/v1/databases/bench/tables/fresh/snapshots');
      const now = Date.now();
      for (const s of res.json?.items ?? []) {
        if (!firstSeen.has(s.snapshot_id)) {
          firstSeen.set(s.snapshot_id, { seen: now, at: Date.parse(s.timestamp),
                                         offsets: s.summary['lakesync.offsets'].partitions });
        }
      }
      await sleep(POLL_MS);
    }
  })();

  const producers = Array.from({ length: partitions }, (_, p) => producer(bootstrap, p));
  const total = rate * seconds;
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const p = producers[i % partitions];
    const now = Date.now();
    p.produced.push(now);
    p.kcat.stdin.write(JSON.stringify({ id: i, produced_ms: now }) + '\n');
  }
  for (const p of producers) p.kcat.stdin.end();
  await Promise.all(producers.map((p) => p.exited));

  // Until the last message is visible.
  const seenAll = () => [...firstSeen.values()].some((s) =>
    producers.every((p, i) => (s.offsets[String(i)] ?? 0) >= p.produced.length));
  const until = Date.now() + 60000;
  while (!seenAll() && Date.now() < until) await sleep(100);
  polling = false;
  await poller;
  if (!seenAll()) throw new Error('not every message became visible within 60 s');

  const snaps = [...firstSeen.values()].sort((a, b) => a.seen - b.seen);
  const polled = [];
  const committed = [];
  producers.forEach((p, partition) => {
    let s = 0;
    p.produced.forEach((producedMs, offset) => {
      while ((snaps[s].offsets[String(partition)] ?? 0) <= offset) s++;
      polled.push(snaps[s].seen - producedMs);
      committed.push(snaps[s].at - producedMs);
    });
  });

  // The mapping (partition, k-th message) -> offset k must hold in the table.
  const { rows } = await readTable(job.destination.path.replace(/\/$/, ''));
  if (rows.length !== total) throw new Error(`the table has ${rows.length} rows, not ${total}`);
  for (const r of rows) {
    if (Number(r.produced_ms) !== producers[Number(r.kp)].produced[Number(r.ko)])
      throw new Error(`row ${r.id} at ${r.kp}/${r.ko} is not where the producer put it`);
  }

  const a = summary(polled);
  const b = summary(committed);
  console.log(`messages: ${total} over ${seconds} s (${rate}/s, ${partitions} partitions), ` +
              `${snaps.length} snapshots, commit_interval_s 1, poll every ${POLL_MS} ms`);
  console.log(`produce -> visible to a poller of the snapshots API: p50 ${a.p50} ms  ` +
              `p99 ${a.p99} ms  max ${a.max} ms`);
  console.log(`produce -> snapshot timestamp (commit time):          p50 ${b.p50} ms  ` +
              `p99 ${b.p99} ms  max ${b.max} ms`);
  console.log(`target p99 < 2000 ms: ${a.p99 < 2000 ? 'met' : 'NOT met'} (p99 ${a.p99} ms)`);
  await api(server, 'POST', `/api/v1/jobs/${job.id}/stop`);
} finally {
  await server.cleanup();
  await broker.stop();
}
