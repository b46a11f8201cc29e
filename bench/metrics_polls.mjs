// Driver of bench/metrics_polls.sh. A real `lakesync serve` runs an Iceberg
// and a Paimon job (partitioned, commit_interval_s = 1) into S3: s3rver
// behind tests/e2e/lib/faultproxy.mjs without faults, whose log counts every
// request the server and its workers make. Each job commits `commits` times
// (one produce, then a wait until its metrics show the rows), then stops;
// with no worker left, every request the proxy sees comes from the polls.
//
// Prints per format: store requests of `polls` metrics polls and of as many
// files-API polls (the peer, which reads the table each time), their ratio,
// ms per poll; then one more commit and the requests of the first metrics
// poll after it (a new pointer: one read) and of the polls after that.
//
// Arguments: polls commits. Needs LAKESYNC_BIN and LAKESYNC_BUILD_DIR; run
// from tests/ (node_modules).
import { startBroker } from '../tests/e2e/lib/broker.mjs';
import { startServer, tempDir } from '../tests/e2e/lib/server.mjs';
import { startS3rver } from '../tests/e2e/lib/s3rver.mjs';
import { startFaultProxy } from '../tests/e2e/lib/faultproxy.mjs';

const [pollsText, commitsText] = process.argv.slice(2);
const POLLS = Number(pollsText);
const COMMITS = Number(commitsText);
const PER_COMMIT = 5; // messages, one per partition value
const FORMATS = ['iceberg', 'paimon'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const broker = await startBroker(['polls:1']);
const s3 = await startS3rver({ buckets: ['lake'] });
const proxy = await startFaultProxy({ target: s3.endpoint });
const server = await startServer({ dataDir: tempDir('lakesync-bench-polls-'), env: {
  LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '',
  AWS_ENDPOINT_URL: '' } });
const api = async (method, path, body) => {
  const res = await server.request(method, path, { body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.json;
};

const jobs = {};
const tables = { iceberg: 'idb/tables/events', paimon: 'pdb/tables/events' };
let produced = 0;

async function createJobs() {
  const group = (await api('GET', '/api/v1/resource-groups')).items[0].id;
  const source = (await api('POST', '/api/v1/data-sources', {
    type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'polls', message_format: 'json' })).id;
  await api('POST', '/api/v1/databases', { name: 'pdb', catalog: 'paimon', external: true,
    location: 's3://lake/pwh/pdb.db/', properties: { 'paimon.warehouse': 's3://lake/pwh' } });
  const store = { endpoint: proxy.url, region: 'us-east-1', path_style: true,
                  access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey };
  const paths = { iceberg: 's3://lake/iwh/events/', paimon: 's3://lake/pwh/pdb.db/events/' };
  for (const format of FORMATS) {
    jobs[format] = await api('POST', '/api/v1/jobs', {
      data_source_id: source, parse_levels: 1, database: tables[format].split('/')[0], table: 'events',
      destination: { type: 'user_path', format, path: paths[format], ...store },
      fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'k', name: 'k', type: 'string' }],
      partition: [{ source: 'k', transform: 'identity', name: 'k' }],
      sync: { start: { mode: 'earliest' }, resource_group_id: group, acus: 2 },
      advanced: { commit_interval_s: 1 } });
  }
}

const storage = async (format) => (await api('GET', `/api/v1/jobs/${jobs[format].id}/metrics`)).storage;

// One produce, then waits until both tables show every row: in the job's
// metrics, or (viaFiles) in the files API, which leaves the metrics unread.
async function commitOnce(viaFiles = false) {
  await broker.produce('polls', Array.from({ length: PER_COMMIT },
                                           (_, i) => JSON.stringify({ id: ++produced, k: `p${i}` })));
  const rows = async (format) => (viaFiles
    ? (await api('GET', `/api/v1/databases/${tables[format]}/files`)).total_record_count
    : (await storage(format)).table_records);
  for (const format of FORMATS) {
    const until = Date.now() + 60000;
    while ((await rows(format)) !== produced) {
      if (Date.now() > until) throw new Error(`${format}: ${produced} rows never showed`);
      await sleep(300);
    }
  }
}

async function setRunning(run) {
  for (const format of FORMATS)
    await api('POST', `/api/v1/jobs/${jobs[format].id}/${run ? 'start' : 'stop'}`);
  for (const format of FORMATS) {
    const want = run ? 'running' : 'stopped';
    while ((await api('GET', `/api/v1/jobs/${jobs[format].id}`)).state !== want) await sleep(200);
  }
  if (!run) await sleep(500); // stragglers of the stopped workers
}

// Store requests and ms per request of n GETs of path.
async function polls(path, n) {
  const from = proxy.log.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await api('GET', path);
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / n;
  return { requests: proxy.log.length - from, ms };
}

try {
  await createJobs();
  await setRunning(true);
  for (let c = 0; c < COMMITS; c++) await commitOnce();
  await setRunning(false);
  for (const format of FORMATS) {
    const m = await polls(`/api/v1/jobs/${jobs[format].id}/metrics`, POLLS);
    const f = await polls(`/api/v1/databases/${tables[format]}/files`, POLLS);
    const s = await storage(format);
    console.log(`${format}: ${POLLS} metrics polls ${m.requests} store requests ` +
      `(${(m.ms).toFixed(1)} ms/poll), ${POLLS} files-API polls ${f.requests} ` +
      `(${(f.ms).toFixed(1)} ms/poll); ratio ${(m.requests / Math.max(f.requests, 1)).toFixed(3)}; ` +
      `table: ${s.table_files} files, ${s.table_records} rows, snapshot ${s.snapshot_id}, error ${s.error}`);
  }
  await setRunning(true);
  await commitOnce(true);
  await setRunning(false);
  for (const format of FORMATS) {
    const first = await polls(`/api/v1/jobs/${jobs[format].id}/metrics`, 1);
    const rest = await polls(`/api/v1/jobs/${jobs[format].id}/metrics`, POLLS - 1);
    const s = await storage(format);
    console.log(`${format} after one more commit: first metrics poll ${first.requests} store requests, ` +
      `the next ${POLLS - 1} ${rest.requests}; table: ${s.table_files} files, ${s.table_records} rows ` +
      `(produced ${produced})`);
  }
} finally {
  await server.cleanup();
  await proxy.stop();
  await s3.stop();
  await broker.stop();
}
