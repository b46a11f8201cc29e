// Resource Groups, Tables and Tokens.
import { api, listAll, hasRoute } from './api.js';
import { h, field, select, clearErrors, showError, notice, fmtTime, pageHeader, labelCells } from './ui.js';

export async function groupsPage(main) {
  main.append(pageHeader('Resource Groups'));
  const status = h('div', { class: 'page-notices' });
  const groups = await listAll('/resource-groups');
  main.append(status, h('div', { class: 'table-wrap' }, labelCells(h('table', { class: 'stack' },
    h('caption', { class: 'sr-only' }, 'Resource groups'),
    h('thead', {}, h('tr', {}, ['Name', 'Max ACUs', 'Used', 'Left', 'Usage', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, groups.map((g) => {
      const del = h('button', { type: 'button', class: 'link danger', disabled: g.name === 'default', 'aria-label': `Delete ${g.name}` }, 'Delete');
      del.addEventListener('click', async () => {
        if (!confirm(`Delete resource group ${g.name}?`)) return;
        try { await api('DELETE', `/resource-groups/${g.id}`); location.reload(); } catch (e) { status.replaceChildren(); notice(status, `Cannot delete ${g.name}: ${e.message}`); }
      });
      const pct = g.max_acus ? Math.round((100 * g.used_acus) / g.max_acus) : 0;
      return h('tr', {}, h('td', {}, g.name), h('td', {}, String(g.max_acus)), h('td', {}, String(g.used_acus)),
        h('td', {}, String(g.available_acus)),
        h('td', {}, h('meter', { min: 0, max: g.max_acus, value: g.used_acus, 'aria-label': `${g.name} usage` }), ` ${pct}%`),
        h('td', { class: 'row-actions' }, del));
    }))))));
  const name = h('input', { name: 'name', autocomplete: 'off' });
  const max = h('input', { name: 'max_acus', type: 'number', value: '16' });
  const form = h('form', { class: 'card form inline-form', novalidate: true },
    h('h2', {}, 'Create a resource group'),
    h('div', { class: 'grid2' }, field('Name', name, { path: 'name' }), field('Max ACUs', max, { path: 'max_acus' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try { await api('POST', '/resource-groups', { name: name.value.trim(), max_acus: Number(max.value) }); location.reload(); } catch (ex) { showError(form, ex); }
  });
  main.append(form);
}

export async function tablesPage(main) {
  main.append(pageHeader('Tables'));
  const [dbs, browsing, jobs] = await Promise.all([listAll('/databases'), hasRoute('/api/v1/databases/{db}/tables'), listAll('/jobs')]);
  if (!browsing) {
    main.append(h('p', { class: 'notice notice-info', role: 'status' },
      'Table browsing (schema, snapshots, preview) is not available in this server version yet. Tables written by jobs are listed below from the jobs that own them.'));
  }
  main.append(databaseForm());
  if (!dbs.length) { main.append(h('p', { class: 'empty' }, 'No databases yet. An Iceberg job creates its database when it is defined.')); return; }
  for (const db of dbs) {
    let tables = jobs.filter((j) => j.database === db.name).map((j) => ({ name: j.table, job: j }));
    if (browsing) {
      try {
        const t = await listAll(`/databases/${encodeURIComponent(db.name)}/tables`);
        tables = t.map((x) => ({ ...x, name: x.name || x.table, job: jobs.find((j) => j.database === db.name && j.table === (x.name || x.table)) }));
      } catch (e) { main.append(h('p', { class: 'form-error', role: 'alert' }, `${db.name}: ${e.message}`)); }
    }
    main.append(h('section', { class: 'card' },
      h('h2', {}, db.name, ' ', h('span', { class: 'muted small' }, `${db.catalog || 'iceberg'}${db.external ? ', external' : ''}`)),
      h('p', { class: 'muted mono small' }, db.location || ''),
      tables.length ? h('ul', { class: 'plain' }, tables.map((t) => h('li', {},
        browsing ? h('a', { href: `#/tables/${encodeURIComponent(db.name)}/${encodeURIComponent(t.name)}` }, t.name) : h('strong', {}, t.name),
        t.job ? [' — written by ', h('a', { href: `#/jobs/${t.job.id}` }, t.job.name), ` (${t.job.state})`] : null)))
        : h('p', { class: 'muted' }, 'No tables.')));
  }
}

// Create a database: managed Iceberg, or external (Paimon needs catalog
// paimon, a warehouse property and a location ending <name>.db/).
function databaseForm() {
  const name = h('input', { name: 'name', autocomplete: 'off', placeholder: 'analytics' });
  const catalog = select([['iceberg', 'Iceberg'], ['paimon', 'Paimon']], 'iceberg', { name: 'catalog' });
  const external = h('input', { type: 'checkbox', name: 'external', id: 'db-external' });
  const loc = h('input', { name: 'location', autocomplete: 'off', placeholder: 's3://bucket/paimon/analytics.db/' });
  const props = h('textarea', { name: 'properties', rows: 2, placeholder: 'paimon.warehouse=s3://bucket/paimon/' });
  const syncCatalog = () => { if (catalog.value === 'paimon') external.checked = true; };
  catalog.addEventListener('change', syncCatalog);
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'grid2' }, field('Database name', name, { path: 'name' }), field('Catalog', catalog, { path: 'catalog' })),
    h('div', { class: 'check', dataset: { field: 'external' } }, external, h('label', { for: 'db-external' }, 'External (its own location)')),
    field('Location', loc, { path: 'location', hint: 'Required for external databases; Paimon: <warehouse>/<name>.db/.' }),
    field('Properties (key=value per line)', props, { path: 'properties' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create database')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = { name: name.value.trim(), catalog: catalog.value, external: external.checked };
    if (loc.value.trim()) body.location = loc.value.trim();
    const p = {};
    for (const line of props.value.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) p[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    if (Object.keys(p).length) body.properties = p;
    try { await api('POST', '/databases', body); location.reload(); } catch (ex) { showError(form, ex); }
  });
  return h('details', { class: 'card subtle' }, h('summary', {}, 'Create a database'), form);
}

export async function tokensPage(main) {
  main.append(pageHeader('Tokens'));
  const status = h('div', { class: 'page-notices' });
  main.append(status);
  let tokens;
  try { tokens = await listAll('/tokens'); } catch (e) {
    main.append(h('p', { class: 'notice notice-info', role: 'status' }, e.status === 403 ? 'Only admins manage tokens.' : e.message));
    return;
  }
  main.append(h('div', { class: 'table-wrap' }, labelCells(h('table', { class: 'stack' },
    h('caption', { class: 'sr-only' }, 'Tokens'),
    h('thead', {}, h('tr', {}, ['Name', 'Role', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, tokens.map((t) => {
      const rv = h('button', { type: 'button', class: 'link danger', 'aria-label': `Revoke ${t.name}` }, 'Revoke');
      rv.addEventListener('click', async () => {
        if (!confirm(`Revoke token ${t.name}?`)) return;
        try { await api('DELETE', `/tokens/${t.id}`); location.reload(); } catch (e) { status.replaceChildren(); notice(status, `Cannot revoke ${t.name}: ${e.message}`); }
      });
      return h('tr', {}, h('td', {}, t.name), h('td', {}, t.role), h('td', {}, fmtTime(t.created_at)), h('td', { class: 'row-actions' }, rv));
    }))))));
  const name = h('input', { name: 'name', autocomplete: 'off' });
  const role = select([['standard', 'standard'], ['admin', 'admin']], 'standard', { name: 'role' });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card form', novalidate: true }, h('h2', {}, 'Create a token'),
    h('div', { class: 'grid2' }, field('Name', name, { path: 'name' }), field('Role', role, { path: 'role' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create')), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      const t = await api('POST', '/tokens', { name: name.value.trim(), role: role.value });
      out.replaceChildren(h('p', { class: 'notice notice-info' }, 'Copy the token now; it is not shown again: ', h('code', { class: 'token' }, t.token)));
    } catch (ex) { showError(form, ex); }
  });
  main.append(form);
}
