// The web console in a real Chromium (Debian's, driven by playwright-core)
// against a real server, test broker and running job: sign in; create a data
// source; create a job through the wizard (parse levels switching the mapping,
// level 2, one field renamed, a day partition, a server validation error shown
// next to its input); start it and watch rows arrive on the job page; the
// table preview shows the produced values, the renamed column included (when
// the server has the table routes; otherwise the page says browsing is not
// available); stop it from the jobs list; edit the stopped job; deleting a
// source a job uses refused with the message shown; every input labelled; a
// bad token sends the user back to sign-in. Screenshots of each page go to
// $LAKESYNC_SCREENSHOT_DIR (default: a temp dir), never the repo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../e2e/lib/server.mjs';
import { startBroker } from '../e2e/lib/broker.mjs';
import { launchBrowser, screenshotDir, assertAccessible } from '../e2e/lib/browser.mjs';

const LONG = 60000;
const shots = screenshotDir('lakesync-console-shots');

let broker, server, browser, page;
const pageErrors = [];

function message(i) {
  return JSON.stringify({
    id: i, name: `user${i}`, price: (i % 50) + 0.25, ts: `2026-11-${20 + (i % 3)}T10:${String(i % 60).padStart(2, '0')}:00Z`,
    device: { os: { test: 'lag', member: { fa: 'zhangsan', mo: 'limei' } }, brand: `brand${i % 5}`, version: `11.4.${i % 9}` },
  });
}

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function metric(name) {
  const t = await page.locator(`[data-metric="${name}"]`).textContent();
  return Number((t || '').replace(/[^0-9]/g, '')) || 0;
}

before(async () => {
  broker = await startBroker(['clicks:2']);
  await broker.produce('clicks', Array.from({ length: 200 }, (_, i) => message(i + 1)));
  server = await startServer({ env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(LONG);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
  if (broker) await broker.stop();
  console.log(`screenshots: ${shots}`);
});

test('the console from sign-in to a running job and back', { timeout: 170000 }, async (t) => {
  try {
    await flow(t);
  } catch (e) {
    await shot('failure').catch(() => {});
    if (pageErrors.length) console.log('page errors:', pageErrors);
    throw e;
  }
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
});

async function flow() {
  // Sign in: a wrong token is refused in place, the admin token works.
  await page.goto(server.url + '/');
  await page.getByLabel('Token').waitFor();
  await page.getByLabel('Token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That token is not valid.').waitFor();
  await shot('01-signin');
  await page.getByLabel('Token').fill(server.adminToken);
  await page.getByLabel('Token').press('Enter'); // the keyboard submits
  await page.getByRole('heading', { name: 'Kafka Data Synchronization' }).waitFor();

  // A data source: the name is pre-filled from the type and time.
  await page.getByRole('link', { name: 'Data Sources' }).click();
  await page.getByRole('link', { name: 'Create Data Source' }).click();
  const nameInput = page.getByLabel('Data source name');
  assert.match(await nameInput.inputValue(), /^kafka_\d{8}_\d{6}$/);
  await nameInput.fill('clicks_source');
  await page.getByLabel('Description').fill('clicks from the shop');
  await page.getByLabel('Bootstrap servers').fill(broker.bootstrap);
  await page.getByLabel('Kafka topic').fill('clicks');
  await assertAccessible(page, 'the data source form');
  await shot('02-source-new');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'clicks_source' }).waitFor();
  await page.locator('pre.sample', { hasText: 'brand' }).waitFor({ timeout: LONG });
  await shot('03-source-view');

  // The wizard, from the source.
  await page.getByRole('link', { name: 'Create Job' }).click();
  await page.getByRole('heading', { name: 'Create Synchronization Job' }).waitFor();
  assert.match(await page.getByLabel('Job name').inputValue(), /^kafka_\d{8}_\d{6}$/);
  await page.getByLabel('Job name').fill('clicks_job');
  // Storage format constraints as you choose: managed -> Iceberg only.
  const paimon = page.getByRole('radio', { name: 'Paimon', exact: true });
  assert.equal(await paimon.isDisabled(), true, 'Paimon is not offered for managed storage');
  await page.getByRole('radio', { name: /User path/ }).check();
  assert.equal(await paimon.isDisabled(), false);
  await paimon.check();
  await page.getByRole('radio', { name: /Managed warehouse/ }).check();
  assert.equal(await page.getByRole('radio', { name: 'Iceberg', exact: true }).isChecked(), true, 'managed forces Iceberg');
  await page.getByText('the format is now Iceberg').waitFor();

  // Sample and parse levels: level 1 by default, 0 and 4 switch the mapping.
  const row = (source) => page.locator(`tr[data-source="${source}"]`);
  await row('device').waitFor({ timeout: LONG });
  const levels = page.getByLabel('Parsed JSON layers');
  await levels.selectOption('0');
  await row('__value__').waitFor();
  assert.equal(await page.locator('tr[data-source]').count(), 1);
  await levels.selectOption('4');
  await row('device.os.member.fa').waitFor();
  await levels.selectOption('2');
  await row('device.os').waitFor();
  assert.equal(await row('device.os.member.fa').count(), 0);
  await shot('04-wizard-sample');

  await page.getByLabel('Database name').fill('shop');
  await page.getByLabel('Table name').fill('clicks');
  await page.getByLabel('Destination field for device.brand').fill('brand');
  assert.equal(await page.getByLabel('Type of ts').inputValue(), 'timestamptz');
  await page.getByLabel('Type of price').fill('double');
  // Add a field by source path, and remove one.
  await page.getByLabel('Add a field by source path').fill('__kafka_offset__');
  await page.getByRole('button', { name: 'Add field' }).click();
  await row('__kafka_offset__').waitFor();
  await page.getByRole('button', { name: 'Remove device.version' }).click();
  assert.equal(await row('device.version').count(), 0);
  await page.getByRole('button', { name: 'Add partition key' }).click();
  await page.getByLabel('Partition 1 field').selectOption('ts');
  await page.getByLabel('Partition 1 transform').selectOption('day');
  await page.getByLabel('Partition 1 name').fill('ts_day');
  const startTime = page.getByLabel('Start time (your local time)');
  assert.equal(await startTime.isVisible(), false);
  await page.getByRole('radio', { name: /From a time/ }).check();
  await startTime.waitFor(); // the date-time picker appears
  await page.getByRole('radio', { name: /Earliest offset/ }).check();
  await startTime.waitFor({ state: 'hidden' });
  assert.match(await page.getByLabel('Job resource group').locator('option:checked').textContent(), /default — 48 of 48 ACUs left/);

  // Server-side validation errors land next to their input: a duplicate
  // destination name in its mapping row, then ACUs under the minimum.
  const deviceOs = page.getByLabel('Destination field for device.os');
  await deviceOs.fill('name');
  await page.getByRole('button', { name: 'Submit' }).click();
  const rowError = row('device.os').locator('.field-error');
  await rowError.waitFor();
  assert.match(await rowError.textContent(), /repeats/);
  assert.equal(await deviceOs.getAttribute('aria-invalid'), 'true');
  await deviceOs.fill('device_os');
  const acus = page.getByLabel('ACUs for incremental synchronization');
  await acus.fill('1');
  await page.getByText('Advanced settings').click();
  await page.getByLabel('Commit interval (seconds)').fill('1');
  await assertAccessible(page, 'the wizard');
  await page.getByRole('button', { name: 'Submit' }).click();
  const acusError = page.locator('[data-field="sync.acus"] .field-error');
  await acusError.waitFor();
  assert.match(await acusError.textContent(), /at least 2/);
  assert.equal(await acus.getAttribute('aria-invalid'), 'true');
  await shot('05-wizard-acus-error');
  await acus.fill('2');
  await page.getByRole('button', { name: 'Submit' }).click();

  // The job page: start, rows arrive, metrics refresh.
  await page.getByRole('heading', { name: 'clicks_job' }).waitFor();
  const jobId = decodeURIComponent(page.url().split('#/jobs/')[1]);
  const job = (await server.request('GET', `/api/v1/jobs/${jobId}`)).json;
  assert.equal(job.parse_levels, 2);
  assert.deepEqual(job.fields.find((f) => f.source === 'device.brand'), { source: 'device.brand', name: 'brand', type: 'string' });
  assert.equal(job.fields.some((f) => f.source === 'device.version'), false);
  // Removed on purpose: schema evolution (on by default) must not add it back.
  assert.equal(job.advanced.schema_evolution, 'add_columns');
  assert.ok(job.advanced.ignored_sources.includes('device.version'));
  assert.equal(job.fields.find((f) => f.source === '__kafka_offset__').type, 'bigint');
  assert.equal(job.partition[0].transform, 'day');
  assert.equal(job.partition[0].source, 'ts');
  assert.equal(job.advanced.commit_interval_s, 1);
  await page.getByRole('button', { name: 'Start clicks_job' }).click();
  await page.locator('.job-state .badge', { hasText: 'running' }).waitFor({ timeout: LONG });
  await page.waitForFunction(() => {
    const n = (k) => Number((document.querySelector(`[data-metric="${k}"]`)?.textContent || '').replace(/[^0-9]/g, '')) || 0;
    return n('rows') >= 200 && n('commits') >= 1;
  }, null, { timeout: 90000, polling: 500 });
  assert.equal(await metric('rows'), 200);
  await page.locator('.events li', { hasText: /running|start/i }).first().waitFor();
  await shot('06-job-running');

  // Tables: the preview when the server can browse tables, else the notice.
  const spec = (await server.request('GET', '/api/v1/openapi.yaml')).text;
  await page.getByRole('link', { name: 'Tables' }).click();
  await page.getByRole('heading', { name: 'Tables' }).waitFor();
  if (spec.includes('/api/v1/databases/{db}/tables/{table}/preview:')) {
    await page.getByRole('link', { name: 'clicks', exact: true }).click();
    await page.locator('.preview td', { hasText: /^brand[0-4]$/ }).first().waitFor({ timeout: LONG });
    await page.locator('.preview td', { hasText: /^user\d+$/ }).first().waitFor();
    // Each previewed row is a produced message, the renamed column included.
    const rows = await page.locator('.preview table').evaluate((t) => {
      const names = [...t.querySelectorAll('thead th')].map((th) => th.textContent);
      return [...t.querySelectorAll('tbody tr')].map((tr) =>
        Object.fromEntries([...tr.children].map((td, i) => [names[i], td.textContent])));
    });
    assert.ok(rows.length > 0);
    for (const r of rows) {
      const want = JSON.parse(message(Number(r.id)));
      assert.equal(r.name, want.name);
      assert.equal(r.brand, want.device.brand);
      assert.equal(Number(r.price), want.price);
    }
  } else {
    await page.getByText('Table browsing (schema, snapshots, preview) is not available').waitFor();
    await page.getByRole('heading', { name: /^shop/ }).waitFor();
  }
  await shot('07-tables');

  // Jobs list: search, then Stop from the list.
  await page.getByRole('link', { name: 'Kafka Data Synchronization' }).click();
  await page.getByLabel('Search jobs').fill('no-such-job');
  await page.getByText('No job matches the search.').waitFor();
  await page.getByLabel('Search jobs').fill('clicks');
  const listRow = page.locator(`tr[data-id="${jobId}"]`);
  await listRow.locator('.badge', { hasText: 'running' }).waitFor();
  await shot('08-jobs-running');
  await page.getByRole('button', { name: 'Stop clicks_job' }).click();
  await listRow.locator('.badge', { hasText: 'stopped' }).waitFor({ timeout: LONG });
  await shot('09-jobs-stopped');

  // A stopped job's settings can change in place.
  await page.getByRole('link', { name: 'clicks_job' }).click();
  await page.getByText('Edit settings (stopped jobs only)').click();
  await page.getByLabel('ACUs', { exact: true }).fill('4');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved.').waitFor();
  await page.getByText('default · 4 ACUs').waitFor();
  assert.equal((await server.request('GET', `/api/v1/jobs/${jobId}`)).json.sync.acus, 4);

  // Deleting a source a job uses is refused, with the reason shown.
  await page.getByRole('link', { name: 'Data Sources' }).click();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete clicks_source' }).click();
  const refusal = page.locator('.notice-error', { hasText: 'Cannot delete clicks_source' });
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /job/i);
  await shot('10-source-delete-refused');
  assert.equal((await server.request('GET', '/api/v1/data-sources')).json.items.length, 1);

  // Edit the name and description of a source.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByLabel('Description').fill('clicks, edited');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('clicks, edited').waitFor();

  // Resource groups show what the job holds; tokens are listed.
  await page.getByRole('link', { name: 'Resource Groups' }).click();
  await page.getByRole('row', { name: /default 48 4 44/ }).waitFor();
  await shot('11-groups');
  await page.getByRole('link', { name: 'Tokens' }).click();
  await page.getByRole('heading', { name: 'Create a token' }).waitFor();
  await shot('12-tokens');

  // A narrow screen: the job page still lays out (looked at by hand).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/#/jobs/${jobId}`);
  await page.getByRole('heading', { name: 'clicks_job' }).waitFor();
  await shot('13-job-narrow');
  await page.goto(`${server.url}/#/jobs/new`);
  await page.locator('tr[data-source]').first().waitFor({ timeout: LONG });
  await shot('14-wizard-narrow');

  // A token the server refuses (401) sends the user back to sign-in.
  await page.evaluate(() => sessionStorage.setItem('lakesync.token', 'revoked'));
  await page.goto(`${server.url}/#/sources`);
  await page.getByLabel('Token').waitFor();
  await page.getByText('Your session ended').waitFor();
}
