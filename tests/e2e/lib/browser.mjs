// Debian's Chromium through playwright-core for tests/browser/, and the
// checks every console page gets.
//
//   launchBrowser() -> Promise<Browser>       headless, no network of its own
//   screenshotDir(name) -> string             $LAKESYNC_SCREENSHOT_DIR or a temp dir
//   assertLabelled(page, where)               every visible input has a label
//   accessibilityProblems(page) -> [string]   what assertAccessible refuses
//   assertAccessible(page, where)             the sanity checks below, none failing
//   runGuarded(name, fn, {page, dir, errors})  fn(), a screenshot when it fails,
//                                             then no errors collected from the page
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.LAKESYNC_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

export const launchBrowser = () => chromium.launch({ executablePath: CHROMIUM, args: ARGS });

// Runs a test's body: when it fails, a full-page screenshot
// failure-<name>.png goes to dir and the errors collected from the browser
// are printed; when it passes, there must be none. page() gives the page now
// in use (tests may open a new one).
export async function runGuarded(name, fn, { page, dir, errors }) {
  try {
    await fn();
  } catch (e) {
    await page()?.screenshot({ path: path.join(dir, `failure-${name}.png`), fullPage: true }).catch(() => {});
    if (errors.length) console.log('browser errors:', errors);
    throw e;
  }
  assert.deepEqual(errors, [], 'errors in the browser');
}

// Screenshots never go into the repository.
export const screenshotDir = (name) => process.env.LAKESYNC_SCREENSHOT_DIR ||
  fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));

// Every visible input, select and textarea has a label (or aria-label).
export async function assertLabelled(page, where) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 120)));
  assert.deepEqual(unlabelled, [], `unlabelled inputs on ${where}`);
}

// An accessibility sanity check of the page as it is now (not a full audit):
// every visible input, select and textarea has an accessible name (a label
// with text, aria-label or aria-labelledby); every visible button and link has
// one; every image has alt text and every svg role=img a label; ids are
// unique (a duplicate breaks label-for); a box that scrolls can take
// the focus, or holds something that can, so a keyboard can scroll it; every
// column header has text; the page itself does not scroll sideways.
export async function accessibilityProblems(page) {
  return page.evaluate(() => {
    const out = [];
    const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '');
    const byIds = (ids) => (ids || '').split(/\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
    const short = (el) => el.outerHTML.slice(0, 120);
    const controlName = (el) => (el.getAttribute('aria-label') || '').trim() || byIds(el.getAttribute('aria-labelledby')) ||
      [...(el.labels || [])].map(text).join(' ').trim() || (el.getAttribute('title') || '').trim();
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || !shown(el)) continue;
      if (!controlName(el)) out.push(`no label: ${short(el)}`);
    }
    for (const el of document.querySelectorAll('button, a[href], [role=button]')) {
      if (!shown(el)) continue;
      if (!((el.getAttribute('aria-label') || '').trim() || byIds(el.getAttribute('aria-labelledby')) || text(el) || (el.getAttribute('title') || '').trim())) {
        out.push(`no accessible name: ${short(el)}`);
      }
    }
    for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) out.push(`image without alt: ${short(el)}`);
    for (const el of document.querySelectorAll('svg[role=img]')) if (!(el.getAttribute('aria-label') || '').trim()) out.push(`svg without label: ${short(el)}`);
    const seen = new Set();
    for (const el of document.querySelectorAll('[id]')) {
      if (seen.has(el.id)) out.push(`duplicate id ${el.id}`);
      seen.add(el.id);
    }
    for (const th of document.querySelectorAll('th')) if (shown(th) && !text(th) && !th.getAttribute('aria-label')) out.push(`empty column header: ${short(th.closest('tr'))}`);
    for (const el of document.querySelectorAll('body *')) {
      if (!shown(el)) continue;
      const st = getComputedStyle(el);
      const scrolls = (o) => o === 'auto' || o === 'scroll';
      if (!(scrolls(st.overflowX) && el.scrollWidth > el.clientWidth + 1) &&
          !(scrolls(st.overflowY) && el.scrollHeight > el.clientHeight + 1)) continue;
      if (el.tabIndex >= 0 || el.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')) continue;
      out.push(`scrolls but a keyboard cannot reach it: ${short(el)}`);
    }
    const wide = document.documentElement.scrollWidth;
    if (wide > window.innerWidth) out.push(`the page is ${wide} px wide in a ${window.innerWidth} px window`);
    return out;
  });
}

export async function assertAccessible(page, where) {
  assert.deepEqual(await accessibilityProblems(page), [], `accessibility problems on ${where}`);
}
