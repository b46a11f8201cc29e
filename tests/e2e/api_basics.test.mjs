// ctest-labels: sanitize
// Health, auth and tokens, error format, static files, hostile input,
// pagination, restart persistence and graceful shutdown of `lakesync serve`.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, startServer, tempDir } from './lib/server.mjs';

function assertError(res, status, code, field) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  assert.equal(typeof res.json.error.message, 'string');
  if (field !== undefined) assert.equal(res.json.error.field, field, res.text);
}

describe('a fresh server', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server.cleanup(); });

  test('health needs no token', async () => {
    const res = await server.request('GET', '/api/v1/health', { token: null });
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'ok');
    assert.match(res.json.version, /^\d+\.\d+\.\d+/);
  });

  test('first start writes the admin token 0600 and prints it once', async () => {
    const file = path.join(server.dataDir, 'admin.token');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(file, 'utf8').trim(), server.adminToken);
    assert.match(server.stdout(), /admin token: lst_/);
    assert.ok(!server.stderr().includes(server.adminToken), 'the token must not be logged');
    assert.equal(fs.statSync(path.join(server.dataDir, 'secret.key')).mode & 0o777, 0o600);
  });

  test('missing, malformed and wrong tokens are 401', async () => {
    let res = await server.request('GET', '/api/v1/jobs', { token: null });
    assertError(res, 401, 'unauthenticated');
    assert.match(res.headers.get('www-authenticate'), /^Bearer/);
    res = await server.request('GET', '/api/v1/jobs', { token: null, headers: { authorization: 'Basic abc' } });
    assertError(res, 401, 'unauthenticated');
    res = await server.request('GET', '/api/v1/jobs', { token: 'lst_wrong' });
    assertError(res, 401, 'unauthenticated');
  });

  test('standard tokens cannot manage resource groups or tokens; revoked tokens stop working', async () => {
    let res = await server.request('POST', '/api/v1/tokens', { body: { name: 'ci', role: 'standard' } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('location'), `/api/v1/tokens/${res.json.id}`);
    const std = res.json.token;
    const stdId = res.json.id;
    assert.match(std, /^lst_[A-Za-z0-9_-]{43}$/);
    assert.equal(res.json.role, 'standard');

    res = await server.request('GET', `/api/v1/tokens/${stdId}`);
    assert.equal(res.status, 200);
    assert.equal(res.json.token, undefined, 'a token is shown only when created');

    assert.equal((await server.request('GET', '/api/v1/data-sources', { token: std })).status, 200);
    assert.equal((await server.request('GET', '/api/v1/resource-groups', { token: std })).status, 200);
    assertError(await server.request('POST', '/api/v1/resource-groups', { token: std, body: { name: 'g', max_acus: 8 } }), 403, 'permission_denied');
    assertError(await server.request('GET', '/api/v1/tokens', { token: std }), 403, 'permission_denied');
    assertError(await server.request('POST', '/api/v1/tokens', { token: std, body: { name: 'x' } }), 403, 'permission_denied');
    const groups = (await server.request('GET', '/api/v1/resource-groups')).json.items;
    assertError(await server.request('PATCH', `/api/v1/resource-groups/${groups[0].id}`, { token: std, body: { max_acus: 10 } }), 403, 'permission_denied');
    assertError(await server.request('DELETE', `/api/v1/tokens/${stdId}`, { token: std }), 403, 'permission_denied');

    res = await server.request('DELETE', `/api/v1/tokens/${stdId}`);
    assert.equal(res.status, 204);
    assertError(await server.request('GET', '/api/v1/data-sources', { token: std }), 401, 'unauthenticated');
    assertError(await server.request('GET', `/api/v1/tokens/${stdId}`), 404, 'not_found');
  });

  test('the last admin token cannot be revoked; a second admin token can', async () => {
    const list = (await server.request('GET', '/api/v1/tokens')).json.items;
    const admins = list.filter((t) => t.role === 'admin');
    assert.equal(admins.length, 1);
    assertError(await server.request('DELETE', `/api/v1/tokens/${admins[0].id}`), 409, 'conflict');
    const res = await server.request('POST', '/api/v1/tokens', { body: { name: 'second', role: 'admin' } });
    assert.equal(res.status, 201);
    assert.equal((await server.request('GET', '/api/v1/tokens', { token: res.json.token })).status, 200);
    assert.equal((await server.request('DELETE', `/api/v1/tokens/${res.json.id}`)).status, 204);
  });

  test('token create validation', async () => {
    assertError(await server.request('POST', '/api/v1/tokens', { body: { role: 'admin' } }), 400, 'invalid_argument', 'name');
    assertError(await server.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'root' } }), 400, 'invalid_argument', 'role');
    assertError(await server.request('POST', '/api/v1/tokens', { body: { name: 'x', scope: 'all' } }), 400, 'invalid_argument', 'scope');
  });

  test('unknown routes are 404, wrong methods 405 with Allow', async () => {
    assertError(await server.request('GET', '/api/v1/nothing'), 404, 'not_found');
    assertError(await server.request('GET', '/api/v2/jobs'), 404, 'not_found');
    const res = await server.request('PUT', '/api/v1/jobs');
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
    assert.equal(res.json.error.code, 'invalid_argument');
  });

  test('malformed JSON, wrong types and unknown fields are 400 naming the field', async () => {
    let res = await server.request('POST', '/api/v1/data-sources', { rawBody: '{"topic": "t",', headers: { 'content-type': 'application/json' } });
    assertError(res, 400, 'invalid_argument', 'body');
    assert.match(res.json.error.message, /not valid JSON/);
    assertError(await server.request('POST', '/api/v1/data-sources', { rawBody: '[1,2]' }), 400, 'invalid_argument', 'body');
    assertError(await server.request('POST', '/api/v1/data-sources', { rawBody: '' }), 400, 'invalid_argument', 'body');
    assertError(await server.request('POST', '/api/v1/data-sources', { rawBody: '{"topic":"a","topic":"b"}' }), 400, 'invalid_argument', 'body');
    assertError(await server.request('POST', '/api/v1/data-sources', { body: { bootstrap_servers: 'k:9092', topic: 5 } }), 400, 'invalid_argument', 'topic');
    assertError(await server.request('POST', '/api/v1/data-sources', { body: { bootstrap_servers: 'k:9092', topic: 't', colour: 'red' } }), 400, 'invalid_argument', 'colour');
    assertError(await server.request('POST', '/api/v1/data-sources', { body: { bootstrap_servers: 'k:9092', topic: 't', security: { protocol: 'SSL', pin: 1 } } }), 400, 'invalid_argument', 'security.pin');
    assertError(await server.request('POST', '/api/v1/resource-groups', { body: { name: 'g', max_acus: '8' } }), 400, 'invalid_argument', 'max_acus');
    assertError(await server.request('POST', '/api/v1/resource-groups', { body: { name: 'g', max_acus: 8.5 } }), 400, 'invalid_argument', 'max_acus');
    assertError(await server.request('POST', '/api/v1/databases', { body: { name: 'd', external: 'yes' } }), 400, 'invalid_argument', 'external');
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    assertError(await server.request('POST', '/api/v1/databases', { rawBody: deep }), 400, 'invalid_argument', 'body');
  });

  test('bodies over 1 MiB are 413; 1 MiB is read', async () => {
    const big = '{"name":"' + 'x'.repeat(2 * 1024 * 1024) + '"}';
    const res = await server.request('POST', '/api/v1/data-sources', { rawBody: big });
    assertError(res, 413, 'too_large', 'body');
    const justUnder = '{"name":"' + 'x'.repeat(1024 * 1024 - 12) + '"}';
    assert.ok(Buffer.byteLength(justUnder) <= 1024 * 1024);
    const ok = await server.request('POST', '/api/v1/data-sources', { rawBody: justUnder });
    assertError(ok, 400, 'invalid_argument', 'name'); // read and parsed: the name is too long
    assert.equal((await server.request('GET', '/api/v1/health')).status, 200);
    // A huge declared body is refused before it is sent.
    const u = new URL(server.url);
    const head = await new Promise((resolve, reject) => {
      const sock = net.connect(Number(u.port), u.hostname, () => {
        sock.write('POST /api/v1/data-sources HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{');
      });
      let got = '';
      sock.on('data', (d) => { got += d; if (got.includes('\r\n\r\n')) { sock.destroy(); resolve(got); } });
      sock.on('error', reject);
      sock.setTimeout(10000, () => { sock.destroy(); reject(new Error('no answer to a huge Content-Length')); });
    });
    assert.match(head, /^HTTP\/1\.1 413/);
  });

  test('ids with traversal or odd characters are 404', async () => {
    for (const id of ['..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'DS_UPPER', 'a%00b', 'x'.repeat(300), '%ff%fe', '%e2%82']) {
      for (const base of ['/api/v1/data-sources/', '/api/v1/jobs/', '/api/v1/databases/']) {
        const res = await server.request('GET', base + id);
        assert.equal(res.status, 404, `${base}${id}: ${res.text}`);
        assert.equal(res.json?.error?.code, 'not_found', `${base}${id}: error bodies are always JSON`);
      }
    }
    const res = await rawRequest(server.url, 'GET', '/api/v1/jobs/../tokens', { headers: { authorization: `Bearer ${server.adminToken}` } });
    assert.equal(res.status, 404, res.text);
  });

  test('static files are served from web/ and traversal is refused', async () => {
    let res = await server.request('GET', '/', { token: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/html/);
    assert.match(res.text, /lakesync/);
    res = await server.request('GET', '/index.html', { token: null });
    assert.equal(res.status, 200);
    for (const p of ['/../../../../etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd',
                     '/./index.html', '/.hidden', '/..\\..\\etc\\passwd', '/nope.html']) {
      res = await rawRequest(server.url, 'GET', p);
      assert.equal(res.status, 404, `${p}: ${res.status} ${res.text.slice(0, 80)}`);
      assert.ok(!res.text.includes('root:'), p);
    }
    res = await rawRequest(server.url, 'POST', '/index.html');
    assert.equal(res.status, 405);
  });

  test('lists page with page_size and page_token', async () => {
    const names = [];
    for (let i = 0; i < 5; i++) {
      const res = await server.request('POST', '/api/v1/databases', { body: { name: `paged_${i}` } });
      assert.equal(res.status, 201, res.text);
      names.push(res.json.name);
    }
    const seen = [];
    let token = '';
    for (let pages = 0; pages < 10; pages++) {
      const res = await server.request('GET', `/api/v1/databases?page_size=2${token ? `&page_token=${token}` : ''}`);
      assert.equal(res.status, 200);
      assert.ok(res.json.items.length <= 2);
      seen.push(...res.json.items.map((d) => d.name));
      if (res.json.next_page_token === null) break;
      token = encodeURIComponent(res.json.next_page_token);
    }
    assert.deepEqual(seen.filter((n) => n.startsWith('paged_')), names);
    assertError(await server.request('GET', '/api/v1/databases?page_size=0'), 400, 'invalid_argument', 'page_size');
    assertError(await server.request('GET', '/api/v1/databases?page_size=1001'), 400, 'invalid_argument', 'page_size');
    assertError(await server.request('GET', '/api/v1/databases?page_token=garbage'), 400, 'invalid_argument', 'page_token');
  });
});

describe('restarts', () => {
  test('state persists across a restart; SIGTERM exits 0; migrations are not re-applied', async () => {
    const dir = tempDir();
    try {
      let server = await startServer({ dataDir: dir });
      const token = server.adminToken;
      let res = await server.request('POST', '/api/v1/data-sources', {
        body: { name: 'keep', bootstrap_servers: 'k:9092', topic: 't',
                security: { protocol: 'SASL_SSL', sasl_mechanism: 'SCRAM-SHA-512', username: 'u', password: 'pa55-secret-word' } } });
      assert.equal(res.status, 201, res.text);
      const created = res.json;
      assert.equal(await server.stop('SIGTERM'), 0);
      assert.match(server.stderr(), /applied migration 0001_init.sql/);

      server = await startServer({ dataDir: dir });
      try {
        assert.equal(server.adminToken, token);
        assert.ok(!server.stdout().includes('admin token:'), 'the token is printed only at first start');
        assert.ok(!server.stderr().includes('applied migration'), server.stderr());
        res = await server.request('GET', `/api/v1/data-sources/${created.id}`);
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, created);
        assert.equal(res.json.security.password_set, true);
        const groups = (await server.request('GET', '/api/v1/resource-groups')).json.items;
        assert.deepEqual(groups.map((g) => g.name), ['default']);
      } finally {
        assert.equal(await server.stop('SIGINT'), 0);
      }
      const db = fs.readFileSync(path.join(dir, 'lakesync.db'));
      const wal = fs.existsSync(path.join(dir, 'lakesync.db-wal')) ? fs.readFileSync(path.join(dir, 'lakesync.db-wal')) : Buffer.alloc(0);
      for (const blob of [db, wal]) {
        assert.equal(blob.indexOf('pa55-secret-word'), -1, 'the password is stored encrypted');
        assert.equal(blob.indexOf(token), -1, 'tokens are stored as hashes');
      }
      assert.ok(!server.stderr().includes('pa55-secret-word'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the binary carries its migrations and OpenAPI document: it runs from any directory', async () => {
    const cwd = tempDir();
    const server = await startServer({ cwd, dataDir: 'state' });
    try {
      assert.ok(fs.existsSync(path.join(cwd, 'state', 'lakesync.db')));
      assert.equal((await server.request('GET', '/api/v1/openapi.yaml', { token: null })).status, 200);
      assert.equal((await server.request('GET', '/api/v1/resource-groups')).status, 200);
      assert.match(server.stderr(), /warehouse file:\/\/\/.*\/state\/warehouse\//);
    } finally {
      assert.equal(await server.stop(), 0);
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('LAKESYNC_ADMIN_TOKEN is accepted as the admin token and nothing is generated', async () => {
    const tokenText = 'env-admin-token-0123456789';
    const server = await startServer({ env: { LAKESYNC_ADMIN_TOKEN: tokenText } });
    try {
      assert.equal(server.adminToken, tokenText);
      assert.ok(!fs.existsSync(path.join(server.dataDir, 'admin.token')));
      assert.equal((await server.request('GET', '/api/v1/tokens')).status, 200);
    } finally {
      await server.cleanup();
    }
  });

  test('a database from a newer lakesync is refused', async () => {
    const dir = tempDir();
    try {
      const server = await startServer({ dataDir: dir });
      assert.equal(await server.stop(), 0);
      const { DatabaseSync } = await import('node:sqlite').catch(() => ({}));
      if (!DatabaseSync) {
        // node 20 has no node:sqlite; use the sqlite3 shell that setup.sh installs.
        const { execFileSync } = await import('node:child_process');
        execFileSync('sqlite3', [path.join(dir, 'lakesync.db'),
          "INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, '9999_future.sql', 'now')"]);
      }
      await assert.rejects(startServer({ dataDir: dir }), /newer than this lakesync/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
