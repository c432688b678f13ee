import { failedEventsTableSql, ingestStatsTableSql } from '@waymark/collector';
import type { SinkEvent } from '@waymark/sinks';
import { clickhouseSink } from '@waymark/sinks/clickhouse';
import { duckdbSink } from '@waymark/sinks/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDefinition, builtinDefinitions } from './builtinDefinitions';
import { clickhouseEngine } from './clickhouseEngine';
import type { ClickhouseEngine } from './clickhouseEngine';
import { duckdbEngine } from './duckdbEngine';
import type { DuckdbEngine } from './duckdbEngine';
import { DefinitionError, parseDefinition } from './loadDefinition';
import { refreshRollups } from './refreshRollups';
import type { ReportEngine } from './reportEngine';
import type { ReportResult, ReportSet } from './reportResult';
import { runReports } from './runReports';
import type { ReportProgress } from './runReports';

/*
 * The fixture: 3 posts, 2 authors, 5 readers and a bot, over the report period 2026-10-02 .. 2026-10-31 (the last
 * 30 days up to --to 2026-10-31) and the comparison period 2026-09-02 .. 2026-10-01.
 *
 * Posts (from their page views): p1 by a1, template "article", themes food + city, about PT (Lisbon);
 *   p2 by a1, "gallery", theme beach, about PT (Faro) and ES (Malaga); p3 by a2, "article", theme city, about ES.
 * Readers: v1 desktop, couple, 3 sessions, 2 reads (loyal); v2 mobile, campaign "autumn", family, 2 sessions,
 *   1 read (engaged); v3 mobile, no traits, 1 session, no read (casual); v4 tablet, solo, 1 session, 1 read
 *   (engaged); v5 desktop, every event sampled at rate 0.5 (weight 2), 1 session (casual); v6 a flagged bot.
 * One late event (received 2 h 20 min after it happened), one clock-skewed event (10 min), three failed events,
 * ingest stats with 3 duplicates.
 */

interface Spec {
  name: string;
  at: string;
  anon: string;
  session: string;
  props?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  received?: string;
  skewMs?: number;
}

interface Reader {
  device: 'desktop' | 'mobile' | 'tablet';
  country: string;
  rate?: number;
  bot?: boolean;
  campaign?: { source: string; medium: string; name: string };
}

const readers: Record<string, Reader> = {
  v1: { device: 'desktop', country: 'GB' },
  v2: { device: 'mobile', country: 'DE', campaign: { source: 'newsletter', medium: 'email', name: 'autumn' } },
  v3: { device: 'mobile', country: 'PT' },
  v4: { device: 'tablet', country: 'ES' },
  v5: { device: 'desktop', country: 'US', rate: 0.5 },
  v6: { device: 'desktop', country: 'US', bot: true },
};

const posts = {
  p1: { postId: 'p1', authorId: 'a1' },
  p2: { postId: 'p2', authorId: 'a1' },
  p3: { postId: 'p3', authorId: 'a2' },
};
const pageProps = {
  p1: { ...posts.p1, template: 'article', themes: ['food', 'city'], destinations: [{ country: 'PT', city: 'Lisbon' }] },
  p2: { ...posts.p2, template: 'gallery', themes: ['beach'], destinations: [{ country: 'PT', city: 'Faro' }, { country: 'ES', city: 'Malaga' }] },
  p3: { ...posts.p3, template: 'article', themes: ['city'], destinations: [{ country: 'ES', city: 'Barcelona' }] },
};

let counter = 0;
function event(spec: Spec): SinkEvent {
  counter += 1;
  const reader = readers[spec.anon];
  const server: Record<string, unknown> = { siteId: 'blog', visitorId: spec.anon, device: reader.device, clockSkewMs: spec.skewMs ?? 0 };
  if (reader.bot) server.bot = true;
  return {
    id: `fixture-${String(counter).padStart(3, '0')}`,
    type: spec.name === 'page_viewed' ? 'page' : spec.name === 'user_identified' ? 'identify' : 'track',
    name: spec.name,
    properties: spec.props ?? {},
    timestamp: spec.at,
    anonymousId: spec.anon,
    sessionId: spec.session,
    schema: 'travel@1',
    context: {
      page: { url: 'https://blog.example/posts/x', path: '/posts/x', route: '/posts/[slug]' },
      locale: 'en-GB',
      screen: reader.device,
      ...(reader.campaign ? { campaign: reader.campaign } : {}),
      consent: { analytics: true, storage: true, marketing: false, gpc: false },
      sampleRate: reader.rate ?? 1,
      library: { name: '@waymark/core', version: '0.1.0' },
      server,
    },
    ...(spec.traits ? { traits: spec.traits } : {}),
    receivedAt: spec.received ?? new Date(Date.parse(spec.at) + 2000).toISOString(),
    country: reader.country,
  } as SinkEvent;
}

function fixtureEvents(): SinkEvent[] {
  counter = 0;
  const list: Spec[] = [
    // v1, session 1, Monday 2026-10-05 (e1 .. e8)
    { anon: 'v1', session: 'v1-s1', name: 'page_viewed', at: '2026-10-05T10:00:00.000Z', props: pageProps.p1 },
    { anon: 'v1', session: 'v1-s1', name: 'scroll_depth_reached', at: '2026-10-05T10:01:00.000Z', props: { ...posts.p1, percent: 25 } },
    { anon: 'v1', session: 'v1-s1', name: 'scroll_depth_reached', at: '2026-10-05T10:02:00.000Z', props: { ...posts.p1, percent: 50 } },
    { anon: 'v1', session: 'v1-s1', name: 'engaged_time_reported', at: '2026-10-05T10:03:00.000Z', props: { ...posts.p1, engagedMs: 30000, final: true } },
    { anon: 'v1', session: 'v1-s1', name: 'post_read', at: '2026-10-05T10:04:00.000Z', props: { ...posts.p1, engagedMs: 40000 } },
    { anon: 'v1', session: 'v1-s1', name: 'affiliate_link_clicked', at: '2026-10-05T10:05:00.000Z', props: { ...posts.p1, partner: 'stayco', productType: 'hotel' } },
    {
      anon: 'v1',
      session: 'v1-s1',
      name: 'user_identified',
      at: '2026-10-05T10:06:00.000Z',
      traits: { ageBand: '25-34', homeCountry: 'GB', travellerType: 'couple', budget: 'mid', tripStyles: ['food', 'city'] },
    },
    { anon: 'v1', session: 'v1-s1', name: 'web_vital_measured', at: '2026-10-05T10:00:01.000Z', props: { metric: 'LCP', value: 2000, rating: 'good', template: 'article' } },
    // v1, session 2, 2026-10-12 (e9 .. e12)
    { anon: 'v1', session: 'v1-s2', name: 'page_viewed', at: '2026-10-12T09:00:00.000Z', props: pageProps.p2 },
    { anon: 'v1', session: 'v1-s2', name: 'post_read', at: '2026-10-12T09:05:00.000Z', props: { ...posts.p2, engagedMs: 60000 } },
    { anon: 'v1', session: 'v1-s2', name: 'post_shared', at: '2026-10-12T09:06:00.000Z', props: { ...posts.p2, network: 'pinterest' } },
    { anon: 'v1', session: 'v1-s2', name: 'web_vital_measured', at: '2026-10-12T09:00:01.000Z', props: { metric: 'LCP', value: 3000, rating: 'needs-improvement', template: 'gallery' } },
    // v1, session 3, 2026-10-20 (e13, e14)
    { anon: 'v1', session: 'v1-s3', name: 'page_viewed', at: '2026-10-20T08:00:00.000Z', props: pageProps.p3 },
    { anon: 'v1', session: 'v1-s3', name: 'engaged_time_reported', at: '2026-10-20T08:02:00.000Z', props: { ...posts.p3, engagedMs: 10000, final: true } },
    // v2, session 1, 2026-10-06: the affiliate click comes before the read (e15 .. e22)
    { anon: 'v2', session: 'v2-s1', name: 'page_viewed', at: '2026-10-06T11:00:00.000Z', props: pageProps.p1 },
    { anon: 'v2', session: 'v2-s1', name: 'scroll_depth_reached', at: '2026-10-06T11:01:00.000Z', props: { ...posts.p1, percent: 25 } },
    { anon: 'v2', session: 'v2-s1', name: 'affiliate_link_clicked', at: '2026-10-06T11:02:00.000Z', props: { ...posts.p1, partner: 'stayco', productType: 'hotel' } },
    { anon: 'v2', session: 'v2-s1', name: 'post_read', at: '2026-10-06T11:03:00.000Z', props: { ...posts.p1, engagedMs: 20000 } },
    {
      anon: 'v2',
      session: 'v2-s1',
      name: 'user_identified',
      at: '2026-10-06T11:04:00.000Z',
      traits: { ageBand: '35-44', homeCountry: 'DE', travellerType: 'family', budget: 'luxury', tripStyles: ['beach'] },
    },
    { anon: 'v2', session: 'v2-s1', name: 'engaged_time_reported', at: '2026-10-06T11:05:00.000Z', props: { ...posts.p1, engagedMs: 25000, final: true } },
    { anon: 'v2', session: 'v2-s1', name: 'web_vital_measured', at: '2026-10-06T11:00:01.000Z', props: { metric: 'LCP', value: 4000, rating: 'poor', template: 'article' } },
    { anon: 'v2', session: 'v2-s1', name: 'web_vital_measured', at: '2026-10-06T11:00:02.000Z', props: { metric: 'INP', value: 200, rating: 'good', template: 'article' } },
    // v2, session 2, 2026-10-13 (e23 .. e25)
    { anon: 'v2', session: 'v2-s2', name: 'page_viewed', at: '2026-10-13T12:00:00.000Z', props: pageProps.p2 },
    { anon: 'v2', session: 'v2-s2', name: 'comment_posted', at: '2026-10-13T12:03:00.000Z', props: { ...posts.p2, length: 50 } },
    { anon: 'v2', session: 'v2-s2', name: 'web_vital_measured', at: '2026-10-13T12:00:01.000Z', props: { metric: 'CLS', value: 0.1, rating: 'good', template: 'gallery' } },
    // v3, 2026-10-07 (e26 .. e30)
    { anon: 'v3', session: 'v3-s1', name: 'page_viewed', at: '2026-10-07T13:00:00.000Z', props: pageProps.p1 },
    { anon: 'v3', session: 'v3-s1', name: 'page_viewed', at: '2026-10-07T13:05:00.000Z', props: pageProps.p3 },
    { anon: 'v3', session: 'v3-s1', name: 'engaged_time_reported', at: '2026-10-07T13:06:00.000Z', props: { ...posts.p3, engagedMs: 5000, final: true } },
    { anon: 'v3', session: 'v3-s1', name: 'post_shared', at: '2026-10-07T13:07:00.000Z', props: { ...posts.p1, network: 'facebook' } },
    { anon: 'v3', session: 'v3-s1', name: 'web_vital_measured', at: '2026-10-07T13:00:01.000Z', props: { metric: 'INP', value: 100, rating: 'good', template: 'article' } },
    // v4, 2026-10-08; e35 arrives 2 h 20 min late (e31 .. e36)
    { anon: 'v4', session: 'v4-s1', name: 'page_viewed', at: '2026-10-08T14:00:00.000Z', props: pageProps.p3 },
    { anon: 'v4', session: 'v4-s1', name: 'post_read', at: '2026-10-08T14:04:00.000Z', props: { ...posts.p3, engagedMs: 50000 } },
    { anon: 'v4', session: 'v4-s1', name: 'affiliate_link_clicked', at: '2026-10-08T14:05:00.000Z', props: { ...posts.p3, partner: 'flyco', productType: 'flight' } },
    { anon: 'v4', session: 'v4-s1', name: 'user_identified', at: '2026-10-08T14:06:00.000Z', traits: { travellerType: 'solo' } },
    { anon: 'v4', session: 'v4-s1', name: 'page_viewed', at: '2026-10-08T14:10:00.000Z', props: pageProps.p2, received: '2026-10-08T16:30:00.000Z' },
    { anon: 'v4', session: 'v4-s1', name: 'web_vital_measured', at: '2026-10-08T14:00:01.000Z', props: { metric: 'CLS', value: 0.3, rating: 'needs-improvement', template: 'article' } },
    // v5, sampled at 0.5, 2026-10-09; e40's clock was corrected by 10 min (e37 .. e40)
    { anon: 'v5', session: 'v5-s1', name: 'page_viewed', at: '2026-10-09T15:00:00.000Z', props: pageProps.p1 },
    { anon: 'v5', session: 'v5-s1', name: 'scroll_depth_reached', at: '2026-10-09T15:01:00.000Z', props: { ...posts.p1, percent: 25 } },
    { anon: 'v5', session: 'v5-s1', name: 'engaged_time_reported', at: '2026-10-09T15:02:00.000Z', props: { ...posts.p1, engagedMs: 8000, final: true } },
    { anon: 'v5', session: 'v5-s1', name: 'page_viewed', at: '2026-10-09T15:05:00.000Z', props: pageProps.p2, skewMs: 600000 },
    // v6, a bot (e41)
    { anon: 'v6', session: 'v6-s1', name: 'page_viewed', at: '2026-10-10T16:00:00.000Z', props: pageProps.p3 },
    // The comparison period (e42 .. e44)
    { anon: 'v1', session: 'v1-q1', name: 'page_viewed', at: '2026-09-20T10:00:00.000Z', props: pageProps.p1 },
    { anon: 'v1', session: 'v1-q1', name: 'engaged_time_reported', at: '2026-09-20T10:01:00.000Z', props: { ...posts.p1, engagedMs: 20000, final: true } },
    { anon: 'v2', session: 'v2-q1', name: 'page_viewed', at: '2026-09-25T10:00:00.000Z', props: pageProps.p3 },
  ];
  return list.map(event);
}

const failedRows = [
  { id: 'bad-1', received: '2026-10-05 10:00:00', reason: 'unknown_event' },
  { id: 'bad-2', received: '2026-10-06 10:00:00', reason: 'unknown_event' },
  { id: 'bad-3', received: '2026-10-31 23:59:59', reason: 'invalid_properties' },
  // Outside the period: not counted.
  { id: 'bad-4', received: '2026-11-01 00:00:00', reason: 'invalid_properties' },
];
const ingestRows = [
  { day: '2026-10-05', accepted: 30, duplicates: 2, rejected: 1 },
  { day: '2026-10-06', accepted: 11, duplicates: 1, rejected: 2 },
  // Outside the period.
  { day: '2026-09-20', accepted: 2, duplicates: 5, rejected: 0 },
];

async function loadDuckdb(): Promise<DuckdbEngine> {
  const engine = await duckdbEngine();
  const sink = duckdbSink({ connection: engine.connection });
  const result = await sink.write(fixtureEvents());
  expect(result.failed).toEqual([]);
  await engine.run(failedEventsTableSql());
  for (const row of failedRows) {
    await engine.run(`INSERT INTO waymark_failed_events VALUES ('${row.id}', 'blog', TIMESTAMPTZ '${row.received}+00', '${row.reason}', '{}')`);
  }
  await engine.run(ingestStatsTableSql());
  for (const row of ingestRows) {
    await engine.run(`INSERT INTO waymark_ingest_stats VALUES (DATE '${row.day}', 'blog', ${row.accepted}, ${row.duplicates}, ${row.rejected})`);
  }
  await refreshRollups(engine);
  return engine;
}

const to = '2026-10-31';
const now = new Date('2026-11-01T06:00:00.000Z');
const byId = (set: ReportSet, id: string): ReportResult => set.reports.find((report) => report.id === id)!;

describe('runReports on DuckDB (events -> refreshRollups -> reports)', () => {
  let engine: DuckdbEngine;
  let set: ReportSet;
  const progress: ReportProgress[] = [];

  beforeAll(async () => {
    engine = await loadDuckdb();
    set = await runReports(engine, builtinDefinitions(), { to, now, onProgress: (p) => progress.push(p) });
  });
  afterAll(() => engine?.close());

  it('runs every built-in report over the last 30 days', () => {
    expect(set.reports.map((report) => report.id)).toEqual(builtinDefinitions().map((definition) => definition.id));
    expect(byId(set, 'overview').period).toEqual({ from: '2026-10-02', to: '2026-10-31' });
    expect(byId(set, 'overview').comparison).toEqual({ from: '2026-09-02', to: '2026-10-01' });
    expect(set.generatedAt).toBe('2026-11-01T06:00:00.000Z');
    // The retention report starts on the Monday of 2026-09-06 (56 days before to, inclusive).
    expect(set.period).toEqual({ from: '2026-08-31', to: '2026-10-31' });
  });

  it('reports progress after every query, ending at the total', () => {
    expect(progress.length).toBeGreaterThan(20);
    expect(progress.map((p) => p.done)).toEqual(progress.map((_, i) => i + 1));
    expect(progress.every((p) => p.total === progress.length)).toBe(true);
    expect(progress[0]).toMatchObject({ report: 'sampling', query: 'probe' });
  });

  it('computes the overview totals with weights and the change against the previous period', () => {
    const overview = byId(set, 'overview');
    expect(overview.totals).toEqual({
      // 36 unsampled events + v5's 4 events at weight 2; the bot's page view is left out.
      events: 44,
      // v1..v4 count 1 each, v5 (only sampled events) counts 2.
      visitors: 6,
      // 7 unsampled sessions + v5's session at weight 2.
      sessions: 9,
      // 9 unsampled page views + 2 of v5 at weight 2.
      page_views: 13,
      // 30000 + 10000 + 25000 + 5000, plus v5's 8000 at weight 2.
      engaged_ms: 86000,
      // The previous period: 3 events, 2 visitors, 2 sessions, 2 page views, 20000 ms.
      events_change: 13.6666666667, // 44 / 3 - 1
      visitors_change: 2, // 6 / 2 - 1
      sessions_change: 3.5, // 9 / 2 - 1
      page_views_change: 5.5, // 13 / 2 - 1
      engaged_ms_change: 3.3, // 86000 / 20000 - 1
    });
    expect(overview.rows).toHaveLength(30);
    const day = (d: string) => overview.rows.find((row) => row.day === d);
    // 2026-10-05: v1's first session, 8 events; aligned with 2026-09-05 of the previous period (nothing).
    expect(day('2026-10-05')).toMatchObject({ events: 8, visitors: 1, sessions: 1, page_views: 1, engaged_ms: 30000, page_views_previous: 0 });
    // 2026-10-09: v5's 4 sampled events.
    expect(day('2026-10-09')).toMatchObject({ events: 8, visitors: 2, sessions: 2, page_views: 4, engaged_ms: 16000 });
    // 2026-10-20 is aligned with 2026-09-20, when v1 viewed p1.
    expect(day('2026-10-20')).toMatchObject({ page_views: 1, page_views_previous: 1, visitors_previous: 1, engaged_ms_previous: 20000 });
    expect(day('2026-10-10')).toMatchObject({ events: 0, visitors: 0, page_views: 0 });
    expect(overview.charts).toEqual([{ type: 'line', x: 'day', series: ['page_views', 'page_views_previous', 'visitors', 'visitors_previous'], title: 'Overview' }]);
    expect(overview.notes[0]).toContain('10% of the 40 events stored for this period (4) have a sample rate below 1');
  });

  it('computes content performance per post', () => {
    const report = byId(set, 'content-by-post');
    expect(report.rows).toEqual([
      {
        post: 'p1',
        views: 5, // e1, e15, e26, and v5's e37 at weight 2
        unique_readers: 5, // v1, v2, v3, and v5 at weight 2
        median_engaged_ms: 20000, // reads of 40000 and 20000: the lower middle value
        read_through_rate: 0.4, // 2 reads / 5 views
        scroll_25_rate: 0.8, // e2, e16, and e38 at weight 2 = 4 / 5
        scroll_50_rate: 0.2, // e3 = 1 / 5
        scroll_75_rate: 0,
        scroll_100_rate: 0,
        shares: 1, // e29 on facebook
        comments: 0,
        affiliate_clicks: 2, // e6, e17
        affiliate_click_rate: 0.4, // 2 / 5
      },
      {
        post: 'p2',
        views: 5, // e9, e23, e35 (late), and e40 at weight 2
        unique_readers: 5, // v1, v2, v4, and v5 at weight 2
        median_engaged_ms: 60000,
        read_through_rate: 0.2, // 1 / 5
        scroll_25_rate: 0,
        scroll_50_rate: 0,
        scroll_75_rate: 0,
        scroll_100_rate: 0,
        shares: 1,
        comments: 1,
        affiliate_clicks: 0,
        affiliate_click_rate: 0,
      },
      {
        post: 'p3',
        views: 3, // e13, e27, e31; the bot's view is left out
        unique_readers: 3,
        median_engaged_ms: 50000,
        read_through_rate: 0.333333333333, // 1 / 3
        scroll_25_rate: 0,
        scroll_50_rate: 0,
        scroll_75_rate: 0,
        scroll_100_rate: 0,
        shares: 0,
        comments: 0,
        affiliate_clicks: 1,
        affiliate_click_rate: 0.333333333333,
      },
    ]);
    expect(report.columns.map((column) => column.format)).toEqual([
      'text',
      'count',
      'count',
      'duration',
      'ratio',
      'ratio',
      'ratio',
      'ratio',
      'ratio',
      'count',
      'count',
      'count',
      'ratio',
    ]);
    expect(report.filters).toEqual(['Post: not (none)']);
    expect(report.notes).toContain('Medians and 75th percentiles are taken over the stored events, not weighted.');
  });

  it('attributes a post to each of its authors, destinations and themes', () => {
    expect(byId(set, 'content-by-author').rows.map((row) => [row.author, row.views, row.unique_readers, row.median_engaged_ms, row.read_through_rate])).toEqual([
      // a1 = p1 + p2: 10 views; readers v1..v4 + v5 at 2; reads 40000, 20000, 60000 -> median 40000; 3 / 10.
      ['a1', 10, 6, 40000, 0.3],
      ['a2', 3, 3, 50000, 0.333333333333],
    ]);
    expect(byId(set, 'content-by-destination').rows.map((row) => [row.destination, row.views, row.unique_readers, row.median_engaged_ms, row.affiliate_click_rate])).toEqual([
      // PT = p1 + p2 (p2 is about PT and ES).
      ['PT', 10, 6, 40000, 0.2],
      // ES = p2 + p3: 5 + 3 views; reads 60000, 50000 -> 50000; 1 click (e33) / 8.
      ['ES', 8, 6, 50000, 0.125],
    ]);
    expect(byId(set, 'content-by-theme').rows.map((row) => [row.theme, row.views, row.read_through_rate, row.scroll_25_rate, row.affiliate_clicks])).toEqual([
      // city = p1 + p3: 8 views, 3 reads, 4 at 25%, clicks e6, e17, e33.
      ['city', 8, 0.375, 0.5, 3],
      // beach = p2, food = p1: 5 views each, in name order.
      ['beach', 5, 0.2, 0, 0],
      ['food', 5, 0.4, 0.8, 2],
    ]);
    expect(byId(set, 'shares-by-network').rows).toEqual([
      { post: 'p1', network: 'facebook', shares: 1 },
      { post: 'p2', network: 'pinterest', shares: 1 },
    ]);
  });

  it('ranks no destination below the minimum volume, and says so', () => {
    const report = byId(set, 'trending-destinations');
    // PT has 10 views now and 1 before, ES 8 and 1: both below 50.
    expect(report.rows).toEqual([]);
    expect(report.notes).toContain(
      'Ranked by growth against the previous period among destination values with at least 50 post views in both periods; 2 values with fewer were left out, so a small base cannot top the list by noise.',
    );
  });

  it('ranks destinations by growth from the daily rollup', async () => {
    const definition = parseDefinition({ ...builtinDefinition('trending-destinations'), minVolume: 1 });
    const { reports } = await runReports(engine, [definition], { to, now });
    expect(reports[0].rows).toEqual([
      { destination: 'PT', views: 10, views_previous: 1, views_change: 9 }, // 10 / 1 - 1
      { destination: 'ES', views: 8, views_previous: 1, views_change: 7 }, // 8 / 1 - 1
    ]);
  });

  it('splits readers by traits, engagement tier and device', () => {
    expect(byId(set, 'segment-traveller-type').rows).toEqual([
      // v3 (1) and v5 (2) have no traveller type; views 2 + 2 * 2; engaged (5000 + 2 * 8000) / 3 visitors.
      { traveller_type: '', visitors: 3, sessions: 3, views: 6, engaged_ms_per_visitor: 7000, read_through_rate: 0, affiliate_click_rate: 0 },
      // v1: 3 sessions, views e1, e9, e13, engaged 30000 + 10000, 2 reads, 1 click.
      { traveller_type: 'couple', visitors: 1, sessions: 3, views: 3, engaged_ms_per_visitor: 40000, read_through_rate: 0.666666666667, affiliate_click_rate: 0.333333333333 },
      { traveller_type: 'family', visitors: 1, sessions: 2, views: 2, engaged_ms_per_visitor: 25000, read_through_rate: 0.5, affiliate_click_rate: 0.5 },
      { traveller_type: 'solo', visitors: 1, sessions: 1, views: 2, engaged_ms_per_visitor: 0, read_through_rate: 0.5, affiliate_click_rate: 0.5 },
    ]);
    expect(byId(set, 'segment-engagement-tier').rows).toEqual([
      // casual: v3 (1 session, no read) and v5 (1 session, no read, weight 2).
      { engagement_tier: 'casual', visitors: 3, sessions: 3, views: 6, engaged_ms_per_visitor: 7000, read_through_rate: 0, affiliate_click_rate: 0 },
      // engaged: v2 (2 sessions, 1 read) and v4 (1 session, 1 read): 4 views, 25000 ms / 2, 2 reads, 2 clicks.
      { engagement_tier: 'engaged', visitors: 2, sessions: 3, views: 4, engaged_ms_per_visitor: 12500, read_through_rate: 0.5, affiliate_click_rate: 0.5 },
      // loyal: v1 (3 sessions, 2 reads).
      { engagement_tier: 'loyal', visitors: 1, sessions: 3, views: 3, engaged_ms_per_visitor: 40000, read_through_rate: 0.666666666667, affiliate_click_rate: 0.333333333333 },
    ]);
    expect(byId(set, 'segment-device').rows).toEqual([
      // desktop: v1 + v5 (weight 2); engaged 40000 + 16000 over 3 visitors; 2 reads and 1 click over 7 views.
      { device: 'desktop', visitors: 3, sessions: 5, views: 7, engaged_ms_per_visitor: 18666.6666667, read_through_rate: 0.285714285714, affiliate_click_rate: 0.142857142857 },
      { device: 'mobile', visitors: 2, sessions: 3, views: 4, engaged_ms_per_visitor: 15000, read_through_rate: 0.25, affiliate_click_rate: 0.25 },
      { device: 'tablet', visitors: 1, sessions: 1, views: 2, engaged_ms_per_visitor: 0, read_through_rate: 0.5, affiliate_click_rate: 0.5 },
    ]);
    expect(byId(set, 'segment-campaign').rows.map((row) => [row.campaign, row.visitors])).toEqual([
      ['', 5],
      ['autumn', 1],
    ]);
  });

  it('counts funnel steps in order within a session', () => {
    expect(byId(set, 'funnel-read-to-click').rows).toEqual([
      // Sessions with a post view: 7 unsampled + v5's at weight 2; 2 in the previous period.
      { step: 'Viewed a post', sessions: 9, conversion: 1, step_conversion: 1, sessions_change: 3.5 },
      // v1-s1, v1-s2, v2-s1, v4-s1 read after their first post view; none before.
      { step: 'Read a post to the end', sessions: 4, conversion: 0.444444444444, step_conversion: 0.444444444444, sessions_change: null },
      // v1-s1 and v4-s1 clicked after the read; v2-s1 clicked before it, so it stops at step 2.
      { step: 'Clicked an affiliate link', sessions: 2, conversion: 0.222222222222, step_conversion: 0.5, sessions_change: null },
    ]);
  });

  it('builds retention cohorts by first-visit week', () => {
    const cells = byId(set, 'retention-readers').rows.map((row) => [row.cohort, row.week, row.cohort_size, row.readers, row.retention]);
    expect(cells).toEqual([
      // v1 first viewed a post on 2026-09-20 (week of 09-14), then in the weeks of 10-05, 10-12 and 10-19.
      ['2026-09-14', 0, 1, 1, 1],
      ['2026-09-14', 1, 1, 0, 0],
      ['2026-09-14', 2, 1, 0, 0],
      ['2026-09-14', 3, 1, 1, 1],
      ['2026-09-14', 4, 1, 1, 1],
      ['2026-09-14', 5, 1, 1, 1],
      ['2026-09-14', 6, 1, 0, 0],
      // v2: 2026-09-25 (week of 09-21), then 10-06 and 10-13.
      ['2026-09-21', 0, 1, 1, 1],
      ['2026-09-21', 1, 1, 0, 0],
      ['2026-09-21', 2, 1, 1, 1],
      ['2026-09-21', 3, 1, 1, 1],
      ['2026-09-21', 4, 1, 0, 0],
      ['2026-09-21', 5, 1, 0, 0],
      // v3, v4 and v5 (weight 2) first came in the week of 10-05 and not again.
      ['2026-10-05', 0, 4, 4, 1],
      ['2026-10-05', 1, 4, 0, 0],
      ['2026-10-05', 2, 4, 0, 0],
      ['2026-10-05', 3, 4, 0, 0],
    ]);
    expect(byId(set, 'retention-readers').charts).toEqual([{ type: 'heatmap', x: 'week', y: 'cohort', series: ['retention'], title: 'Reader retention by first-visit week' }]);
  });

  it('puts web vitals next to engagement per template', () => {
    expect(byId(set, 'web-vitals-by-template').rows).toEqual([
      // article: LCP 2000, 4000 -> p75 is the 2nd of 2; INP 100, 200; CLS 0.3; views of p1 (5) and p3 (3); reads
      // of p1 and p3 take the template of their post: 3 / 8; median of 20000, 40000, 50000.
      { template: 'article', lcp_p75: 4000, inp_p75: 200, cls_p75: 0.3, views: 8, read_through_rate: 0.375, median_engaged_ms: 40000 },
      { template: 'gallery', lcp_p75: 3000, inp_p75: null, cls_p75: 0.1, views: 5, read_through_rate: 0.2, median_engaged_ms: 60000 },
    ]);
  });

  it('reports data quality', () => {
    const report = byId(set, 'data-quality');
    expect(report.rows.map((row) => [row.check, row.events, row.share])).toEqual([
      ['Stored events', 41, null], // e1 .. e41, the bot's event included
      ['Failed: unknown_event', 2, 0.0454545454545], // 2 / (41 + 3)
      ['Failed: invalid_properties', 1, 0.0227272727273], // 1 / 44; bad-4 came after the period
      ['Duplicates dropped', 3, 0.063829787234], // 3 / (30 + 2 + 1 + 11 + 1 + 2)
      ['Late events', 1, 0.0243902439024], // e35, 1 / 41
      ['Clock-skewed events', 1, 0.0243902439024], // e40
      ['Bot events flagged', 1, 0.0243902439024], // e41
      ['Sampled events', 4, 0.0975609756098], // v5's 4 events
    ]);
    expect(report.notes).toEqual(['Counts in this report are of stored events, not weighted by sample rate.']);
  });

  it('says duplicates are not recorded when the collector kept no ingest stats', async () => {
    await engine.run('ALTER TABLE waymark_ingest_stats RENAME TO waymark_ingest_stats_kept');
    try {
      const { reports } = await runReports(engine, [builtinDefinition('data-quality')], { to, now });
      expect(reports[0].rows.find((row) => row.check === 'Duplicates dropped')).toEqual({
        check: 'Duplicates dropped',
        events: null,
        share: null,
        detail: 'not recorded (no waymark_ingest_stats table)',
      });
    } finally {
      await engine.run('ALTER TABLE waymark_ingest_stats_kept RENAME TO waymark_ingest_stats');
    }
  });

  it("limits a creator's reports to their own posts", async () => {
    const creator = await runReports(engine, builtinDefinitions(), { to, now, scope: { role: 'creator', authorId: 'a1' } });
    for (const report of creator.reports) expect(report.scope).toEqual({ role: 'creator', authorId: 'a1' });
    expect(byId(creator, 'content-by-post').rows.map((row) => row.post)).toEqual(['p1', 'p2']);
    expect(byId(creator, 'content-by-author').rows.map((row) => row.author)).toEqual(['a1']);
    // ES stays as p2's destination, with p2's 5 views only.
    expect(byId(creator, 'content-by-destination').rows.map((row) => [row.destination, row.views])).toEqual([
      ['PT', 10],
      ['ES', 5],
    ]);
    // Sessions with a view of p1 or p2: v1-s1, v1-s2, v2-s1, v2-s2, v3-s1, v4-s1, v5-s1 (weight 2); reads after
    // it: v1-s1, v1-s2, v2-s1; clicks after the read: v1-s1.
    expect(byId(creator, 'funnel-read-to-click').rows.map((row) => row.sessions)).toEqual([8, 3, 1]);
    // a1's events: everything of p1 and p2 (identify and web vitals carry no author).
    expect(byId(creator, 'overview').totals).toMatchObject({ page_views: 10, visitors: 6 });
    const quality = byId(creator, 'data-quality');
    expect(quality.rows.map((row) => row.check)).not.toContain('Duplicates dropped');
    expect(quality.notes).toContain('Failed events and dropped duplicates are recorded per site, not per post, so a creator report leaves them out.');
  });

  it('refuses a user-level dimension for a marketing key before running anything', async () => {
    const definition = parseDefinition({ id: 'by-visitor', title: 'By visitor', metrics: ['views'], dimensions: ['visitor'] });
    const seen: ReportProgress[] = [];
    const error = await runReports(engine, [builtinDefinition('overview'), definition], { to, now, scope: { role: 'marketing' }, onProgress: (p) => seen.push(p) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).issues).toEqual([
      {
        path: 'dimensions[0]',
        message: '"visitor" is a user-level dimension, and a marketing key may only run aggregates; remove it or use a segment dimension such as "device" or "traveller_type"',
      },
    ]);
    expect(seen).toEqual([]);
  });

  it('runs trait and tier segments over one shared query, with the same rows as alone', async () => {
    const ids = ['segment-age-band', 'segment-traveller-type', 'segment-engagement-tier'];
    const seen: ReportProgress[] = [];
    const together = await runReports(engine, ids.map(builtinDefinition), { to, now, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.report)).toEqual(['sampling', ids.join('+')]);
    for (const id of ids) {
      const alone = await runReports(engine, [builtinDefinition(id)], { to, now });
      expect(byId(together, id)).toEqual(alone.reports[0]);
    }
    expect(byId(together, 'segment-age-band').rows.map((row) => [row.age_band, row.visitors, row.views])).toEqual([
      ['', 4, 8], // v3, v4 and v5 (weight 2): 2 + 2 + 2 * 2 views
      ['25-34', 1, 3],
      ['35-44', 1, 2],
    ]);
  });

  it('filters and splits any report by a segment', async () => {
    const definition = parseDefinition({
      id: 'families-by-device',
      title: 'Family readers by device',
      kind: 'funnel',
      steps: [{ event: 'page_viewed' }, { event: 'post_read' }],
      segment: { traveller_type: ['family', 'couple'] },
      split: 'device',
    });
    const { reports } = await runReports(engine, [definition], { to, now });
    // v1 (couple, desktop): 3 sessions viewed, 2 read after; v2 (family, mobile): 2 sessions viewed, 1 read after.
    expect(reports[0].rows.map((row) => [row.device, row.step, row.sessions])).toEqual([
      ['desktop', 'page_viewed', 3],
      ['desktop', 'post_read', 2],
      ['mobile', 'page_viewed', 2],
      ['mobile', 'post_read', 1],
    ]);
    expect(reports[0].filters).toEqual(['Segment: Traveller type = family, couple']);
  });
});

const clickhouseUrl = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const clickhouseUp = await fetch(`${clickhouseUrl}/ping`).then(
  (response) => response.ok,
  () => false,
);
if (!clickhouseUp) console.warn(`[waymark] runReports ClickHouse test skipped: no ClickHouse at ${clickhouseUrl} (start it as in .ci/run)`);

describe.skipIf(!clickhouseUp)('runReports on ClickHouse', () => {
  const database = 'waymark_report_fixture';
  let duck: DuckdbEngine;
  let clickhouse: ClickhouseEngine;

  beforeAll(async () => {
    const admin = clickhouseEngine({ url: clickhouseUrl });
    await admin.run(`DROP DATABASE IF EXISTS ${database}`);
    await admin.run(`CREATE DATABASE ${database}`);
    clickhouse = clickhouseEngine({ url: clickhouseUrl, database });
    const sink = clickhouseSink({ url: clickhouseUrl, database });
    const result = await sink.write(fixtureEvents());
    expect(result.failed).toEqual([]);
    await sink.close?.();
    await clickhouse.run(
      'CREATE TABLE waymark_failed_events (id Nullable(String), site_id String, received_at DateTime(\'UTC\'), reason String, payload String) ENGINE = MergeTree() ORDER BY received_at',
    );
    for (const row of failedRows) await clickhouse.run(`INSERT INTO waymark_failed_events VALUES ('${row.id}', 'blog', toDateTime('${row.received}', 'UTC'), '${row.reason}', '{}')`);
    await clickhouse.run('CREATE TABLE waymark_ingest_stats (day Date, site_id String, accepted Int64, duplicates Int64, rejected Int64) ENGINE = MergeTree() ORDER BY day');
    for (const row of ingestRows) await clickhouse.run(`INSERT INTO waymark_ingest_stats VALUES (toDate('${row.day}'), 'blog', ${row.accepted}, ${row.duplicates}, ${row.rejected})`);
    await refreshRollups(clickhouse);
    duck = await loadDuckdb();
  }, 60_000);
  afterAll(async () => {
    await duck?.close();
    await clickhouse?.run(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  });

  const run = (engine: ReportEngine, scope?: { role: 'creator'; authorId: string }) => runReports(engine, builtinDefinitions(), { to, now, scope });

  it('gives the same report set as DuckDB', async () => {
    const [fromClickhouse, fromDuckdb] = [await run(clickhouse), await run(duck)];
    expect(fromClickhouse).toEqual(fromDuckdb);
    expect(byId(fromClickhouse, 'overview').totals?.visitors).toBe(6);
  }, 60_000);

  it('gives the same creator-scoped report set as DuckDB', async () => {
    const scope = { role: 'creator' as const, authorId: 'a1' };
    expect(await run(clickhouse, scope)).toEqual(await run(duck, scope));
  }, 60_000);
});
