// Ingest rate of the collector's Node server (validation, enrichment, dedupe, durable DuckDB commits) next to a bare
// Hono server that only parses the same JSON, measured side by side in one run (ratios matter; absolute numbers are
// noisy on this shared machine). Goal: the collector keeps at least 40% of the bare rate.
// Each server runs in its own child process on 127.0.0.1; this process is the load generator: C keep-alive
// connections, each posting 50-event batches back to back, every request bounded by a timeout.
// A third child runs the collector's DuckDB group write alone (no HTTP, no validation, no dedupe): its rate bounds
// what the collector can reach on this machine, so the two ratios tell the store's cost from the rest.
// Run with `npx tsx scripts/bench/collector.bench.ts [--duration 10] [--connections 32] [--memory-limit 512MB]`;
// `--duration 300` is the memory check: the collector's RSS is sampled every second and each 30 s window's median and
// maximum printed, with the growth between medians. WAYMARK_BENCH_CPU_PROF=<dir> profiles the servers.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ORIGIN = 'https://blog.example';
const WRITE_KEY = 'wk_bench_blog';
const USER_ID_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const BATCH_EVENTS = 50;
const TIMEOUT_MS = 10_000;

type Role = 'collector' | 'bare' | 'store';

// ---------------------------------------------------------------------------------------------------------------
// Child process: one server, reporting its port and answering RSS queries over IPC.

async function runServer(role: Role, store: string, memoryLimit: string | undefined): Promise<void> {
  let close: () => Promise<void>;
  let port: number;
  /** The collector's own memory gauges, read from its `/metrics`. */
  let gauges: () => Promise<Record<string, number>> = async () => ({});
  if (role === 'store') return runStore(store, memoryLimit);
  if (role === 'collector') {
    const { createCollector } = await import('@waymark/collector');
    const { serve } = await import('@waymark/collector/node');
    const collector = createCollector({
      sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
      userIdKey: USER_ID_KEY,
      store: { path: store, ...(memoryLimit ? { memoryLimit } : {}) },
      rateLimit: false, // one load generator on one IP: the per-IP bucket would measure only itself
    });
    const server = await serve(collector, { port: 0, hostname: '127.0.0.1' });
    port = server.port;
    gauges = async () => {
      const text = await (await collector.fetch(new Request('http://bench.local/metrics'))).text();
      const values: Record<string, number> = Object.fromEntries([...text.matchAll(/^(\w+) (\d+)$/gm)].map(([, name, value]) => [name, Number(value)]));
      // DuckDB's buffer manager by tag: the sum, and the tag holding most.
      const tags = [...text.matchAll(/^waymark_store_memory_bytes\{tag="(\w+)"\} (\d+)$/gm)].map(([, tag, bytes]) => ({ tag, bytes: Number(bytes) }));
      values.waymark_store_memory_bytes = tags.reduce((sum, t) => sum + t.bytes, 0);
      const top = tags.sort((a, b) => b.bytes - a.bytes)[0];
      return { ...values, ...(top ? { [`top:${top.tag}`]: top.bytes } : {}) };
    };
    close = () => server.close();
  } else {
    const { Hono } = await import('hono');
    const { serve } = await import('@hono/node-server');
    const app = new Hono();
    app.post('/v1/batch', async (c) => {
      const body = JSON.parse(await c.req.text()) as { events: { id: string }[] };
      return c.json({ results: body.events.map((e) => ({ id: e.id, status: 'accepted' })) });
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    port = (server.address() as { port: number }).port;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  }
  process.on('message', (message: string) => {
    if (message === 'rss') process.send!({ rss: process.memoryUsage().rss });
    if (message === 'memory') void gauges().then((g) => process.send!({ memory: g }));
    if (message === 'close') void close().then(() => process.send!({ closed: true }, () => process.exit(0)));
  });
  process.send!({ port });
}

/**
 * Child process: the collector's own DuckDB group write alone, without HTTP, parsing, validation or dedupe. Groups
 * are as large as the load can make them (every connection's batch in one commit), events shaped as the collector
 * stores them, each group committed before the next, as the collector does. Its rate bounds the collector's, which
 * commits one group at a time through one writer.
 */
async function runStore(store: string, memoryLimit: string | undefined): Promise<void> {
  const { openDuckdbStore } = await import('../../packages/collector/src/duckdbStore');
  const db = await openDuckdbStore({ path: store, ...(memoryLimit ? { memoryLimit } : {}) });
  const { performance } = await import('node:perf_hooks');
  process.on('message', async (message: { seconds: number; group: number } | string) => {
    if (typeof message === 'string') {
      if (message === 'close') await db.close().then(() => process.send!({ closed: true }, () => process.exit(0)));
      return;
    }
    const visitorContext = () => ({
      page: { url: 'https://blog.example/portugal/lisbon-in-3-days?utm_source=newsletter', path: '/portugal/lisbon-in-3-days', referrer: 'www.google.com' },
      locale: 'en-GB',
      screen: 'mobile',
      campaign: { source: 'newsletter' },
      consent: { analytics: true, storage: true, marketing: false, gpc: false },
      sampleRate: 1,
      library: { name: '@waymark/core', version: '0.1.0' },
      server: { siteId: 'blog', visitorId: randomUUID().replaceAll('-', ''), device: 'desktop', browser: 'Safari', os: 'macOS', clockSkewMs: 0 },
    });
    const makeGroup = () => {
      const at = new Date().toISOString();
      const group = [];
      for (let r = 0; r < message.group / BATCH_EVENTS; r++) {
        const anonymousId = randomUUID();
        const sessionId = randomUUID();
        const context = visitorContext();
        for (let i = 0; i < BATCH_EVENTS; i++) {
          group.push({
            id: randomUUID(), type: 'track', name: 'scroll_depth_reached', schema: 'travel@1', timestamp: at, receivedAt: at,
            anonymousId, sessionId, properties: { postId: 'lisbon-in-3-days', percent: 50 }, context,
          });
        }
      }
      return group as never;
    };
    const deadline = performance.now() + message.seconds * 1000;
    const started = performance.now();
    const busy = performance.eventLoopUtilization();
    let events = 0;
    let next = makeGroup();
    while (performance.now() < deadline) {
      // The next group is made while this one commits, as the collector takes in requests meanwhile.
      const writing = db.writeGroup(next, []);
      next = makeGroup();
      events += (await writing).written;
    }
    const seconds = (performance.now() - started) / 1000;
    process.send!({ stored: { events, seconds, mainThread: performance.eventLoopUtilization(busy).utilization } });
  });
  process.send!({ port: 0 });
}

// ---------------------------------------------------------------------------------------------------------------
// Load generator.

interface Server {
  child: ChildProcess;
  port: number;
  ask<T>(message: string | object, key: string): Promise<T>;
}

async function startServer(role: Role, store: string, memoryLimit?: string): Promise<Server> {
  const self = fileURLToPath(import.meta.url);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  // WAYMARK_BENCH_CPU_PROF=<dir> writes a .cpuprofile of each server there, to open in Chrome DevTools.
  const profile = process.env.WAYMARK_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.WAYMARK_BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, '--conditions=@waymark/source', '--import', tsx, self, '--serve', role, '--store', store, ...(memoryLimit ? ['--memory-limit', memoryLimit] : [])], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(message: string | object, key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (reply: Record<string, unknown>) => {
        if (!(key in reply)) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(reply[key] as T);
      };
      const onExit = (code: number | null) => reject(new Error(`[waymark] bench: the ${role} server exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (message) child.send(message);
    });
  const port = await ask<number>('', 'port');
  return { child, port, ask };
}

/** A realistic 50-event batch with fresh ids: page views, scroll milestones, engaged time and read-throughs. */
function makeBatch(now: string): string {
  const anonymousId = randomUUID();
  const sessionId = randomUUID();
  const context = JSON.stringify({
    page: { url: 'https://blog.example/portugal/lisbon-in-3-days?utm_source=newsletter&fbclid=abc', path: '/portugal/lisbon-in-3-days', referrer: 'https://www.google.com/' },
    locale: 'en-GB',
    screen: 'mobile',
    consent: { analytics: true, storage: true, marketing: false, gpc: false },
    sampleRate: 1,
    library: { name: '@waymark/core', version: '0.1.0' },
  });
  const kinds = [
    ['page', 'page_viewed', '{"postId":"lisbon-in-3-days","authorId":"ana","template":"article","themes":["city-break","food"]}'],
    ['track', 'scroll_depth_reached', '{"postId":"lisbon-in-3-days","percent":50}'],
    ['track', 'engaged_time_reported', '{"postId":"lisbon-in-3-days","engagedMs":15000,"final":false}'],
    ['track', 'post_read', '{"postId":"lisbon-in-3-days","engagedMs":184000}'],
  ];
  const events: string[] = [];
  for (let i = 0; i < BATCH_EVENTS; i++) {
    const [type, name, properties] = kinds[i % kinds.length];
    events.push(
      `{"id":"${randomUUID()}","type":"${type}","name":"${name}","properties":${properties},"timestamp":"${now}",` +
        `"anonymousId":"${anonymousId}","sessionId":"${sessionId}","schema":"travel@1","context":${context}}`,
    );
  }
  return `{"sentAt":"${now}","events":[${events.join(',')}]}`;
}

function post(agent: Agent, port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/v1/batch?key=${WRITE_KEY}`,
        headers: { origin: ORIGIN, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'user-agent': UA },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface Result {
  events: number;
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  accepted: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(server: Server, seconds: number, connections: number, onTick?: (elapsed: number) => Promise<void>): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let now = new Date().toISOString();
  const clock = setInterval(() => (now = new Date().toISOString()), 250);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let errors = 0;
  let accepted = 0;
  let firstError: string | undefined;
  let measuring = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const body = makeBatch(now);
      const started = performance.now();
      try {
        const { status, text } = await post(agent, server.port, body);
        if (status !== 200) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
        if (!measuring) continue;
        const took = performance.now() - started;
        if (count === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[count++] = took;
        // Counting "accepted" without parsing the whole answer keeps the load generator light.
        accepted += text.split('"accepted"').length - 1;
      } catch (error) {
        if (measuring) errors += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  const workers = Array.from({ length: connections }, worker);
  await new Promise((resolve) => setTimeout(resolve, 2000)); // warm-up: JIT, connections, first commits
  measuring = true;
  const started = performance.now();
  const end = started + seconds * 1000;
  let tick = 0;
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, end - performance.now())));
    const elapsed = Math.round((performance.now() - started) / 1000);
    if (onTick && elapsed >= tick + 1) {
      tick = elapsed;
      await onTick(elapsed);
    }
  }
  measuring = false;
  const took = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(workers);
  clearInterval(clock);
  agent.destroy();
  if (count === 0) throw new Error(`[waymark] bench: no request succeeded: ${firstError}`);
  if (errors > 0) console.warn(`  ${errors} requests failed; first: ${firstError}`);
  const sorted = latencies.slice(0, count).sort();
  return { events: count * BATCH_EVENTS, requests: count, errors, seconds: took, p50: percentile(sorted, 50), p99: percentile(sorted, 99), accepted };
}

/** Median and maximum RSS of the samples taken after `from` s, up to `to` s. */
function windowOf(samples: readonly { at: number; rss: number }[], from: number, to: number): { median: number; max: number } {
  const values = samples
    .filter((s) => s.at > from && s.at <= to)
    .map((s) => s.rss)
    .sort((a, b) => a - b);
  return { median: values[values.length >> 1] ?? NaN, max: values[values.length - 1] ?? NaN };
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' },
      'memory-limit': { type: 'string' },
      serve: { type: 'string' },
      store: { type: 'string' },
    },
  });
  if (values.serve) return runServer(values.serve as Role, values.store!, values['memory-limit']);

  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  if (!(seconds > 0) || !(connections > 0)) throw new Error('[waymark] bench: --duration and --connections must be positive numbers');
  // Checked before the bare run, so a typo costs no time; the collector checks it again, as `store.memoryLimit`.
  if (values['memory-limit'] !== undefined && !/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(values['memory-limit'])) {
    throw new Error(`[waymark] bench: --memory-limit must be a size such as 256MB or 1GB, got ${JSON.stringify(values['memory-limit'])}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'waymark-collector-bench-'));
  const store = join(dir, 'bench.duckdb');
  console.log(`${connections} connections, ${BATCH_EVENTS}-event batches, ${Math.min(seconds, 30)} s bare and ${seconds} s collector, each after a 2 s warm-up (127.0.0.1)`);
  try {
    // The bare server holds no state, so a long run measures only the collector for long.
    const bare = await startServer('bare', store);
    const bareResult = await load(bare, Math.min(seconds, 30), connections);
    await bare.ask('close', 'closed');

    const collector = await startServer('collector', store, values['memory-limit']);
    const before = await collector.ask<number>('rss', 'rss');
    // RSS is sampled every second: DuckDB's writes hold native memory outside its buffer manager that rises and falls
    // by a few hundred MB within seconds, so one sample per window would catch the rise or not by chance. Each
    // window's median shows the trend, its maximum the peak.
    const rss: { at: number; rss: number }[] = [];
    const every = seconds >= 60 ? 30 : seconds;
    let printed = 0;
    const collectorResult = await load(collector, seconds, connections, async (elapsed) => {
      const value = await collector.ask<number>('rss', 'rss');
      rss.push({ at: elapsed, rss: value });
      // A tick can come late and skip a second, so a window is printed on the first tick past its end.
      const windows = Math.floor(elapsed / every);
      if (seconds < 60 || windows <= printed) return;
      printed = windows;
      const to = windows * every;
      // Where the memory is at the window's end: the collector's own objects (JavaScript heap, and ArrayBuffers such
      // as the dedupe window), DuckDB's buffer manager (capped by its memory limit), and the rest no gauge accounts for.
      const g = await collector.ask<Record<string, number>>('memory', 'memory');
      const rest = g.process_resident_memory_bytes - g.nodejs_heap_size_total_bytes - g.nodejs_external_memory_bytes - g.waymark_store_memory_bytes;
      const window = windowOf(rss, to - every, to);
      console.log(
        `  collector RSS ${String(to - every).padStart(3)}-${String(to).padStart(3)} s: median ${mb(window.median)}, max ${mb(window.max)}; at ${elapsed} s ` +
          `JavaScript heap ${mb(g.nodejs_heap_size_used_bytes)} used of ${mb(g.nodejs_heap_size_total_bytes)}, external ${mb(g.nodejs_external_memory_bytes)}, ` +
          `DuckDB buffer manager ${mb(g.waymark_store_memory_bytes)} (most in ${Object.keys(g).find((k) => k.startsWith('top:'))?.slice(4) ?? '-'}), rest ${mb(rest)}`,
      );
    });
    await collector.ask('close', 'closed');

    // The store alone, on a file of its own, for as long as the bare server ran.
    const storeOnly = await startServer('store', join(dir, 'store-only.duckdb'), values['memory-limit']);
    const group = connections * BATCH_EVENTS;
    const storeResult = await storeOnly.ask<{ events: number; seconds: number; mainThread: number }>({ seconds: Math.min(seconds, 30), group }, 'stored');
    await storeOnly.ask('close', 'closed');

    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(store, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    const stored = Number((await connection.runAndReadAll('SELECT count(*) FROM waymark_events')).getRows()[0][0]);
    connection.closeSync();
    instance.closeSync();

    const row = (name: string, r: Result) =>
      `${name.padEnd(34)}${Math.round(r.events / r.seconds).toLocaleString('en').padStart(12)}${Math.round(r.requests / r.seconds).toLocaleString('en').padStart(10)}` +
      `${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.errors).padStart(8)}`;
    console.log(`\n${'server'.padEnd(34)}${'events/s'.padStart(12)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}`);
    console.log(row('bare Hono (parse JSON only)', bareResult));
    console.log(row('collector (validate+dedupe+DuckDB)', collectorResult));
    const bareRate = bareResult.events / bareResult.seconds;
    const storeRate = storeResult.events / storeResult.seconds;
    console.log(
      `${'store alone (DuckDB group writes)'.padEnd(34)}${Math.round(storeRate).toLocaleString('en').padStart(12)}` +
        `   ${group}-event groups, no HTTP; main thread ${(storeResult.mainThread * 100).toFixed(0)}% busy`,
    );
    const ratio = collectorResult.events / collectorResult.seconds / bareRate;
    console.log(`\ncollector / bare: ${(ratio * 100).toFixed(0)}% of the bare rate (goal >= 40%)${ratio >= 0.4 ? '' : '  BELOW GOAL'}`);
    console.log(
      `store alone / bare: ${((storeRate / bareRate) * 100).toFixed(0)}%, the most the collector's one-writer store takes here, before any HTTP, parsing, validation or dedupe; ` +
        `collector / store alone: ${((collectorResult.events / collectorResult.seconds / storeRate) * 100).toFixed(0)}%`,
    );
    console.log(`stored ${stored.toLocaleString('en')} events; ${collectorResult.accepted.toLocaleString('en')} measured as accepted (plus warm-up)`);
    // Growth between medians: the window after the 30 s the store takes to warm against the last window (halves of a
    // run too short to have both).
    const long = seconds >= 90;
    const first = long ? windowOf(rss, 30, 60) : windowOf(rss, 0, Math.ceil(seconds / 2));
    const last = long ? windowOf(rss, seconds - every, seconds) : windowOf(rss, Math.ceil(seconds / 2), seconds);
    const peak = Math.max(...rss.map((r) => r.rss));
    console.log(
      `collector RSS: ${mb(before)} before load; median ${mb(first.median)} ${long ? 'from 30 to 60 s' : 'in the first half'}, ` +
        `${mb(last.median)} ${long ? `in the last ${every} s` : 'in the second half'} (growth ${mb(last.median - first.median)}); peak ${mb(peak)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
