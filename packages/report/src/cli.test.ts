import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { createCollector, hashReadKey } from '@waymark/collector';
import type { Collector, CollectorOptions } from '@waymark/collector';
import { serve } from '@waymark/collector/node';
import type { Envelope } from '@waymark/taxonomy';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SinkEvent } from '@waymark/sinks';
import { clickhouseSink } from '@waymark/sinks/clickhouse';
import { builtinDefinitions } from './builtinDefinitions';
import { clickhouseEngine } from './clickhouseEngine';
import { runCli } from './cli';
import { duckdbEngine } from './duckdbEngine';
import { refreshRollups } from './refreshRollups';

const clickhouseUrl = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const clickhouseUp = await fetch(`${clickhouseUrl}/ping`).then(
  (r) => r.ok,
  () => false,
);
if (!clickhouseUp) console.warn(`[waymark] waymark CLI ClickHouse tests skipped: no ClickHouse at ${clickhouseUrl} (set WAYMARK_CLICKHOUSE_URL or start it as in .ci/run)`);

const ORIGIN = 'https://blog.example';
const WRITE_KEY = 'wk_test_blog';
const USER_ID_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const KEYS = { admin: 'rk_admin_4f0e1c2b9a8d7e6f', ana: 'rk_creator_ana_5a6b7c8d9e0f', marketing: 'rk_marketing_1a2b3c4d5e6f' };
const READ_KEYS: CollectorOptions['readKeys'] = [
  { name: 'admin', hash: hashReadKey(KEYS.admin), role: 'admin' },
  { name: 'ana', key: KEYS.ana, role: 'creator', authorId: 'ana' },
  { name: 'marketing', key: KEYS.marketing, role: 'marketing' },
];
const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
const FROM = day(-3);
const TO = day(0);

const temp = mkdtempSync(join(tmpdir(), 'waymark-report-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let files = 0;
const file = (name: string) => join(temp, `${(files += 1)}-${name}`);

/** A valid travel@1 envelope; `hoursAgo` places it in the recent past (the collector refuses events older than 7 days). */
function envelope(name: string, properties: Record<string, unknown>, { hoursAgo = 30, anonymousId = 'anon-1', sessionId = 'sess-1', type = 'track', ...rest }: Partial<Envelope> & { hoursAgo?: number } = {}): Envelope {
  return {
    id: randomUUID(),
    type: type as Envelope['type'],
    name,
    properties,
    timestamp: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
    anonymousId,
    sessionId,
    schema: 'travel@1',
    context: {
      page: { url: `${ORIGIN}/posts/${String(properties.postId ?? 'home')}`, path: `/posts/${String(properties.postId ?? 'home')}`, route: '/posts/[slug]' },
      screen: 'mobile',
      consent: { analytics: true, storage: true, marketing: true, gpc: false },
      sampleRate: 1,
      library: { name: '@waymark/core', version: '0.1.0' },
    },
    ...rest,
  } as Envelope;
}

/** A reader's visit to a post: a page view, scrolling, reading to the end, and for some an affiliate click. */
function visit(post: string, author: string, reader: string, { click = false, hoursAgo = 30 } = {}): Envelope[] {
  const base = { postId: post, authorId: author };
  const at = { anonymousId: reader, sessionId: `${reader}-${post}`, hoursAgo };
  return [
    envelope('page_viewed', { ...base, template: 'guide', themes: ['food'], destinations: [{ country: 'PT', city: post.startsWith('lisbon') ? 'Lisbon' : 'Porto' }] }, { ...at, type: 'page' }),
    envelope('scroll_depth_reached', { ...base, percent: 50 }, at),
    envelope('engaged_time_reported', { ...base, engagedMs: 45_000, final: true }, at),
    envelope('post_read', { ...base, engagedMs: 45_000 }, at),
    ...(click ? [envelope('affiliate_link_clicked', { ...base, partner: 'hotels-example', productType: 'hotel' }, at)] : []),
  ];
}

/** Ana writes about Lisbon, Ben about Porto; three readers, one of them twice. */
const events = [
  ...visit('lisbon-in-3-days', 'ana', 'anon-1', { click: true }),
  ...visit('lisbon-in-3-days', 'ana', 'anon-2', { hoursAgo: 50 }),
  ...visit('porto-food', 'ben', 'anon-1', { hoursAgo: 20 }),
  ...visit('porto-food', 'ben', 'anon-3', { click: true, hoursAgo: 5 }),
  envelope('post_shared', { postId: 'porto-food', authorId: 'ben', network: 'whatsapp' }, { anonymousId: 'anon-3', sessionId: 'anon-3-porto-food', hoursAgo: 5 }),
  envelope('web_vital_measured', { metric: 'LCP', value: 2100, rating: 'good', template: 'guide' }, { anonymousId: 'anon-3', hoursAgo: 5 }),
];

function collectorOptions(path: string, extra: Partial<CollectorOptions> = {}): CollectorOptions {
  return {
    sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
    userIdKey: USER_ID_KEY,
    store: { path },
    rateLimit: false,
    retention: { intervalMs: 0 },
    ...extra,
  };
}

async function post(collector: Collector | string, batch: unknown[]): Promise<string[]> {
  const request = (base: string) =>
    new Request(`${base}/v1/batch?key=${WRITE_KEY}`, {
      method: 'POST',
      // A browser's User-Agent: Node's own is a bot's, and reports leave bots out.
      headers: { origin: ORIGIN, 'content-type': 'text/plain', 'user-agent': CHROME_UA },
      body: JSON.stringify({ sentAt: new Date().toISOString(), events: batch }),
    });
  const response = typeof collector === 'string' ? await fetch(request(collector)) : await collector.fetch(request('http://collector.test'));
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: { status: string }[] }).results.map((r) => r.status);
}

/** A store file written by the collector: the events above, one duplicate and one invalid event. */
async function makeStore(): Promise<string> {
  const path = file('store.duckdb');
  const collector = createCollector(collectorOptions(path));
  const statuses = await post(collector, events);
  expect(statuses.every((s) => s === 'accepted')).toBe(true);
  expect(await post(collector, [events[0], envelope('page_viewed', { nope: 1 })])).toEqual(['duplicate', 'rejected']);
  await collector.close();
  return path;
}

/** `runCli` with its output captured. */
async function waymark(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (text: string) => ((stdout += text), true) },
    stderr: { write: (text: string) => ((stderr += text), true) },
    env,
  });
  return { code, stdout, stderr };
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Events the store holds in the test period (all of `events`, none refused). */
const eventsSent = () => events.length;

const titles = builtinDefinitions().map((definition) => definition.title);

describe('waymark report on a store', () => {
  let store: string;
  beforeAll(async () => {
    store = await makeStore();
  });

  it('refuses a store without rollups and says how to make them', async () => {
    const result = await waymark(['report', '--store', store, '--from', FROM, '--to', TO, '--out', file('r.html')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`[waymark] ${store} has no report rollups yet: run \`waymark rollup --store ${store}\` once, or add --refresh`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const exported = await waymark(['export', '--store', store, '--table', 'daily', '--out', file('d.parquet')]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain(`[waymark] ${store} has no report rollups yet: run \`waymark rollup --store ${store}\` once (the store`);
  });

  it('refreshes the rollups once with waymark rollup and says what it did', async () => {
    const first = await waymark(['rollup', '--store', store]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^\\[waymark\\] rollups refreshed in [\\d.]+ s: ${events.length} new facts, daily rollup rebuilt for \\d days \\(`));
    const again = await waymark(['rollup', '--store', store]);
    expect(again.stdout).toContain(': 0 new facts,');
  });

  it('exports raw events as NDJSON and facts as Parquet, whole or for one author', async () => {
    const ndjson = file('events.ndjson');
    const events = await waymark(['export', '--store', store, '--table', 'events', '--from', FROM, '--to', TO, '--out', ndjson]);
    expect(events).toMatchObject({ code: 0, stderr: '' });
    expect(events.stdout).toBe(`[waymark] wrote ${eventsSent()} events rows (${FROM} to ${TO}) as ndjson to ${ndjson}\n`);
    const lines = readFileSync(ndjson, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(eventsSent());

    const parquet = file('ana-facts.parquet');
    const facts = await waymark(['export', '--store', store, '--table', 'facts', '--from', FROM, '--to', TO, '--author', 'ana', '--out', parquet]);
    expect(facts.code).toBe(0);
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const authors = (await db.runAndReadAll(`SELECT DISTINCT author_id FROM read_parquet('${parquet}')`)).getRows().map(([a]) => a);
    db.closeSync();
    instance.closeSync();
    expect(authors).toEqual(['ana']);
  });

  it('writes the full built-in set as HTML with every report title', async () => {
    const out = file('report.html');
    const result = await waymark(['report', '--store', store, '--from', FROM, '--to', TO, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The retention report's period starts on the Monday of --from's week, so the set may start a few days earlier.
    expect(result.stdout).toMatch(new RegExp(`^\\[waymark\\] wrote ${titles.length} reports \\(\\d{4}-\\d{2}-\\d{2} to ${TO}, admin\\) to ${out}\n$`));
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    for (const title of titles) expect(html).toContain(title.replace(/&/g, '&amp;'));
    expect(html).toContain('lisbon-in-3-days');
    expect(html).toContain('<svg');
  });

  it('shows progress over the queries on stderr, as plain lines when it is not a terminal', async () => {
    let stderr = '';
    const code = await runCli(['report', '--store', store, '--from', FROM, '--to', TO, '--out', file('progress.html')], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => ((stderr += text), true) },
      progressDelayMs: 0,
    });
    expect(code).toBe(0);
    const lines = stderr.trim().split('\n');
    const last = /^\[waymark\] (\d+)\/(\d+) queries \(data-quality\)$/.exec(lines[lines.length - 1]);
    expect(last?.[1]).toBe(last?.[2]);
    expect(Number(last?.[2])).toBeGreaterThan(titles.length);
    expect(stderr).not.toContain('\u001b[');
  });

  it('writes one CSV file per report with its header, into a directory', async () => {
    const out = file('csv');
    const result = await waymark(['report', '--store', store, '--from', FROM, '--to', TO, '-d', 'content-by-post', '-d', 'overview', '--format', 'csv', '--out', out]);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['content-by-post.csv', 'overview.csv']);
    const posts = readFileSync(join(out, 'content-by-post.csv'), 'utf8').split(/\r?\n/);
    expect(posts[0]).toMatch(/^"Post",/);
    expect(posts.slice(1).join('\n')).toContain('"lisbon-in-3-days"');
    expect(posts.slice(1).join('\n')).toContain('"porto-food"');
  });

  it('scopes a report to one author with --author and takes the format from --out', async () => {
    const out = file('ana.json');
    const result = await waymark(['report', '--store', store, '--from', FROM, '--to', TO, '-d', 'content-by-post', '--out', out, '--author', 'ana']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('creator: author ana');
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.format).toBe('waymark-report@1');
    const [report] = json.reports;
    expect(report.scope).toEqual({ role: 'creator', authorId: 'ana' });
    expect(report.rows.map((row: Record<string, unknown>) => row.post)).toEqual(['lisbon-in-3-days']);
  });

  it('runs a definition file and warns when the store holds events the rollups have not taken in', async () => {
    const definition = file('mine.json');
    writeFileSync(definition, JSON.stringify({ id: 'views-by-device', title: 'Views by device', metrics: ['views'], dimensions: ['device'] }));
    const out = file('mine.md');
    const result = await waymark(['report', '--store', store, '--from', FROM, '--to', TO, '--definition', definition, '--out', out]);
    expect(result.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Views by device');

    // A later batch, not yet in the rollups: reported on stderr, taken in with --refresh.
    const collector = createCollector(collectorOptions(store));
    await post(collector, visit('lisbon-in-3-days', 'ana', 'anon-9', { hoursAgo: 2 }));
    await collector.close();
    const stale = await waymark(['report', '--store', store, '--from', FROM, '--to', TO, '--definition', definition, '--out', out]);
    expect(stale.stderr).toBe('[waymark] note: 4 stored events arrived after the last rollup refresh and are not in this report; add --refresh to include them\n');
    const refreshed = await waymark(['report', '--store', store, '--from', FROM, '--to', TO, '--definition', definition, '--out', out, '--refresh']);
    expect(refreshed).toMatchObject({ code: 0, stderr: '' });
  });
});

describe.skipIf(!clickhouseUp)('waymark on ClickHouse (real ClickHouse 18.16)', () => {
  const database = `waymark_cli_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const source = ['--clickhouse', clickhouseUrl, '--database', database];
  beforeAll(async () => {
    await clickhouseEngine({ url: clickhouseUrl }).run(`CREATE DATABASE ${database}`);
    // The events as the collector would forward them: received, with the server context it adds.
    const stored: SinkEvent[] = events.map((event) => ({
      ...event,
      receivedAt: new Date(Date.parse(event.timestamp) + 1000).toISOString(),
      context: { ...event.context, server: { siteId: 'blog', visitorId: `v-${event.anonymousId}`, device: 'mobile', clockSkewMs: 0 } },
    })) as SinkEvent[];
    expect((await clickhouseSink({ url: clickhouseUrl, database }).write(stored)).failed).toEqual([]);
  });
  afterAll(async () => {
    await clickhouseEngine({ url: clickhouseUrl }).run(`DROP DATABASE IF EXISTS ${database}`);
  });

  it('refreshes the rollups, reports on them and scopes to an author', async () => {
    const rollup = await waymark(['rollup', ...source]);
    expect(rollup.stderr).toBe('');
    expect(rollup.stdout).toContain(`: ${events.length} new facts,`);
    const all = file('ch-all.json');
    expect((await waymark(['report', ...source, '--from', FROM, '--to', TO, '-d', 'content-by-post', '--out', all])).code).toBe(0);
    const posts = (out: string) => JSON.parse(readFileSync(out, 'utf8')).reports[0].rows.map((row: Record<string, unknown>) => [row.post, row.views]);
    expect(posts(all)).toEqual([
      ['lisbon-in-3-days', 2],
      ['porto-food', 2],
    ]);
    const ana = file('ch-ana.json');
    expect((await waymark(['report', ...source, '--from', FROM, '--to', TO, '-d', 'content-by-post', '--author', 'ana', '--out', ana])).code).toBe(0);
    expect(posts(ana)).toEqual([['lisbon-in-3-days', 2]]);
  });

  it('exports the daily rollup as NDJSON and refuses Parquet', async () => {
    const out = file('ch-daily.ndjson');
    const result = await waymark(['export', ...source, '--table', 'daily', '--from', FROM, '--to', TO, '--out', out]);
    expect(result.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { raw_events: number });
    expect(rows.reduce((sum, row) => sum + Number(row.raw_events), 0)).toBe(events.length);
    const parquet = await waymark(['export', ...source, '--table', 'daily', '--out', file('ch.parquet')]);
    expect(parquet).toMatchObject({ code: 2, stderr: '[waymark] export: ClickHouse 18.16 cannot write Parquet; use --format ndjson, or export from the DuckDB store\n' });
  });
});

describe('waymark usage errors', () => {
  const base = ['report', '--store', 'waymark.duckdb', '--from', '2026-05-01', '--to', '2026-05-31'];
  const cases: [string, string[], string][] = [
    ['an unknown flag', [...base, '--out', 'r.html', '--formt', 'md'], '[waymark] report: unknown flag --formt; did you mean --format? (run `waymark report --help` for the flags)'],
    ['a bad date', ['report', '--store', 'w.duckdb', '--from', '2026-02-30', '--out', 'r.html'], '[waymark] report: --from "2026-02-30" is not a day: write it as YYYY-MM-DD, such as --from 2026-05-01'],
    ['from after to', ['report', '--store', 'w.duckdb', '--from', '2026-06-01', '--to', '2026-05-01', '--out', 'r.html'], '[waymark] report: --from 2026-06-01 is after --to 2026-05-01'],
    ['a missing --out', base, '[waymark] report: say where to write it: --out report.html (for --format csv, a directory: one file per report)'],
    ['an unknown format', [...base, '--format', 'pdf', '--out', 'r.pdf'], '[waymark] report: --format "pdf" is not one of html, md, csv, json'],
    ['no source', ['report', '--out', 'r.html'], '[waymark] report: say where the events are: --store <file>, --clickhouse <url> or --collector <url> --key <read key>'],
    ['an unknown command', ['reprot'], '[waymark] unknown command "reprot": use one of serve, report, export, rollup (waymark --help)'],
  ];
  for (const [what, argv, message] of cases) {
    it(`exits 2 on ${what}`, async () => {
      const result = await waymark(argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    });
  }

  it('exits 2 on an unknown built-in id, listing the ids', async () => {
    const result = await waymark([...base, '-d', 'content-by-pots', '--out', 'r.html']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `[waymark] report: --definition "content-by-pots" is neither a file nor a built-in report; built-in ids: ${builtinDefinitions().map((d) => d.id).join(', ')}\n`,
    );
  });

  it('exits 2 with the loader messages for a missing or wrong definition file', async () => {
    const missing = await waymark([...base, '-d', join(temp, 'nope.json'), '--out', 'r.html']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`[waymark] report definition ${join(temp, 'nope.json')}: (root): no such file; check the path given to --definition`);
    const wrong = file('wrong.json');
    writeFileSync(wrong, JSON.stringify({ id: 'x', title: 'X', metrics: ['view'], dimensions: ['post'], colour: 'red' }));
    const invalid = await waymark([...base, '-d', wrong, '--out', 'r.html']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('metrics[0]: unknown metric "view"; did you mean "views"?');
    expect(invalid.stderr).toContain('colour: unknown key');
    expect(invalid.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 naming the path when the store does not exist', async () => {
    const result = await waymark(['report', '--store', join(temp, 'missing.duckdb'), '--out', file('r.html')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`[waymark] no store at ${join(temp, 'missing.duckdb')}: check --store (the collector's DuckDB file, ./waymark.duckdb by default)\n`);
  });

  it('documents every flag in waymark report --help', async () => {
    const result = await waymark(['report', '--help']);
    expect(result.code).toBe(0);
    for (const flag of ['--store', '--clickhouse', '--database', '--collector', '--key', 'WAYMARK_READ_KEY', '--from', '--to', '--definition', '--format', '--out', '--author', '--refresh', '--title', '--help']) {
      expect(result.stdout).toContain(flag);
    }
    for (const id of builtinDefinitions().map((d) => d.id)) expect(result.stdout).toContain(id);
    const main = await waymark(['--help']);
    expect(main.stdout).toMatch(/serve\s+run the collector/);
    expect((await waymark([])).code).toBe(2);
  });
});

describe('waymark report --collector', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let url: string;
  beforeAll(async () => {
    const collector = createCollector(collectorOptions(file('served.duckdb'), { readKeys: READ_KEYS, readRateLimit: false }));
    server = await serve(collector, { port: 0 });
    url = `http://127.0.0.1:${server.port}`;
    expect((await post(url, events)).every((s) => s === 'accepted')).toBe(true);
  });
  afterAll(() => server.close());

  const postsOf = (out: string) => {
    const json = JSON.parse(readFileSync(out, 'utf8'));
    return { json, posts: json.reports.find((r: { id: string }) => r.id === 'content-by-post').rows.map((row: Record<string, unknown>) => row.post).sort() };
  };

  it("gives a creator's key a report on that author's posts only", async () => {
    const out = file('ana-collector.json');
    const result = await waymark(['report', '--collector', url, '--from', FROM, '--to', TO, '--out', out], { WAYMARK_READ_KEY: KEYS.ana });
    expect(result.stderr).toMatch(/^\[waymark\] downloaded 9 events \(.+\) with the creator: author ana key "ana"\n$/);
    expect(result.code).toBe(0);
    const { json, posts } = postsOf(out);
    expect(posts).toEqual(['lisbon-in-3-days']);
    for (const report of json.reports) expect(report.scope, report.id).toEqual({ role: 'creator', authorId: 'ana' });
    expect(readFileSync(out, 'utf8')).not.toContain('porto-food');
  });

  it("gives an admin's key every author's posts", async () => {
    const out = file('admin-collector.json');
    const result = await waymark(['report', '--collector', url, '--key', KEYS.admin, '--from', FROM, '--to', TO, '--out', out]);
    expect(result.code).toBe(0);
    expect(postsOf(out).posts).toEqual(['lisbon-in-3-days', 'porto-food']);
  });

  it('refuses a marketing key, an unknown key and an unreachable collector with one clear line', async () => {
    const marketing = await waymark(['report', '--collector', url, '--key', KEYS.marketing, '--out', file('m.html')]);
    expect(marketing.code).toBe(1);
    expect(marketing.stderr).toBe(
      '[waymark] the read key "marketing" is a marketing key: it may query aggregates (GET /v1/query) but not raw events, which reports are built from. Ask an admin to run the report, or use an admin or creator key\n',
    );
    const unknown = await waymark(['report', '--collector', url, '--key', 'rk_nobody_000000000000', '--out', file('u.html')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`[waymark] the collector at ${url} refuses this read key (unknown read key): check --key or WAYMARK_READ_KEY\n`);
    expect(unknown.stderr).not.toContain('rk_nobody');
    const closed = await freePort();
    const down = await waymark(['report', '--collector', `http://127.0.0.1:${closed}`, '--key', KEYS.admin, '--out', file('d.html')]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`[waymark] cannot reach the collector at http://127.0.0.1:${closed} (ECONNREFUSED): check --collector, and that the collector runs (\`waymark serve\`)\n`);
  });
});

describe('waymark serve', () => {
  const cli = fileURLToPath(new URL('cli.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

  it('runs the collector with rollups refreshed, and a report on its store says to use --collector', async () => {
    const dir = mkdtempSync(join(temp, 'serve-'));
    writeFileSync(
      join(dir, 'waymark.config.json'),
      JSON.stringify({
        sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
        store: { path: './store.duckdb' },
        rateLimit: false,
        readKeys: [{ name: 'admin', key: KEYS.admin, role: 'admin' }],
        rollups: { everySeconds: 1 },
      }),
    );
    const child = spawn(process.execPath, ['--conditions=@waymark/source', '--import', tsx, cli, 'serve', '--port', '0'], {
      cwd: dir,
      env: { PATH: process.env.PATH, WAYMARK_USER_ID_KEY: USER_ID_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = once(child, 'exit');
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      expect(line).toContain('; report rollups every 1 s');
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
      expect((await post(`http://127.0.0.1:${port}`, events)).every((s) => s === 'accepted')).toBe(true);

      const locked = await waymark(['report', '--store', join(dir, 'store.duckdb'), '--out', file('locked.html')]);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toContain('the collector holds the store');
      expect(locked.stderr).toContain('--collector URL --key KEY');
      expect(locked.stderr).not.toMatch(/\n\s+at /);
      const rollup = await waymark(['rollup', '--store', join(dir, 'store.duckdb')]);
      expect(rollup.code).toBe(1);
      expect(rollup.stderr).toContain('a collector holds it. `waymark serve` refreshes the rollups itself while it runs');

      // The refresh every second has taken the batch in before the collector stops.
      await new Promise((resolve) => setTimeout(resolve, 2500));
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(stderr).toContain('[waymark] stopped');
    const instance = await DuckDBInstance.create(join(dir, 'store.duckdb'), { access_mode: 'READ_ONLY' });
    const db = await instance.connect();
    const facts = (await db.runAndReadAll('SELECT count(*) FROM waymark_facts')).getRows()[0][0];
    db.closeSync();
    instance.closeSync();
    expect(Number(facts)).toBe(events.length);
  }, 60_000);

  it('refreshes rollups on the collector connection while batches keep arriving, without a failed run', async () => {
    const logged: unknown[] = [];
    const collector = createCollector(
      collectorOptions(file('busy.duckdb'), {
        logger: { error: (...args: unknown[]) => void logged.push(args), warn: () => undefined },
        readKeys: READ_KEYS,
        readRateLimit: false,
        // What `waymark serve` passes, every 10 ms instead of every minute.
        maintenance: { everyMs: 10, run: async (connection) => refreshRollups(await duckdbEngine({ connection })) },
      }),
    );
    const batches = Array.from({ length: 40 }, (_, i) => visit(`post-${i % 5}`, i % 2 === 0 ? 'ana' : 'ben', `reader-${i}`, { hoursAgo: 1 + (i % 20) }));
    // One batch after the other, so the refreshes run between and during the commits.
    const statuses: string[] = [];
    for (const batch of batches) statuses.push(...(await post(collector, batch)));
    expect(statuses.every((s) => s === 'accepted')).toBe(true);
    const metrics = () =>
      collector.fetch(new Request('http://collector.test/metrics', { headers: { authorization: `Bearer ${KEYS.admin}` } })).then((response) => response.text());
    // Three runs that started after the last batch was stored.
    const runs = async () => Number(/^waymark_maintenance_runs_total (\d+)$/m.exec(await metrics())?.[1]);
    const before = await runs();
    await vi.waitFor(async () => expect(await runs()).toBeGreaterThan(before + 2), { timeout: 20_000, interval: 50 });
    expect(await metrics()).toContain('waymark_maintenance_failures_total 0\n');
    expect(logged).toEqual([]);
    await collector.close();
    const engine = await duckdbEngine({ path: join(temp, readdirSync(temp).find((name) => name.endsWith('busy.duckdb'))!), readOnly: true });
    const [counts] = await engine.query('SELECT (SELECT count(*) FROM waymark_events) AS events, (SELECT count(*) FROM waymark_facts) AS facts');
    await engine.close();
    expect(counts).toEqual({ events: statuses.length, facts: statuses.length });
  });

  it('prints the collector help under the waymark name, with the rollups', async () => {
    const child = spawn(process.execPath, ['--conditions=@waymark/source', '--import', tsx, cli, 'serve', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: waymark serve [flags]');
    expect(stdout).toContain('"rollups": false');
    expect(existsSync(cli)).toBe(true);
  }, 30_000);
});
