// Create Synchronization Job, in the seed's three sections: source and
// destination; database and table (live sample, parse levels, mapping,
// partition keys); sync settings. Errors from the server appear in place.
import { api, listAll } from './api.js';
import { h, field, select, clearErrors, showError, timeName, pageHeader, nextId, labelCells } from './ui.js';

const TYPES = ['boolean', 'int', 'bigint', 'float', 'double', 'decimal(10,2)', 'decimal(18,4)', 'string',
  'date', 'timestamp', 'timestamptz', 'binary'];
const KAFKA_SOURCES = ['__kafka_timestamp__', '__kafka_partition__', '__kafka_offset__', '__kafka_key__'];
const KAFKA_TYPES = { __kafka_timestamp__: 'timestamptz', __kafka_partition__: 'int', __kafka_offset__: 'bigint', __kafka_key__: 'string' };
const TRANSFORMS = ['identity', 'year', 'month', 'day', 'hour', 'bucket', 'truncate'];

export async function wizardPage(main, { query }) {
  main.append(pageHeader('Create Synchronization Job'));
  const [sources, groups] = await Promise.all([listAll('/data-sources'), listAll('/resource-groups')]);
  if (!sources.length) {
    main.append(h('p', { class: 'empty' }, 'A job reads a Kafka data source. ',
      h('a', { href: '#/sources/new' }, 'Create a data source'), ' first.'));
    return;
  }
  const st = { fields: [], partition: [], messages: [], edits: new Map(), inferCache: new Map(), inferSeq: 0 };

  // ---- 1. Source and destination -------------------------------------------------
  const jobName = h('input', { name: 'name', value: timeName('kafka'), maxlength: 128 });
  const source = select(sources.map((s) => [s.id, `${s.name} (${s.topic})`]), query.get('source') || sources[0].id, { name: 'data_source_id' });
  const destRadios = radios('destination.type', [
    ['managed', 'Managed warehouse (recommended)', 'lakesync manages the storage. Iceberg only.'],
    ['user_path', 'User path (S3, OSS, MinIO or a directory)', 'Bring your own bucket or folder. Iceberg or Paimon.'],
  ], 'managed');
  const path = h('input', { name: 'path', placeholder: 's3://bucket/lake/events/', autocomplete: 'off' });
  const pathField = field('Destination path', path, { path: 'destination.path',
    hint: 'An empty folder. It cannot change after creation and must not share a prefix with another job\'s path.' });
  const endpoint = h('input', { name: 'endpoint', autocomplete: 'off', placeholder: 'http://127.0.0.1:9000' });
  const region = h('input', { name: 'region', autocomplete: 'off' });
  const akid = h('input', { name: 'access_key_id', autocomplete: 'off' });
  const secret = h('input', { name: 'secret_access_key', type: 'password', autocomplete: 'new-password' });
  const pathStyle = h('input', { type: 'checkbox', name: 'path_style' });
  const creds = h('details', { class: 'subtle' }, h('summary', {}, 'Object store credentials (optional)'),
    h('div', { class: 'grid2' }, field('Endpoint', endpoint, { path: 'destination.endpoint' }),
      field('Region', region, { path: 'destination.region' }),
      field('Access key ID', akid, { path: 'destination.access_key_id' }),
      field('Secret access key', secret, { path: 'destination.secret_access_key' })),
    h('div', { class: 'check', dataset: { field: 'destination.path_style' } }, pathStyle,
      h('label', { for: pathStyle.id = nextId('in') }, 'Path-style addressing (MinIO)')),
    h('p', { class: 'hint' }, 'Without them the server\'s AWS_* environment variables are used.'));
  const managedNote = h('p', { class: 'hint', role: 'status' });
  const userBlock = h('div', {}, pathField, creds);
  const formatRadios = radios('destination.format', [['iceberg', 'Iceberg'], ['paimon', 'Paimon']], 'iceberg');
  const formatNote = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });

  function syncDestination() {
    const managed = destRadios.value() === 'managed';
    userBlock.hidden = managed;
    managedNote.hidden = !managed;
    managedNote.textContent = managed ? 'The table goes under the server\'s warehouse: <warehouse>/<database>.db/<table>/.' : '';
    const paimon = formatRadios.input('paimon');
    paimon.disabled = managed;
    if (managed && formatRadios.value() === 'paimon') {
      formatRadios.set('iceberg');
      formatNote.textContent = 'Managed storage holds Iceberg tables only: the format is now Iceberg.';
    } else if (managed) {
      formatNote.textContent = 'Paimon needs a user path; managed storage is Iceberg only.';
    } else if (formatRadios.value() === 'paimon') {
      formatNote.replaceChildren('Paimon: the database must be external with catalog=paimon, a warehouse and a location ending <database>.db/; the path is <location><table>/. Partitions: identity only. ',
        h('a', { href: '#/tables' }, 'Create a Paimon database'));
    } else {
      formatNote.textContent = '';
    }
    renderPartitions();
  }
  destRadios.onchange(syncDestination);
  formatRadios.onchange(syncDestination);

  const sec1 = section('1', 'Source and destination',
    field('Job name', jobName, { path: 'name', hint: 'Generated from the source type and the current time; change it as needed.' }),
    h('div', { class: 'inline' }, field('Data source', source, { path: 'data_source_id' }),
      h('a', { href: '#/sources/new', class: 'aside-link' }, 'Create a new data source')),
    destRadios.el, managedNote, userBlock, formatRadios.el, formatNote);

  // ---- 2. Database and table ------------------------------------------------------
  const database = h('input', { name: 'database', autocomplete: 'off', placeholder: 'analytics' });
  const table = h('input', { name: 'table', autocomplete: 'off' });
  const sampleBox = h('pre', { class: 'sample', tabindex: '0', 'aria-label': 'Sample data' });
  const sampleStatus = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button' }, 'Fetch sample again');
  const levels = select([[0, '0 — no parsing (__value__)'], [1, '1 — top-level fields (default)'], [2, '2 levels'], [3, '3 levels'], [4, '4 levels']],
    '1', { name: 'parse_levels' });
  const mappingBody = h('tbody');
  const mappingStatus = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const addSource = h('input', { name: 'add_source', list: 'kafka-sources', placeholder: 'device.os.test or __kafka_offset__', autocomplete: 'off' });
  const addBtn = h('button', { type: 'button' }, 'Add field');
  const partBody = h('tbody');
  const addPartBtn = h('button', { type: 'button' }, 'Add partition key');
  // Stacked on narrow screens (labelCells after each render), so that the
  // inputs and Remove buttons stay in view.
  const mappingTable = h('table', { class: 'mapping stack', 'aria-labelledby': 'mapping-label' },
    h('thead', {}, h('tr', {}, ['Source path', 'Example', 'Destination field', 'Type', 'Actions'].map((t, i) => h('th', { scope: 'col', class: i === 1 ? 'example' : null }, t)))),
    mappingBody);
  const partTable = h('table', { class: 'mapping stack', 'aria-labelledby': 'partition-label' },
    h('thead', {}, h('tr', {}, ['Field', 'Transform', 'Width / buckets', 'Partition name', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    partBody);

  const sec2 = section('2', 'Database and table',
    h('div', { class: 'grid2' },
      field('Database name', database, { path: 'database', hint: 'Created when it does not exist (Iceberg).' }),
      field('Table name', table, { path: 'table', hint: 'A new table; the job fails if it already exists.' })),
    h('div', { class: 'field' }, h('div', { class: 'label-row' }, h('span', { class: 'label' }, 'Sample data'), refresh),
      sampleStatus, sampleBox),
    field('Parsed JSON layers', levels, { path: 'parse_levels',
      hint: 'How many nested levels become their own fields; deeper values stay JSON text. Dots become underscores.' }),
    h('div', { class: 'field', dataset: { field: 'fields' } },
      h('span', { class: 'label', id: 'mapping-label' }, 'Schema field mapping'), mappingStatus,
      h('div', { class: 'table-wrap' }, mappingTable),
      h('datalist', { id: 'kafka-sources' }, KAFKA_SOURCES.map((s) => h('option', { value: s }))),
      h('datalist', { id: 'field-types' }, TYPES.map((s) => h('option', { value: s }))),
      h('div', { class: 'inline add-row' }, field('Add a field by source path', addSource), addBtn)),
    h('div', { class: 'field', dataset: { field: 'partition' } },
      h('span', { class: 'label', id: 'partition-label' }, 'Partition keys (optional)'),
      h('p', { class: 'hint' }, 'Partition by time or a business key. Left empty, the table has no partitions.'),
      h('div', { class: 'table-wrap' }, partTable),
      addPartBtn));

  // ---- 3. Sync settings -----------------------------------------------------------
  const startRadios = radios('sync.start.mode', [
    ['earliest', 'Earliest offset', 'Everything the topic still holds.'],
    ['latest', 'Latest offset', 'Only messages produced from now on.'],
    ['timestamp', 'From a time', 'The first message at or after a time you pick.']], 'earliest');
  const ts = h('input', { type: 'datetime-local', name: 'start_timestamp', step: 1 });
  const tsField = field('Start time (your local time)', ts, { path: 'sync.start.timestamp' });
  const syncStart = () => { tsField.hidden = startRadios.value() !== 'timestamp'; };
  startRadios.onchange(syncStart);
  const defGroup = groups.find((g) => g.name === 'default') || groups[0];
  const group = select(groups.map((g) => [g.id, `${g.name} — ${g.available_acus} of ${g.max_acus} ACUs left`]), defGroup && defGroup.id, { name: 'resource_group_id' });
  const acus = h('input', { type: 'number', name: 'acus', value: '2', step: 1, inputmode: 'numeric' });
  const acusHint = h('span');
  const syncAcus = () => {
    const g = groups.find((x) => x.id === group.value);
    acusHint.textContent = g ? `At least 2, at most ${g.available_acus} (left in ${g.name}). One worker per 2 ACUs.` : 'At least 2.';
  };
  group.addEventListener('change', syncAcus);
  const commit = h('input', { type: 'number', name: 'commit_interval_s', value: '300', step: 1 });
  const evolution = select([['add_columns', 'Add new fields as columns'],
    ['add_and_widen', 'Add new fields, widen numeric columns'],
    ['none', 'Keep the fields as they are']], 'add_columns', { name: 'schema_evolution' });
  const acusField = field('ACUs for incremental synchronization', acus, { path: 'sync.acus', hint: acusHint });
  const sec3 = section('3', 'Sync settings',
    startRadios.el, tsField,
    field('Job resource group', group, { path: 'sync.resource_group_id' }),
    acusField,
    h('details', { class: 'subtle' }, h('summary', {}, 'Advanced settings'),
      field('Commit interval (seconds)', commit, { path: 'advanced.commit_interval_s',
        hint: 'Data becomes visible at each commit. 1 to 86400; default 300.' }),
      field('When messages change', evolution, { path: 'advanced.schema_evolution',
        hint: 'New fields become optional columns (not the ones removed above); widening turns int into bigint and float into double. A value that fits no column is rejected as a type conflict; the job goes on.' })));

  const submit = h('button', { type: 'submit', class: 'primary' }, 'Submit');
  const form = h('form', { class: 'wizard', novalidate: true },
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    sec1, sec2, sec3,
    h('div', { class: 'form-actions sticky' }, submit, h('a', { class: 'button', href: '#/jobs' }, 'Cancel')));
  main.append(form);
  syncDestination(); syncStart(); syncAcus();

  // ---- sample and inference -------------------------------------------------------
  // A newer read (another source chosen, "Fetch sample again") abandons the
  // one in flight: its answer, however late, must not replace the newer
  // sample or fill the inference cache (st.gen) with the old source's fields.
  let reading = null;
  async function loadSample() {
    reading?.abort();
    const ctl = reading = new AbortController();
    st.gen = (st.gen || 0) + 1;
    sampleStatus.textContent = 'Reading the latest messages of the topic…';
    sampleBox.textContent = '';
    const s = sources.find((x) => x.id === source.value);
    if (s && !table.dataset.touched) table.value = (s.topic || '').toLowerCase().replace(/[^a-z0-9_]/g, '_');
    try {
      const r = await api('GET', `/data-sources/${source.value}/sample?limit=20&timeout_ms=10000`, undefined, { signal: ctl.signal });
      if (ctl !== reading) return;
      st.messages = r.items.filter((m) => m.json_valid && m.value !== null).map((m) => m.value);
      const bad = r.items.length - st.messages.length;
      sampleBox.textContent = r.items.slice(0, 5).map((m) => prettyMessage(m.value)).join('\n\n') || '(no messages)';
      sampleStatus.textContent = r.items.length
        ? `${r.items.length} latest message(s) from ${r.partition_count} partition(s)${bad ? `, ${bad} not valid JSON` : ''}${r.incomplete ? ' (incomplete)' : ''}.`
        : 'The topic has no messages yet: add fields by source path below.';
    } catch (e) {
      if (ctl !== reading || e.name === 'AbortError') return;
      st.messages = [];
      sampleStatus.textContent = `Cannot read a sample: ${e.message}`;
    }
    st.inferCache.clear();
    await infer();
  }

  async function infer() {
    const level = Number(levels.value);
    const seq = ++st.inferSeq;
    if (!st.messages.length) {
      setFields(level === 0 ? [{ source: '__value__', name: '__value__', type: 'string' }] : [], {});
      mappingStatus.textContent = 'No sample to infer from.';
      return;
    }
    let r = st.inferCache.get(level);
    if (!r) {
      mappingStatus.textContent = 'Inferring…';
      const gen = st.gen;
      try {
        r = await api('POST', '/schema/infer', { messages: st.messages, parse_levels: level });
        if (gen !== st.gen) return;
        st.inferCache.set(level, r);
      } catch (e) {
        if (seq === st.inferSeq) mappingStatus.textContent = `Inference failed: ${e.message}`;
        return;
      }
    }
    if (seq !== st.inferSeq) return;
    const examples = {};
    for (const d of r.field_details || []) examples[d.source] = d.example;
    setFields(r.fields, examples);
    mappingStatus.textContent = `${r.fields.length} field(s) inferred from ${r.samples} message(s) at level ${level}${r.invalid_samples ? `, ${r.invalid_samples} invalid` : ''}.`;
  }
  // Prefetch the other levels so switching is instant.
  async function prefetch() {
    const gen = st.gen;
    for (let l = 0; l <= 4 && gen === st.gen; l++) {
      if (st.inferCache.has(l) || !st.messages.length) continue;
      try {
        const r = await api('POST', '/schema/infer', { messages: st.messages, parse_levels: l });
        if (gen === st.gen) st.inferCache.set(l, r);
      } catch { /* inferred when chosen */ }
    }
  }

  function setFields(fields, examples) {
    st.inferred = fields.map((f) => f.source);
    const kept = st.fields.filter((f) => f.manual);
    st.fields = fields.map((f) => {
      const e = st.edits.get(f.source);
      return { ...f, ...(e || {}), example: examples[f.source] };
    });
    for (const k of kept) if (!st.fields.some((f) => f.source === k.source)) st.fields.push(k);
    renderFields();
  }

  function renderFields() {
    mappingBody.replaceChildren(...st.fields.map((f, i) => {
      const name = h('input', { value: f.name, 'aria-label': `Destination field for ${f.source}`, name: `fields[${i}].name`, autocomplete: 'off' });
      name.addEventListener('input', () => { f.name = name.value; remember(f); renderPartitionSources(); });
      const type = h('input', { value: f.type, list: 'field-types', 'aria-label': `Type of ${f.source}`, name: `fields[${i}].type`, autocomplete: 'off', class: 'type-input' });
      type.addEventListener('input', () => { f.type = type.value; remember(f); });
      const rm = h('button', { type: 'button', class: 'link danger', 'aria-label': `Remove ${f.source}` }, 'Remove');
      rm.addEventListener('click', () => {
        st.fields.splice(i, 1); st.edits.delete(f.source); renderFields();
        focusAfterRemove(mappingBody, i, addSource);
      });
      return h('tr', { dataset: { field: `fields[${i}]`, source: f.source } },
        h('td', { class: 'mono', dataset: { field: `fields[${i}].source` } }, f.source),
        h('td', { class: 'example', title: f.example ?? '' }, f.example === undefined ? '' : truncate(f.example, 40)),
        h('td', { dataset: { field: `fields[${i}].name` } }, name),
        h('td', { dataset: { field: `fields[${i}].type` } }, type),
        h('td', {}, rm));
    }));
    if (!st.fields.length) mappingBody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No fields.')));
    labelCells(mappingTable);
    renderPartitionSources();
  }
  function remember(f) { st.edits.set(f.source, { name: f.name, type: f.type }); }

  addBtn.addEventListener('click', () => {
    const src = addSource.value.trim();
    if (!src) { addSource.focus(); return; }
    if (st.fields.some((f) => f.source === src)) { mappingStatus.textContent = `${src} is already mapped.`; return; }
    const f = { source: src, name: src.replace(/^__(kafka_\w+)__$/, '$1').replaceAll('.', '_'), type: KAFKA_TYPES[src] || 'string', manual: true };
    st.fields.push(f);
    remember(f);
    addSource.value = '';
    renderFields();
  });
  addSource.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addBtn.click(); } });

  // ---- partitions -----------------------------------------------------------------
  function renderPartitionSources() {
    partBody.querySelectorAll('select.part-source').forEach((s) => {
      const v = s.value;
      s.replaceChildren(...st.fields.map((f) => h('option', { value: f.name }, f.name)));
      if (st.fields.some((f) => f.name === v)) s.value = v;
    });
  }
  function renderPartitions() {
    const paimon = formatRadios.value() === 'paimon';
    if (!st.partition.length) {
      partBody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No partition keys: the table is not partitioned.')));
      labelCells(partTable);
      return;
    }
    partBody.replaceChildren(...st.partition.map((p, i) => {
      const src = select(st.fields.map((f) => [f.name, f.name]), p.source, { class: 'part-source', 'aria-label': `Partition ${i + 1} field` });
      if (!st.fields.some((f) => f.name === p.source)) p.source = src.value;
      const tr = select(TRANSFORMS.map((t) => [t, t, paimon && t !== 'identity' ? { disabled: true } : null]), p.transform, { 'aria-label': `Partition ${i + 1} transform` });
      const n = h('input', { type: 'number', min: 1, value: p.n || '16', 'aria-label': `Partition ${i + 1} width or buckets`, class: 'narrow' });
      const name = h('input', { value: p.name || '', 'aria-label': `Partition ${i + 1} name`, placeholder: defaultPartName(p), autocomplete: 'off' });
      const syncN = () => { n.disabled = !['bucket', 'truncate'].includes(tr.value); };
      src.addEventListener('change', () => { p.source = src.value; name.placeholder = defaultPartName(p); });
      tr.addEventListener('change', () => { p.transform = tr.value; syncN(); name.placeholder = defaultPartName(p); });
      n.addEventListener('input', () => { p.n = n.value; });
      name.addEventListener('input', () => { p.name = name.value; });
      syncN();
      const rm = h('button', { type: 'button', class: 'link danger', 'aria-label': `Remove partition ${i + 1}` }, 'Remove');
      rm.addEventListener('click', () => { st.partition.splice(i, 1); renderPartitions(); focusAfterRemove(partBody, i, addPartBtn); });
      return h('tr', { dataset: { field: `partition[${i}]` } },
        h('td', { dataset: { field: `partition[${i}].source` } }, src),
        h('td', { dataset: { field: `partition[${i}].transform` } }, tr),
        h('td', {}, n),
        h('td', { dataset: { field: `partition[${i}].name` } }, name), h('td', {}, rm));
    }));
    labelCells(partTable);
  }
  addPartBtn.addEventListener('click', () => {
    const guess = st.fields.find((f) => /timestamp|date/.test(f.type)) || st.fields[0];
    st.partition.push({ source: guess ? guess.name : '', transform: formatRadios.value() === 'paimon' ? 'identity' : 'day', n: '16' });
    renderPartitions();
    partBody.querySelector('tr:last-child select')?.focus();
  });

  // ---- wiring ---------------------------------------------------------------------
  table.addEventListener('input', () => { table.dataset.touched = '1'; });
  source.addEventListener('change', () => { st.edits.clear(); loadSample().then(prefetch); });
  refresh.addEventListener('click', () => loadSample().then(prefetch));
  levels.addEventListener('change', () => infer());

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const managed = destRadios.value() === 'managed';
    const destination = { type: destRadios.value(), format: formatRadios.value() };
    if (!managed) {
      destination.path = path.value.trim();
      if (endpoint.value.trim()) destination.endpoint = endpoint.value.trim();
      if (region.value.trim()) destination.region = region.value.trim();
      if (akid.value.trim()) destination.access_key_id = akid.value.trim();
      if (secret.value) destination.secret_access_key = secret.value;
      if (pathStyle.checked) destination.path_style = true;
    }
    const start = { mode: startRadios.value() };
    if (start.mode === 'timestamp') {
      const d = new Date(ts.value);
      start.timestamp = ts.value && !Number.isNaN(d.getTime()) ? d.toISOString() : ts.value;
    }
    const body = {
      name: jobName.value.trim(), data_source_id: source.value, destination,
      database: database.value.trim(), table: table.value.trim(), parse_levels: Number(levels.value),
      fields: st.fields.map((f) => ({ source: f.source, name: f.name.trim(), type: f.type.trim() })),
      partition: st.partition.map((p) => {
        const transform = ['bucket', 'truncate'].includes(p.transform) ? `${p.transform}[${p.n || 16}]` : p.transform;
        const out = { source: p.source, transform };
        if (p.name && p.name.trim()) out.name = p.name.trim();
        return out;
      }),
      sync: { start, resource_group_id: group.value, acus: numberOr(acus.value) },
      advanced: { commit_interval_s: numberOr(commit.value), schema_evolution: evolution.value },
    };
    // Inferred fields the user removed stay out: schema evolution must not add them back.
    const removed = (st.inferred || []).filter((s) => !st.fields.some((f) => f.source === s));
    if (removed.length) body.advanced.ignored_sources = removed;
    if (!body.name) delete body.name;
    submit.disabled = true;
    try {
      const job = await api('POST', '/jobs', body);
      location.hash = `#/jobs/${job.id}`;
    } catch (ex) {
      if (ex.field && ex.field.startsWith('advanced')) form.querySelector('details:last-of-type')?.setAttribute('open', '');
      if (ex.field && ex.field.startsWith('destination.') && !managed) creds.open = /endpoint|region|access|secret|style/.test(ex.field);
      // A managed table's path is <warehouse>/<database>.db/<table>/, which
      // the form has no field for: a path error (the table's folder is not
      // empty) belongs to the table name.
      if (managed && ex.field === 'destination.path') ex.field = 'table';
      showError(form, ex);
    } finally { submit.disabled = false; }
  });

  loadSample().then(prefetch);
}

// The removed row's button is gone: the focus goes to the Remove button now
// in its place (or the last one), else to where rows are added, not to the
// top of the page.
function focusAfterRemove(body, i, fallback) {
  const buttons = body.querySelectorAll('button.danger');
  (buttons[Math.min(i, buttons.length - 1)] || fallback).focus();
}

function defaultPartName(p) {
  return p.source ? `${p.source}_${p.transform === 'identity' ? 'identity' : p.transform}`.replace(/_identity$/, '') : '';
}

function numberOr(v) {
  const n = Number(v);
  return v !== '' && Number.isFinite(n) ? n : v;
}

function truncate(s, n) {
  s = String(s);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function prettyMessage(v) {
  try { return JSON.stringify(JSON.parse(v), null, 2); } catch { return v; }
}

function section(num, title, ...children) {
  const id = nextId('sec');
  return h('section', { class: 'card wizard-section', 'aria-labelledby': id },
    h('h2', { id }, h('span', { class: 'step' }, num), title), ...children);
}

// A labelled radio group; path is the API field path for errors.
function radios(path, options, value) {
  const name = nextId('radio');
  const legendText = { 'destination.type': 'Destination type', 'destination.format': 'Storage format', 'sync.start.mode': 'Starting consumer offset' }[path] || path;
  const inputs = new Map();
  const handlers = [];
  const el = h('fieldset', { class: 'radios', dataset: { field: path } }, h('legend', {}, legendText),
    options.map(([v, label, hint]) => {
      const id = nextId('r');
      const input = h('input', { type: 'radio', name, id, value: v, checked: v === value });
      input.addEventListener('change', () => handlers.forEach((f) => f()));
      inputs.set(v, input);
      return h('div', { class: 'radio' }, input, h('label', { for: id }, label, hint ? h('span', { class: 'hint' }, ` ${hint}`) : null));
    }));
  return {
    el,
    value: () => [...inputs.values()].find((i) => i.checked)?.value,
    set: (v) => { inputs.get(v).checked = true; },
    input: (v) => inputs.get(v),
    onchange: (f) => handlers.push(f),
  };
}
