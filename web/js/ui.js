// DOM helpers: element builder, labelled form fields, errors in place.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
export const nextId = (p = 'f') => `${p}-${++uid}`;

// A labelled field. path is the API's field path ("sync.acus"): the error
// helper finds the field by it. Returns the wrapper; .input is the control.
export function field(label, input, { path, hint } = {}) {
  if (!input.id) input.id = nextId('in');
  const wrap = h('div', { class: 'field', dataset: path ? { field: path } : {} },
    h('label', { for: input.id }, label), input);
  if (hint) {
    const hid = nextId('hint');
    const hintEl = h('p', { class: 'hint', id: hid }, hint);
    wrap.append(hintEl);
    input.setAttribute('aria-describedby', hid);
  }
  wrap.input = input;
  return wrap;
}

export function select(options, value, attrs = {}) {
  const s = h('select', attrs);
  for (const o of options) {
    const [v, label, extra] = Array.isArray(o) ? o : [o, o];
    s.append(h('option', { value: v, ...(extra || {}) }, label));
  }
  if (value !== undefined) s.value = value;
  return s;
}

export function clearErrors(root) {
  root.querySelectorAll('.field-error').forEach((e) => e.remove());
  root.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  root.querySelectorAll('.form-error').forEach((e) => { e.textContent = ''; e.hidden = true; });
}

// Finds the [data-field] element for an API field path: the path itself, or
// the nearest parent path ("fields[2].name" -> "fields[2]" -> "fields").
export function fieldFor(root, path) {
  let p = path;
  while (p) {
    const el = root.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (el) return el;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return null;
}

// Shows an ApiError next to the field it names, or in the form's error box.
export function showError(root, err) {
  const msg = err.message || String(err);
  let target = err.field ? fieldFor(root, err.field) : null;
  if (target) {
    // Open the collapsed sections around it; a hidden field cannot show it.
    for (let d = target.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
    if (!target.getClientRects().length) target = null;
  }
  if (target) {
    const id = nextId('err');
    const p = h('p', { class: 'field-error', role: 'alert', id }, msg);
    target.append(p);
    const input = target.matches('input,select,textarea') ? target
      : target.querySelector('input,select,textarea');
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      const d = input.getAttribute('aria-describedby');
      input.setAttribute('aria-describedby', d ? `${d} ${id}` : id);
    }
    target.scrollIntoView({ block: 'center' });
    if (input) input.focus({ preventScroll: true });
    return;
  }
  let box = root.querySelector('.form-error');
  if (!box) {
    box = h('p', { class: 'form-error', role: 'alert' });
    root.prepend(box);
  }
  box.hidden = false;
  box.textContent = err.field ? `${err.field}: ${msg}` : msg;
  box.scrollIntoView({ block: 'center' });
}

// A page-level notice (role=alert so screen readers hear it).
export function notice(container, text, kind = 'error') {
  const el = h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  container.prepend(el);
  return el;
}

export function fmtTime(v) {
  if (v === null || v === undefined || v === '' || v === 0) return '—';
  const d = typeof v === 'number' ? new Date(v) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtNum(n) {
  if (n === null || n === undefined) return '—';
  return Number(n).toLocaleString('en-US');
}

export function fmtBytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

// kafka_20261123_101530 (UTC), as the server generates names.
export function timeName(prefix = 'kafka') {
  const d = new Date().toISOString();
  return `${prefix}_${d.slice(0, 10).replaceAll('-', '')}_${d.slice(11, 19).replaceAll(':', '')}`;
}

export function stateBadge(state) {
  return h('span', { class: `badge state-${state || 'unknown'}` }, state || 'unknown');
}

// List tables stack into one card per row on narrow screens (style.css,
// table.stack): each cell names its column, and explicit roles keep the
// table's semantics once the cells are display:block. Call after rendering rows.
export function labelCells(table) {
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
  table.setAttribute('role', 'table');
  table.querySelectorAll('thead, tbody').forEach((g) => g.setAttribute('role', 'rowgroup'));
  table.querySelectorAll('tr').forEach((tr) => tr.setAttribute('role', 'row'));
  table.querySelectorAll('thead th').forEach((th) => th.setAttribute('role', 'columnheader'));
  for (const tr of table.querySelectorAll('tbody tr')) {
    [...tr.children].forEach((td, i) => {
      td.setAttribute('role', 'cell');
      if (heads[i] && td.colSpan === 1) td.dataset.label = heads[i];
    });
  }
  return table;
}

// A wide table in a box that scrolls sideways; focusable so that a keyboard
// can scroll it, and named for screen readers.
export function scrollBox(label, child, cls = '') {
  return h('div', { class: `table-wrap scroll-region ${cls}`.trim(), tabindex: '0', role: 'region', 'aria-label': label }, child);
}

const focusKey = (el) => [el.tagName, el.getAttribute('aria-label') || '', el.getAttribute('href') || '',
  el.getAttribute('name') || '', el.textContent.trim()].join('|');

// Runs render(), which replaces what root holds, and gives the keyboard focus
// back to the same control (found again by its name), so that a periodic
// refresh does not throw a keyboard user back to the top of the page. A
// control now disabled (Stop once a job stops) hands the focus to the next
// enabled control beside it.
export function keepFocus(root, render) {
  const was = document.activeElement;
  const key = was && was !== root && root.contains(was) ? focusKey(was) : null;
  render();
  if (!key || root.contains(document.activeElement)) return;
  const focusable = 'a[href], button, input, select, textarea, [tabindex]';
  const same = [...root.querySelectorAll(focusable)].find((el) => focusKey(el) === key);
  if (!same) return;
  const target = !same.disabled ? same
    : [...same.parentElement.querySelectorAll(focusable)].find((el) => !el.disabled);
  if (target) target.focus({ preventScroll: true });
}

// A page's refresh loop: run() now and then every ms. now() runs it at
// once — or right after the run in flight — so runs never overlap and
// there is one timer, however often now() is called (a keystroke in a
// search box, a Start button). run() handles its own errors.
export function poller(run, ms) {
  let timer = null;
  let busy = false;
  let again = false;
  let stopped = false;
  async function now() {
    clearTimeout(timer);
    if (busy) { again = true; return; }
    busy = true;
    try { await run(); } finally { busy = false; }
    if (stopped) return;
    if (again) { again = false; now(); return; }
    timer = setTimeout(now, ms);
  }
  return { now, stop() { stopped = true; clearTimeout(timer); } };
}

// A notice that replaces the previous one of its kind and can be taken
// down, e.g. "Cannot refresh", gone once a refresh works again.
export function soleNotice(container, kind = 'error') {
  let el = null;
  return {
    show(text) { el?.remove(); el = notice(container, text, kind); },
    clear() { el?.remove(); el = null; },
  };
}

export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-header' }, h('h1', { tabindex: '-1' }, title),
    h('div', { class: 'actions' }, ...actions));
}
