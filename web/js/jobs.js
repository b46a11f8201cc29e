// Kafka Data Synchronization: the jobs list and a job's live page.
import { api, listAll } from './api.js';
import { h, field, clearErrors, showError, notice, fmtTime, fmtNum, fmtBytes, stateBadge, pageHeader, labelCells, keepFocus, scrollBox, poller, soleNotice } from './ui.js';
import { lineChart } from './chart.js';

function actionButtons(job, after, status) {
  const canStart = job.state === 'stopped' || job.state === 'failed';
  const canStop = job.state === 'running' || job.state === 'starting';
  const act = async (verb) => {
    status.replaceChildren();
    try { await api('POST', `/jobs/${job.id}/${verb}`); } catch (e) { notice(status, `${verb} ${job.name}: ${e.message}`); }
    after();
  };
  return [
    h('button', { type: 'button', class: 'small', disabled: !canStart, onclick: () => act('start'), 'aria-label': `Start ${job.name}` }, 'Start'),
    h('button', { type: 'button', class: 'small', disabled: !canStop, onclick: () => act('stop'), 'aria-label': `Stop ${job.name}` }, 'Stop'),
  ];
}

export async function jobsPage(main, { query }) {
  main.append(pageHeader('Kafka Data Synchronization', h('a', { class: 'button primary', href: '#/jobs/new' }, 'Create Synchronization Job')));
  const status = h('div', { class: 'page-notices' });
  const search = h('input', { type: 'search', id: 'job-search', value: query.get('q') || '', placeholder: 'Name, table or state' });
  const stateFilter = h('select', { id: 'job-state' }, ['', 'running', 'starting', 'stopping', 'stopped', 'failed'].map((s) => h('option', { value: s }, s || 'All states')));
  stateFilter.value = query.get('state') || '';
  const searchForm = h('form', { class: 'toolbar', role: 'search' },
    // Each label wraps with its control on narrow screens.
    h('div', { class: 'toolbar-item' }, h('label', { for: 'job-search' }, 'Search jobs'), search),
    h('div', { class: 'toolbar-item' }, h('label', { for: 'job-state' }, 'State'), stateFilter),
    h('button', { type: 'submit' }, 'Search'));
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true });
  const list = h('table', { class: 'stack' },
    h('caption', { class: 'sr-only' }, 'Synchronization jobs'),
    h('thead', {}, h('tr', {}, ['Name', 'Data source', 'Destination', 'Format', 'ACUs', 'State', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  main.append(status, searchForm, h('div', { class: 'table-wrap' }, list), empty);
  let sources = new Map();
  const refreshError = soleNotice(status);
  async function load() {
    const [jobs, srcs] = await Promise.all([listAll('/jobs'), sources.size ? null : listAll('/data-sources')]);
    if (srcs) sources = new Map(srcs.map((s) => [s.id, s]));
    const q = search.value.trim().toLowerCase();
    const sf = stateFilter.value;
    const shown = jobs.filter((j) => (!sf || j.state === sf) &&
      (!q || [j.name, j.table, j.database, j.state, j.id].some((v) => (v || '').toLowerCase().includes(q))));
    const rows = shown.map((j) => h('tr', { dataset: { id: j.id } },
      h('td', {}, h('a', { href: `#/jobs/${j.id}` }, j.name)),
      h('td', {}, sources.get(j.data_source_id) ? h('a', { href: `#/sources/${j.data_source_id}` }, sources.get(j.data_source_id).name) : j.data_source_id),
      h('td', {}, `${j.database}.${j.table}`, h('br'), h('span', { class: 'muted small' }, j.destination.type === 'managed' ? 'managed' : j.destination.path)),
      h('td', {}, j.destination.format),
      h('td', {}, String(j.sync?.acus ?? '')),
      h('td', {}, stateBadge(j.state), j.state_reason ? h('div', { class: 'muted small' }, j.state_reason) : null),
      h('td', { class: 'row-actions' }, ...actionButtons(j, poll.now, status), h('a', { href: `#/jobs/${j.id}` }, 'Details'))));
    // Refreshed every 3 s: the focused Start/Stop/link stays focused.
    keepFocus(tbody, () => tbody.replaceChildren(...rows));
    labelCells(list);
    list.hidden = shown.length === 0; // the empty notice says why, without an empty table
    empty.hidden = shown.length > 0;
    empty.textContent = jobs.length ? 'No job matches the search.' : 'No jobs yet. Create a synchronization job to start.';
  }
  const poll = poller(async () => {
    try { await load(); refreshError.clear(); } catch (e) { refreshError.show(`Cannot refresh: ${e.message}`); }
  }, 3000);
  // The search lives in the address too (replaceState: no hashchange, no
  // re-render), so Back from a job and a reload keep it.
  const remember = () => {
    const q = new URLSearchParams();
    if (search.value.trim()) q.set('q', search.value.trim());
    if (stateFilter.value) q.set('state', stateFilter.value);
    const qs = q.toString();
    history.replaceState(null, '', `#/jobs${qs ? `?${qs}` : ''}`);
  };
  searchForm.addEventListener('submit', (e) => { e.preventDefault(); poll.now(); });
  search.addEventListener('input', () => { remember(); poll.now(); });
  stateFilter.addEventListener('change', () => { remember(); poll.now(); });
  await poll.now();
  return () => poll.stop();
}

export async function jobPage(main, { params: [id] }) {
  let job = await api('GET', `/jobs/${id}`);
  const names = {};
  await Promise.all([
    api('GET', `/data-sources/${job.data_source_id}`).then((x) => { names.source = x.name; }).catch(() => {}),
    job.sync?.resource_group_id ? api('GET', `/resource-groups/${job.sync.resource_group_id}`).then((x) => { names.group = x.name; }).catch(() => {}) : null,
  ]);
  const title = h('h1', { tabindex: '-1' }, job.name);
  const badge = h('span', { class: 'job-state', 'aria-live': 'polite' });
  const status = h('div', { class: 'page-notices' });
  const actions = h('div', { class: 'actions' });
  main.append(h('div', { class: 'page-header' }, h('div', { class: 'title-row' }, title, badge), actions), status);

  const cards = {};
  const card = (key, label) => {
    cards[key] = h('dd', { dataset: { metric: key } }, '—');
    return h('div', { class: 'metric' }, h('dt', {}, label), cards[key]);
  };
  const metricsEl = h('dl', { class: 'metrics' },
    card('rows', 'Rows'), card('messages', 'Messages'), card('lag', 'Lag (messages)'), card('commits', 'Commits'),
    card('last_commit', 'Last commit'), card('errors', 'Errors'), card('bytes', 'Bytes consumed'), card('files', 'Files'));
  // Storage: the table's current snapshot and what the workers sent.
  const storageEl = h('dl', { class: 'metrics' },
    card('table_bytes', 'Table size'), card('table_files', 'Table files'),
    card('uploaded', 'Uploaded by workers'), card('requests', 'Storage requests'));
  const storageNote = h('p', { class: 'muted small', 'aria-live': 'polite' });
  // Dead letters: shown once the server reports them for this job.
  const deadEl = h('div', { class: 'dead-letters', hidden: true });
  const rateChart = lineChart({ label: 'Rows per second', color: '#1769aa' });
  const lagChart = lineChart({ label: 'Lag (messages)', color: '#c2571a' });
  // One element for the page's life (hidden while empty): refreshing its
  // table does not take the focus away from a keyboard user scrolling it.
  const partitionsEl = scrollBox('Kafka partitions', null);
  // Scrolls once long: focusable so that a keyboard can scroll it.
  const eventsEl = h('ol', { class: 'events', tabindex: '0', 'aria-label': 'Events, newest first' });
  const configEl = h('dl', { class: 'props' });
  const editEl = h('div');
  main.append(h('section', { 'aria-labelledby': 'm-h' }, h('h2', { id: 'm-h' }, 'Live metrics ', h('span', { class: 'muted small' }, '(refreshed every 2 s)')),
    metricsEl, deadEl, h('div', { class: 'charts' }, rateChart.el, lagChart.el), partitionsEl),
  h('section', { 'aria-labelledby': 's-h' }, h('h2', { id: 's-h' }, 'Storage'), storageEl, storageNote),
  h('div', { class: 'two-col' },
    h('section', { 'aria-labelledby': 'c-h' }, h('h2', { id: 'c-h' }, 'Configuration'), h('div', { class: 'card' }, configEl, editEl)),
    h('section', { 'aria-labelledby': 'e-h' }, h('h2', { id: 'e-h' }, 'Events'), h('div', { class: 'card events-card' }, eventsEl))));

  // Settings of a stopped job that can change (JSON merge patch, If-Match).
  function renderEdit() {
    const editable = job.state === 'stopped' || job.state === 'failed';
    if (!editable) { editEl.replaceChildren(); return; }
    if (editEl.querySelector('form')) return;
    const name = h('input', { name: 'name', value: job.name, maxlength: 128 });
    const acus = h('input', { type: 'number', name: 'acus', value: String(job.sync?.acus ?? 2) });
    const commit = h('input', { type: 'number', name: 'commit_interval_s', value: String(job.advanced?.commit_interval_s ?? 300) });
    const form = h('form', { class: 'edit-job', novalidate: true },
      field('Job name', name, { path: 'name' }),
      field('ACUs', acus, { path: 'sync.acus' }),
      field('Commit interval (seconds)', commit, { path: 'advanced.commit_interval_s' }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      try {
        const res = await api('PATCH', `/jobs/${id}`, {
          name: name.value.trim(), sync: { acus: Number(acus.value) }, advanced: { commit_interval_s: Number(commit.value) },
        }, { headers: job.etag ? { 'If-Match': job.etag } : {} });
        job = res;
        editEl.replaceChildren();
        renderJob();
        // The form is gone with its Save button: the focus goes to the notice.
        const saved = notice(status, 'Settings saved.', 'info');
        saved.tabIndex = -1;
        saved.focus();
      } catch (ex) { showError(form, ex); }
    });
    editEl.replaceChildren(h('details', { class: 'subtle' }, h('summary', {}, 'Edit settings (stopped jobs only)'), form));
  }

  function renderJob() {
    title.textContent = job.name;
    renderEdit();
    badge.replaceChildren(stateBadge(job.state));
    if (job.state_reason) badge.append(h('span', { class: 'muted small reason' }, job.state_reason));
    const del = h('button', { type: 'button', class: 'danger', disabled: !(job.state === 'stopped' || job.state === 'failed') }, 'Delete');
    del.addEventListener('click', async () => {
      if (!confirm(`Delete job ${job.name}? The table stays.`)) return;
      try { await api('DELETE', `/jobs/${id}`); location.hash = '#/jobs'; } catch (e) { status.replaceChildren(); notice(status, e.message); }
    });
    keepFocus(actions, () => actions.replaceChildren(...actionButtons(job, poll.now, status), del));
    const d = job.destination;
    const s = job.sync || {};
    configEl.replaceChildren(...[
      ['ID', job.id], ['Data source', h('a', { href: `#/sources/${job.data_source_id}` }, names.source || job.data_source_id)],
      ['Destination', `${d.type === 'managed' ? 'Managed warehouse' : 'User path'} · ${d.format}`], ['Path', h('span', { class: 'mono' }, d.path || '—')],
      ['Table', h('a', { href: `#/tables/${encodeURIComponent(job.database)}/${encodeURIComponent(job.table)}` }, `${job.database}.${job.table}`)],
      ['Parse levels', String(job.parse_levels)],
      ['Fields', job.fields.map((f) => `${f.name} ${f.type} ← ${f.source}`).join(', ')],
      ['Partition', (job.partition || []).map((p) => `${p.name || ''} = ${p.transform}(${p.source})`).join(', ') || 'none'],
      ['Start', s.start?.mode === 'timestamp' ? `from ${s.start.timestamp}` : s.start?.mode],
      ['Resource group', `${names.group || s.resource_group_id} · ${s.acus} ACUs`],
      ['Commit interval', `${job.advanced?.commit_interval_s ?? 300} s`],
      ['Created', fmtTime(job.created_at)],
    ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  // Events come oldest first in pages: remember where the last, partial page
  // starts and keep only the tail of the full pages before it.
  let evToken = '';
  let evBefore = [];
  async function events() {
    for (let i = 0; i < 100; i++) {
      const q = evToken ? `&page_token=${encodeURIComponent(evToken)}` : '';
      const r = await api('GET', `/jobs/${id}/events?page_size=1000${q}`);
      if (!r.next_page_token) return evBefore.concat(r.items || []);
      evBefore = evBefore.concat(r.items || []).slice(-50);
      evToken = r.next_page_token;
    }
    return evBefore;
  }
  let last = null;
  let stopped = false;
  const refreshError = soleNotice(status);
  const poll = poller(tick, 2000);
  async function tick() {
    try {
      const [j, m, ev] = await Promise.all([api('GET', `/jobs/${id}`), api('GET', `/jobs/${id}/metrics`), events()]);
      if (stopped) return;
      refreshError.clear();
      const changed = !job || j.state !== job.state || j.etag !== job.etag;
      job = j;
      if (changed || !actions.children.length) renderJob();
      const t = m.totals || {};
      cards.rows.textContent = fmtNum(t.rows);
      cards.messages.textContent = fmtNum(t.messages);
      cards.lag.textContent = fmtNum(t.lag);
      cards.commits.textContent = fmtNum(m.commits);
      cards.last_commit.textContent = m.last_commit_at_ms ? fmtTime(m.last_commit_at_ms).slice(11) : '—';
      cards.last_commit.title = m.last_commit_at_ms ? `${fmtTime(m.last_commit_at_ms)} (${ago(m.last_commit_at_ms)})` : '';
      cards.errors.textContent = fmtNum(t.errors);
      cards.bytes.textContent = fmtBytes(t.bytes);
      cards.files.textContent = fmtNum(t.files);
      const now = Date.now();
      if (last && last.run === m.run_id) {
        const dt = (now - last.at) / 1000;
        rateChart.push(now, Math.max(0, ((t.rows || 0) - last.rows) / dt));
      } // the first sample of a run has no rate yet (not a 0 that never was)
      lagChart.push(now, t.lag || 0);
      last = { at: now, rows: t.rows || 0, run: m.run_id };
      renderStorage(m.storage);
      renderDeadLetters(m);
      renderPartitions(m);
      eventsEl.replaceChildren(...ev.slice(-50).reverse().map((e) => h('li', {},
        h('time', { datetime: e.at }, fmtTime(e.at)), h('span', { class: 'ev-kind' }, e.kind), h('span', {}, e.message))));
      if (!eventsEl.children.length) eventsEl.append(h('li', { class: 'muted' }, 'No events yet.'));
    } catch (e) {
      refreshError.show(`Cannot refresh: ${e.message}`);
    }
  }
  function renderStorage(st) {
    if (!st) { storageNote.textContent = 'This server does not report storage usage.'; return; }
    cards.table_bytes.textContent = st.table_bytes == null ? '—' : fmtBytes(st.table_bytes);
    cards.table_files.textContent = fmtNum(st.table_files);
    cards.uploaded.textContent = fmtBytes(st.bytes_uploaded);
    cards.requests.textContent = fmtNum(st.requests);
    storageNote.textContent = st.error ? `The table could not be read: ${st.error}`
      : st.table_bytes == null ? 'The table does not exist yet: it is created when the job first starts.'
        : `Table: the live data files of snapshot ${st.snapshot_id ?? '—'} (${fmtNum(st.table_records)} rows). Uploads and requests: the current workers since they started, dead-letter files included.`;
  }
  // Rows that could not be written go to the dead-letter table; its count
  // shows when the server reports one (totals.dead_letter_rows).
  function renderDeadLetters(m) {
    const n = m.totals ? m.totals.dead_letter_rows : undefined;
    if (n === undefined && !m.dead_letter_table) { deadEl.hidden = true; return; }
    deadEl.hidden = false;
    const table = m.dead_letter_table;
    deadEl.replaceChildren(h('p', { class: `notice ${n ? 'notice-error' : 'notice-info'}`, role: 'status' },
      h('strong', { dataset: { metric: 'dead_letter_rows' } }, fmtNum(n || 0)), ` dead-letter ${n === 1 ? 'row' : 'rows'}`,
      table ? [' in ', h('a', { href: `#/tables/${encodeURIComponent(job.database)}/${encodeURIComponent(table)}` }, `${job.database}.${table}`)] : null,
      n ? ' (messages that could not be written, kept with the reason)' : ''));
  }
  function renderPartitions(m) {
    const rows = [];
    let dead = false;
    (m.workers || []).forEach((w) => { for (const v of Object.values(w?.partitions || {})) if (v.dead_letter_rows !== undefined) dead = true; });
    (m.workers || []).forEach((w, i) => {
      if (!w) return;
      for (const [p, v] of Object.entries(w.partitions || {})) {
        rows.push(h('tr', {}, h('td', {}, String(i)), h('td', {}, p), h('td', {}, off(v.position)), h('td', {}, off(v.high_watermark)), h('td', {}, fmtNum(v.lag)),
          dead ? h('td', {}, fmtNum(v.dead_letter_rows ?? 0)) : null));
      }
    });
    const heads = ['Worker', 'Partition', 'Position', 'High watermark', 'Lag', ...(dead ? ['Dead letters'] : [])];
    partitionsEl.hidden = !rows.length;
    partitionsEl.replaceChildren(rows.length ? h('table', { class: 'compact' }, h('caption', {}, 'Kafka partitions'),
      h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)) : '');
  }
  renderJob();
  await poll.now();
  return () => { stopped = true; poll.stop(); };
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

const off = (v) => (v === undefined || v === null || v < 0 ? '—' : fmtNum(v));

