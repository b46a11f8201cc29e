// Driver of bench/e2e_worker.sh: broker, topic, kcat peer, control double,
// worker; prints the figures. Arguments: input.ndjson count interval_ms workdir.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ControlDouble } from '../tests/e2e/lib/control_double.mjs';

const [input, countText, intervalText, work] = process.argv.slice(2);
const count = Number(countText);
const partitions = 128;
const topic = 'reference';
const buildDir = process.env.LAKESYNC_BUILD_DIR;
const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function start(cmd, args, options) {
  const child = spawn(cmd, args, options);
  children.add(child);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  return child;
}

async function startBroker() {
  const shared = path.join(buildDir, 'lakesync_testbroker');
  const [cmd, args] = fs.existsSync(shared)
    ? [shared, ['--topic', `${topic}:${partitions}`, '--exit-on-stdin-eof']]
    : [path.join(buildDir, 'lakesync_worker_broker'), ['--topic', `${topic}:${partitions}`]];
  const child = start(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/bootstrap (\S+)/);
      if (m) resolve({ bootstrap: m[1], child });
    });
  });
}

async function shell(command) {
  const child = start('bash', ['-c', command], { stdio: 'inherit' });
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`${command} failed`);
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const broker = await startBroker();
const b = broker.bootstrap;
let t0 = process.hrtime.bigint();
await shell(`kcat -P -b ${b} -t ${topic} -X linger.ms=50 -X sticky.partitioning.linger.ms=0 ` +
            `-X batch.num.messages=10000 -X queue.buffering.max.messages=1000000 < ${input}`);
console.log(`produced ${count} messages in ${seconds(t0).toFixed(2)} s`);

t0 = process.hrtime.bigint();
await shell(`kcat -C -b ${b} -t ${topic} -e -o beginning -q > /dev/null`);
const kcatSeconds = seconds(t0);

const fields = [
  ['name', 'string'], ['age', 'bigint'], ['device.os.test', 'string'],
  ['device.os.member.fa', 'string'], ['device.os.member.mo', 'string'],
  ['device.brand', 'string'], ['device.version', 'string'], ['event_time', 'timestamptz'],
  ['score', 'double'], ['tags', 'string'], ['city', 'string'], ['ip', 'string'],
  ['active', 'boolean'], ['__kafka_partition__', 'int'], ['__kafka_offset__', 'bigint'],
].map(([source, type], i) => ({ source, name: source.replaceAll('.', '_').replace(/^_+|_+$/g, ''),
                                type, field_id: i + 1 }));
// LAKESYNC_BENCH_PARTITION=day: the table is partitioned by day(event_time)
// (28 days in the reference messages, all present in every staging batch).
const partitionMode = process.env.LAKESYNC_BENCH_PARTITION ?? '';
if (!['', 'day'].includes(partitionMode))
  throw new Error(`LAKESYNC_BENCH_PARTITION must be day or empty, not ${partitionMode}`);
const partition = partitionMode === 'day'
  ? [{ source: 'event_time', transform: 'day', name: 'event_time_day', field_id: 1000 }] : [];
const jobId = 'bench';
const token = 'bench-token';
const double = await new ControlDouble({ jobId, token, spec: {
  job_id: jobId, run_id: 1,
  kafka: { bootstrap_servers: b, topic, group_id: 'lakesync-bench', security: {} },
  start: { mode: 'earliest', timestamp_ms: 0 }, parse_levels: 4, fields, partition,
  format: 'iceberg', data_location: pathToFileURL(path.join(work, 'data')).href, storage: {},
  commit_interval_ms: Number(intervalText), target_file_size_bytes: 128 << 20, error_policy: 'skip',
} }).start();

let log = '';
let assignedAt = null;
t0 = process.hrtime.bigint();
const worker = start(process.env.LAKESYNC_BIN, ['worker'], {
  stdio: ['ignore', 'inherit', 'pipe'],
  env: { ...process.env, LAKESYNC_SERVER_URL: double.url, LAKESYNC_JOB_ID: jobId,
         LAKESYNC_WORKER_INDEX: '0', LAKESYNC_WORKER_TOKEN: token,
         LAKESYNC_HEARTBEAT_INTERVAL_MS: '100' },
});
worker.stderr.on('data', (d) => {
  log += d;
  if (!assignedAt && /assigned \d+ partition/.test(log)) assignedAt = process.hrtime.bigint();
});
let workerExit = null;
worker.exited.then((e) => (workerExit = e));
let peakKib = 0;
let cpuSeconds = 0;
const rss = () => {
  try {
    const m = fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/);
    if (m) peakKib = Math.max(peakKib, Number(m[1]));
    const stat = fs.readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    cpuSeconds = (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, clock ticks
  } catch { /* exited */ }
};
// Consumed = the heartbeat's message count; then SIGTERM makes the final commit.
let lastTrace = -1;
while (!(double.heartbeats.at(-1)?.metrics.messages >= count)) {
  rss();
  if (process.env.TRACE && double.heartbeats.length !== lastTrace) {
    lastTrace = double.heartbeats.length;
    console.log(`t=${seconds(t0).toFixed(2)} messages=${double.heartbeats.at(-1)?.metrics.messages} cpu=${cpuSeconds}`);
  }
  await sleep(50);
  if (workerExit || seconds(t0) > 600)
    throw new Error(`worker ${workerExit ? `exited ${JSON.stringify(workerExit)}` : 'too slow'}:\n${log}`);
}
rss();
worker.kill('SIGTERM');
const { code } = await worker.exited;
const workerSeconds = seconds(assignedAt ?? t0);
const committed = Object.values(double.offsets).reduce((a, v) => a + v, 0);
if (code !== 0 || committed !== count) throw new Error(`exit ${code}, committed ${committed}:\n${log}`);
await double.close();
broker.child.stdin.end();
broker.child.kill('SIGTERM');

console.log(`kcat raw consume:  ${kcatSeconds.toFixed(2)} s  ${(count / kcatSeconds).toFixed(0)} msg/s`);
console.log(`lakesync worker:   ${workerSeconds.toFixed(2)} s  ${(count / workerSeconds).toFixed(0)} msg/s ` +
            `(from assignment to the final commit)`);
console.log(`worker CPU until consumed: ${cpuSeconds.toFixed(2)} s (${(count / cpuSeconds).toFixed(0)} msg per CPU second)`);
console.log(`ratio worker/kcat: ${(kcatSeconds / workerSeconds).toFixed(2)}x   (target >= 0.8x)`);
console.log(`worker peak RSS:   ${(peakKib / 1024).toFixed(1)} MiB   (target < 256 MiB)`);
console.log(`commits ${double.commits.length}, files ${double.files.length}` +
            (partition.length ? ', partitioned by day(event_time)' : ', unpartitioned'));
