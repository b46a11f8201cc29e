// No Docker engine runs here, so the shipping files are checked as far as
// they can be without one: compose.yaml parses and wires its services
// consistently; the Dockerfile's runtime stage is non-root and installs every
// library the built binary links directly (readelf NEEDED -> dpkg -S) and no
// -dev package; and docker/apply-job.sh, the automation the compose file runs,
// is run for real against a local server and the test broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { startServer } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';

const root = process.env.LAKESYNC_SOURCE_DIR;
const dockerDir = path.join(root, 'docker');

// Dockerfile instructions, line continuations joined, grouped by stage.
function dockerfileStages() {
  const text = fs.readFileSync(path.join(dockerDir, 'Dockerfile'), 'utf8');
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = [];
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stages.push({ from: args, instructions: [] });
    else stages.at(-1).instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

// The Debian package that owns a library file. Debian merged /lib into
// /usr/lib, and dpkg knows each file under the one name its package used.
function owningPackage(libPath) {
  const real = fs.realpathSync(libPath);
  const candidates = [libPath, real, real.replace(/^\/usr\/lib\//, '/lib/'), libPath.replace(/^\/usr\/lib\//, '/lib/')];
  for (const candidate of candidates) {
    try {
      return execFileSync('dpkg', ['-S', candidate], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split(':')[0];
    } catch {
      // not under this name
    }
  }
  assert.fail(`no package owns ${libPath}`);
}

function aptPackages(stage) {
  const run = stage.instructions.filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args));
  return run.flatMap((i) => i.args.split('apt-get install')[1].split('&&')[0].split(/\s+/))
    .filter((w) => w && !w.startsWith('-'));
}

test('compose.yaml wires Kafka (KRaft), MinIO, lakesync, a producer and the job script', () => {
  const compose = YAML.parse(fs.readFileSync(path.join(dockerDir, 'compose.yaml'), 'utf8'));
  const services = compose.services;
  for (const name of ['kafka', 'minio', 'minio-setup', 'lakesync', 'producer', 'apply-job']) {
    assert.ok(services[name], `service ${name}`);
  }
  assert.equal(services.kafka.environment.KAFKA_PROCESS_ROLES, 'broker,controller', 'KRaft');
  for (const [name, service] of Object.entries(services)) {
    for (const [dep, cond] of Object.entries(service.depends_on || {})) {
      assert.ok(services[dep], `${name} depends on unknown ${dep}`);
      if (cond.condition === 'service_healthy') assert.ok(services[dep].healthcheck, `${dep} healthcheck`);
    }
    for (const volume of service.volumes || []) {
      const source = volume.split(':')[0];
      if (source.startsWith('.')) assert.ok(fs.existsSync(path.join(dockerDir, source)), source);
      else assert.ok(source in compose.volumes, `volume ${source} declared`);
    }
  }
  const lakesync = services.lakesync;
  assert.ok(fs.existsSync(path.join(dockerDir, lakesync.build.context, lakesync.build.dockerfile)));
  assert.match(lakesync.environment.LAKESYNC_WAREHOUSE, /^s3:\/\//);
  assert.equal(lakesync.environment.AWS_ENDPOINT_URL, 'http://minio:9000');
  assert.equal(services['apply-job'].environment.LAKESYNC_TOKEN, lakesync.environment.LAKESYNC_ADMIN_TOKEN);
  assert.equal(services['apply-job'].environment.KAFKA_BOOTSTRAP,
               services.kafka.environment.KAFKA_ADVERTISED_LISTENERS.replace('PLAINTEXT://', ''));
});

test('the Dockerfile runs non-root with exactly the runtime libraries the binary needs', () => {
  const stages = dockerfileStages();
  assert.ok(stages.length >= 2, 'multi-stage');
  assert.match(stages[0].from, / AS build$/i);
  const final = stages.at(-1);
  const user = final.instructions.filter((i) => i.keyword === 'USER').at(-1);
  assert.ok(user && user.args !== 'root' && user.args !== '0', 'final stage runs as a non-root user');
  const runtime = aptPackages(final);
  assert.deepEqual(runtime.filter((p) => p.endsWith('-dev')), [], 'no -dev package at runtime');
  for (const copy of final.instructions.filter((i) => i.keyword === 'COPY' && i.args.includes('--from=build'))) {
    const from = copy.args.split(/\s+/)[1];
    if (from.startsWith('/src/web')) assert.ok(fs.existsSync(path.join(root, 'web')), 'web/ exists');
  }
  // Every shared library the binary names directly must come from a package
  // the runtime stage installs (or one every Debian image has).
  const base = new Set(['libc6', 'libgcc-s1', 'zlib1g', 'libzstd1']);
  const needed = execFileSync('readelf', ['-d', process.env.LAKESYNC_BIN], { encoding: 'utf8' })
    .split('\n').map((l) => l.match(/\(NEEDED\).*\[(.+)\]/)?.[1]).filter(Boolean);
  const ldconfig = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  for (const soname of needed) {
    if (/^(libasan|libubsan)/.test(soname)) continue; // the sanitizer build only
    const libPath = ldconfig.split('\n').find((l) => l.trim().startsWith(soname + ' ') && l.includes('x86-64'))
      ?.split('=> ')[1]?.trim();
    assert.ok(libPath, `ldconfig knows ${soname}`);
    const pkg = owningPackage(libPath);
    assert.ok(base.has(pkg) || runtime.includes(pkg), `${soname} comes from ${pkg}, not installed at runtime`);
  }
  for (const pkg of runtime) {
    execFileSync('apt-cache', ['show', pkg], { stdio: 'ignore' }); // throws for unknown packages
  }
});

test('apply-job.sh creates, converges and starts the job through the API', async () => {
  const broker = await startBroker(['events:2']);
  const server = await startServer();
  try {
    const env = { ...process.env, LAKESYNC_URL: server.url, LAKESYNC_TOKEN: server.adminToken,
                  KAFKA_BOOTSTRAP: broker.bootstrap, KAFKA_TOPIC: 'events' };
    const script = path.join(dockerDir, 'apply-job.sh');
    const first = execFileSync('sh', [script], { env, encoding: 'utf8' });
    assert.match(first, /created data source/);
    assert.match(first, /created job/);
    assert.match(first, /started job/);
    const second = execFileSync('sh', [script], { env, encoding: 'utf8' });
    assert.doesNotMatch(second, /created/, 'a second run changes nothing');
    const jobs = (await server.request('GET', '/api/v1/jobs')).json.items;
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].name, 'events_to_lake');
    assert.ok(['starting', 'running'].includes(jobs[0].state));
    assert.equal((await server.request('POST', `/api/v1/jobs/${jobs[0].id}/stop`)).status, 200);
  } finally {
    await server.cleanup();
    await broker.stop();
  }
});
