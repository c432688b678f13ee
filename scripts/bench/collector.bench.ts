// Ingest rate of the collector's Node server (validation, enrichment, dedupe, durable DuckDB commits) next to a bare
// Hono server that only parses the same JSON, measured side by side in one run (ratios matter; absolute numbers are
// noisy on this shared machine). Goal: the collector keeps at least 40% of the bare rate.
// Each server runs in its own child process on 127.0.0.1; this process is the load generator: C keep-alive
// connections, each posting 50-event batches back to back, every request bounded by a timeout.
// Run with `npx tsx scripts/bench/collector.bench.ts [--duration 10] [--connections 32]`; `--duration 300` is the
// memory check: the collector's RSS is printed every 30 s with its growth. WAYMARK_BENCH_CPU_PROF=<dir> profiles the servers.
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

type Role = 'collector' | 'bare';

// ---------------------------------------------------------------------------------------------------------------
// Child process: one server, reporting its port and answering RSS queries over IPC.

async function runServer(role: Role, store: string): Promise<void> {
  let close: () => Promise<void>;
  let port: number;
  if (role === 'collector') {
    const { createCollector } = await import('@waymark/collector');
    const { serve } = await import('@waymark/collector/node');
    const collector = createCollector({
      sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
      userIdKey: USER_ID_KEY,
      store: { path: store },
      rateLimit: false, // one load generator on one IP: the per-IP bucket would measure only itself
    });
    const server = await serve(collector, { port: 0, hostname: '127.0.0.1' });
    port = server.port;
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
    if (message === 'heap') process.send!({ heap: process.memoryUsage().heapUsed });
    if (message === 'close') void close().then(() => process.send!({ closed: true }, () => process.exit(0)));
  });
  process.send!({ port });
}

// ---------------------------------------------------------------------------------------------------------------
// Load generator.

interface Server {
  child: ChildProcess;
  port: number;
  ask<T>(message: string, key: string): Promise<T>;
}

async function startServer(role: Role, store: string): Promise<Server> {
  const self = fileURLToPath(import.meta.url);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  // WAYMARK_BENCH_CPU_PROF=<dir> writes a .cpuprofile of each server there, to open in Chrome DevTools.
  const profile = process.env.WAYMARK_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.WAYMARK_BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, '--conditions=@waymark/source', '--import', tsx, self, '--serve', role, '--store', store], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(message: string, key: string) =>
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

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' },
      serve: { type: 'string' },
      store: { type: 'string' },
    },
  });
  if (values.serve) return runServer(values.serve as Role, values.store!);

  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  if (!(seconds > 0) || !(connections > 0)) throw new Error('[waymark] bench: --duration and --connections must be positive numbers');
  const dir = mkdtempSync(join(tmpdir(), 'waymark-collector-bench-'));
  const store = join(dir, 'bench.duckdb');
  console.log(`${connections} connections, ${BATCH_EVENTS}-event batches, ${Math.min(seconds, 30)} s bare and ${seconds} s collector, each after a 2 s warm-up (127.0.0.1)`);
  try {
    // The bare server holds no state, so a long run measures only the collector for long.
    const bare = await startServer('bare', store);
    const bareResult = await load(bare, Math.min(seconds, 30), connections);
    await bare.ask('close', 'closed');

    const collector = await startServer('collector', store);
    const rss: { at: number; rss: number }[] = [{ at: 0, rss: await collector.ask<number>('rss', 'rss') }];
    const every = seconds >= 60 ? 30 : seconds;
    const collectorResult = await load(collector, seconds, connections, async (elapsed) => {
      if (elapsed % every !== 0) return;
      const value = await collector.ask<number>('rss', 'rss');
      rss.push({ at: elapsed, rss: value });
      // The JavaScript heap's share tells growth in the collector's own objects from DuckDB's native memory.
      const heap = await collector.ask<number>('heap', 'heap');
      if (seconds >= 60) console.log(`  collector RSS at ${String(elapsed).padStart(3)} s: ${mb(value)} (JavaScript heap ${mb(heap)})`);
    });
    await collector.ask('close', 'closed');

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
    const ratio = collectorResult.events / collectorResult.seconds / (bareResult.events / bareResult.seconds);
    console.log(`\ncollector / bare: ${(ratio * 100).toFixed(0)}% of the bare rate (goal >= 40%)${ratio >= 0.4 ? '' : '  BELOW GOAL'}`);
    console.log(`stored ${stored.toLocaleString('en')} events; ${collectorResult.accepted.toLocaleString('en')} measured as accepted (plus warm-up)`);
    const first = seconds >= 60 ? (rss.find((r) => r.at >= 30) ?? rss[0]) : rss[0];
    const last = rss[rss.length - 1];
    console.log(
      `collector RSS: ${mb(rss[0].rss)} before load, ${mb(last.rss)} at the end; growth ${mb(last.rss - first.rss)} from ${first.at} s to ${last.at} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
