// Data Ingestion > Data Sources: list, create, view, edit, delete.
import { api, listAll } from './api.js';
import { h, field, select, clearErrors, showError, notice, fmtTime, timeName, pageHeader, labelCells } from './ui.js';

export async function sourcesPage(main) {
  main.append(pageHeader('Data Sources', h('a', { class: 'button primary', href: '#/sources/new' }, 'Create Data Source')));
  const status = h('div', { class: 'page-notices' });
  const [sources, jobs] = await Promise.all([listAll('/data-sources'), listAll('/jobs')]);
  const used = new Map();
  for (const j of jobs) used.set(j.data_source_id, (used.get(j.data_source_id) || 0) + 1);
  main.append(status);
  if (!sources.length) {
    main.append(h('p', { class: 'empty' }, 'No data sources yet. ',
      h('a', { href: '#/sources/new' }, 'Create one'), ' to start syncing a Kafka topic.'));
    return;
  }
  const tbody = h('tbody');
  for (const s of sources) {
    const del = deleteButton(s, status, 'link danger', () => {
      const done = notice(status, `Data source ${s.name} deleted.`, 'info');
      // Its Delete button goes with the row: the focus goes to the notice.
      done.tabIndex = -1;
      row.remove();
      done.focus();
    });
    const row = h('tr', { dataset: { id: s.id } },
      h('td', {}, h('a', { href: `#/sources/${s.id}` }, s.name)),
      h('td', {}, s.type), h('td', {}, s.topic), h('td', { class: 'mono' }, s.bootstrap_servers),
      h('td', {}, String(used.get(s.id) || 0)),
      h('td', {}, fmtTime(s.created_at)),
      h('td', { class: 'row-actions' },
        h('a', { href: `#/jobs/new?source=${s.id}` }, 'Create Job'),
        h('a', { href: `#/sources/${s.id}` }, 'View'),
        h('a', { href: `#/sources/${s.id}/edit` }, 'Edit'), del));
    tbody.append(row);
  }
  main.append(h('div', { class: 'table-wrap' }, labelCells(h('table', { class: 'stack' },
    h('caption', { class: 'sr-only' }, 'Data sources'),
    h('thead', {}, h('tr', {}, ['Name', 'Type', 'Topic', 'Bootstrap servers', 'Jobs', 'Created', 'Actions']
      .map((t) => h('th', { scope: 'col' }, t)))), tbody))));
}

// Delete, after a confirm; a refusal (jobs still use the source) shows in
// status with the way to those jobs.
function deleteButton(s, status, cls, deleted) {
  const del = h('button', { type: 'button', class: cls, 'aria-label': `Delete ${s.name}` }, 'Delete');
  del.addEventListener('click', async () => {
    if (!confirm(`Delete data source ${s.name}?`)) return;
    status.replaceChildren();
    try {
      await api('DELETE', `/data-sources/${s.id}`);
      deleted();
    } catch (e) {
      const n = notice(status, `Cannot delete ${s.name}: ${e.message.replace(/([^.!?])$/, '$1.')}`);
      if (e.status === 409) n.append(' ', h('a', { href: '#/jobs' }, 'Open Kafka Data Synchronization'), ' to stop and delete those jobs.');
    }
  });
  return del;
}

export async function sourceNewPage(main) {
  main.append(pageHeader('Create Data Source'));
  const name = h('input', { name: 'name', value: timeName('kafka'), maxlength: 128 });
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 1024 });
  const bootstrap = h('input', { name: 'bootstrap_servers', placeholder: 'broker1:9092,broker2:9092', autocomplete: 'off' });
  const topic = h('input', { name: 'topic', autocomplete: 'off' });
  const protocol = select(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], 'PLAINTEXT', { name: 'protocol' });
  const mech = select(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], 'PLAIN', { name: 'sasl_mechanism' });
  const user = h('input', { name: 'username', autocomplete: 'off' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'new-password' });
  const sasl = h('div', { class: 'grid2' },
    field('SASL mechanism', mech, { path: 'security.sasl_mechanism' }),
    field('Username', user, { path: 'security.username' }),
    field('Password', pass, { path: 'security.password', hint: 'Encrypted at rest, never shown again.' }));
  const syncSasl = () => { sasl.hidden = !protocol.value.startsWith('SASL'); };
  protocol.addEventListener('change', syncSasl);
  syncSasl();
  const form = h('form', { class: 'card form', novalidate: true },
    field('Data source type', select([['kafka', 'Kafka']], 'kafka', { name: 'type' }), { path: 'type' }),
    field('Data source name', name, { path: 'name', hint: 'Generated from the type and the current time; change it as needed.' }),
    field('Description', description, { path: 'description' }),
    field('Bootstrap servers', bootstrap, { path: 'bootstrap_servers' }),
    field('Kafka topic', topic, { path: 'topic' }),
    field('Message data format', select([['json', 'JSON']], 'json', { name: 'message_format' }),
      { path: 'message_format', hint: 'Only JSON messages are supported.' }),
    h('fieldset', {}, h('legend', {}, 'Security'),
      field('Security protocol', protocol, { path: 'security.protocol' }), sasl),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Create'),
      h('a', { class: 'button', href: '#/sources' }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {
      type: 'kafka', name: name.value.trim(), bootstrap_servers: bootstrap.value.trim(),
      topic: topic.value.trim(), message_format: 'json',
      security: { protocol: protocol.value },
    };
    if (description.value.trim()) body.description = description.value.trim();
    if (!body.name) delete body.name;
    if (protocol.value.startsWith('SASL')) {
      body.security.sasl_mechanism = mech.value;
      if (user.value) body.security.username = user.value;
      if (pass.value) body.security.password = pass.value;
    }
    try {
      const s = await api('POST', '/data-sources', body);
      location.hash = `#/sources/${s.id}`;
    } catch (ex) { showError(form, ex); }
  });
  main.append(form);
}

export async function sourcePage(main, { params: [id] }) {
  const [s, jobs] = await Promise.all([api('GET', `/data-sources/${id}`), listAll('/jobs')]);
  const mine = jobs.filter((j) => j.data_source_id === id);
  const status = h('div', { class: 'page-notices' });
  main.append(pageHeader(s.name,
    h('a', { class: 'button primary', href: `#/jobs/new?source=${s.id}` }, 'Create Job'),
    h('a', { class: 'button', href: `#/sources/${s.id}/edit` }, 'Edit'),
    deleteButton(s, status, 'danger', () => { location.hash = '#/sources'; })), status);
  const sec = s.security || {};
  main.append(h('div', { class: 'card' }, h('dl', { class: 'props' },
    prop('ID', s.id), prop('Type', s.type), prop('Description', s.description || '—'),
    prop('Bootstrap servers', s.bootstrap_servers), prop('Topic', s.topic),
    prop('Message format', s.message_format), prop('Security protocol', sec.protocol || 'PLAINTEXT'),
    sec.sasl_mechanism ? prop('SASL', `${sec.sasl_mechanism} as ${sec.username || '—'}${sec.password_set ? ' (password set)' : ''}`) : null,
    prop('Created', fmtTime(s.created_at)), prop('Updated', fmtTime(s.updated_at)))));
  main.append(h('h2', {}, 'Jobs using this source'),
    mine.length ? h('ul', {}, mine.map((j) => h('li', {}, h('a', { href: `#/jobs/${j.id}` }, j.name), ` — ${j.state}`)))
      : h('p', { class: 'muted' }, 'None.'));
  const sample = h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading the latest messages…'));
  main.append(h('h2', {}, 'Latest messages'), sample);
  api('GET', `/data-sources/${id}/sample?limit=5&timeout_ms=10000`).then((r) => {
    sample.replaceChildren(r.items.length
      ? h('pre', { class: 'sample', tabindex: '0' }, r.items.map((m) => `[p${m.partition}@${m.offset}] ${m.value}`).join('\n'))
      : h('p', { class: 'muted' }, 'The topic has no messages yet.'));
  }).catch((e) => sample.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Cannot read the topic: ${e.message}`)));
}

function prop(k, v) {
  return [h('dt', {}, k), h('dd', {}, v)];
}

export async function sourceEditPage(main, { params: [id] }) {
  const s = await api('GET', `/data-sources/${id}`);
  main.append(pageHeader(`Edit ${s.name}`));
  const name = h('input', { name: 'name', value: s.name, maxlength: 128 });
  const description = h('textarea', { name: 'description', rows: 3, maxlength: 1024 });
  description.value = s.description || '';
  const form = h('form', { class: 'card form', novalidate: true },
    h('p', { class: 'muted' }, 'Only the name and the description of a data source can change.'),
    field('Data source name', name, { path: 'name' }),
    field('Description', description, { path: 'description' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('a', { class: 'button', href: `#/sources/${id}` }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await api('PATCH', `/data-sources/${id}`, { name: name.value.trim(), description: description.value });
      location.hash = `#/sources/${id}`;
    } catch (ex) { showError(form, ex); }
  });
  main.append(form);
}
