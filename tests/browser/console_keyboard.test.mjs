// The console by keyboard, and its loading, error and validation states, in
// a real Chromium (Debian's, driven by playwright-core) against a real
// server, test broker and running job (console_fixture.mjs). By keyboard:
// the skip link comes first and moves the focus to the content, the focus is
// visible, a focused Stop button in the jobs list keeps the focus across the
// list's refresh and Enter stops the job, the focus staying in its row; Tab
// walks the wizard to Submit, nothing focused hidden under its sticky Submit
// bar; removing a mapping row, a partition key or a data source, or saving a
// job's settings, leaves the focus nearby. A page waiting for the API says it
// is loading, a failed refresh says so until one works again, a page whose
// API call fails says why; the server's validation errors show next to their
// fields (the data source form; a managed job into an existing table next to
// the table name); a source's own page refuses Delete while a job uses it;
// choosing another source abandons the sample still being read.
// Screenshots go to $LAKESYNC_SCREENSHOT_DIR (default: a temp dir), never
// the repo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitForState } from '../e2e/lib/jobs.mjs';
import { consoleFixture, assertInView } from './console_fixture.mjs';

let fx, server, broker, page, job, sourceId;
const newPage = async (...args) => { page = await fx.newPage(...args); };
const shot = (name) => fx.shot(name);
const guarded = (name, fn) => fx.guarded(name, fn);

before(async () => {
  fx = await consoleFixture('lakesync-console-keyboard-shots');
  ({ server, broker, job, sourceId } = fx);
});
after(() => fx?.close());

// Waits until the jobs list has re-rendered its rows (every 3 s).
async function nextListRefresh() {
  await page.evaluate(() => { window.oldRow = document.querySelector('tbody tr[data-id]'); });
  await page.waitForFunction(() => {
    const r = document.querySelector('tbody tr[data-id]');
    return r && r !== window.oldRow;
  }, null, { timeout: 10000, polling: 100 });
}

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
  await assertInView(page, page.locator('.skip'), 'the focused skip link');
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
  await row.locator('.badge', { hasText: 'stopped' }).waitFor();
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
  // Every refresh fails until the notice is seen: with a single scripted
  // failure the 3 s auto-refresh could take it just before the Search
  // click, whose answer would then clear the notice before it was looked for.
  let failing = true;
  await page.route(jobsList, (route) => (failing
    ? route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"the store is busy"}}' })
    : route.continue()));
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const refreshFailed = page.locator('.notice-error', { hasText: 'Cannot refresh: the store is busy' });
  await refreshFailed.waitFor();
  failing = false;
  await refreshFailed.waitFor({ state: 'detached', timeout: 10000 });
  await page.unroute(jobsList);
  // A search that matches nothing says so, with no empty table; the search
  // is in the address, so a reload (or Back from a job) keeps it.
  await page.getByLabel('Search jobs').fill('no-such-job');
  await page.getByText('No job matches the search.').waitFor();
  assert.equal(await page.locator('table').isVisible(), false);
  await page.getByLabel('State').selectOption('stopped');
  assert.equal(new URL(page.url()).hash, '#/jobs?q=no-such-job&state=stopped');
  await page.reload();
  await page.getByText('No job matches the search.').waitFor();
  assert.equal(await page.getByLabel('Search jobs').inputValue(), 'no-such-job');
  assert.equal(await page.getByLabel('State').inputValue(), 'stopped');
  // A job that does not exist: the page says so under a heading of its own,
  // which takes the focus and names the window.
  await page.goto(`${server.url}/#/jobs/job_doesnotexist`);
  const alert = page.locator('.notice-error[role=alert]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /not found|no job|does not exist/i);
  const notFound = page.getByRole('heading', { name: 'Not found', level: 1 });
  assert.equal(await notFound.evaluate((el) => el === document.activeElement), true);
  await page.waitForFunction(() => document.title === 'Not found — lakesync');
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
  // Another source chosen while the first one's sample is still read (held
  // here): that read is abandoned — aborted, so its late answer cannot
  // replace the new source's sample and mapping.
  const firstSample = (url) => url.pathname === `/api/v1/data-sources/${sourceId}/sample`;
  await page.route(firstSample, () => { /* never answered: the page must give up on it */ });
  const abandoned = page.waitForEvent('requestfailed', (r) => firstSample(new URL(r.url())));
  await page.goto(`${server.url}/#/jobs/new?source=${sourceId}`);
  await page.getByText('Reading the latest messages of the topic').waitFor();
  await page.getByLabel('Data source').selectOption({ label: 'spare_source (events)' });
  assert.match((await abandoned).failure().errorText, /ABORTED/);
  await page.locator('tr[data-source="device"]').waitFor();
  await page.unroute(firstSample);
  // A managed job into a table that exists: the server names the table's
  // folder (destination.path, no field of its own here): the error shows
  // next to the table name.
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
  fx.problems.splice(0, fx.problems.length, ...fx.problems.filter((p) => !asked.test(p)));
}));
