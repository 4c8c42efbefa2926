// Thin client of the query service's HTTP/JSON API (grpc-gateway, protojson
// field names). The read key, when the user gives one, is kept in
// sessionStorage only: it leaves with the tab.

const KEY_STORAGE = 'footprint.readKey';

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function readKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}

export function saveKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage disabled: the key lasts until the next reload only.
  }
}

async function call(method, path, body, signal) {
  const headers = { accept: 'application/json' };
  const key = readKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, `The query service did not answer (${err.message}).`, 'UNAVAILABLE');
  }
  const text = await resp.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text };
  }
  if (!resp.ok) throw new ApiError(resp.status, json.message || resp.statusText, json.code);
  return json;
}

export const api = {
  query: (req, signal) => call('POST', 'api/v1/query', req, signal),
  realtime: (req, signal) => call('POST', 'api/v1/realtime', req, signal),
  sites: (signal) => call('GET', 'api/v1/sites', undefined, signal),
};
