// Runs the Next.js travel blog with the reference collector mounted under its own origin (/wm): builds for production
// when the sources changed since the last build, empties the demo store, then runs `next start` on 127.0.0.1.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const host = '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const origin = `http://${host}:${port}`;
const storeDir = `${here}.waymark/`;
const store = `${storeDir}next-blog.duckdb`;
/** The demo's admin read key: from WAYMARK_READ_KEY, else made now and printed, since the query API wants it. */
const readKey = process.env.WAYMARK_READ_KEY ?? `rk_${randomBytes(24).toString('hex')}`;
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');

/** Newest modification time under a path, in ms. */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(`${path}/${name}`)));
}

function needsBuild() {
  const buildId = `${here}.next/BUILD_ID`;
  if (!existsSync(buildId)) return true;
  const sources = ['src', 'next.config.mjs', 'package.json'].map((name) => newest(`${here}${name}`));
  return Math.max(...sources) > statSync(buildId).mtimeMs;
}

function run(args, env) {
  return spawn(process.execPath, [nextBin, ...args], { cwd: here, env, stdio: 'inherit' });
}

const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: '1',
  // The collector closes its store on SIGINT / SIGTERM, so Next must leave those signals to the app.
  NEXT_MANUAL_SIG_HANDLE: 'true',
  WAYMARK_SITE_ORIGINS: `${origin},http://localhost:${port}`,
  WAYMARK_STORE: store,
  WAYMARK_READ_KEY: readKey,
};

if (needsBuild()) {
  console.log('Building the blog for production (next build)…');
  const build = run(['build'], { ...env, NODE_ENV: 'production' });
  const code = await new Promise((resolve) => build.on('exit', resolve));
  if (code !== 0) {
    console.error('[waymark] next build failed; see the output above');
    process.exit(1);
  }
}

// Each start begins with an empty demo store, so running it twice is safe.
mkdirSync(storeDir, { recursive: true });
rmSync(store, { force: true });
rmSync(`${store}.wal`, { force: true });

const server = run(['start', '-H', host, '-p', String(port)], env);
console.log(`Example travel blog (Next.js): ${origin}/`);
console.log(`Collector:                     ${origin}/wm (tracker endpoint; read API at ${origin}/wm/v1/…)`);
console.log(
  process.env.WAYMARK_READ_KEY
    ? `Query API:                     curl -H "Authorization: Bearer $WAYMARK_READ_KEY" "${origin}/wm/v1/events?format=ndjson"`
    : `Query API:                     curl -H "Authorization: Bearer ${readKey}" "${origin}/wm/v1/events?format=ndjson"`,
);
console.log(`Store:                         ${store} (emptied at each start)`);
console.log('Accept the consent banner on the blog, then read the stored events with the query API. Ctrl-C stops.');

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
