// The test Kafka broker (tests/tools/testbroker.c, librdkafka's mock cluster)
// and kcat as the producer.
//
//   startBroker(['events:4', 'other:1']) -> Promise<{bootstrap, produce, stop}>
//     produce(topic, lines) -> Promise  sends each line as one message (kcat -P)
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
  const produce = (topic, lines) =>
    new Promise((resolve, reject) => {
      const kcat = spawn('kcat', ['-P', '-b', bootstrap, '-t', topic, '-X', 'linger.ms=5'], {
        stdio: ['pipe', 'inherit', 'inherit'],
      });
      kcat.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
      kcat.stdin.end(lines.map((l) => l + '\n').join(''));
    });
  const stop = () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.stdin.end();
      proc.kill('SIGTERM');
    });
  return { bootstrap, produce, stop };
}
