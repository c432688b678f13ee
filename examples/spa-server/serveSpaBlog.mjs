// A single-page example blog's production build and the reference collector side by side, as a site would run them:
// the blog (dist/, built by `vite build`) on one port with history fallback, the collector (embedded DuckDB store)
// on another, and a small sink that prints every stored event so you can watch what the tracker sends.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, normalize } from 'node:path';
import { createCollector } from '@waymark/collector';
import { serve } from '@waymark/collector/node';

const contentTypes = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** A sink is one object with a `write` method: this one prints what the collector stored. */
const printSink = {
  name: 'print',
  async write(events) {
    for (const event of events) {
      console.log(`  ✓ ${event.name.padEnd(24)} ${event.context.page.route ?? ''} ${JSON.stringify(event.properties)}`);
    }
    return { written: events.length, skipped: 0, failed: [] };
  },
};

/**
 * Serves the blog in `dir` (its `dist/` built by Vite, with `<meta name="waymark-endpoint" content="" />` in
 * index.html) and a collector beside it, prints the URLs and a read key, and stops both on SIGINT/SIGTERM.
 * `PORT`, `COLLECTOR_PORT`, `HOST` and `WAYMARK_READ_KEY` override the defaults; the site's write key is
 * `wk_<siteId with underscores>`.
 *
 * @param {{ title: string, siteId: string, dir: URL, port: number, collectorPort: number }} options
 */
export async function serveSpaBlog({ title, siteId, dir, port: defaultPort, collectorPort: defaultCollectorPort }) {
  const dist = new URL('dist/', dir);
  const host = process.env.HOST ?? '127.0.0.1';
  const port = Number(process.env.PORT ?? defaultPort);
  const collectorPort = Number(process.env.COLLECTOR_PORT ?? defaultCollectorPort);
  const storeDir = new URL('.waymark/', dir);
  const store = new URL('example.duckdb', storeDir).pathname;
  /** The demo's admin read key, printed at start: the query API and the dashboard want it. */
  const readKey = process.env.WAYMARK_READ_KEY ?? randomBytes(24).toString('hex');

  function listen(server, wanted) {
    return new Promise((resolve, reject) => {
      server.once('error', (error) => {
        reject(error.code === 'EADDRINUSE' ? new Error(`port ${wanted} is in use: start with PORT=${wanted + 1} npm start`) : error);
      });
      server.listen(wanted, host, () => resolve(server.address().port));
    });
  }

  try {
    if (!existsSync(new URL('index.html', dist))) throw new Error('dist/ is missing: run "npm run build" (or "npm start", which builds first)');
    const blog = createServer();
    const blogPort = await listen(blog, port);
    const blogOrigin = `http://${host}:${blogPort}`;
    // Each start begins with an empty demo store, so running it twice is safe.
    mkdirSync(storeDir, { recursive: true });
    rmSync(store, { force: true });
    rmSync(`${store}.wal`, { force: true });
    const collector = createCollector({
      sites: [{ id: siteId, writeKey: `wk_${siteId.replaceAll('-', '_')}`, origins: [blogOrigin] }],
      userIdKey: randomBytes(32).toString('hex'),
      store: { path: store },
      readKeys: [{ name: 'demo', key: readKey, role: 'admin' }],
      sinks: [printSink],
    });
    const collectorServer = await serve(collector, { port: collectorPort, hostname: host }).catch((error) => {
      throw error.code === 'EADDRINUSE'
        ? new Error(`port ${collectorPort} is in use: start with COLLECTOR_PORT=${collectorPort + 1} npm start`)
        : error;
    });
    const collectorOrigin = `http://${host}:${collectorServer.port}`;
    // The built page learns where the collector is from a meta tag.
    const indexHtml = (await readFile(new URL('index.html', dist), 'utf8')).replace(
      '<meta name="waymark-endpoint" content="" />',
      `<meta name="waymark-endpoint" content="${collectorOrigin}" />`,
    );

    blog.on('request', async (request, response) => {
      const { pathname } = new URL(request.url, blogOrigin);
      try {
        if (pathname.startsWith('/partner/')) {
          const partner = pathname.slice('/partner/'.length).replace(/[^a-z0-9-]/gi, '');
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<h1>${partner}: partner site</h1>`);
        } else if (extname(pathname)) {
          const file = new URL(`.${normalize(decodeURIComponent(pathname))}`, dist);
          if (!file.pathname.startsWith(dist.pathname)) return void response.writeHead(404).end();
          const body = await readFile(file);
          response.writeHead(200, { 'content-type': contentTypes[extname(pathname)] ?? 'application/octet-stream' }).end(body);
        } else {
          // History fallback: every route of the app is index.html; the app's router renders the page.
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(indexHtml);
        }
      } catch {
        if (!response.headersSent) response.writeHead(404).end();
      }
    });

    const label = (name) => `${name}:`.padEnd(title.length + 2);
    console.log(`${label(title)}${blogOrigin}/`);
    console.log(`${label('Collector')}${collectorOrigin}  (dashboard ${collectorOrigin}/dashboard)`);
    console.log(`${label('Query API')}curl -H "Authorization: Bearer ${readKey}" "${collectorOrigin}/v1/events?format=ndjson"`);
    console.log(`${label('Store')}${store} (emptied at each start)`);
    console.log('Accept the consent banner on the blog; stored events appear below. Ctrl-C stops.');

    let stopping = false;
    const stop = async () => {
      if (stopping) process.exit(1);
      stopping = true;
      blog.close();
      await collectorServer.close();
      process.exit(0);
    };
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stop);
  } catch (error) {
    console.error(`[waymark] ${error.message}`);
    process.exit(1);
  }
}
