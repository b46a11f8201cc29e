// The REST client: bearer token from sessionStorage, JSON in and out, and
// errors as ApiError carrying the server's {code, message, field}.
const KEY = 'lakesync.token';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body, text) {
    const e = body && body.error ? body.error : {};
    super(e.message || text || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || null;
    this.field = e.field || null;
  }
}

// Integers past 2^53 (Iceberg snapshot ids, big table values) would lose
// digits as numbers: they stay exact as their decimal text.
function exactIntegers(key, value, context) {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)) return context.source;
  return value;
}

// api('GET', '/data-sources') -> parsed JSON (null for 204). A 401 signs out.
// signal (an AbortSignal) abandons the request: the AbortError is thrown as is.
export async function api(method, path, body, { token, headers: extra, signal } = {}) {
  const headers = { ...(extra || {}) };
  const t = token ?? session.token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const init = { method, headers, signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, null, `cannot reach the server: ${e.message}`);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text, exactIntegers) : null; } catch { /* not JSON */ }
  if (res.status === 401 && token === undefined) {
    session.clear();
    if (!location.hash.startsWith('#/signin')) location.hash = '#/signin?expired=1';
  }
  if (!res.ok) throw new ApiError(res.status, json, text);
  return json;
}

// Every item of a paged list.
export async function listAll(path) {
  const items = [];
  let tokenParam = '';
  for (let i = 0; i < 50; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}page_size=1000${tokenParam}`);
    items.push(...(page.items || []));
    if (!page.next_page_token) break;
    tokenParam = `&page_token=${encodeURIComponent(page.next_page_token)}`;
  }
  return items;
}

let specText = null;
// Whether api/openapi.yaml (as served) declares a route, e.g. '/api/v1/jobs'.
export async function hasRoute(route) {
  if (specText === null) {
    try {
      const res = await fetch('/api/v1/openapi.yaml');
      specText = res.ok ? await res.text() : '';
    } catch { specText = ''; }
  }
  return specText.includes(`\n  ${route}:`);
}
