// Child process of the kill -9 test: serves a collector on a DuckDB file and prints its port. Not published.
import { createCollector } from './createCollector';
import { serve } from './node';
import { ORIGIN, USER_ID_KEY, WRITE_KEY } from './testSupport';

const collector = createCollector({
  sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
  userIdKey: USER_ID_KEY,
  store: { path: process.argv[2] },
  rateLimit: false,
});
const server = await serve(collector, { port: 0 });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
