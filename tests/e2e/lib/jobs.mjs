// Helpers for end-to-end tests that run jobs on a real `lakesync serve`.
//
//   range(from, to) -> [from, ..., to - 1]
//   createSources(server, bootstrap, topics) -> Promise<{topic: data source id}>
//   waitFor(what, check, {timeoutMs = 45000, server}) -> Promise
//       polls check() until it returns true; on timeout fails naming what and
//       the last value check returned (and, when server is given, prints the
//       tail of its log, workers' lines included)
//   waitForState(server, jobId, state, timeoutMs?) -> Promise
//   assertExactlyOnce(rows, ids)  rows carry kp / ko (Kafka partition and
//       offset) and id: no (kp, ko) twice, and the ids are exactly ids (sorted)
//   workerPids(server) -> the server's child processes (its workers)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

export async function createSources(server, bootstrap, topics) {
  const ids = {};
  for (const topic of topics) {
    const res = await server.request('POST', '/api/v1/data-sources', {
      body: { type: 'kafka', bootstrap_servers: bootstrap, topic, message_format: 'json' },
    });
    assert.equal(res.status, 201, res.text);
    ids[topic] = res.json.id;
  }
  return ids;
}

export async function waitFor(what, check, { timeoutMs = 45000, server = null } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = await check();
    if (last === true) return;
    await sleep(300);
  }
  if (server) {
    const lines = server.stderr().split('\n').filter((l) => !/debug +(http|kafka)/.test(l));
    console.error(lines.slice(-60).join('\n'));
  }
  assert.fail(`${what}: still ${JSON.stringify(last)}`);
}

export function waitForState(server, jobId, state, timeoutMs = 45000) {
  return waitFor(`state of job ${jobId}`, async () => {
    const now = (await server.request('GET', `/api/v1/jobs/${jobId}`)).json.state;
    return now === state || now;
  }, { timeoutMs, server });
}

export function assertExactlyOnce(rows, ids) {
  const keys = new Set(rows.map((r) => `${r.kp}/${r.ko}`));
  assert.equal(keys.size, rows.length, 'a (partition, offset) appears twice');
  assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), ids);
}

export function workerPids(server) {
  try {
    return execFileSync('pgrep', ['-P', String(server.proc.pid)]).toString().trim().split('\n')
      .filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}
