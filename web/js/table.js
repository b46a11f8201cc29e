// One table (Iceberg or Paimon): its facts and storage, schema and every
// schema it had, partitions (spec and the values its files hold), snapshots
// with their Kafka offsets, data files and a preview of rows.
import { api, listAll, hasRoute } from './api.js';
import { h, fmtTime, fmtNum, fmtBytes, pageHeader, scrollBox } from './ui.js';

const FILES_SHOWN = 50; // rows of the files table before "Show more"
const FILES_MAX = 10000; // files read for the partition summary

const typeText = (ty) => (typeof ty === 'string' ? ty : JSON.stringify(ty));
const cellText = (v) => (v === null || v === undefined ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const count = (n, noun) => `${fmtNum(n)} ${noun}${n === 1 ? '' : 's'}`;
const partitionText = (p) => Object.entries(p || {}).map(([k, v]) => `${k}=${cellText(v)}`).join(', ');

function section(id, title, ...body) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

function table(caption, heads, rows, { cls = 'compact', captionVisible = false } = {}) {
  return h('table', { class: cls },
    h('caption', { class: captionVisible ? null : 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows));
}

const errorText = (e) => h('p', { class: 'form-error', role: 'alert' }, e.message);

// The files of the current snapshot, every page up to FILES_MAX.
async function loadFiles(base) {
  const first = await api('GET', `${base}/files?page_size=1000`);
  const items = [...(first.items || [])];
  let token = first.next_page_token;
  while (token && items.length < FILES_MAX) {
    const page = await api('GET', `${base}/files?page_size=1000&page_token=${encodeURIComponent(token)}`);
    if (page.snapshot_id !== first.snapshot_id) break; // a commit moved the list: keep what we have
    items.push(...(page.items || []));
    token = page.next_page_token;
  }
  return { ...first, items, complete: items.length === first.file_count };
}

// What changed from one schema to the next, by field id.
function schemaChanges(prev, cur) {
  const before = new Map((prev?.fields || []).map((f) => [f.id, f]));
  const after = new Map((cur.fields || []).map((f) => [f.id, f]));
  const out = [];
  for (const f of cur.fields || []) {
    const was = before.get(f.id);
    if (!was) out.push(`added ${f.name} ${typeText(f.type)}`);
    else {
      if (was.name !== f.name) out.push(`renamed ${was.name} to ${f.name}`);
      if (typeText(was.type) !== typeText(f.type)) out.push(`${f.name} ${typeText(was.type)} → ${typeText(f.type)}`);
      if (!!was.required !== !!f.required) out.push(`${f.name} ${f.required ? 'required' : 'optional'}`);
    }
  }
  for (const f of prev?.fields || []) if (!after.has(f.id)) out.push(`dropped ${f.name}`);
  return out;
}

function schemaSection(t) {
  const cols = (t.schema && t.schema.fields) || [];
  const history = t.schemas || [];
  const currentId = t.schema ? t.schema.schema_id : null;
  return section('t-schema', 'Schema',
    scrollBox('Columns', table('Columns of the current schema', ['ID', 'Name', 'Type', 'Required'],
      cols.map((c) => h('tr', {}, h('td', {}, String(c.id ?? '')), h('td', {}, c.name), h('td', { class: 'mono' }, typeText(c.type)), h('td', {}, c.required ? 'yes' : 'no'))))),
    h('h3', { id: 't-history' }, `Schema history (${history.length} ${history.length === 1 ? 'version' : 'versions'})`),
    history.length ? h('ol', { class: 'schema-history', 'aria-labelledby': 't-history' }, history.map((sc, i) => {
      const changes = i ? schemaChanges(history[i - 1], sc) : [];
      return h('li', { dataset: { schemaId: String(sc.schema_id) } },
        h('strong', {}, `Schema ${sc.schema_id}`), sc.schema_id === currentId ? h('span', { class: 'badge state-running' }, 'current') : null,
        h('div', { class: 'muted small' }, i === 0 ? 'first schema' : changes.length ? changes.join('; ') : 'no column changes'),
        h('div', { class: 'mono small' }, (sc.fields || []).map((f) => `${f.name} ${typeText(f.type)}`).join(', ')));
    })) : h('p', { class: 'muted' }, 'The table lists no schema history.'));
}

// Distinct partition values of the files with their files, rows and bytes.
function partitionRows(files) {
  const groups = new Map();
  for (const f of files) {
    const key = JSON.stringify(f.partition || {});
    const g = groups.get(key) || { partition: f.partition || {}, files: 0, rows: 0, bytes: 0 };
    g.files += 1;
    g.rows += f.record_count || 0;
    g.bytes += f.file_size_bytes || 0;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => partitionText(a.partition).localeCompare(partitionText(b.partition)));
}

function partitionsBody(t, files, colName) {
  const spec = (t.partition_spec && t.partition_spec.fields) || [];
  const specText = spec.length
    ? spec.map((f) => `${f.name} = ${f.transform}(${colName.get(f.source_id) ?? f.source_id})`).join(', ')
    : 'none (unpartitioned)';
  const out = [h('p', {}, h('span', { class: 'muted' }, 'Spec: '), h('span', { class: 'mono', dataset: { spec: '' } }, specText))];
  if (!files) return out;
  if (!spec.length) return out;
  const groups = partitionRows(files.items);
  out.push(groups.length ? scrollBox('Partition values', table(
    `Partition values in the current snapshot${files.complete ? '' : ` (first ${fmtNum(files.items.length)} files)`}`,
    ['Partition', 'Files', 'Rows', 'Size'],
    groups.map((g) => h('tr', {}, h('td', { class: 'mono' }, partitionText(g.partition)), h('td', { class: 'num' }, fmtNum(g.files)),
      h('td', { class: 'num' }, fmtNum(g.rows)), h('td', { class: 'num' }, fmtBytes(g.bytes)))), { captionVisible: true }))
    : h('p', { class: 'muted' }, 'No data files yet.'));
  return out;
}

// A button that brings the snapshot's row into view (the hash is the
// router's, so no #fragment link).
function snapshotLink(id) {
  return h('button', { type: 'button', class: 'link mono', 'aria-label': `Show snapshot ${id}`, onclick: () => {
    const row = document.getElementById(`snap-${id}`);
    if (!row) return;
    row.scrollIntoView({ block: 'center' });
    row.focus();
  } }, String(id));
}

// The files table with a labelled filter and "Show more".
function filesBody(t, files, snapIds) {
  const loc = (t.location || '').replace(/\/$/, '');
  const short = (p) => (p.startsWith(`${loc}/`) ? p.slice(loc.length + 1) : p);
  const iceberg = files.format === 'iceberg';
  const filter = h('input', { type: 'search', id: 'file-filter', placeholder: 'Path or partition value' });
  const tbody = h('tbody');
  const more = h('button', { type: 'button' }, 'Show more');
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  let shown = FILES_SHOWN;
  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const match = files.items.filter((f) => !q || short(f.path).toLowerCase().includes(q) || partitionText(f.partition).toLowerCase().includes(q));
    tbody.replaceChildren(...match.slice(0, shown).map((f) => h('tr', {},
      h('td', { class: 'mono small path', title: f.path }, short(f.path)),
      h('td', { class: 'mono small' }, partitionText(f.partition) || '—'),
      h('td', { class: 'num' }, fmtNum(f.record_count)), h('td', { class: 'num' }, fmtBytes(f.file_size_bytes)),
      iceberg ? h('td', { class: 'mono small' }, f.added_snapshot_id == null ? '—'
        : snapIds.has(f.added_snapshot_id) ? snapshotLink(f.added_snapshot_id) : String(f.added_snapshot_id))
        : h('td', {}, `${f.bucket ?? '—'} / ${f.level ?? '—'}`))));
    status.textContent = `Showing ${fmtNum(Math.min(shown, match.length))} of ${count(match.length, q ? 'matching file' : 'file')}` +
      (files.complete ? '' : ` (the first ${fmtNum(files.items.length)} of ${fmtNum(files.file_count)} are loaded)`);
    more.hidden = match.length <= shown;
  };
  more.addEventListener('click', () => { shown += FILES_SHOWN; render(); });
  filter.addEventListener('input', () => { shown = FILES_SHOWN; render(); });
  render();
  if (!files.items.length) return [h('p', { class: 'muted' }, 'No data files yet: files appear after the first commit.')];
  return [
    h('div', { class: 'toolbar' }, h('label', { for: 'file-filter' }, 'Filter files'), filter),
    // Focusable so that keyboard users can scroll it on narrow screens.
    scrollBox('Data files', h('table', { class: 'compact' },
      h('caption', { class: 'sr-only' }, 'Data files of the current snapshot'),
      h('thead', {}, h('tr', {}, ['Path (under the table location)', 'Partition', 'Rows', 'Size', iceberg ? 'Added in snapshot' : 'Bucket / level'].map((x) => h('th', { scope: 'col' }, x)))),
      tbody), 'files'),
    status, more];
}

function snapshotsTable(items) {
  return items.length ? table('Snapshots, newest first',
    ['Snapshot', 'Committed', 'Operation', 'Added rows', 'Total rows', 'Total size', 'Next Kafka offsets'],
    items.slice().reverse().map((x) => {
      const sum = x.summary || {};
      let offs = sum['lakesync.offsets'] || '';
      try {
        const o = typeof offs === 'string' ? JSON.parse(offs) : offs;
        offs = Object.entries(o.partitions || {}).map(([p, v]) => `p${p}: ${v}`).join(', ');
      } catch { /* shown as is */ }
      const size = sum['total-files-size'];
      return h('tr', { id: `snap-${x.snapshot_id}`, tabindex: '-1' }, h('td', { class: 'mono' }, String(x.snapshot_id)), h('td', {}, fmtTime(x.timestamp_ms)),
        h('td', {}, x.operation || sum.operation || ''), h('td', {}, fmtNum(sum['added-records'])),
        h('td', { class: 'num' }, fmtNum(sum['total-records'])), h('td', { class: 'num' }, size === undefined ? '—' : fmtBytes(Number(size))),
        h('td', { class: 'mono small' }, offs));
    })) : h('p', { class: 'muted' }, 'No snapshots yet: rows appear after the first commit.');
}

function previewTable(rows, cols) {
  const names = cols.length ? cols.map((c) => c.name) : Object.keys(rows[0] || {});
  return rows.length ? table('Rows', names, rows.map((r) => h('tr', {}, names.map((n) => {
    const v = r[n];
    return h('td', { class: v === null || v === undefined ? 'muted' : null }, cellText(v));
  })))) : h('p', { class: 'muted' }, 'No rows committed yet.');
}

export async function tablePage(main, { params: [db, name] }) {
  main.append(pageHeader(`${db}.${name}`));
  if (!(await hasRoute('/api/v1/databases/{db}/tables/{table}'))) {
    main.append(h('p', { class: 'notice notice-info', role: 'status' }, 'Table browsing is not available in this server version yet.'));
    return;
  }
  const base = `/databases/${encodeURIComponent(db)}/tables/${encodeURIComponent(name)}`;
  const [t, jobs, withFiles] = await Promise.all([api('GET', base), listAll('/jobs'), hasRoute('/api/v1/databases/{db}/tables/{table}/files')]);
  const job = jobs.find((j) => j.database === db && j.table === name);
  // A dead-letter table <table>__dlq is written by its table's job.
  const deadOf = job ? null : jobs.find((j) => j.database === db && `${j.table}__dlq` === name);
  const cols = (t.schema && t.schema.fields) || [];
  const colName = new Map(cols.map((c) => [c.id, c.name]));
  const cur = t.current_snapshot;
  const [files, snaps, preview] = await Promise.all([
    withFiles ? loadFiles(base).catch((e) => e) : null,
    api('GET', `${base}/snapshots`).catch((e) => e),
    api('GET', `${base}/preview?limit=20`).catch((e) => e),
  ]);
  const filesOk = files && !(files instanceof Error) ? files : null;
  const storage = filesOk ? `${fmtBytes(filesOk.total_file_size_bytes)} in ${count(filesOk.file_count, 'file')}, ${count(filesOk.total_record_count, 'row')}` : '—';
  main.append(section('t-facts', 'Table',
    h('dl', { class: 'props' }, ...[
      ['Format', `${t.format}${t.format_version ? ` v${t.format_version}` : ''}`],
      ['Location', h('span', { class: 'mono' }, t.location || '—')],
      ['Metadata', h('span', { class: 'mono' }, t.metadata_location || '—')],
      ['Written by', job ? h('a', { href: `#/jobs/${job.id}` }, `${job.name} (${job.state})`)
        : deadOf ? [h('a', { href: `#/jobs/${deadOf.id}` }, `${deadOf.name} (${deadOf.state})`), ', the dead letters of ',
          h('a', { href: `#/tables/${encodeURIComponent(db)}/${encodeURIComponent(deadOf.table)}` }, `${db}.${deadOf.table}`)] : '—'],
      ['Current snapshot', cur ? `${cur.snapshot_id} at ${fmtTime(cur.timestamp_ms)}` : 'none yet'],
      ['Storage', h('span', { dataset: { storage: '' } }, storage)],
      ['Last updated', fmtTime(t.last_updated_ms)],
    ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))));
  main.append(schemaSection(t));
  main.append(section('t-partitions', 'Partitions', ...partitionsBody(t, filesOk, colName),
    files instanceof Error ? errorText(files) : null));
  const snapItems = snaps instanceof Error ? [] : snaps.items || [];
  main.append(section('t-snapshots', 'Snapshots', snaps instanceof Error ? errorText(snaps)
    : scrollBox('Snapshots', snapshotsTable(snapItems))));
  if (withFiles) {
    const snapIds = new Set(snapItems.map((s) => s.snapshot_id));
    main.append(section('t-files', 'Data files', ...(files instanceof Error ? [errorText(files)] : filesBody(t, files, snapIds))));
  }
  main.append(h('section', { class: 'card', 'aria-labelledby': 't-preview' },
    h('h2', { id: 't-preview' }, 'Preview ', h('span', { class: 'muted small' }, '(first 20 rows of the current snapshot)')),
    preview instanceof Error ? errorText(preview) : scrollBox('Preview rows', previewTable(preview.rows || [], cols), 'preview')));
}
