// The setup shared by the console's accessibility and keyboard tests: a test
// broker with 40 events, a server, two data sources (events_source, read by
// the running job events_job into web.events partitioned by day, and
// spare_source, unused), the job's first commit in, and Chromium.
//
//   consoleFixture(shotsName) -> Promise<fx>
//     fx.server, fx.broker, fx.browser, fx.job, fx.sourceId
//     fx.newPage(width, height, {signIn = true, clock = false}) -> page, the
//       page now in use (fx.page); errors it logs go to fx.problems; signing
//       in goes through the sign-in form, checked by assertAccessible
//     fx.shot(name)            full-page screenshot into fx.shots
//     fx.guarded(name, fn)     runGuarded with the page in use and fx.problems
//     fx.close()
//   assertInView(page, locator, what)  the element lies inside the window
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../e2e/lib/server.mjs';
import { startBroker } from '../e2e/lib/broker.mjs';
import { waitFor } from '../e2e/lib/jobs.mjs';
import { launchBrowser, screenshotDir, assertAccessible, runGuarded } from '../e2e/lib/browser.mjs';

const LONG = 30000;

const message = (i) => JSON.stringify({ id: i, name: `user${i}`, device: { os: 'linux', brand: `brand${i % 4}` },
  ts: `2026-11-2${i % 3}T10:00:00Z` });

async function createSource(server, bootstrap, name) {
  const res = await server.request('POST', '/api/v1/data-sources', {
    body: { name, type: 'kafka', bootstrap_servers: bootstrap, topic: 'events', message_format: 'json' },
  });
  assert.equal(res.status, 201, res.text);
  return res.json.id;
}

async function startJob(server, sourceId) {
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
  const job = created.json;
  assert.equal((await server.request('POST', `/api/v1/jobs/${job.id}/start`)).status, 200);
  await waitFor('the first commit', async () => {
    const m = (await server.request('GET', `/api/v1/jobs/${job.id}/metrics`)).json;
    return (m.commits >= 1 && m.totals.rows >= 40) || m.totals;
  }, { server });
  return job;
}

export async function consoleFixture(shotsName) {
  const fx = { problems: [], page: null, shots: screenshotDir(shotsName) };
  fx.close = async () => {
    if (fx.browser) await fx.browser.close();
    if (fx.server) await fx.server.cleanup();
    if (fx.broker) await fx.broker.stop();
    console.log(`screenshots: ${fx.shots}`);
  };
  fx.newPage = async (width, height, { signIn = true, clock = false } = {}) => {
    if (fx.page) await fx.page.close();
    const page = await fx.browser.newPage({ viewport: { width, height } });
    fx.page = page;
    page.setDefaultTimeout(LONG);
    page.on('pageerror', (e) => fx.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') fx.problems.push(`console error: ${m.text()} (${m.location().url})`); });
    // A request the page or a navigation (a reload) abandons is no failure.
    page.on('requestfailed', (r) => {
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') fx.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    if (clock) await page.clock.install();
    await page.goto(fx.server.url + '/');
    if (!signIn) return page;
    // Through the sign-in form (the session lives in sessionStorage).
    await page.getByLabel('Token').waitFor();
    await assertAccessible(page, `the sign-in page at ${width} px`);
    await page.getByLabel('Token').fill(fx.server.adminToken);
    await page.getByLabel('Token').press('Enter');
    await page.getByRole('heading', { name: 'Kafka Data Synchronization' }).waitFor();
    return page;
  };
  fx.shot = (name) => fx.page.screenshot({ path: path.join(fx.shots, `${name}.png`), fullPage: true });
  fx.guarded = (name, fn) => runGuarded(name, fn, { page: () => fx.page, dir: fx.shots, errors: fx.problems });
  try {
    fx.broker = await startBroker(['events:2']);
    await fx.broker.produce('events', Array.from({ length: 40 }, (_, i) => message(i + 1)));
    fx.server = await startServer({ env: { LAKESYNC_KAFKA_SESSION_TIMEOUT_MS: '6000' } });
    fx.sourceId = await createSource(fx.server, fx.broker.bootstrap, 'events_source');
    await createSource(fx.server, fx.broker.bootstrap, 'spare_source');
    fx.job = await startJob(fx.server, fx.sourceId);
    fx.browser = await launchBrowser();
  } catch (e) {
    await fx.close().catch(() => {});
    throw e;
  }
  return fx;
}

// The element's box lies inside the window, left to right.
export async function assertInView(page, locator, what) {
  const box = await locator.boundingBox();
  const width = page.viewportSize().width;
  assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${what} is at ${JSON.stringify(box)} in a ${width} px window`);
}
