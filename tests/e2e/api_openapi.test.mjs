// ctest-labels: sanitize
// The OpenAPI document and the server's routes must describe the same API:
// every route in one must be in the other, and the server serves the file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lakesyncBin, startServer } from './lib/server.mjs';

const specPath = path.join(process.env.LAKESYNC_SOURCE_DIR, 'api', 'openapi.yaml');

// Reads "METHOD /path" pairs from the `paths:` section: paths are the keys
// indented by two spaces, methods the keys indented by four under them.
// With public = true, only the operations marked `security: []` (no token).
function specRoutes(text, { public: onlyPublic = false } = {}) {
  const routes = [];
  let inPaths = false, current = null, op = null;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) { inPaths = line.startsWith('paths:'); current = null; op = null; continue; }
    if (!inPaths) continue;
    const p = line.match(/^  (\/\S*):\s*$/);
    if (p) { current = p[1]; op = null; continue; }
    const m = line.match(/^    (get|put|post|patch|delete|head|options):/);
    if (m && current) {
      op = `${m[1].toUpperCase()} ${current}`;
      if (!onlyPublic) routes.push(op);
      continue;
    }
    if (onlyPublic && op && /^      security: \[\]\s*$/.test(line)) routes.push(op);
  }
  return routes.sort();
}

test('server routes equal the OpenAPI paths and methods', () => {
  const printed = execFileSync(lakesyncBin(), ['serve', '--print-routes'], { encoding: 'utf8' })
    .trim().split('\n').sort();
  const spec = specRoutes(fs.readFileSync(specPath, 'utf8'));
  assert.ok(printed.length >= 20, `too few routes printed: ${printed.length}`);
  const missingInSpec = printed.filter((r) => !spec.includes(r));
  const missingInServer = spec.filter((r) => !printed.includes(r));
  assert.deepEqual(missingInSpec, [], 'routes the server has but api/openapi.yaml lacks');
  assert.deepEqual(missingInServer, [], 'routes api/openapi.yaml has but the server lacks');
});

test('the document is OpenAPI 3.1 and served as is, without a token', async () => {
  const text = fs.readFileSync(specPath, 'utf8');
  assert.match(text, /^openapi: 3\.1\.\d+$/m);
  const server = await startServer();
  try {
    const res = await server.request('GET', '/api/v1/openapi.yaml', { token: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /yaml/);
    assert.equal(res.text, text);
  } finally {
    await server.cleanup();
  }
});

test('exactly the operations the spec marks `security: []` answer without a token', async () => {
  const text = fs.readFileSync(specPath, 'utf8');
  const publicOps = specRoutes(text, { public: true });
  assert.deepEqual(publicOps, ['GET /api/v1/health', 'GET /api/v1/openapi.yaml']);
  const server = await startServer();
  try {
    for (const route of specRoutes(text)) {
      const [method, pattern] = route.split(' ');
      const url = pattern.replace(/\{[^}]+\}/g, 'x1');
      const res = await server.request(method, url, { token: null });
      if (publicOps.includes(route)) assert.notEqual(res.status, 401, route);
      else assert.equal(res.status, 401, `${route} must need a token`);
    }
  } finally {
    await server.cleanup();
  }
});
