// A test double of the server's worker endpoints (docs/worker-protocol.md,
// /internal/v1), faithful to the protocol's fencing: it keeps the table's
// committed next offset per Kafka partition, accepts a commit only when every
// range starts at that offset (any start for a partition never committed),
// answers 409 with the table's offsets otherwise and writes nothing, and
// records the files of accepted commits: the "table" is the union of them.
//
// Fault hooks for tests: fenceNext (answer the next commits 409 as if another
// writer had moved on — nothing applied), applyThenFailNext (apply the next
// commits but answer 500, as when the answer is lost), stop (heartbeats
// answer {"stop": true}).
import http from 'node:http';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

function errorBody(code, message, extra = {}) {
  return { error: { code, message }, ...extra };
}

export class ControlDouble {
  constructor({ jobId, token, spec }) {
    this.jobId = jobId;
    this.token = token;
    this.spec = spec;
    this.offsets = {};           // partition (string) -> next offset
    this.files = [];             // committed files, in commit order
    this.commits = [];           // accepted commit requests
    this.conflicts = 0;          // 409s answered
    this.heartbeats = [];
    this.requests = [];          // "METHOD path status" log
    this.fenceNext = 0;
    this.applyThenFailNext = 0;
    this.stop = false;
    this.snapshotId = 0;
  }

  async start() {
    this.server = http.createServer((req, res) => this.#handle(req, res));
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async close() {
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #send(req, res, status, body) {
    this.requests.push(`${req.method} ${req.url} ${status}`);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const base = `/internal/v1/jobs/${this.jobId}/`;
      if (req.headers.authorization !== `Bearer ${this.token}`)
        return this.#send(req, res, 401, errorBody('unauthenticated', 'bad worker token'));
      if (!req.url.startsWith(base))
        return this.#send(req, res, 404, errorBody('not_found', 'no such job'));
      const route = `${req.method} ${req.url.slice(base.length)}`;
      let body = null;
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return this.#send(req, res, 400, errorBody('invalid_argument', 'body is not JSON'));
        }
      }
      if (route === 'GET spec') return this.#send(req, res, 200, this.spec);
      if (route === 'GET offsets')
        return this.#send(req, res, 200, { topic: this.spec.kafka.topic, partitions: { ...this.offsets } });
      if (route === 'POST commits') return this.#commit(req, res, body);
      if (route === 'POST heartbeat') {
        this.heartbeats.push(body);
        return this.#send(req, res, 200, { stop: this.stop });
      }
      return this.#send(req, res, 404, errorBody('not_found', `no route ${route}`));
    });
  }

  // The checks a committer makes before it writes a snapshot.
  #validate(body) {
    if (!body || body.run_id !== this.spec.run_id) return 'run_id does not match the current run';
    if (typeof body.worker_index !== 'number') return 'worker_index is missing';
    if (!body.ranges || typeof body.ranges !== 'object') return 'ranges is missing';
    for (const [p, range] of Object.entries(body.ranges)) {
      if (!/^\d+$/.test(p) || !Array.isArray(range) || range.length !== 2) return `bad range ${p}`;
      const [start, end] = range;
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start)
        return `bad range ${p}: ${range}`;
    }
    if (!Array.isArray(body.files) || !Array.isArray(body.dead_letter_files)) return 'files missing';
    for (const f of body.files) {
      if (typeof f.path !== 'string' || !Number.isInteger(f.record_count) ||
          !Number.isInteger(f.file_size_bytes) || !Array.isArray(f.columns) ||
          typeof f.partition !== 'object' || !Array.isArray(f.split_offsets))
        return `bad file entry ${JSON.stringify(f).slice(0, 200)}`;
      if (f.path.startsWith('file://')) {
        const local = fileURLToPath(f.path);
        if (!fs.existsSync(local) || fs.statSync(local).size !== f.file_size_bytes)
          return `file ${f.path} is missing or has another size`;
      }
    }
    return null;
  }

  #commit(req, res, body) {
    const invalid = this.#validate(body);
    if (invalid) return this.#send(req, res, 400, errorBody('invalid_argument', invalid));
    const conflict = (message) => {
      this.conflicts++;
      return this.#send(req, res, 409, errorBody('conflict', message, { offsets: { ...this.offsets } }));
    };
    if (this.fenceNext > 0) {
      this.fenceNext--;
      return conflict('fenced by the test');
    }
    for (const [p, [start]] of Object.entries(body.ranges)) {
      if (p in this.offsets && this.offsets[p] !== start)
        return conflict(`partition ${p} starts at ${start}, the table is at ${this.offsets[p]}`);
    }
    for (const [p, [, end]] of Object.entries(body.ranges)) this.offsets[p] = end;
    this.files.push(...body.files);
    this.commits.push(body);
    this.snapshotId++;
    if (this.applyThenFailNext > 0) {
      this.applyThenFailNext--;
      return this.#send(req, res, 500, errorBody('internal', 'answer lost (test)'));
    }
    return this.#send(req, res, 200, {
      snapshot_id: this.snapshotId,
      sequence_number: this.snapshotId,
      offsets: { ...this.offsets },
    });
  }
}
