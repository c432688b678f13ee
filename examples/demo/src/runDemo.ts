import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { createCollector } from '@waymark/collector';
import type { CollectorOptions } from '@waymark/collector';
import { serve } from '@waymark/collector/node';
import type { CollectorServer } from '@waymark/collector/node';
import cliProgress from 'cli-progress';
import { readCollectorMetrics } from './collectorMetrics';
import { startCollectorThread } from './collectorThread';
import type { DemoOptions } from './demoOptions';
import { formatSummary, summarise } from './demoSummary';
import { blogBuildDir, blogBuildNeeded, buildBlog } from './ensureBlogBuild';
import { createReplayNetwork } from './replayNetwork';
import { replayReadership } from './replayReadership';
import { serveBlog } from './serveBlog';
import { createVirtualClock } from './virtualClock';
import { writeDemoReport } from './writeDemoReport';

/** A problem with the environment or the flags: printed as one line, never with a stack trace. */
export class DemoError extends Error {}

/** The write key compiled into the React example blog. */
const WRITE_KEY = 'wk_example_react_blog';
/** Headers of the proxy the demo's collector trusts: the replay puts each visitor's IP and country there. */
const IP_HEADER = 'x-forwarded-for';
const COUNTRY_HEADER = 'x-country-code';
const DAY = 86_400_000;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Things to stop, newest first, when the demo ends or is interrupted. */
interface Closer {
  name: string;
  close(): Promise<unknown> | unknown;
}

async function assertPortFree(host: string, port: number, what: string, flag: string, env: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new DemoError(`port ${port} (${what}) is in use: start the demo with ${flag} <port> (or ${env}=<port>) to use another`));
      else if (error.code === 'EACCES') reject(new DemoError(`port ${port} (${what}) is not allowed here: start the demo with ${flag} <port> (or ${env}=<port>) above 1023`));
      else reject(new DemoError(`cannot listen on ${host}:${port} (${what}): ${error.message}; use --host or ${flag}`));
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** Fails with a clear message when another process holds the store (another demo running on the same folder). */
async function assertStoreFree(path: string): Promise<void> {
  if (!existsSync(path)) return;
  try {
    const instance = await DuckDBInstance.create(path);
    instance.closeSync();
  } catch (error) {
    const message = (error as Error).message;
    if (/lock/i.test(message)) throw new DemoError(`the demo store ${path} is open in another process (another demo?): stop it, or give this one its own folder with --dir <path>`);
    throw new DemoError(`the demo store ${path} cannot be opened (${message.split('\n')[0]}); delete it, or use another folder with --dir <path>`);
  }
}

function loadUserIdKey(path: string): string {
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { userIdKey?: string };
    if (typeof saved.userIdKey === 'string' && /^[0-9a-f]{64}$/.test(saved.userIdKey)) return saved.userIdKey;
  }
  const userIdKey = randomBytes(32).toString('hex');
  // Kept with the store, so the same reader has the same pseudonymous user id across appended runs.
  writeFileSync(path, `${JSON.stringify({ userIdKey }, null, 2)}\n`, { mode: 0o600 });
  return userIdKey;
}

/** The clear message for a collector that could not start, or the error itself. */
function collectorStartError(error: unknown, port: number, store: string | undefined): unknown {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EADDRINUSE') return new DemoError(`port ${port} (the collector) is in use: start the demo with --collector-port <port> (or COLLECTOR_PORT=<port>) to use another`);
  if (/lock/i.test(String(message))) return new DemoError(`the demo store ${store} is open in another process: stop it, or use another folder with --dir <path>`);
  return error;
}

async function startCollector(options: CollectorOptions, port: number, host: string): Promise<CollectorServer> {
  const collector = createCollector(options);
  try {
    return await serve(collector, { port, hostname: host });
  } catch (error) {
    await collector.close().catch(() => undefined);
    throw collectorStartError(error, port, options.store?.path);
  }
}

/**
 * Runs the demo: builds the blog if needed, starts the collector on the demo store, replays the synthetic readership
 * through the real tracker, writes the report, and then either prints a summary and ends (`--headless`) or serves the
 * blog, the report and the collector until SIGINT/SIGTERM. Resolves with the process exit code; every server, child
 * process and the store are closed before it resolves.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const closers: Closer[] = [];
  const defer = (name: string, close: Closer['close']) => {
    const closer = { name, close };
    closers.push(closer);
    return () => {
      const at = closers.indexOf(closer);
      if (at >= 0) closers.splice(at, 1);
    };
  };
  const closeAll = async () => {
    for (const closer of closers.splice(0).reverse()) {
      try {
        await closer.close();
      } catch (error) {
        console.error(`[waymark] stopping ${closer.name} failed: ${(error as Error).message}`);
      }
    }
  };
  const abort = new AbortController();
  let serving = false;
  let interrupted: ((code: number) => void) | undefined;
  const stopped = new Promise<number>((resolve) => (interrupted = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      console.error('[waymark] stopping at once');
      process.exit(1);
    }
    abort.abort();
    console.error(`\n[waymark] ${signal}: stopping ${closers.map((c) => c.name).reverse().join(', ') || 'the demo'}`);
    void closeAll().then(() => interrupted!(serving ? 0 : signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const work = async (): Promise<number> => {
    const { host, dir } = options;
    await assertPortFree(host, options.port, 'the blog', '--port', 'PORT');
    await assertPortFree(host, options.collectorPort, 'the collector', '--collector-port', 'COLLECTOR_PORT');

    const why = blogBuildNeeded();
    if (why) {
      console.log(`Building the example blog with Vite (${why})…`);
      let child: ChildProcess | undefined;
      const undo = defer('the blog build', async () => {
        if (child && child.exitCode === null) {
          const exited = new Promise((resolve) => child!.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
      });
      try {
        await buildBlog((c) => (child = c));
      } catch (error) {
        if (abort.signal.aborted) return 1;
        throw new DemoError((error as Error).message);
      } finally {
        undo();
      }
    }
    if (abort.signal.aborted) return 1;

    mkdirSync(dir, { recursive: true });
    const storePath = join(dir, 'demo.duckdb');
    const reportPath = join(dir, 'report.html');
    const summaryPath = join(dir, 'summary.json');
    const keysPath = join(dir, 'demo-keys.json');
    await assertStoreFree(storePath);
    const existed = existsSync(storePath);
    if (options.append) {
      console.log(
        existed
          ? `Appending to the demo store ${storePath} (--append: the events of earlier runs are kept)`
          : `Appending to the demo store ${storePath} (--append, but no earlier run left one: it starts empty)`,
      );
    } else {
      for (const file of [storePath, `${storePath}.wal`, reportPath, summaryPath, keysPath]) rmSync(file, { force: true });
      console.log(`Reset the demo store ${storePath}: the events of earlier runs are deleted (--append keeps them)`);
    }
    const userIdKey = loadUserIdKey(keysPath);
    const readKey = randomBytes(24).toString('hex');
    const blogOrigin = `http://${host}:${options.port}`;
    const collectorOrigin = `http://${host}:${options.collectorPort}`;
    const collectorOptions: CollectorOptions = {
      sites: [{ id: 'demo-blog', writeKey: WRITE_KEY, origins: [blogOrigin] }],
      userIdKey,
      store: { path: storePath },
      readKeys: [{ name: 'demo', key: readKey, role: 'admin' }],
      // The replay stands in for a CDN in front of the collector: it passes each reader's IP and country.
      trustedProxy: { ipHeader: IP_HEADER, countryHeader: COUNTRY_HEADER },
      bots: 'drop',
    };

    // The period: `days` UTC days ending today; visits that would come later today are not replayed.
    const end = Date.now();
    const start = Math.floor(end / DAY) * DAY - (options.days - 1) * DAY;
    const from = isoDay(start);
    const to = isoDay(end);
    const clock = createVirtualClock(start);
    clock.install();
    const undoClock = defer('the virtual clock', () => clock.uninstall());
    const network = createReplayNetwork({ origin: blogOrigin, ipHeader: IP_HEADER, countryHeader: COUNTRY_HEADER, now: clock.now, limit: 128 });
    // The replay sends far more requests per second than a blog's readers do: a longer group-commit window lets one
    // store commit take many of them (the replay does not wait for the window: see createReplayNetwork).
    // The collector runs in a worker thread, on the virtual clock: its commits use the second core.
    const replayServer = await startCollectorThread({
      // Many connections carry the replay's requests, so one visitor's batches may arrive seconds out of (virtual)
      // order, which a per-IP token bucket would read as a burst: the replay's collector does without one.
      collector: { ...collectorOptions, commitWindowMs: 50, rateLimit: false },
      port: options.collectorPort,
      host,
      clock: clock.shared,
      sentTimes: network.sentTimes,
      requestIdHeader: network.requestIdHeader,
    }).catch((error: unknown) => {
      throw collectorStartError(error, options.collectorPort, storePath);
    });
    const undoCollector = defer('the collector', () => replayServer.close());
    const undoNetwork = defer('the replay', () => network.close());

    console.log(`Replaying ${options.visitors.toLocaleString('en-US')} synthetic visitors over ${options.days} days (${from} to ${to}, seed ${options.seed}) through the tracker…`);
    const hours = options.days * 24;
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: ' {bar} day {day}/{days} | {visits} visits | {tracked} events tracked | {elapsed}s',
            barsize: 30,
            hideCursor: true,
            stream: process.stderr,
            // The bar's own clock is `Date`, which the replay moves: it is redrawn from here instead.
            fps: 1000,
            etaBuffer: 1,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    const began = performance.now();
    let drawn = 0;
    const payload = (counts: { visits: number; tracked: number; at: number }) => ({
      day: Math.min(options.days, Math.floor((counts.at - start) / DAY) + 1),
      days: options.days,
      visits: counts.visits.toLocaleString('en-US'),
      tracked: counts.tracked.toLocaleString('en-US'),
      elapsed: ((performance.now() - began) / 1000).toFixed(0),
    });
    bar?.start(hours, 0, payload({ visits: 0, tracked: 0, at: start }));
    const replay = await replayReadership({
      seed: options.seed,
      days: options.days,
      visitors: options.visitors,
      start,
      end,
      blogOrigin,
      endpoint: collectorOrigin,
      writeKey: WRITE_KEY,
      clock,
      network,
      signal: abort.signal,
      onProgress(counts) {
        const now = performance.now();
        if (bar && now - drawn > 100) {
          drawn = now;
          bar.update(Math.min(hours, (counts.at - start) / 3_600_000), payload(counts));
        }
      },
    });
    if (abort.signal.aborted) return 1;
    const replaySeconds = (performance.now() - began) / 1000;
    bar?.update(hours, { ...payload(replay), day: options.days });
    bar?.stop();
    undoNetwork();
    network.close();
    clock.set(end);
    undoClock();
    clock.uninstall();
    const collector = await readCollectorMetrics(collectorOrigin, readKey);
    undoCollector();
    await replayServer.close();
    if (abort.signal.aborted) return 1;

    console.log('Refreshing the rollups and writing the report…');
    const report = await writeDemoReport({
      storePath,
      outPath: reportPath,
      days: options.days,
      to,
      seed: options.seed,
      rebuildRollups: options.append && existed,
      defer,
    });
    if (abort.signal.aborted) return 1;
    const summary = summarise({
      seed: options.seed,
      days: options.days,
      from,
      to,
      appended: options.append,
      replaySeconds,
      replay,
      network: network.counts,
      collector,
      reportPath: report.path,
    });
    writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`\n${formatSummary(summary)}`);
    console.log(`\nReport: ${report.path}\n        ${pathToFileURL(report.path).href}`);
    if (options.headless) return 0;

    const liveServer = await startCollector(collectorOptions, options.collectorPort, host);
    defer('the collector', () => liveServer.close());
    const blog = await serveBlog({ dir: blogBuildDir, endpoint: collectorOrigin, reportPath: report.path, host, port: options.port }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new DemoError(`port ${options.port} (the blog) is in use: start the demo with --port <port> (or PORT=<port>) to use another`);
      }
      throw error;
    });
    defer('the blog', () => blog.close());
    const tomorrow = isoDay(Date.now() + DAY);
    console.log(`
The demo is running (Ctrl-C stops it):
  Blog        ${blog.origin}/   (accept the consent banner: your reading is stored too)
  Report      ${blog.origin}/report.html
  Collector   ${collectorOrigin}   (dashboard ${collectorOrigin}/dashboard)
  Query API   curl -H "Authorization: Bearer ${readKey}" "${collectorOrigin}/v1/query?metric=pageviews&bucket=week&from=${from}&to=${tomorrow}&dimension=country"
  Read key    ${readKey}   (demo admin key, valid until the demo stops)`);
    serving = true;
    return stopped;
  };

  let code: number;
  try {
    code = await Promise.race([work(), stopped]);
  } catch (error) {
    if (abort.signal.aborted) code = await stopped;
    else {
      if (error instanceof DemoError) console.error(`[waymark] ${error.message}`);
      else console.error('[waymark] the demo failed:', error);
      code = 1;
    }
  }
  if (abort.signal.aborted) code = await stopped;
  await closeAll();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}
