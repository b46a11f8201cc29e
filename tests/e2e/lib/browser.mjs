// Debian's Chromium through playwright-core for tests/browser/, and the
// checks every console page gets.
//
//   launchBrowser() -> Promise<Browser>       headless, no network of its own
//   screenshotDir(name) -> string             $LAKESYNC_SCREENSHOT_DIR or a temp dir
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

// An accessibility sanity check of the page as it is now (not a full audit):
// every visible input, select and textarea has an accessible name (a label
// with text, aria-label or aria-labelledby); every visible button and link has
// one; every image has alt text and every svg role=img a label; ids are
// unique (a duplicate breaks label-for); a box that scrolls can take
// the focus, or holds something that can, so a keyboard can scroll it; every
// column header has text; text contrasts with its background (WCAG AA); the
// page itself does not scroll sideways.
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
    // Text contrast against the first opaque background behind it (WCAG AA:
    // 4.5:1, 3:1 for large text); disabled controls are exempt.
    const rgb = (c) => {
      const m = /rgba?\(([^)]+)\)/.exec(c || '');
      if (!m) return null;
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const lum = ({ r, g, b }) => [r, g, b].map((v) => v / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0.5) return c;
      }
      return { r: 255, g: 255, b: 255 };
    };
    for (const el of document.querySelectorAll('body *')) {
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || !shown(el)) continue;
      if (el.closest(':disabled, [aria-disabled=true], :disabled + label, option')) continue;
      const st = getComputedStyle(el);
      const svgText = el instanceof SVGElement;
      const bg = background(svgText ? el.ownerSVGElement : el);
      let fg = rgb(svgText ? st.fill : st.color);
      if (!fg) continue;
      const a = fg.a * Number(st.opacity);
      if (a < 1) fg = { r: fg.r * a + bg.r * (1 - a), g: fg.g * a + bg.g * (1 - a), b: fg.b * a + bg.b * (1 - a) };
      const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(st.fontSize);
      const large = size >= 24 || (Number(st.fontWeight) >= 700 && size >= 18.66);
      if (ratio < (large ? 3 : 4.5)) out.push(`contrast ${ratio.toFixed(2)}:1 for "${text(el).slice(0, 30)}": ${short(el)}`);
    }
    const wide = document.documentElement.scrollWidth;
    if (wide > window.innerWidth) out.push(`the page is ${wide} px wide in a ${window.innerWidth} px window`);
    return out;
  });
}

export async function assertAccessible(page, where) {
  assert.deepEqual(await accessibilityProblems(page), [], `accessibility problems on ${where}`);
}
