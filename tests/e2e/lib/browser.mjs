// Debian's Chromium through playwright-core for tests/browser/, and the
// checks every console page gets.
//
//   launchBrowser() -> Promise<Browser>       headless, no network of its own
//   screenshotDir(name) -> string             $LAKESYNC_SCREENSHOT_DIR or a temp dir
//   assertLabelled(page, where)               every visible input has a label
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.LAKESYNC_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

export const launchBrowser = () => chromium.launch({ executablePath: CHROMIUM, args: ARGS });

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
