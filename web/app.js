// The lakesync console: sign-in, layout and hash routing. Pages live in js/.
import { api, session } from './js/api.js';
import { h } from './js/ui.js';
import { sourcesPage, sourceNewPage, sourcePage, sourceEditPage } from './js/sources.js';
import { wizardPage } from './js/wizard.js';
import { jobsPage, jobPage } from './js/jobs.js';
import { groupsPage, tablesPage, tokensPage } from './js/misc.js';
import { tablePage } from './js/table.js';

const routes = [
  [/^\/sources$/, sourcesPage, 'sources'],
  [/^\/sources\/new$/, sourceNewPage, 'sources'],
  [/^\/sources\/([^/]+)\/edit$/, sourceEditPage, 'sources'],
  [/^\/sources\/([^/]+)$/, sourcePage, 'sources'],
  [/^\/jobs$/, jobsPage, 'jobs'],
  [/^\/jobs\/new$/, wizardPage, 'jobs'],
  [/^\/jobs\/([^/]+)$/, jobPage, 'jobs'],
  [/^\/groups$/, groupsPage, 'groups'],
  [/^\/tables$/, tablesPage, 'tables'],
  [/^\/tables\/([^/]+)\/([^/]+)$/, tablePage, 'tables'],
  [/^\/tokens$/, tokensPage, 'tokens'],
];

const nav = [
  ['Data Ingestion', [['sources', '#/sources', 'Data Sources']]],
  ['Synchronization', [['jobs', '#/jobs', 'Kafka Data Synchronization']]],
  ['Resources', [['groups', '#/groups', 'Resource Groups'], ['tables', '#/tables', 'Tables'],
                 ['tokens', '#/tokens', 'Tokens']]],
];

let cleanup = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [p, q] = raw.split('?');
  return { path: p && p !== '/' ? p : '/jobs', query: new URLSearchParams(q || '') };
}

function signIn(query) {
  const app = document.getElementById('app');
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'signin card', novalidate: true },
    h('h1', {}, 'lakesync'),
    h('p', { class: 'muted' }, 'Sign in with an API token. The admin token is printed at the first start and kept in ',
      h('code', {}, '<data dir>/admin.token'), '.'),
    query.get('expired') ? h('p', { class: 'notice notice-info', role: 'status' }, 'Your session ended; sign in again.') : null,
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Token'), input),
    err,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    const t = input.value.trim();
    if (!t) { err.textContent = 'Enter a token.'; err.hidden = false; input.focus(); return; }
    try {
      await api('GET', '/data-sources?page_size=1', undefined, { token: t });
      session.set(t);
      location.hash = '#/jobs';
    } catch (ex) {
      err.textContent = ex.status === 401 ? 'That token is not valid.' : ex.message;
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  });
  app.replaceChildren(h('main', { id: 'main', class: 'signin-wrap' }, form));
  input.focus();
}

function layout(active) {
  const navEl = h('nav', { 'aria-label': 'Main' },
    nav.map(([group, items]) => h('div', { class: 'nav-group' },
      h('p', { class: 'nav-title' }, group),
      h('ul', {}, items.map(([key, href, label]) => h('li', {},
        h('a', { href, 'aria-current': key === active ? 'page' : null }, label)))))));
  const main = h('main', { id: 'main', tabindex: '-1' });
  const header = h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/jobs' }, 'lakesync'),
    h('button', { type: 'button', class: 'link', onclick: () => { session.clear(); location.hash = '#/signin'; } }, 'Sign out'));
  document.getElementById('app').replaceChildren(header, h('div', { class: 'shell' }, navEl, main));
  return main;
}

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  const { path, query } = parseHash();
  if (path === '/signin' || !session.token()) {
    if (path !== '/signin') { location.hash = '#/signin'; return; }
    signIn(query);
    document.title = 'Sign in — lakesync';
    return;
  }
  for (const [re, page, key] of routes) {
    const m = path.match(re);
    if (!m) continue;
    const main = layout(key);
    // Pages render once their data is in: until then the user sees that
    // something is on its way rather than an empty page.
    const loading = h('p', { class: 'loading muted', role: 'status' }, 'Loading…');
    main.append(loading);
    try {
      const c = await page(main, { params: m.slice(1).map(decodeURIComponent), query });
      if (typeof c === 'function') cleanup = c;
    } catch (e) {
      // A page that failed before its header still gets a heading to land on.
      if (!main.querySelector('h1')) {
        main.append(h('h1', { tabindex: '-1' }, e.status === 404 ? 'Not found' : 'Cannot show this page'));
      }
      main.append(h('div', { class: 'notice notice-error', role: 'alert' }, e.message),
        h('p', {}, h('a', { href: '#/jobs' }, 'Back to jobs')));
    } finally {
      loading.remove();
    }
    const h1 = main.querySelector('h1');
    titled(h1);
    if (h1 && !main.contains(document.activeElement)) h1.focus({ preventScroll: true });
    return;
  }
  const main = layout('');
  const h1 = h('h1', { tabindex: '-1' }, 'Not found');
  main.append(h1, h('p', {}, h('a', { href: '#/jobs' }, 'Back to jobs')));
  titled(h1);
  h1.focus({ preventScroll: true });
}

// The window's title names the page (history, tabs, screen readers).
function titled(h1) {
  const name = h1 ? h1.textContent.trim() : '';
  document.title = name ? `${name} — lakesync` : 'lakesync console';
}

// The skip link must not change the hash (that is the router's).
document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main')?.focus();
});
window.addEventListener('hashchange', route);
route();
