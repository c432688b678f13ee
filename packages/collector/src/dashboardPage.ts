import { createHash } from 'node:crypto';

const style = `body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1d2330}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde;padding:.3rem .5rem;text-align:left;vertical-align:top;word-break:break-all}
#counts{display:flex;gap:2rem;margin:1rem 0}#counts div div{font-size:1.6rem}.muted{color:#667}`;

/** The dashboard's script: all event text goes into the page through `textContent`, never parsed as HTML. */
export const dashboardScript = `'use strict';
(() => {
  let key = null;
  let stream = null;
  const $ = (id) => document.getElementById(id);
  const recent = [];
  const counts = { events: 0, pageviews: 0 };
  const text = (tag, value) => {
    const node = document.createElement(tag);
    node.textContent = value == null ? '' : String(value);
    return node;
  };
  const readablePath = (path) => {
    try { return decodeURIComponent(path); } catch { return path; }
  };
  const api = async (path) => {
    const response = await fetch(path, { headers: { authorization: 'Bearer ' + key }, cache: 'no-store' });
    if (!response.ok) throw new Error(response.status + ' ' + (await response.text()));
    return response;
  };
  const render = () => {
    $('events-count').textContent = String(Math.round(counts.events));
    $('pageviews-count').textContent = String(Math.round(counts.pageviews));
    const rows = $('rows');
    rows.replaceChildren(...recent.map((event) => {
      const row = document.createElement('tr');
      row.append(
        text('td', event.timestamp), text('td', event.name), text('td', readablePath(event.path ?? '')),
        text('td', event.title), text('td', event.referrer), text('td', event.country), text('td', event.device), text('td', event.postId),
      );
      return row;
    }));
  };
  const add = (event) => {
    recent.unshift(event);
    recent.length = Math.min(recent.length, 100);
    counts.events += 1;
    if (event.type === 'page') counts.pageviews += 1;
  };
  const status = (message) => { $('status').textContent = message; };
  async function load() {
    const from = new Date(Date.now() - 86400000).toISOString().replace(/\\.\\d{3}Z$/, 'Z');
    for (const metric of ['events', 'pageviews']) {
      const body = await (await api('/v1/query?metric=' + metric + '&bucket=day&from=' + encodeURIComponent(from))).json();
      counts[metric] = body.rows.reduce((sum, row) => sum + row.value, 0);
    }
    const lines = (await (await api('/v1/events?format=ndjson&order=desc&limit=50&from=' + encodeURIComponent(from))).text()).split('\\n');
    recent.length = 0;
    for (const line of lines) {
      if (!line) continue;
      const e = JSON.parse(line);
      const page = (e.context && e.context.page) || {};
      recent.push({ timestamp: e.timestamp, type: e.type, name: e.name, path: page.path, title: page.title, referrer: page.referrer,
        country: e.country, device: e.context && e.context.server && e.context.server.device, postId: e.properties && e.properties.postId });
    }
    render();
  }
  async function listen() {
    stream = new AbortController();
    const response = await fetch('/v1/stream', { headers: { authorization: 'Bearer ' + key }, signal: stream.signal });
    if (!response.ok || !response.body) throw new Error('stream: ' + response.status);
    status('live');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\\n\\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\\n');
        if (data) { add(JSON.parse(data)); render(); }
      }
    }
    status('disconnected');
  }
  $('login').addEventListener('submit', async (submit) => {
    submit.preventDefault();
    key = $('key').value;
    $('key').value = '';
    if (stream) stream.abort();
    try {
      status('loading');
      await load();
      $('login').hidden = true;
      $('board').hidden = false;
      await listen();
    } catch (error) {
      status('error: ' + error.message);
    }
  });
})();
`;

/** `sha256-…` source of a CSP for inline content. */
const cspHash = (content: string) => `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`;

/** The Content-Security-Policy of the dashboard: its own script and style only, fetches to the collector only. */
export const dashboardCsp = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src ${cspHash(style)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The dashboard's HTML: no event data, which the script fetches once a key is typed in. */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Waymark live</title>
<style>${style}</style>
<script src="/dashboard.js" defer></script>
</head>
<body>
<h1>Waymark live</h1>
<p id="status" class="muted" role="status">signed out</p>
<form id="login" autocomplete="off">
<label>Read key (admin or creator) <input id="key" type="password" required autocomplete="off"></label>
<button type="submit">Open</button>
</form>
<section id="board" hidden>
<div id="counts"><div><span>Events, last 24 h</span><div id="events-count">0</div></div><div><span>Page views, last 24 h</span><div id="pageviews-count">0</div></div></div>
<table><thead><tr><th>time</th><th>event</th><th>path</th><th>title</th><th>referrer</th><th>country</th><th>device</th><th>post</th></tr></thead>
<tbody id="rows"></tbody></table>
</section>
</body>
</html>
`;

/** Headers of the dashboard's responses. */
export function dashboardHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': dashboardCsp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}
