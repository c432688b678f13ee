import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { knownAnswers } from '../../../scripts/synthetic/generateReadership';
import type { DemoSummary } from '../src/demoSummary';

const demoDir = fileURLToPath(new URL('..', import.meta.url));
const SEED = 11;
const VISITORS = 400;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the demo as `npm start` does; `until` resolves once stdout contains the text. */
function startDemo(args: string[]) {
  // The flags decide; nothing in the test runner's environment does.
  const { PORT, COLLECTOR_PORT, HOST, WAYMARK_DEMO_DIR, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@waymark/source', 'src/main.ts', ...args], {
    cwd: demoDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]): Run => ({ code, signal, stdout, stderr }));
  return {
    child,
    exited,
    async until(text: string): Promise<void> {
      while (!stdout.includes(text)) {
        if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}) before printing "${text}":\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

const runDemo = (args: string[]) => startDemo(args).exited;

/** Two ports nothing listens on. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Whether something accepts connections on the port. */
async function listening(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return false;
  } catch {
    return true;
  } finally {
    server.close();
  }
}

async function countStoredEvents(path: string): Promise<number> {
  const instance = await DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll('SELECT count(*) FROM waymark_events')).getRows();
    connection.closeSync();
    return Number(rows[0][0]);
  } finally {
    instance.closeSync();
  }
}

const chromiumMissing = chromiumMissingReason();
if (chromiumMissing) console.warn(chromiumMissing);

describe('the demo', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-demo-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('--headless', () => {
    let dir = '';
    let ports: number[] = [];
    let first: Run;
    let summary: DemoSummary;

    beforeAll(async () => {
      dir = tempDir();
      ports = await freePorts(2);
      // The first run finds no build of the blog and makes one.
      rmSync(join(demoDir, 'dist/blog'), { recursive: true, force: true });
      first = await runDemo(['--headless', '--seed', String(SEED), '--visitors', String(VISITORS), '--dir', dir, '--port', String(ports[0]), '--collector-port', String(ports[1])]);
      if (first.code === 0) summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as DemoSummary;
    }, 300_000);

    it('replays, reports and exits 0 with a summary', () => {
      expect(first.stderr).not.toMatch(/\n\s+at /);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('Building the example blog with Vite (the example blog has not been built yet)');
      expect(existsSync(join(demoDir, 'dist/blog/index.html'))).toBe(true);
      expect(first.stdout).toContain('Reset the demo store');
      expect(first.stdout).toMatch(/events tracked\s+[\d,]+/);
      expect(first.stdout).toMatch(/accepted\s+[\d,]+/);
      expect(first.stdout).toMatch(/rejected\s+[\d,]+\s+by reason: bot [\d,]+/);
      expect(first.stdout).toMatch(/duplicates dropped\s+[\d,]+/);
      expect(first.stdout).toMatch(/not sent: consent declined\s+[\d,]+\s+[\d,]+ visitors declined/);
      expect(first.stdout).toContain(`Report: ${join(dir, 'report.html')}`);
      expect(first.stdout).toContain('check: accepted + rejected + declined + sampled out + dropped = tracked');
    });

    it('accounts for every event the readers tracked', () => {
      const { balance, collector, network, replay } = summary;
      expect(balance.tracked).toBeGreaterThan(10_000);
      // Every tracked event was stored, refused, held back by consent or sampling, or dropped by its tracker.
      expect(balance.accepted + balance.rejected + balance.declined + balance.sampledOut + balance.droppedByTrackers + balance.unsent).toBe(balance.tracked);
      expect(balance.balanced).toBe(true);
      expect(balance.unsent).toBe(0);
      expect(balance.droppedByTrackers).toBe(0);
      expect(replay.declinedVisitors).toBeGreaterThan(0);
      expect(balance.declined).toBeGreaterThan(0);
      expect(collector.rejected.bot).toBeGreaterThan(0);
      expect(Object.keys(collector.rejected)).toEqual(['bot']);
      // What went over the wire: each event sent once is stored or refused; each resend is a dropped duplicate.
      expect(network.eventsSent).toBe(collector.accepted + collector.rejected.bot + collector.duplicates);
      expect(collector.duplicates).toBeGreaterThan(0);
      expect(network.refused).toBe(0);
      expect(Object.keys(network.statuses)).toEqual(['200']);
      expect(replay.offlineVisits).toBeGreaterThan(0);
    });

    it('stores each event at its historical time, with a clock-skew correction only for devices whose clocks are off', async () => {
      const instance = await DuckDBInstance.create(join(dir, 'demo.duckdb'), { access_mode: 'READ_ONLY' });
      try {
        const connection = await instance.connect();
        const [[days, skewed, total, minDay, maxDay]] = (
          await connection.runAndReadAll(`SELECT count(DISTINCT CAST(timezone('UTC', "timestamp") AS DATE)),
            count(*) FILTER (WHERE CAST(json_extract(context, '$.server.clockSkewMs') AS BIGINT) <> 0), count(*),
            CAST(min(CAST(timezone('UTC', "timestamp") AS DATE)) AS VARCHAR), CAST(max(CAST(timezone('UTC', "timestamp") AS DATE)) AS VARCHAR)
            FROM waymark_events`)
        ).getRows();
        connection.closeSync();
        // The 30 days end today; right after midnight (UTC) today may have no reader yet.
        expect(Number(days)).toBeGreaterThanOrEqual(29);
        expect(minDay).toBe(summary.from);
        expect([summary.to, new Date(Date.parse(`${summary.to}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)]).toContain(maxDay);
        // About 3% of devices have a wrong clock; everyone else's batches arrive at the instant they were sent.
        expect(Number(skewed) / Number(total)).toBeLessThan(0.15);
      } finally {
        instance.closeSync();
      }
    });

    it.skipIf(chromiumMissing)('writes a report whose top destinations are the readership model\'s, in order', async () => {
      const expected = knownAnswers({ start: Date.parse(`${summary.from}T00:00:00Z`), days: 30 }).topDestinations;
      const browser = await launchChromium();
      try {
        const page = await (await browser.newContext()).newPage();
        await page.goto(pathToFileURL(join(dir, 'report.html')).href);
        await expect(page.title()).resolves.toContain('Waymark demo');
        const section = page.locator('#report-content-by-destination');
        await expect(section.locator('h2').textContent()).resolves.toBe('Content performance by destination');
        const destinations = await section.locator('table tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLTableRowElement).cells[0].textContent?.trim()));
        expect(destinations.slice(0, 3)).toEqual(expected);
        // Every built-in report is in the file.
        await expect(page.locator('section.report').count()).resolves.toBeGreaterThanOrEqual(19);
      } finally {
        await browser.close();
      }
    }, 60_000);

    it('appends to the store on a second run with --append, and says so', async () => {
      const second = await runDemo(['--headless', '--append', '--seed', String(SEED + 1), '--visitors', '60', '--dir', dir, '--port', String(ports[0]), '--collector-port', String(ports[1])]);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain(`Appending to the demo store ${join(dir, 'demo.duckdb')} (--append: the events of earlier runs are kept)`);
      const appended = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as DemoSummary;
      expect(appended.appended).toBe(true);
      expect(await countStoredEvents(join(dir, 'demo.duckdb'))).toBe(summary.collector.accepted + appended.collector.accepted);
    }, 180_000);
  });

  it('names the busy port and the flag that changes it, without a stack trace', async () => {
    const [blogPort] = await freePorts(1);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as { port: number }).port;
    try {
      const run = await runDemo(['--headless', '--visitors', '10', '--dir', tempDir(), '--port', String(blogPort), '--collector-port', String(busyPort)]);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        `[waymark] port ${busyPort} (the collector) is in use: start the demo with --collector-port <port> (or COLLECTOR_PORT=<port>) to use another`,
      );
    } finally {
      busy.close();
    }
  }, 60_000);

  it('stops the blog and the collector and closes the store on SIGINT', async () => {
    const dir = tempDir();
    const [blogPort, collectorPort] = await freePorts(2);
    const demo = startDemo(['--visitors', '20', '--dir', dir, '--port', String(blogPort), '--collector-port', String(collectorPort)]);
    try {
      await demo.until('The demo is running');
      expect(await listening(blogPort)).toBe(true);
      const blog = await fetch(`http://127.0.0.1:${blogPort}/report.html`);
      expect(blog.status).toBe(200);
      expect(await blog.text()).toContain('Waymark demo');
      demo.child.kill('SIGINT');
      const run = await demo.exited;
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('SIGINT: stopping');
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
    expect(await listening(blogPort)).toBe(false);
    expect(await listening(collectorPort)).toBe(false);
    // The store was closed cleanly: no write-ahead log left, and another process can open it.
    expect(existsSync(join(dir, 'demo.duckdb.wal'))).toBe(false);
    expect(await countStoredEvents(join(dir, 'demo.duckdb'))).toBeGreaterThan(0);
  }, 120_000);
});
