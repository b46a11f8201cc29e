// Driver of bench/ingest.sh for the lakesync side: a real `lakesync serve`
// (file:// managed warehouse), one job per ACU figure on the topic the script
// filled, each timed from POST /start until the committed table's
// lakesync.offsets (current snapshot of the newest vN.metadata.json) cover
// every message. Samples the workers' VmHWM and CPU time from /proc while the
// job runs. Prints one line per run and the ratios to kcat.
//
// Arguments: bootstrap topic count kcat_seconds kcat_group_seconds workdir acus...
// Needs LAKESYNC_BIN; run from tests/ (like the e2e tests) for the helper.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../tests/e2e/lib/server.mjs';

const [bootstrap, topic, countText, kcatText, kcatGroupText, work, ...acusList] =
  process.argv.slice(2);
const count = Number(countText);
const kcatSeconds = Number(kcatText);
const kcatGroupSeconds = Number(kcatGroupText);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TIMEOUT_MS = 300000;

// The reference message's shape, read at parse level 2: deeper objects and
// the tags array land as JSON text in a string column.
const fields = [
  ['name', 'string'], ['age', 'bigint'], ['device.os', 'string'], ['device.brand', 'string'],
  ['device.version', 'string'], ['event_time', 'timestamptz'], ['score', 'double'],
  ['tags', 'string'], ['city', 'string'], ['ip', 'string'], ['active', 'boolean'],
].map(([source, type]) => ({ source, name: source.replace('.', '_'), type }));

function children(pid) {
  try {
    return execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

// Peak RSS (VmHWM, KiB) and CPU seconds of each worker seen, by pid.
function sampleWorkers(serverPid, seen) {
  for (const pid of children(serverPid)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      const cpu = (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, in ticks
      const old = seen.get(pid) ?? { hwm: 0, cpu: 0 };
      seen.set(pid, { hwm: Math.max(old.hwm, hwm), cpu: Math.max(old.cpu, cpu) });
    } catch { /* exited between pgrep and the read */ }
  }
}

// The newest metadata document of the table, or null before the first one.
function latestMetadata(tableDir) {
  const dir = path.join(tableDir, 'metadata');
  let best = 0;
  try {
    for (const name of fs.readdirSync(dir)) {
      const m = name.match(/^v(\d+)\.metadata\.json$/);
      if (m && Number(m[1]) > best) best = Number(m[1]);
    }
  } catch { return null; }
  if (!best) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, `v${best}.metadata.json`), 'utf8'));
  } catch { return null; } // being written: the next poll reads it
}

const offsetSum = (snapshot) => {
  const text = snapshot?.summary?.['lakesync.offsets'];
  if (!text) return 0;
  return Object.values(JSON.parse(text).partitions ?? {}).reduce((a, b) => a + b, 0);
};

async function api(server, method, p, body) {
  const res = await server.request(method, p, { body });
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${res.text}`);
  return res.json;
}

async function runJob(server, sourceId, groupId, acus) {
  const job = await api(server, 'POST', '/api/v1/jobs', {
    data_source_id: sourceId, destination: { type: 'managed', format: 'iceberg' },
    database: 'bench', table: `reference_acus${acus}`, parse_levels: 2, fields,
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus },
    advanced: { commit_interval_s: 1 },
  });
  const tableDir = new URL(job.destination.path).pathname;
  const seen = new Map();
  const t0 = Date.now();
  await api(server, 'POST', `/api/v1/jobs/${job.id}/start`);
  let metadata = null;
  let current = null;
  while (offsetSum(current) < count) {
    if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`acus ${acus}: ${offsetSum(current)} of ${count} after ${TIMEOUT_MS} ms`);
    sampleWorkers(server.proc.pid, seen);
    await sleep(50);
    metadata = latestMetadata(tableDir);
    current = metadata?.snapshots?.find((s) => s['snapshot-id'] === metadata['current-snapshot-id']);
  }
  const seenAt = Date.now();
  sampleWorkers(server.proc.pid, seen);
  const workers = (await api(server, 'GET', `/api/v1/jobs/${job.id}/metrics`)).workers.length;
  await api(server, 'POST', `/api/v1/jobs/${job.id}/stop`);
  for (let until = Date.now() + 60000; Date.now() < until;) {
    if ((await api(server, 'GET', `/api/v1/jobs/${job.id}`)).state === 'stopped') break;
    await sleep(200);
  }
  await api(server, 'DELETE', `/api/v1/jobs/${job.id}`);

  // Steady state: from the first snapshot holding data to the covering one,
  // by the snapshots' own commit times (no start-up, group join or first
  // interval in it).
  const snaps = metadata.snapshots.filter((s) => offsetSum(s) > 0);
  if (process.env.TRACE) {
    for (const s of metadata.snapshots) {
      console.log(`  acus ${acus} snapshot at ${((s['timestamp-ms'] - t0) / 1000).toFixed(2)} s: ` +
                  `offsets ${offsetSum(s)}, +${s.summary['added-records'] ?? 0} records`);
    }
  }
  const first = snaps[0];
  const steady = (offsetSum(current) - offsetSum(first)) /
    ((current['timestamp-ms'] - first['timestamp-ms']) / 1000);
  const seconds = (current['timestamp-ms'] - t0) / 1000;
  const records = Number(current.summary['total-records']);
  if (records !== count) throw new Error(`acus ${acus}: the table holds ${records} rows, not ${count}`);
  return {
    acus, workers, seconds, detectedSeconds: (seenAt - t0) / 1000, steady,
    firstDataSeconds: (first['timestamp-ms'] - t0) / 1000, snapshots: metadata.snapshots.length,
    peakMiB: Math.max(...[...seen.values()].map((w) => w.hwm)) / 1024,
    cpu: [...seen.values()].reduce((a, w) => a + w.cpu, 0),
  };
}

const server = await startServer({
  dataDir: path.join(work, 'serve'), args: ['--log-level', 'info'],
  env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' },
});
const results = [];
try {
  const groupId = (await api(server, 'GET', '/api/v1/resource-groups')).items[0].id;
  const source = await api(server, 'POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: bootstrap, topic, message_format: 'json' });
  for (const acus of acusList.map(Number)) {
    const r = await runJob(server, source.id, groupId, acus);
    results.push(r);
    console.log(`lakesync job, ${String(r.acus).padStart(2)} ACUs (${r.workers} worker${r.workers > 1 ? 's' : ' '}): ` +
                `${r.seconds.toFixed(2)} s start to covering commit  ${(count / r.seconds).toFixed(0)} rows/s` +
                `  | steady ${r.steady.toFixed(0)} rows/s (first data commit at ${r.firstDataSeconds.toFixed(2)} s,` +
                ` ${r.snapshots} snapshots)  | worker CPU ${r.cpu.toFixed(2)} s` +
                `  peak RSS ${r.peakMiB.toFixed(1)} MiB (largest worker)`);
  }
} finally {
  await server.stop();
}
const kcatRate = count / kcatSeconds;
for (const r of results) {
  console.log(`ratio lakesync/kcat, ${String(r.acus).padStart(2)} ACUs: ` +
              `${(count / r.seconds / kcatRate).toFixed(2)}x end to end, ` +
              `${(r.steady / kcatRate).toFixed(2)}x steady   (target >= 0.8x); ` +
              `vs kcat -G: ${(kcatGroupSeconds / r.seconds).toFixed(2)}x end to end`);
}
if (results.length > 1) {
  const [a, b] = [results[0], results.at(-1)];
  console.log(`more ACUs: ${b.acus} vs ${a.acus} ACUs ingest ${(a.seconds / b.seconds).toFixed(2)}x ` +
              `as fast end to end, ${(b.steady / a.steady).toFixed(2)}x steady`);
}
