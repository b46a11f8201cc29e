// The console's accessibility, keyboard and narrow-screen behaviour in a real
// Chromium (Debian's, driven by playwright-core) against a real server, test
// broker and running job. Every page, at 1280x800 and at 390x844, passes the
// sanity checks of assertAccessible (labelled inputs, named buttons and
// links, alt text, unique ids, scroll boxes a keyboard can reach, no sideways
// page scroll), logs no console error and leaves no failed request; the
// checker itself reports each kind of problem planted in a page. On a narrow
// screen the list tables stack, so a job's state and Start/Stop and the
// wizard's mapping inputs and Remove buttons are in view without scrolling
// sideways, and at 1024 and 800 px the lists fit without it. By keyboard:
// the skip link is the first stop and moves the focus to the content, the
// focus is visible, a focused Stop button in the jobs list keeps the focus
// across the list's refresh and Enter stops the job, the focus staying in
// its row; Tab walks the wizard to Submit, nothing focused hidden under its
// sticky Submit bar; removing a mapping row, a partition key or a data
// source leaves the focus nearby. Each page names itself in the window's
// title and the job page's charts draw. A page waiting for the API says it is loading, a page
// whose API call fails says why, and the data source form shows the server's
// validation errors next to their fields; a failed refresh says so until one
// works again, and the refresh loop never overlaps or doubles. Screenshots go to
// $LAKESYNC_SCREENSHOT_DIR (default: a temp dir), never the repo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../e2e/lib/server.mjs';
import { startBroker } from '../e2e/lib/broker.mjs';
import { waitFor, waitForState } from '../e2e/lib/jobs.mjs';
import { launchBrowser, screenshotDir, assertAccessible, accessibilityProblems, runGuarded } from '../e2e/lib/browser.mjs';

const LONG = 30000;
const shots = screenshotDir('lakesync-console-a11y-shots');

let broker, server, browser, page, job, sourceId;
const problems = []; // uncaught errors, console errors and failed requests

const message = (i) => JSON.stringify({ id: i, name: `user${i}`, device: { os: 'linux', brand: `brand${i % 4}` },
  ts: `2026-11-2${i % 3}T10:00:00Z` });

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function newPage(width, height) {
  if (page) await page.close();
  page = await browser.newPage({ viewport: { width, height } });
  page.setDefaultTimeout(LONG);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`); });
  page.on('requestfailed', (r) => { if (!r.url().startsWith('data:')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  // Signed in by the sign-in form (the session lives in sessionStorage).
  await page.goto(server.url + '/');
  await page.getByLabel('Token').waitFor();
  await assertAccessible(page, `the sign-in page at ${width} px`);
  await page.getByLabel('Token').fill(server.adminToken);
  await page.getByLabel('Token').press('Enter');
  await page.getByRole('heading', { name: 'Kafka Data Synchronization' }).waitFor();
}

before(async () => {
  broker = await startBroker(['events:2']);
  await broker.produce('events', Array.from({ length: 40 }, (_, i) => message(i + 1)));
  server = await startServer({ env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
  const source = await server.request('POST', '/api/v1/data-sources', {
    body: { name: 'events_source', type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'events', message_format: 'json' },
  });
  assert.equal(source.status, 201, source.text);
  sourceId = source.json.id;
  const spare = await server.request('POST', '/api/v1/data-sources', {
    body: { name: 'spare_source', type: 'kafka', bootstrap_servers: broker.bootstrap, topic: 'events', message_format: 'json' },
  });
  assert.equal(spare.status, 201, spare.text);
  const groupId = (await server.request('GET', '/api/v1/resource-groups')).json.items[0].id;
  const created = await server.request('POST', '/api/v1/jobs', { body: {
    name: 'events_job', data_source_id: sourceId, destination: { type: 'managed', format: 'iceberg' },
    database: 'web', table: 'events', parse_levels: 2,
    fields: [{ source: 'id', name: 'id', type: 'bigint' }, { source: 'name', name: 'name', type: 'string' },
             { source: 'device.brand', name: 'brand', type: 'string' }, { source: 'ts', name: 'ts', type: 'timestamptz' }],
    partition: [{ source: 'ts', transform: 'day', name: 'ts_day' }],
    sync: { start: { mode: 'earliest' }, resource_group_id: groupId, acus: 2 }, advanced: { commit_interval_s: 1 },
  } });
  assert.equal(created.status, 201, created.text);
  job = created.json;
  assert.equal((await server.request('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitFor('the first commit', async () => {
    const m = (await server.request('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
    return (m.commits >= 1 && m.totals.rows >= 40) || m.totals;
  }, { server });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
  if (broker) await broker.stop();
  console.log(`screenshots: ${shots}`);
});

const guarded = (name, fn) => runGuarded(name, fn, { page: () => page, dir: shots, errors: problems });

// Waits until the jobs list has re-rendered its rows (every 3 s).
async function nextListRefresh() {
  await page.evaluate(() => { window.oldRow = document.querySelector('tbody tr[data-id]'); });
  await page.waitForFunction(() => {
    const r = document.querySelector('tbody tr[data-id]');
    return r && r !== window.oldRow;
  }, null, { timeout: 10000, polling: 100 });
}

// Every page with what it waits for before it is checked.
const pages = () => [
  ['jobs', '#/jobs', () => page.locator(`tr[data-id="${job.id}"]`).waitFor()],
  ['sources', '#/sources', () => page.locator(`tr[data-id="${sourceId}"]`).waitFor()],
  ['source', `#/sources/${sourceId}`, () => page.locator('pre.sample').waitFor()],
  ['source-edit', `#/sources/${sourceId}/edit`, () => page.getByLabel('Description').waitFor()],
  ['source-new', '#/sources/new', () => page.getByLabel('Kafka topic').waitFor()],
  ['wizard', `#/jobs/new?source=${sourceId}`, async () => {
    await page.locator('tr[data-source="device"]').waitFor();
    await page.getByRole('button', { name: 'Add partition key' }).click();
    await page.getByRole('radio', { name: /From a time/ }).check();
    await page.getByText('Advanced settings').click();
  }],
  ['job', `#/jobs/${job.id}`, async () => {
    await page.locator('.events li time').first().waitFor();
    // Both charts draw a line (the rate from the second sample on) and say their value.
    await page.waitForFunction(() => [...document.querySelectorAll('svg.chart-svg')].every((c) =>
      (c.querySelector('polyline')?.getAttribute('points') || '').split(' ').length >= 2 &&
      / now$/.test(c.getAttribute('aria-label'))), null, { timeout: 15000, polling: 200 });
  }],
  ['tables', '#/tables', () => page.getByRole('link', { name: 'events', exact: true }).waitFor()],
  ['table', '#/tables/web/events', () => page.locator('.preview td').first().waitFor()],
  ['groups', '#/groups', () => page.getByRole('heading', { name: 'Create a resource group' }).waitFor()],
  ['tokens', '#/tokens', () => page.getByRole('heading', { name: 'Create a token' }).waitFor()],
];

async function checkEveryPage(tag) {
  for (const [name, hash, ready] of pages()) {
    await page.goto(`${server.url}/${hash}`);
    await ready();
    await assertAccessible(page, `${name} at ${tag}`);
    // The window's title names the page.
    const heading = (await page.locator('h1').first().textContent()).trim();
    await page.waitForFunction((t) => document.title === t, `${heading} — lakesync`, { timeout: 5000 });
    await shot(`${tag}-${name}`);
  }
}

// The element's box lies inside the window, left to right.
async function assertInView(locator, what) {
  const box = await locator.boundingBox();
  const width = page.viewportSize().width;
  assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${what} is at ${JSON.stringify(box)} in a ${width} px window`);
}

test('the accessibility checker reports each planted problem', { timeout: 40000 }, () => guarded('checker', async () => {
  await newPage(1280, 800);
  await page.goto(`${server.url}/#/groups`);
  await page.getByRole('heading', { name: 'Resource Groups' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.evaluate(() => {
    const main = document.getElementById('main');
    main.insertAdjacentHTML('beforeend', '<input id="planted-input"><button id="planted-button"></button>' +
      '<img src="data:," id="planted-img"><p id="planted-input"></p>' +
      '<div id="planted-scroll" style="overflow-x:auto;width:100px"><div style="width:900px">wide</div></div>');
  });
  const found = (await accessibilityProblems(page)).join('\n');
  for (const want of ['no label: <input id="planted-input"', 'no accessible name: <button id="planted-button"',
    'image without alt', 'duplicate id planted-input', 'a keyboard cannot reach it: <div id="planted-scroll"']) {
    assert.ok(found.includes(want), `the checker misses "${want}" in:\n${found}`);
  }
}));

// The pages' refresh loop (ui.js poller) under the browser's clock, driven
// by hand: asking for refreshes while one runs never overlaps them, and
// however often it was asked there is one timer (before it, every keystroke
// in the jobs search that landed during a load started another loop).
test('the refresh loop runs one at a time and keeps one timer', { timeout: 20000 }, () => guarded('poller', async () => {
  if (page) await page.close();
  page = await browser.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.clock.install();
  await page.goto(server.url + '/');
  await page.evaluate(async () => {
    const { poller } = await import('/js/ui.js');
    const t = { runs: 0, active: 0, most: 0, pending: [] };
    t.poll = poller(() => {
      t.runs++;
      t.active++;
      t.most = Math.max(t.most, t.active);
      return new Promise((done) => t.pending.push(() => { t.active--; done(); }));
    }, 1000);
    window.t = t;
  });
  const state = () => page.evaluate(() => ({ runs: t.runs, active: t.active, most: t.most, pending: t.pending.length }));
  // Three asks while the first run is in flight: one run, one queued.
  await page.evaluate(() => { window.first = t.poll.now(); t.poll.now(); t.poll.now(); });
  assert.deepEqual(await state(), { runs: 1, active: 1, most: 1, pending: 1 });
  // The first ends: the queued one runs right away, alone.
  await page.evaluate(async () => { t.pending.shift()(); await window.first; });
  assert.deepEqual(await state(), { runs: 2, active: 1, most: 1, pending: 1 });
  await page.evaluate(() => t.pending.shift()());
  // From now on one run per period: one timer.
  for (let period = 1; period <= 3; period++) {
    await page.clock.runFor(1000);
    assert.deepEqual(await state(), { runs: 2 + period, active: 1, most: 1, pending: 1 }, `period ${period}`);
    await page.evaluate(() => t.pending.shift()());
  }
  await page.evaluate(() => t.poll.stop());
  await page.clock.runFor(5000);
  assert.equal((await state()).runs, 5, 'a stopped loop runs again');
}));

test('every page passes the checks at 1280x800 and 390x844, with no browser errors', { timeout: 55000 }, () => guarded('pages', async () => {
  await newPage(1280, 800);
  await checkEveryPage('1280');
  await newPage(390, 844);
  await checkEveryPage('390');
}));

// The list tables fit their box: nothing behind a sideways scroll.
async function assertListsFit(where) {
  const wide = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')]
    .filter((w) => w.querySelector('table.stack') && w.scrollWidth > w.clientWidth + 1)
    .map((w) => `${w.scrollWidth} > ${w.clientWidth}`));
  assert.deepEqual(wide, [], `a list table scrolls sideways on ${where}`);
}

test('narrow screens stack the list tables: state, buttons and mapping inputs in view', { timeout: 40000 }, () => guarded('narrow', async () => {
  // A small laptop, a tablet (navigation on top) and a phone (stacked rows).
  for (const [width, height] of [[1024, 768], [800, 1000], [390, 844]]) {
    await newPage(width, height);
    await page.goto(`${server.url}/#/jobs`);
    const row = page.locator(`tr[data-id="${job.id}"]`);
    await row.locator('.badge', { hasText: 'running' }).waitFor();
    await assertInView(row.locator('.badge'), `the job state at ${width} px`);
    await assertInView(page.getByRole('button', { name: 'Stop events_job' }), `the Stop button at ${width} px`);
    await assertInView(row.getByRole('link', { name: 'Details' }), `the Details link at ${width} px`);
    await assertListsFit(`the jobs list at ${width} px`);
    await page.goto(`${server.url}/#/sources`);
    await assertInView(page.getByRole('button', { name: 'Delete events_source' }), `the Delete button of a source at ${width} px`);
    await assertListsFit(`the data sources list at ${width} px`);
    await shot(`${width}-sources`);
  }
  await page.goto(`${server.url}/#/jobs/new?source=${sourceId}`);
  await page.locator('tr[data-source="device"]').waitFor({ timeout: LONG });
  await assertInView(page.getByLabel('Destination field for device', { exact: true }), 'a mapping name input');
  await assertInView(page.getByLabel('Type of device', { exact: true }), 'a mapping type input');
  await assertInView(page.getByRole('button', { name: 'Remove device', exact: true }), 'a mapping Remove button');
  await page.getByRole('button', { name: 'Add partition key' }).click();
  await assertInView(page.getByLabel('Partition 1 name'), 'the partition name input');
  await assertInView(page.getByRole('button', { name: 'Remove partition 1' }), 'the partition Remove button');
  await shot('390-stacked-wizard');
}));

test('keyboard: skip link, visible focus, focus kept across refreshes, Enter stops a job', { timeout: 50000 }, () => guarded('keyboard', async () => {
  await newPage(1280, 800);
  await page.goto(`${server.url}/#/jobs`);
  const row = page.locator(`tr[data-id="${job.id}"]`);
  await row.locator('.badge', { hasText: 'running' }).waitFor();
  // The skip link comes before everything else (Shift+Tab from the first
  // link of the header), shows while focused, and Enter moves the focus to
  // the content.
  await page.getByRole('link', { name: 'lakesync', exact: true }).focus();
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await assertInView(page.locator('.skip'), 'the focused skip link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // The focus is visible on what Tab reaches.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused control shows no outline');
  // Tab to Stop; the list refreshes every 3 s and the focus stays on Stop.
  const stopName = 'Stop events_job';
  for (let i = 0; i < 40 && await page.evaluate(() => document.activeElement.getAttribute('aria-label')) !== stopName; i++) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), stopName, 'Stop is not reached with Tab');
  await nextListRefresh();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), stopName,
    'the refresh took the focus away from Stop');
  // Enter stops it; the focus stays in the job's row (Stop is then disabled).
  await page.keyboard.press('Enter');
  await row.locator('.badge', { hasText: 'stopped' }).waitFor({ timeout: LONG });
  await nextListRefresh();
  const where = await page.evaluate((id) => {
    const a = document.activeElement;
    return { inRow: !!a.closest(`tr[data-id="${id}"]`), text: a.textContent, disabled: !!a.disabled };
  }, job.id);
  assert.ok(where.inRow && !where.disabled, `the focus left the row after Stop: ${JSON.stringify(where)}`);
  await waitForState(server, job.id, 'stopped');
  // Saving a stopped job's settings by keyboard: the notice takes the focus.
  await page.goto(`${server.url}/#/jobs/${job.id}`);
  await page.getByText('Edit settings (stopped jobs only)').focus();
  await page.keyboard.press('Enter');
  await page.getByLabel('Commit interval (seconds)').fill('2');
  await page.getByLabel('Commit interval (seconds)').press('Enter');
  await page.getByText('Settings saved.').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Settings saved.');
  assert.equal((await server.request('GET', `/api/v1/jobs/${job.id}`)).json.advanced.commit_interval_s, 2);
  // Tab walks the whole wizard, from the job name to Submit, and nothing it
  // focuses hides under the sticky Submit bar.
  await page.goto(`${server.url}/#/jobs/new?source=${sourceId}`);
  await page.locator('tr[data-source="name"]').waitFor();
  await page.getByLabel('Job name').focus();
  const stops = [];
  for (let i = 0; i < 100 && stops[stops.length - 1] !== 'Submit'; i++) {
    if (i) await page.keyboard.press('Tab');
    const at = await page.evaluate(() => {
      const a = document.activeElement;
      const bar = document.querySelector('.form-actions.sticky').getBoundingClientRect();
      const r = a.getBoundingClientRect();
      const name = (a.getAttribute('aria-label') || a.labels?.[0]?.textContent || a.textContent).trim();
      const hidden = !a.closest('.form-actions.sticky') && r.bottom > bar.top + 1 && r.top < bar.bottom;
      return { name, hidden };
    });
    assert.equal(at.hidden, false, `${at.name} is focused under the Submit bar`);
    stops.push(at.name);
  }
  for (const want of ['Data source', 'Database name', 'Parsed JSON layers', 'Destination field for name', 'Remove device',
    'Add a field by source path', 'Add partition key', 'Job resource group', 'ACUs for incremental synchronization',
    'Advanced settings', 'Submit']) {
    assert.ok(stops.includes(want), `Tab never reaches ${want}: ${stops.join(', ')}`);
  }
  // Removing a mapping row or a partition key by keyboard leaves the focus
  // on the Remove button now in its place, not on the page.
  await page.getByRole('button', { name: 'Remove name', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.locator('tr[data-source="name"]').waitFor({ state: 'detached' });
  assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label') || ''), /^Remove /);
  await page.getByRole('button', { name: 'Add partition key' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Remove partition 1' }).focus();
  await page.keyboard.press(' ');
  await page.getByText('No partition keys').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Add partition key');
}));

test('loading and error states, and validation errors beside their fields', { timeout: 40000 }, () => guarded('states', async () => {
  await newPage(1280, 800);
  // Hold the jobs list: the page says it is loading until the answer comes.
  let release;
  const held = new Promise((r) => { release = r; });
  const jobsList = (url) => url.pathname === '/api/v1/jobs';
  await page.goto(`${server.url}/#/sources`);
  await page.getByRole('heading', { name: 'Data Sources' }).waitFor();
  await page.route(jobsList, async (route) => { await held; await route.continue(); });
  await page.evaluate(() => { location.hash = '#/jobs'; });
  const loading = page.getByRole('status').filter({ hasText: 'Loading…' });
  await loading.waitFor();
  release();
  await page.getByRole('heading', { name: 'Kafka Data Synchronization' }).waitFor();
  await loading.waitFor({ state: 'detached' });
  await page.unroute(jobsList);
  // A refresh that fails says so, and the notice goes once one works again.
  let failures = 1;
  await page.route(jobsList, (route) => (failures-- > 0
    ? route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"the store is busy"}}' })
    : route.continue()));
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const refreshFailed = page.locator('.notice-error', { hasText: 'Cannot refresh: the store is busy' });
  await refreshFailed.waitFor();
  await refreshFailed.waitFor({ state: 'detached', timeout: 10000 });
  await page.unroute(jobsList);
  // A job that does not exist: the page says so.
  await page.goto(`${server.url}/#/jobs/job_doesnotexist`);
  const alert = page.locator('.notice-error[role=alert]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /not found|no job|does not exist/i);
  // The server's validation errors on the data source form, next to their fields.
  await page.goto(`${server.url}/#/sources/new`);
  await page.getByLabel('Kafka topic').fill('events');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const bootstrapError = page.locator('[data-field="bootstrap_servers"] .field-error');
  await bootstrapError.waitFor();
  assert.match(await bootstrapError.textContent(), /bootstrap_servers/);
  assert.equal(await page.getByLabel('Bootstrap servers').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Bootstrap servers').evaluate((el) => el === document.activeElement), true);
  await page.getByLabel('Bootstrap servers').fill(broker.bootstrap);
  await page.getByLabel('Kafka topic').fill('');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.locator('[data-field="topic"] .field-error').waitFor();
  assert.equal(await bootstrapError.count(), 0, 'the old error stays');
  await shot('source-new-error');
  // A managed job into a table that exists: the server names the table's
  // folder (destination.path, no field of its own here): the error shows
  // next to the table name.
  await page.goto(`${server.url}/#/jobs/new?source=${sourceId}`);
  await page.locator('tr[data-source="name"]').waitFor();
  await page.getByLabel('Database name').fill('web');
  await page.getByLabel('Table name').fill('events');
  await page.getByRole('button', { name: 'Submit' }).click();
  const tableError = page.locator('[data-field="table"] .field-error');
  await tableError.waitFor();
  assert.match(await tableError.textContent(), /not empty/);
  assert.equal(await page.getByLabel('Table name').getAttribute('aria-invalid'), 'true');
  await shot('wizard-table-exists');
  // The source's own page has Delete too: refused while a job uses it.
  await page.goto(`${server.url}/#/sources/${sourceId}`);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete events_source' }).click();
  const refusal = page.locator('.notice-error', { hasText: 'Cannot delete events_source' });
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /events_job/);
  // Deleting an unused source by keyboard: the notice takes the focus its
  // Delete button had.
  await page.goto(`${server.url}/#/sources`);
  await page.getByRole('button', { name: 'Delete spare_source' }).focus();
  page.once('dialog', (d) => d.accept());
  await page.keyboard.press('Enter');
  await page.getByText('Data source spare_source deleted.').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Data source spare_source deleted.');
  assert.equal((await server.request('GET', '/api/v1/data-sources')).json.items.length, 1);
  // Chromium logs each refused request (the 4xx answers above) as a
  // console error: those were asked for.
  const asked = /Failed to load resource: the server responded with a status of (400|404|409|422|500)/;
  problems.splice(0, problems.length, ...problems.filter((p) => !asked.test(p)));
}));
