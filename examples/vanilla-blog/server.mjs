// The example travel blog and the reference collector side by side, as a site would run them:
// the blog on one port, the collector (embedded DuckDB store) on another, and a small sink that prints every
// stored event so you can watch what the tracker sends.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createCollector } from '@waymark/collector';
import { serve } from '@waymark/collector/node';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url);
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 5173);
const collectorPort = Number(process.env.COLLECTOR_PORT ?? 8787);
const storeDir = new URL('.waymark/', here);
const store = new URL('example.duckdb', storeDir).pathname;
/** The demo's admin read key, printed at start: the query API and the dashboard want it. */
const readKey = process.env.WAYMARK_READ_KEY ?? randomBytes(24).toString('hex');

/** A sink is one object with a `write` method: this one prints what the collector stored. */
const printSink = {
  name: 'print',
  async write(events) {
    for (const event of events) console.log(`  ✓ ${event.name.padEnd(24)} ${JSON.stringify(event.properties)}`);
    return { written: events.length, skipped: 0, failed: [] };
  },
};

async function bundle(endpoint) {
  const result = await build({
    entryPoints: [new URL('src/main.ts', here).pathname],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    define: { 'process.env.NODE_ENV': '"production"', WAYMARK_ENDPOINT: JSON.stringify(endpoint) },
  });
  return result.outputFiles[0].text;
}

function listen(server, wanted) {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      const flag = wanted === port ? 'PORT' : 'COLLECTOR_PORT';
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${wanted} is in use: start with ${flag}=${wanted + 1} npm start -w @waymark/example-vanilla-blog`) : error);
    });
    server.listen(wanted, host, () => resolve(server.address().port));
  });
}

try {
  const blog = createServer();
  const blogPort = await listen(blog, port);
  const blogOrigin = `http://${host}:${blogPort}`;
  // Each start begins with an empty demo store, so running it twice is safe.
  mkdirSync(storeDir, { recursive: true });
  rmSync(store, { force: true });
  rmSync(`${store}.wal`, { force: true });
  const collector = createCollector({
    sites: [{ id: 'example-blog', writeKey: 'wk_example_blog', origins: [blogOrigin] }],
    userIdKey: randomBytes(32).toString('hex'),
    store: { path: store },
    readKeys: [{ name: 'demo', key: readKey, role: 'admin' }],
    sinks: [printSink],
  });
  const collectorServer = await serve(collector, { port: collectorPort, hostname: host }).catch((error) => {
    throw error.code === 'EADDRINUSE'
      ? new Error(`port ${collectorPort} is in use: start with COLLECTOR_PORT=${collectorPort + 1} npm start -w @waymark/example-vanilla-blog`)
      : error;
  });
  const collectorOrigin = `http://${host}:${collectorServer.port}`;
  const script = await bundle(collectorOrigin);

  blog.on('request', async (request, response) => {
    const url = new URL(request.url, blogOrigin);
    if (url.pathname === '/main.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(await readFile(new URL('index.html', here)));
    } else if (url.pathname.startsWith('/partner/')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Partner site</h1>');
    } else response.writeHead(404).end();
  });

  console.log(`Example travel blog: ${blogOrigin}/`);
  console.log(`Collector:           ${collectorOrigin}  (dashboard ${collectorOrigin}/dashboard)`);
  console.log(`Query API:           curl -H "Authorization: Bearer ${readKey}" "${collectorOrigin}/v1/events?format=ndjson"`);
  console.log(`Store:               ${store} (emptied at each start)`);
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
