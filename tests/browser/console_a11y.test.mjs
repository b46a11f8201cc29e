// The console's accessibility and narrow screens in a real Chromium
// (Debian's, driven by playwright-core) against a real server, test broker
// and running job (console_fixture.mjs). Every page, at 1280x800 and at
// 390x844, passes the sanity checks of assertAccessible (labelled inputs,
// named buttons and links, alt text, unique ids, scroll boxes a keyboard can
// reach, no sideways page scroll), names itself in the window's title, logs
// no console error and leaves no failed request; the job page's charts draw;
// the checker itself reports each kind of problem planted in a page. On a
// narrow screen the list tables stack, so a job's state and Start/Stop and
// the wizard's mapping inputs and Remove buttons are in view without
// scrolling sideways, and at 1024 and 800 px the lists fit without it. The
// pages' refresh loop never overlaps or doubles; charts end their axis at a
// round value and are drawn at their width on screen (text unstretched).
// Screenshots go to $LAKESYNC_SCREENSHOT_DIR (default: a temp dir), never
// the repo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, accessibilityProblems } from '../e2e/lib/browser.mjs';
import { consoleFixture, assertInView } from './console_fixture.mjs';

let fx, server, broker, page, job, sourceId;
const newPage = async (...args) => { page = await fx.newPage(...args); };
const shot = (name) => fx.shot(name);
const guarded = (name, fn) => fx.guarded(name, fn);

before(async () => {
  fx = await consoleFixture('lakesync-console-a11y-shots');
  ({ server, broker, job, sourceId } = fx);
});
after(() => fx?.close());

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
    // Both charts draw a line (the rate from the second sample on), say
    // their value, and are drawn at their width on screen (text unstretched).
    await page.waitForFunction(() => [...document.querySelectorAll('svg.chart-svg')].every((c) =>
      (c.querySelector('polyline')?.getAttribute('points') || '').split(' ').length >= 2 &&
      / now$/.test(c.getAttribute('aria-label')) &&
      Math.abs(c.viewBox.baseVal.width - c.getBoundingClientRect().width) <= 1), null, { timeout: 15000, polling: 200 });

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

// The list tables fit their box: nothing behind a sideways scroll.
async function assertListsFit(where) {
  const wide = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')]
    .filter((w) => w.querySelector('table.stack') && w.scrollWidth > w.clientWidth + 1)
    .map((w) => `${w.scrollWidth} > ${w.clientWidth}`));
  assert.deepEqual(wide, [], `a list table scrolls sideways on ${where}`);
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
      '<div id="planted-scroll" style="overflow-x:auto;width:100px"><div style="width:900px">wide</div></div>' +
      '<p id="planted-pale" style="color:#aaa;background:#fff">pale</p>');
  });
  const found = (await accessibilityProblems(page)).join('\n');
  for (const want of ['no label: <input id="planted-input"', 'no accessible name: <button id="planted-button"',
    'image without alt', 'duplicate id planted-input', 'a keyboard cannot reach it: <div id="planted-scroll"',
    'contrast 2.32:1 for "pale"']) {
    assert.ok(found.includes(want), `the checker misses "${want}" in:\n${found}`);
  }
}));

// The pages' refresh loop (ui.js poller) under the browser's clock, driven
// by hand: asking for refreshes while one runs never overlaps them, and
// however often it was asked there is one timer (before it, every keystroke
// in the jobs search that landed during a load started another loop).
test('the refresh loop runs one at a time and keeps one timer', { timeout: 20000 }, () => guarded('poller', async () => {
  await newPage(1280, 800, { signIn: false, clock: true });
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

// The chart (chart.js) on its own: its axis ends at a round value above the
// largest point, it is drawn at its width on screen, and it redraws when
// that width changes.
test('charts: round axes, drawn at their width', { timeout: 20000 }, () => guarded('chart', async () => {
  await newPage(1280, 800, { signIn: false });
  const axes = (values, width) => page.evaluate(async ([vs, w]) => {
    const { lineChart } = await import('/js/chart.js');
    const c = lineChart({ label: 'Test' });
    c.el.style.width = `${w}px`;
    document.body.append(c.el);
    vs.forEach((v, i) => c.push(i, v));
    const svg = c.el.querySelector('svg');
    const out = { labels: [...svg.querySelectorAll('text.axis')].map((t) => t.textContent),
      viewBox: svg.viewBox.baseVal.width, onScreen: Math.round(svg.getBoundingClientRect().width) };
    c.el.remove();
    return out;
  }, [values, width]);
  assert.deepEqual((await axes([3, 19.4, 12], 500)).labels.slice(0, 3), ['0', '10', '20']);
  assert.deepEqual((await axes([0.2], 500)).labels.slice(0, 3), ['0', '0.5', '1.0']);
  assert.deepEqual((await axes([2400], 500)).labels.slice(0, 3), ['0', '1.3k', '2.5k']);
  for (const width of [300, 760]) {
    const drawn = await axes([5], width);
    assert.equal(drawn.viewBox, drawn.onScreen, `a chart ${width} px wide is drawn at ${drawn.viewBox}`);
  }
  // Resized after drawing (a window turned, a column closed): drawn again
  // by the next frame (ResizeObserver), no new point needed.
  const resized = await page.evaluate(async () => {
    const { lineChart } = await import('/js/chart.js');
    const c = lineChart({ label: 'Test' });
    c.el.style.width = '600px';
    document.body.append(c.el);
    c.push(0, 1);
    c.el.style.width = '350px';
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const svg = c.el.querySelector('svg');
    return { viewBox: svg.viewBox.baseVal.width, onScreen: Math.round(svg.getBoundingClientRect().width) };
  });
  assert.ok(resized.onScreen < 350, `the chart is ${resized.onScreen} px wide in a 350 px figure`);
  assert.equal(resized.viewBox, resized.onScreen, 'the chart is not drawn again at its new width');
}));

test('every page passes the checks at 1280x800 and 390x844, with no browser errors', { timeout: 55000 }, () => guarded('pages', async () => {
  await newPage(1280, 800);
  await checkEveryPage('1280');
  await newPage(390, 844);
  await checkEveryPage('390');
}));

test('narrow screens stack the list tables: state, buttons and mapping inputs in view', { timeout: 40000 }, () => guarded('narrow', async () => {
  // A small laptop, a tablet (navigation on top) and a phone (stacked rows).
  for (const [width, height] of [[1024, 768], [800, 1000], [390, 844]]) {
    await newPage(width, height);
    await page.goto(`${server.url}/#/jobs`);
    const row = page.locator(`tr[data-id="${job.id}"]`);
    await row.locator('.badge', { hasText: 'running' }).waitFor();
    await assertInView(page, row.locator('.badge'), `the job state at ${width} px`);
    await assertInView(page, page.getByRole('button', { name: 'Stop events_job' }), `the Stop button at ${width} px`);
    await assertInView(page, row.getByRole('link', { name: 'Details' }), `the Details link at ${width} px`);
    await assertListsFit(`the jobs list at ${width} px`);
    await page.goto(`${server.url}/#/sources`);
    await assertInView(page, page.getByRole('button', { name: 'Delete events_source' }), `the Delete button of a source at ${width} px`);
    await assertListsFit(`the data sources list at ${width} px`);
    await shot(`${width}-sources`);
  }
  await page.goto(`${server.url}/#/jobs/new?source=${sourceId}`);
  await page.locator('tr[data-source="device"]').waitFor();
  await assertInView(page, page.getByLabel('Destination field for device', { exact: true }), 'a mapping name input');
  await assertInView(page, page.getByLabel('Type of device', { exact: true }), 'a mapping type input');
  await assertInView(page, page.getByRole('button', { name: 'Remove device', exact: true }), 'a mapping Remove button');
  await page.getByRole('button', { name: 'Add partition key' }).click();
  await assertInView(page, page.getByLabel('Partition 1 name'), 'the partition name input');
  await assertInView(page, page.getByRole('button', { name: 'Remove partition 1' }), 'the partition Remove button');
  await shot('390-stacked-wizard');
}));

