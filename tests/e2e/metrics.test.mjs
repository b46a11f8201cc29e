// ctest-labels: sanitize
// GET /metrics: the Prometheus text exposition of running jobs. A real job
// (server, workers, test broker) ingests messages, some of them bad; once the
// committed table holds the good ones, /metrics is parsed line by line by a
// strict reader of the text format (0.0.4) and its figures must equal what
// was produced: messages, rows, bytes, errors, commits (the table's
// snapshots), lag 0 per partition, the state and the last commit time. Label
// escaping is proven with a partition key full of characters to escape, sent
// in a heartbeat with the run's worker token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { startServer } from './lib/server.mjs';
import { startBroker } from './lib/broker.mjs';
import { readTable } from './lib/iceberg_read.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const env = { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000', LAKESYNC_HEARTBEAT_INTERVAL_MS: '1000' };
const GOOD = 1990;
const BAD = 10;

let broker;
let server;

// Parses the text format strictly: HELP and TYPE at most once per family and
// before its samples, a family's samples together, label values with their
// three escapes, no series twice, every value a number. Returns
// { families: Map(name -> {type, help}), samples: [{name, labels, value}] }.
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
  const families = new Map();
  const samples = [];
  const seen = new Set();
  const closed = new Set();
  let current = null;
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    const meta = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/);
    if (meta) {
      const [, kind, name, rest] = meta;
      const family = families.get(name) ?? {};
      assert.ok(!closed.has(name) && !family.samples, `${where}: ${kind} after the family's samples`);
      assert.equal(family[kind], undefined, `${where}: second ${kind}`);
      if (kind === 'TYPE') assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/, where);
      family[kind] = rest;
      families.set(name, family);
      if (current && current !== name) closed.add(current);
      current = name;
      continue;
    }
    assert.ok(!line.startsWith('#') && line !== '', `${where}: not a sample`);
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/);
    assert.ok(m, `${where}: not a sample`);
    const [, name, labelText, valueText] = m;
    const family = families.get(name);
    assert.ok(family?.TYPE, `${where}: sample before its TYPE`);
    assert.ok(!closed.has(name), `${where}: the family's samples are not together`);
    if (current && current !== name) closed.add(current);
    current = name;
    family.samples = true;
    const labels = parseLabels(labelText ?? '', where);
    const value = Number(valueText);
    assert.ok(/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^[-+]?Inf$|^NaN$/.test(valueText) &&
              !Number.isNaN(value), `${where}: value`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    assert.ok(!seen.has(key), `${where}: series appears twice`);
    seen.add(key);
    samples.push({ name, labels, value });
  }
  return { families, samples };
}

function parseLabels(text, where) {
  const labels = {};
  if (!text) return labels;
  let s = text.slice(1, -1);
  while (s.length) {
    const m = s.match(/^([a-zA-Z_][a-zA-Z0-9_]*)="/);
    assert.ok(m, `${where}: label name`);
    s = s.slice(m[0].length);
    let value = '';
    for (;;) {
      assert.ok(s.length, `${where}: unterminated label value`);
      const c = s[0];
      if (c === '"') { s = s.slice(1); break; }
      assert.ok(c !== '\n', `${where}: raw line feed in a label value`);
      if (c === '\\') {
        const e = s[1];
        assert.ok(e === '\\' || e === '"' || e === 'n', `${where}: bad escape \\${e}`);
        value += e === 'n' ? '\n' : e;
        s = s.slice(2);
      } else {
        value += c;
        s = s.slice(1);
      }
    }
    assert.equal(labels[m[1]], undefined, `${where}: label ${m[1]} twice`);
    labels[m[1]] = value;
    if (s.startsWith(',')) s = s.slice(1);
    else assert.equal(s, '', `${where}: after a label value`);
  }
  return labels;
}

function pick(samples, name, labels = {}) {
  return samples.filter((x) => x.name === name &&
    Object.entries(labels).every(([k, v]) => x.labels[k] === v));
}

function one(samples, name, labels) {
  const found = pick(samples, name, labels);
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0].value;
}

async function scrape(token = server.adminToken) {
  const res = await server.request('GET', '/metrics', { token });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(res.text);
}

function workerPids() {
  try {
    return execFileSync('pgrep', ['-P', String(server.proc.pid)]).toString().trim().split('\n')
      .filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

function workerEnv(pid) {
  const vars = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return Object.fromEntries(vars.filter(Boolean).map((v) => [v.slice(0, v.indexOf('=')),
                                                            v.slice(v.indexOf('=') + 1)]));
}

before(async () => {
  broker = await startBroker(['metered:4']);
  server = await startServer({ env });
});

after(async () => {
  await server?.cleanup();
  await broker?.stop();
});

test('/metrics needs a token and shows lakesync_up before any job', async () => {
  for (const headers of [{}, { authorization: 'Bearer lsk_nope' }]) {
    const res = await server.request('GET', '/metrics', { token: null, headers });
    assert.equal(res.status, 401, res.text);
  }
  assert.equal((await server.request('POST', '/metrics')).status, 405);
  const created = await server.request('POST', '/api/v1/tokens',
                                       { body: { name: 'prometheus', role: 'standard' } });
  assert.equal(created.status, 201, created.text);
  const { families, samples } = await scrape(created.json.token);
  assert.equal(families.get('lakesync_up').TYPE, 'gauge');
  assert.equal(one(samples, 'lakesync_up'), 1);
  assert.equal(samples.filter((s) => s.labels.job_id).length, 0);
});

test('a running job: counters equal what was produced and the table holds', async () => {
  const started = Date.now() / 1000;
  const lines = [];
  for (let i = 1; i <= GOOD + BAD; i++) {
    lines.push(i % ((GOOD + BAD) / BAD) === 0 ? `not json ${i}`
      : JSON.stringify({ id: i, name: `n${i}`, ts: '2026-11-23T10:00:00Z' }));
  }
  await broker.produce('metered', lines);
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);

  const group = (await server.request('GET', '/api/v1/resource-groups')).json.items[0].id;
  const source = await server.request('POST', '/api/v1/data-sources', {
    body: { type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'metered' } });
  assert.equal(source.status, 201, source.text);
  const created = await server.request('POST', '/api/v1/jobs', { body: {
    data_source_id: source.json.id, destination: { type: 'managed', format: 'iceberg' },
    database: 'e2e', table: 'metered', parse_levels: 1,
    fields: [{ source: 'id', name: 'id', type: 'bigint' },
             { source: 'name', name: 'name', type: 'string' },
             { source: 'ts', name: 'ts', type: 'timestamptz' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: group, acus: 4 }, // 2 workers
    advanced: { commit_interval_s: 1 },
  } });
  assert.equal(created.status, 201, created.text);
  const job = created.json;
  assert.equal((await server.request('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  const tableUrl = job.destination.path.replace(/\/$/, '');

  // The table first, then heartbeats that have seen everything.
  let until = Date.now() + 90000;
  let rows = [];
  while (rows.length < GOOD && Date.now() < until) {
    try { ({ rows } = await readTable(tableUrl)); } catch { rows = []; }
    if (rows.length < GOOD) await sleep(500);
  }
  assert.equal(rows.length, GOOD);
  let samples;
  until = Date.now() + 30000;
  for (;;) {
    ({ samples } = await scrape());
    const done = one(samples, 'lakesync_job_messages_total', { job_id: job.id }) === GOOD + BAD &&
      pick(samples, 'lakesync_job_partition_lag_messages', { job_id: job.id }).length === 4;
    if (done) break;
    assert.ok(Date.now() < until, 'heartbeats never showed every message');
    await sleep(300);
  }
  const { metadata } = await readTable(tableUrl);
  const id = { job_id: job.id };
  assert.equal(one(samples, 'lakesync_job_state', { ...id, state: 'running' }), 1);
  for (const state of ['stopped', 'starting', 'stopping', 'failed'])
    assert.equal(one(samples, 'lakesync_job_state', { ...id, state }), 0, state);
  assert.equal(one(samples, 'lakesync_job_rows_total', id), GOOD);
  assert.equal(one(samples, 'lakesync_job_bytes_total', id), bytes);
  assert.equal(one(samples, 'lakesync_job_errors_total', id), BAD);
  assert.ok(one(samples, 'lakesync_job_files_total', id) >= 1);
  const commits = one(samples, 'lakesync_job_commits_total', id);
  assert.ok(commits >= 1 && commits <= metadata.snapshots.length,
            `${commits} commits, ${metadata.snapshots.length} snapshots`);
  assert.equal(one(samples, 'lakesync_job_lag_messages', id), 0);
  const lags = pick(samples, 'lakesync_job_partition_lag_messages', id);
  assert.deepEqual(lags.map((s) => s.labels.partition).sort(), ['0', '1', '2', '3']);
  assert.ok(lags.every((s) => s.value === 0));
  const last = one(samples, 'lakesync_job_last_commit_timestamp_seconds', id);
  assert.ok(last >= started - 1 && last <= Date.now() / 1000 + 1, `last commit at ${last}`);

  // The same figures as the JSON metrics of the job.
  const json = (await server.request('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
  assert.equal(json.totals.messages, GOOD + BAD);
  assert.equal(json.totals.rows, GOOD);

  // Label escaping: a partition key with a backslash, a quote and a line
  // feed, reported with the run's worker token. The real worker's next
  // heartbeat (every second) replaces it, so scrape at once and retry.
  const pid = workerPids().find((p) => workerEnv(p).LAKESYNC_WORKER_TOKEN);
  const { LAKESYNC_WORKER_TOKEN: workerToken, LAKESYNC_WORKER_INDEX: index } = workerEnv(pid);
  const odd = 'a\\b"c\nd';
  let escaped = false;
  for (let attempt = 0; attempt < 10 && !escaped; attempt++) {
    const hb = await server.request('POST', `/internal/v1/jobs/${job.id}/heartbeat`, {
      token: workerToken,
      body: { worker_index: Number(index ?? 0), metrics: { messages: 0, partitions: {
        [odd]: { position: 1e12, lag: 7 } } } } });
    assert.equal(hb.status, 200, hb.text);
    const res = await server.request('GET', '/metrics');
    if (res.text.includes('partition="a\\\\b\\"c\\nd"} 7\n')) {
      const parsed = parseExposition(res.text);
      assert.equal(one(parsed.samples, 'lakesync_job_partition_lag_messages',
                       { ...id, partition: odd }), 7);
      escaped = true;
    }
  }
  assert.ok(escaped, 'the odd partition key never showed, escaped');

  assert.equal((await server.request('POST', `/api/v1/jobs/${job.id}/stop`)).status, 200);
  until = Date.now() + 60000;
  for (;;) {
    ({ samples } = await scrape());
    if (one(samples, 'lakesync_job_state', { ...id, state: 'stopped' }) === 1) break;
    assert.ok(Date.now() < until, 'the job never showed stopped');
    await sleep(300);
  }
  assert.equal(one(samples, 'lakesync_job_state', { ...id, state: 'running' }), 0);
});
