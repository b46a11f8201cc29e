// The console's job and table detail in a real Chromium (Debian's, driven by
// playwright-core) against a real server, test broker and three running jobs
// (Iceberg tables partitioned by region and day, and by id; a Paimon table
// by region). Proves on the job page: the storage figures equal the table's
// file list and the workers' uploads; an invalid JSON message shows as one
// dead-letter row (job total and its partition) with a link to the
// dead-letter table, whose page names its job and previews the message. On
// the table page of both formats: the storage line, every schema of the
// history, the partition spec and one row per partition value with its files
// and rows as the files API gives them, the data files (filtered by a
// labelled input; "Show more" by keyboard on a table of 120 files), a file's
// snapshot link focusing its snapshot row, and the preview. Every input
// labelled, the new parts reached by Tab, no horizontal scrolling at 390 px.
// Screenshots go to $LAKESYNC_SCREENSHOT_DIR (default: a temp dir), never
// the repo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, tempDir } from '../e2e/lib/server.mjs';
import { startBroker } from '../e2e/lib/broker.mjs';
import { launchBrowser, screenshotDir, assertAccessible, runGuarded } from '../e2e/lib/browser.mjs';

const LONG = 60000;
const COUNT = 120;
const REGIONS = ['eu', 'us', 'ap'];
const shots = screenshotDir('lakesync-console-tables-shots');

let broker, server, browser, page, warehouse;
const jobs = {};
const pageErrors = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const api = (method, p, body) => server.request(method, p, { body });

function message(i) {
  return JSON.stringify({ id: i, region: REGIONS[i % 3], amount: i * 1.5, ts: `2026-11-${20 + (i % 2)}T0${i % 10}:00:00Z` });
}

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

// Presses Tab from the top of the page until the element matching selector
// has the focus: it is reachable by keyboard.
async function tabTo(selector) {
  await page.locator('h1').focus();
  for (let i = 0; i < 200; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`${selector} is not reached with Tab`);
}

async function assertNoHorizontalScroll(where) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${where}: the page is ${scroll} px wide in a ${width} px window`);
}

async function waitForRecords(table, want) {
  const until = Date.now() + 90000;
  let got = 0;
  while (Date.now() < until) {
    const res = await api('GET', `/api/v1/databases/${table}/files`);
    got = res.status === 200 ? res.json.total_record_count : 0;
    if (got >= want) return res.json;
    await sleep(500);
  }
  assert.fail(`${table} has ${got} records, expected ${want}`);
}

before(async () => {
  broker = await startBroker(['orders:2']);
  server = await startServer({ env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
  warehouse = tempDir('lakesync-console-tables-wh-');
  const groupId = (await api('GET', '/api/v1/resource-groups')).json.items[0].id;
  const source = await api('POST', '/api/v1/data-sources', {
    name: 'orders_source', type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'orders', message_format: 'json',
  });
  assert.equal(source.status, 201, source.text);
  const wh = `file://${warehouse}/wh`;
  const db = await api('POST', '/api/v1/databases', {
    name: 'plake', catalog: 'paimon', external: true, location: `${wh}/plake.db/`, properties: { 'paimon.warehouse': wh },
  });
  assert.equal(db.status, 201, db.text);
  const common = {
    data_source_id: source.json.id, parse_levels: 1,
    fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'region', name: 'region', type: 'string' },
             { source: 'amount', name: 'amount', type: 'double' }, { source: 'ts', name: 'ts', type: 'timestamptz' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 },
    advanced: { commit_interval_s: 1 },
  };
  const specs = {
    iceberg: { ...common, name: 'orders_iceberg', destination: { type: 'managed', format: 'iceberg' },
               database: 'shop', table: 'orders',
               partition: [{ source: 'region', transform: 'identity', name: 'region' },
                           { source: 'ts', transform: 'day', name: 'ts_day' }] },
    // One file per row: more files than the page shows at first.
    byId: { ...common, name: 'orders_by_id', destination: { type: 'managed', format: 'iceberg' },
            database: 'shop', table: 'orders_by_id', partition: [{ source: 'id', transform: 'identity', name: 'id' }] },
    paimon: { ...common, name: 'orders_paimon', destination: { type: 'user_path', format: 'paimon', path: `${wh}/plake.db/orders/` },
              database: 'plake', table: 'orders', partition: [{ source: 'region', transform: 'identity', name: 'region' }] },
  };
  for (const [k, spec] of Object.entries(specs)) {
    const res = await api('POST', '/api/v1/jobs', spec);
    assert.equal(res.status, 201, res.text);
    jobs[k] = res.json;
  }
  await broker.produce('orders', Array.from({ length: COUNT }, (_, i) => message(i + 1)));
  for (const j of Object.values(jobs)) assert.equal((await api('POST', `/api/v1/jobs/${j.id}/start`)).status, 200);
  await waitForRecords('shop/tables/orders', COUNT);
  await waitForRecords('plake/tables/orders', COUNT);
  await waitForRecords('shop/tables/orders_by_id', COUNT);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(LONG);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url + '/');
  await page.getByLabel('Token').fill(server.adminToken);
  await page.getByLabel('Token').press('Enter');
  await page.getByRole('heading', { name: 'Kafka Data Synchronization' }).waitFor();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
  if (broker) await broker.stop();
  if (warehouse) fs.rmSync(warehouse, { recursive: true, force: true });
  console.log(`screenshots: ${shots}`);
});

const guarded = (name, fn) => runGuarded(name, fn, { page: () => page, dir: shots, errors: pageErrors });

const text = (sel) => page.locator(sel).textContent();

test('job page: storage usage and dead letters', { timeout: 120000 }, () => guarded('job', async () => {
  const job = jobs.iceberg;
  const listed = await api('GET', '/api/v1/databases/shop/tables/orders/files');
  const files = listed.json;
  // Snapshot ids pass 2^53: read the exact digits from the text.
  const snapshotId = listed.text.match(/"snapshot_id":(\d+)/)[1];
  await page.goto(`${server.url}/#/jobs/${job.id}`);
  await page.getByRole('heading', { name: 'orders_iceberg' }).waitFor();
  await page.getByRole('heading', { name: 'Storage' }).waitFor();
  // The cards fill from the metrics: the table's bytes and files are the
  // file list's; the workers uploaded every live file once.
  await page.waitForFunction((want) => document.querySelector('[data-metric="table_files"]')?.textContent === want,
    files.file_count.toLocaleString('en-US'), { timeout: LONG, polling: 300 });
  const m = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
  assert.equal(m.storage.table_bytes, files.total_file_size_bytes);
  const bytes = await page.evaluate((n) => {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
  }, files.total_file_size_bytes);
  assert.equal(await text('[data-metric="table_bytes"]'), bytes);
  await page.waitForFunction((want) => document.querySelector('[data-metric="uploaded"]')?.textContent === want,
    bytes, { timeout: LONG, polling: 300 });
  assert.ok(Number((await text('[data-metric="requests"]')).replace(/,/g, '')) >= files.file_count);
  assert.match(await page.locator('section[aria-labelledby="s-h"] p').textContent(), new RegExp(`snapshot ${snapshotId} \\(${COUNT} rows\\)`));

  // Dead letters: before any, the figure reads 0 with the table named; an
  // invalid JSON message becomes one dead-letter row, shown on the page and
  // in its partition's row, with a link to the dead-letter table.
  assert.equal(m.totals.dead_letter_rows, 0);
  const dead = page.locator('[data-metric="dead_letter_rows"]');
  await dead.waitFor();
  assert.equal(await dead.textContent(), '0');
  await broker.produce('orders', ['{"id": "not json', message(COUNT + 1)]);
  await page.waitForFunction(() => Number(document.querySelector('[data-metric="dead_letter_rows"]')?.textContent) >= 1,
    null, { timeout: LONG, polling: 300 });
  assert.equal(await dead.textContent(), '1');
  const after = (await api('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
  assert.equal(after.totals.dead_letter_rows, 1);
  assert.equal(after.dead_letter_table, 'orders__dlq');
  const deadPartitions = page.locator('table', { has: page.getByRole('columnheader', { name: 'Dead letters' }) });
  await page.waitForFunction(() => [...document.querySelectorAll('table tbody tr')]
    .some((tr) => tr.children.length === 6 && tr.lastElementChild.textContent === '1'), null, { timeout: LONG, polling: 300 });
  assert.equal(await deadPartitions.count(), 1);
  const link = page.locator('.dead-letters a');
  assert.equal(await link.textContent(), 'shop.orders__dlq');
  // The workers' uploads now cover the dead-letter table's file as well.
  const until = Date.now() + LONG;
  let uploaded = 0, stored = 0;
  while (Date.now() < until) {
    const [table, deadTable, now] = await Promise.all(['orders', 'orders__dlq'].map((n) =>
      api('GET', `/api/v1/databases/shop/tables/${n}/files`)).concat(api('GET', `/api/v1/jobs/${job.id}/metrics`)));
    stored = (table.json?.total_file_size_bytes ?? 0) + (deadTable.json?.total_file_size_bytes ?? 0);
    uploaded = now.json.storage.bytes_uploaded;
    if (deadTable.status === 200 && deadTable.json.file_count === 1 && uploaded === stored) break;
    await sleep(300);
  }
  assert.equal(uploaded, stored, 'bytes uploaded = the table\'s and the dead-letter table\'s live files');
  await shot('20-job-dead-letters');
  // The dead-letter table's page shows the bad message's row once committed.
  await link.click();
  await page.getByRole('heading', { name: 'shop.orders__dlq' }).waitFor();
  await page.locator('.preview td', { hasText: 'not json' }).first().waitFor({ timeout: LONG });
  await shot('20-dead-letter-table');
  assert.match(await page.locator('.props').textContent(), /orders_iceberg \(running\), the dead letters of shop\.orders/);
  await page.getByText('in 1 file, 1 row', { exact: false }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'orders_iceberg' }).waitFor();
  await shot('21-job-storage');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('[data-metric="table_files"]').scrollIntoViewIfNeeded();
  await assertNoHorizontalScroll('the job page at 390 px');
  await shot('22-job-storage-narrow');
  await page.locator('section[aria-labelledby="s-h"]').screenshot({ path: path.join(shots, '22-storage-narrow.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
}));

// The table page of one format against the API's own answers.
async function checkTablePage(db, format) {
  const base = `/api/v1/databases/${db}/tables/orders`;
  const [t, files, snaps] = await Promise.all([api('GET', base), api('GET', `${base}/files?page_size=1000`),
    api('GET', `${base}/snapshots`)].map((p) => p.then((r) => r.json)));
  await page.goto(`${server.url}/#/tables/${db}/orders`);
  await page.getByRole('heading', { name: `${db}.orders` }).waitFor();
  await page.locator('.preview td').first().waitFor();

  assert.match(await text('[data-storage]'), new RegExp(`in ${files.file_count} files?, ${files.total_record_count} rows$`));
  // Every schema the table had, the current one marked.
  const history = page.locator('ol.schema-history > li');
  assert.equal(await history.count(), t.schemas.length);
  assert.equal(await page.locator(`ol.schema-history > li[data-schema-id="${t.schema.schema_id}"] .badge`).textContent(), 'current');
  // Partitions: the spec, then one row per value with its files and rows.
  const spec = await text('[data-spec]');
  for (const f of t.partition_spec.fields) assert.ok(spec.includes(`${f.name} = ${f.transform}(`), spec);
  const want = new Map();
  for (const f of files.items) {
    const key = Object.entries(f.partition).map(([k, v]) => `${k}=${v}`).join(', ');
    const g = want.get(key) || { files: 0, rows: 0 };
    g.files += 1;
    g.rows += f.record_count;
    want.set(key, g);
  }
  const got = await page.locator('section[aria-labelledby="t-partitions"] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(new Map(got.map(([k, n, r]) => [k, { files: Number(n), rows: Number(r.replace(/,/g, '')) }])), want);
  assert.equal(want.size, format === 'iceberg' ? 6 : 3);
  // Data files: all listed (fewer than a page), filtered by a partition value.
  const rows = page.locator('.files tbody tr');
  assert.equal(await rows.count(), Math.min(50, files.file_count));
  const filter = page.getByLabel('Filter files');
  await filter.fill('region=eu');
  const eu = files.items.filter((f) => f.partition.region === 'eu').length;
  await page.waitForFunction((n) => document.querySelectorAll('.files tbody tr').length === n, eu);
  await page.getByText(`Showing ${eu} of ${eu} matching file${eu === 1 ? '' : 's'}`).waitFor();
  await filter.fill('');
  // Snapshots with their offsets: the newest holds every message.
  const newest = page.locator('section[aria-labelledby="t-snapshots"] tbody tr').first();
  const offsets = snaps.items.at(-1).summary['lakesync.offsets'];
  const sum = Object.values(offsets.partitions).reduce((a, b) => a + b, 0);
  assert.ok(sum >= COUNT);
  const shown = Object.entries(offsets.partitions).map(([p, v]) => `p${p}: ${v}`).join(', ');
  assert.equal(await newest.locator('td').last().textContent(), shown);
  await assertAccessible(page, `the ${format} table page`);
  await tabTo('#file-filter');
  return { t, files, snaps };
}

test('Iceberg table page: schema history, partitions, files, snapshots, preview', { timeout: 120000 }, () => guarded('iceberg', async () => {
  const { files } = await checkTablePage('shop', 'iceberg');
  await shot('23-table-iceberg');
  // A file's snapshot link focuses that snapshot's row; ids keep all their
  // digits (they pass 2^53).
  const exact = new Set([...(await api('GET', '/api/v1/databases/shop/tables/orders/snapshots')).text
    .matchAll(/"snapshot_id":(\d+)/g)].map((m) => m[1]));
  const link = page.locator('.files tbody button').first();
  const id = await link.textContent();
  assert.ok(exact.has(id), `${id} is a snapshot id as the server wrote it`);
  assert.equal(await link.getAttribute('aria-label'), `Show snapshot ${id}`);
  await link.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), `snap-${id}`);
  assert.equal(await page.locator(`#snap-${id} td`).first().textContent(), id);
  await page.setViewportSize({ width: 390, height: 844 });
  await assertNoHorizontalScroll('the table page at 390 px');
  await shot('24-table-iceberg-narrow');
  for (const part of ['t-partitions', 't-files']) {
    await page.locator(`section[aria-labelledby="${part}"]`).screenshot({ path: path.join(shots, `24-${part}-narrow.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}));

test('Paimon table page: the same sections, buckets and levels', { timeout: 120000 }, () => guarded('paimon', async () => {
  await checkTablePage('plake', 'paimon');
  assert.equal(await page.getByRole('columnheader', { name: 'Bucket / level' }).count(), 1);
  assert.equal(await page.locator('.files tbody tr td:last-child').first().textContent(), '0 / 0');
  await shot('25-table-paimon');
}));

test('many files: the first 50, then "Show more" by keyboard', { timeout: 60000 }, () => guarded('many', async () => {
  // The first test sent one more good message: count what the table holds.
  const n = (await api('GET', '/api/v1/databases/shop/tables/orders_by_id/files')).json.file_count;
  assert.ok(n > 100, `${n} files`);
  await page.goto(`${server.url}/#/tables/shop/orders_by_id`);
  await page.getByRole('heading', { name: 'shop.orders_by_id' }).waitFor();
  const rows = page.locator('.files tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 50);
  await page.getByText(`Showing 50 of ${n} files`).waitFor();
  const more = page.getByRole('button', { name: 'Show more' });
  await tabTo('.files ~ button');
  await page.keyboard.press('Enter');
  assert.equal(await rows.count(), 100);
  await page.keyboard.press('Enter'); // the focus stays on the button
  assert.equal(await rows.count(), n);
  await page.getByText(`Showing ${n} of ${n} files`).waitFor();
  assert.equal(await more.isHidden(), true);
  // One partition value per file.
  assert.equal(await page.locator('section[aria-labelledby="t-partitions"] tbody tr').count(), n);
  await shot('26-table-many-files');
}));

// A message with a new field evolves the table (advanced.schema_evolution
// add_columns by default): the history then lists both schemas, the new one
// current, with the column it added.
test('schema history after an evolution', { timeout: 90000 }, () => guarded('evolution', async () => {
  await broker.produce('orders', [JSON.stringify({ ...JSON.parse(message(COUNT + 2)), coupon: 'SAVE10' })]);
  const until = Date.now() + 60000;
  let t;
  do {
    await sleep(300);
    t = (await api('GET', '/api/v1/databases/shop/tables/orders')).json;
  } while (t.schemas.length < 2 && Date.now() < until);
  assert.equal(t.schemas.length, 2, 'the table evolved');
  const added = t.schema.fields.find((f) => f.name === 'coupon');
  assert.ok(added, JSON.stringify(t.schema.fields));
  await page.goto(`${server.url}/#/tables/shop/orders`);
  await page.getByRole('heading', { name: 'Schema history (2 versions)' }).waitFor();
  const items = page.locator('ol.schema-history > li');
  assert.equal(await items.count(), 2);
  assert.match(await items.nth(0).textContent(), /first schema/);
  assert.match(await items.nth(1).textContent(), new RegExp(`current.*added coupon ${added.type}`));
  assert.equal(await page.getByRole('columnheader', { name: 'coupon' }).count(), 1, 'the preview shows the new column');
  await shot('27-schema-history');
}));
