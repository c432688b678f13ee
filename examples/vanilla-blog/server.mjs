// Serves the example blog and a local /v1/batch endpoint that validates every event against the travel catalogue
// and prints it, so you can watch what the tracker sends. (The reference collector stores events for real.)
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { build } from 'esbuild';
import { formatIssues, travelCatalogue, validateEnvelope } from '@waymark/taxonomy';

const here = new URL('.', import.meta.url);
const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? '127.0.0.1';
/** Every event received, newest last (served at GET /events for tests and curious readers). */
const received = [];

async function bundle() {
  const result = await build({
    entryPoints: [new URL('src/main.ts', here).pathname],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0].text;
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > 512_000) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const script = await bundle();
const server = createServer(async (request, response) => {
  const url = new URL(request.url, `http://${request.headers.host}`);
  try {
    if (request.method === 'POST' && url.pathname === '/v1/batch') {
      const batch = JSON.parse(await readBody(request));
      let accepted = 0;
      for (const event of batch.events ?? []) {
        const result = validateEnvelope([travelCatalogue], event);
        if (result.ok) {
          accepted++;
          received.push(event);
          console.log(`  ✓ ${event.name.padEnd(24)} ${JSON.stringify(event.properties)}`);
        } else console.log(`  ✗ ${String(event?.name)}: ${formatIssues(result.issues)}`);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted }));
    } else if (url.pathname === '/events') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    } else if (url.pathname === '/main.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (url.pathname === '/' || url.pathname.startsWith('/partner/')) {
      const page = url.pathname === '/' ? await readFile(new URL('index.html', here)) : '<h1>Partner site</h1>';
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else response.writeHead(404).end();
  } catch (error) {
    response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error.message) }));
  }
});

server.on('error', (error) => {
  if (error.code === 'EADDRINUSE') console.error(`[waymark] port ${port} is in use: start with PORT=5174 npm start`);
  else console.error(`[waymark] ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`Example travel blog: http://${host}:${server.address().port}/  (events appear below; Ctrl-C stops)`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
