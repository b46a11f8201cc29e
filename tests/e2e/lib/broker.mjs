// The test Kafka broker (tests/tools/testbroker.c, librdkafka's mock cluster)
// and kcat as the producer.
//
//   startBroker(['events:4', 'other:1']) -> Promise<{bootstrap, produce, produceRecords, down, up, stop}>
//     produce(topic, lines, {partition}?) -> Promise  sends each line as one
//                                       message (kcat -P), to one partition if given
//     produceRecords(topic, records, {partition}?) -> Promise  sends {key, value} records as
//       they are: key/value strings or Buffers (any bytes but 0x1e/0x1f, up to 20 MB), key
//       null for none, value null for a tombstone; to one partition when given (the test
//       broker keeps about 5 MiB per partition: give a 10 MB message a partition of its own)
//     down(id = 'all'), up(id = 'all') -> Promise  takes broker id (1..N) or all
//                                       of them down / up (rd_kafka_mock_broker_set_down/up)
//     stop()                            ends the broker
// The broker exits on its own when this process dies (--exit-on-stdin-eof).
import { spawn } from 'node:child_process';
import path from 'node:path';

export async function startBroker(topics) {
  const bin = path.join(process.env.LAKESYNC_BUILD_DIR, 'lakesync_testbroker');
  const args = ['--exit-on-stdin-eof'];
  for (const t of topics) args.push('--topic', t);
  const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const bootstrap = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('test broker did not start')), 15000);
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/bootstrap (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`test broker exited with ${code}`)));
  });
  // Commands go on stdin; the broker answers each with "ok <command>" in order.
  let out = '';
  const waiting = [];
  proc.stdout.on('data', (chunk) => {
    out += chunk;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (/^(ok|error) /.test(line)) waiting.shift()?.(line);
    }
  });
  const command = async (line) => {
    const answer = await new Promise((resolve) => {
      waiting.push(resolve);
      proc.stdin.write(line + '\n');
    });
    if (!answer.startsWith('ok ')) throw new Error(`test broker: ${answer}`);
  };
  const produce = (topic, lines, { partition } = {}) =>
    new Promise((resolve, reject) => {
      const args = ['-P', '-b', bootstrap, '-t', topic, '-X', 'linger.ms=5'];
      if (partition !== undefined) args.push('-p', String(partition));
      const kcat = spawn('kcat', args, {
        stdio: ['pipe', 'inherit', 'inherit'],
      });
      kcat.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
      kcat.stdin.end(lines.map((l) => l + '\n').join(''));
    });
  // kcat splits stdin on 0x1e (records) and 0x1f (key | value); with -Z an
  // empty value is sent as null, so tombstones go in a second run.
  const kcatRecords = (topic, records, nullEmpty, partition) =>
    new Promise((resolve, reject) => {
      const args = ['-P', '-b', bootstrap, '-t', topic, '-D', '\x1e', '-K', '\x1f',
                    '-X', 'linger.ms=5', '-X', 'message.max.bytes=20000000'];
      if (nullEmpty) args.push('-Z');
      if (partition !== undefined) args.push('-p', String(partition));
      const kcat = spawn('kcat', args, { stdio: ['pipe', 'inherit', 'inherit'] });
      kcat.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
      const parts = [];
      for (const r of records) {
        parts.push(Buffer.from(r.key ?? ''), Buffer.from([0x1f]), Buffer.from(r.value ?? ''),
                   Buffer.from([0x1e]));
      }
      kcat.stdin.end(Buffer.concat(parts));
    });
  const produceRecords = async (topic, records, { partition } = {}) => {
    const values = records.filter((r) => r.value !== null);
    const tombstones = records.filter((r) => r.value === null);
    if (values.length) await kcatRecords(topic, values, false, partition);
    if (tombstones.length) await kcatRecords(topic, tombstones, true, partition);
  };
  const stop = () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.stdin.end();
      proc.kill('SIGTERM');
    });
  return {
    bootstrap, produce, produceRecords, stop,
    down: (id = 'all') => command(`down ${id}`),
    up: (id = 'all') => command(`up ${id}`),
  };
}
