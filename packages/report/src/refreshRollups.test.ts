import type { SinkEvent } from '@waymark/sinks';
import { clickhouseSink } from '@waymark/sinks/clickhouse';
import { duckdbSink, duckdbTableSql } from '@waymark/sinks/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseEngine } from './clickhouseEngine';
import { duckdbEngine } from './duckdbEngine';
import type { DuckdbEngine } from './duckdbEngine';
import { refreshRollups, rollupColumns, rollupInsertSql, rollupTableSql, rollupTables } from './refreshRollups';
import type { RollupTable } from './refreshRollups';
import type { ReportEngine, ReportRow } from './reportEngine';
import { sqlDialect } from './sqlDialect';

const url = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const up = await fetch(`${url}/ping`).then(
  (r) => r.ok,
  () => false,
);
if (!up) console.warn(`[waymark] refreshRollups ClickHouse tests skipped: no ClickHouse at ${url} (set WAYMARK_CLICKHOUSE_URL or start it as in .ci/run)`);

/** What one fixture event varies; everything else is a plain travel@1 envelope. */
interface Spec {
  name: string;
  at: string;
  /** When the collector received it; null for an event stored without it. @default `at` plus 2 s */
  received?: string | null;
  anon: string;
  session?: string;
  user?: string;
  type?: 'track' | 'page' | 'identify';
  props?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  screen?: 'mobile' | 'tablet' | 'desktop';
  /** `context.server`; null for an event the collector did not enrich. */
  server?: Record<string, unknown> | null;
  country?: string;
  rate?: number;
  campaign?: { source?: string; medium?: string; name?: string };
  path?: string;
  route?: string;
}

let counter = 0;
function event(spec: Spec): SinkEvent {
  counter += 1;
  const id = `evt-${String(counter).padStart(4, '0')}`;
  const received = spec.received === undefined ? new Date(Date.parse(spec.at) + 2000).toISOString() : spec.received;
  const context: Record<string, unknown> = {
    page: { url: `https://blog.example${spec.path ?? '/'}`, path: spec.path ?? '/', ...(spec.route ? { route: spec.route } : {}) },
    locale: 'en-GB',
    ...(spec.screen ? { screen: spec.screen } : {}),
    ...(spec.campaign ? { campaign: spec.campaign } : {}),
    consent: { analytics: true, storage: true, marketing: false, gpc: false },
    sampleRate: spec.rate ?? 1,
    library: { name: '@waymark/core', version: '0.1.0' },
  };
  if (spec.server !== null) context.server = { siteId: 'blog', visitorId: 'v', device: 'mobile', clockSkewMs: 0, ...spec.server };
  return {
    id,
    type: spec.type ?? (spec.name === 'page_viewed' ? 'page' : 'track'),
    name: spec.name,
    properties: spec.props ?? {},
    timestamp: spec.at,
    anonymousId: spec.anon,
    sessionId: spec.session ?? `${spec.anon}-s1`,
    schema: 'travel@1',
    context,
    ...(spec.user ? { userId: spec.user } : {}),
    ...(spec.traits ? { traits: spec.traits } : {}),
    ...(received === null ? {} : { receivedAt: received }),
    ...(spec.country ? { country: spec.country } : {}),
  } as SinkEvent;
}

const lisbon = { country: 'PT', city: 'Lisbon', iata: 'LIS' };
const porto = { country: 'PT', city: 'Porto' };
const kyoto = { country: 'JP', city: 'Kyoto' };
const saoPaulo = { country: 'BR', city: 'São Paulo' };
const p1 = { postId: 'p1', authorId: 'a1' };
const p2 = { postId: 'p2', authorId: "o'brien" };
const desktop = { device: 'desktop', browser: 'Firefox' };

/** 50 events over 2026-09-30 .. 2026-10-02 (UTC), by four readers and a bot. */
function fixtureEvents(): SinkEvent[] {
  counter = 0;
  const events: SinkEvent[] = [];
  const add = (spec: Spec) => events.push(event(spec));
  // Reader r1: mobile, Chrome, from Portugal, campaign "autumn".
  const r1 = { anon: 'r1', server: { device: 'mobile', browser: 'Chrome', clockSkewMs: -1500 }, country: 'PT', campaign: { source: 'newsletter', medium: 'email', name: 'autumn' } };
  add({ ...r1, name: 'page_viewed', at: '2026-09-30T09:00:00.000Z', path: '/posts/lisbon', route: '/posts/[slug]', props: { ...p1, template: 'guide', themes: ['food'], destinations: [porto] } });
  add({ ...r1, name: 'page_viewed', at: '2026-10-01T08:00:00.000Z', path: '/posts/lisbon', route: '/posts/[slug]', props: { ...p1, template: 'guide', themes: ['food', 'city', "rock 'n' roll \"live\""], destinations: [lisbon, porto, lisbon] } });
  add({ ...r1, name: 'scroll_depth_reached', at: '2026-10-01T08:00:30.000Z', path: '/posts/lisbon', props: { ...p1, percent: 25 } });
  add({ ...r1, name: 'scroll_depth_reached', at: '2026-10-01T08:01:00.000Z', path: '/posts/lisbon', props: { ...p1, percent: 50 } });
  add({ ...r1, name: 'engaged_time_reported', at: '2026-10-01T08:02:00.000Z', path: '/posts/lisbon', props: { ...p1, engagedMs: 15000, final: false } });
  add({ ...r1, name: 'engaged_time_reported', at: '2026-10-01T08:04:00.000Z', path: '/posts/lisbon', props: { ...p1, engagedMs: 45000, final: true } });
  add({ ...r1, name: 'post_read', at: '2026-10-01T08:04:00.500Z', path: '/posts/lisbon', props: { ...p1, engagedMs: 60000 } });
  add({ ...r1, name: 'post_shared', at: '2026-10-01T08:05:00.000Z', path: '/posts/lisbon', props: { ...p1, network: 'whatsapp' } });
  add({ ...r1, name: 'affiliate_link_clicked', at: '2026-10-01T08:06:00.000Z', path: '/posts/lisbon', props: { ...p1, partner: 'stayco', productType: 'hotel', destination: lisbon } });
  add({ ...r1, name: 'web_vital_measured', at: '2026-10-01T08:00:01.000Z', path: '/posts/lisbon', props: { metric: 'LCP', value: 2345.6, rating: 'needs-improvement', template: 'guide' } });
  add({ ...r1, name: 'web_vital_measured', at: '2026-10-01T08:00:02.000Z', path: '/posts/lisbon', props: { metric: 'CLS', value: 0.0123, rating: 'good', template: 'guide' } });
  add({ ...r1, type: 'identify', name: 'user_identified', at: '2026-10-01T08:10:00.000Z', user: 'u1', traits: { ageBand: '25-34', homeCountry: 'PT', travellerType: 'couple', budget: 'mid', tripStyles: ['food', 'city'] } });
  add({ ...r1, name: 'page_viewed', at: '2026-10-01T23:59:59.999Z', user: 'u1', path: '/posts/kyoto', route: '/posts/[slug]', props: { postId: 'p3', authorId: 'a1', template: 'gallery', themes: ['culture'], destinations: [kyoto] } });
  add({ ...r1, name: 'page_viewed', at: '2026-10-02T00:00:00.000Z', user: 'u1', session: 'r1-s2', path: '/posts/lisbon', route: '/posts/[slug]', props: { ...p1, template: 'guide', themes: ['food', 'city', "rock 'n' roll \"live\""], destinations: [lisbon, porto] } });
  add({ ...r1, type: 'identify', name: 'user_identified', at: '2026-10-02T00:05:00.000Z', user: 'u1', session: 'r1-s2', traits: { ageBand: '25-34', homeCountry: 'PT', travellerType: 'family', budget: 'luxury', tripStyles: ['beach'] } });
  add({ ...r1, name: 'comment_posted', at: '2026-10-02T00:06:00.000Z', user: 'u1', session: 'r1-s2', path: '/posts/lisbon', props: { ...p1, length: 120 } });
  // Reader r2: desktop, sampled at 0.5, from Brazil, no campaign.
  const r2 = { anon: 'r2', server: desktop, country: 'BR', rate: 0.5 };
  for (const [i, at] of ['2026-10-01T10:00:00.000Z', '2026-10-01T11:00:00.000Z', '2026-10-02T10:00:00.000Z'].entries()) {
    add({ ...r2, session: `r2-s${i}`, name: 'page_viewed', at, path: '/posts/sao-paulo', route: '/posts/[slug]', props: { ...p2, template: 'guide', themes: ['city', 'nightlife'], destinations: [saoPaulo] } });
    add({ ...r2, session: `r2-s${i}`, name: 'engaged_time_reported', at: at.replace(':00:00.000Z', ':03:00.000Z'), path: '/posts/sao-paulo', props: { ...p2, engagedMs: 20000 + i * 1000, final: true } });
  }
  add({ ...r2, name: 'scroll_depth_reached', at: '2026-10-01T10:01:00.000Z', path: '/posts/sao-paulo', props: { ...p2, percent: 100 } });
  add({ ...r2, name: 'booking_widget_used', at: '2026-10-01T10:02:00.000Z', path: '/posts/sao-paulo', props: { ...p2, partner: 'flyco', productType: 'flight', action: 'searched', destination: { country: 'BR', city: 'Rio de Janeiro' } } });
  add({ ...r2, name: 'post_shared', at: '2026-10-01T10:04:00.000Z', path: '/posts/sao-paulo', props: { ...p2, network: 'x', method: 'button' } });
  add({ ...r2, name: 'map_interacted', at: '2026-10-01T10:05:00.000Z', path: '/posts/sao-paulo', props: { ...p2, action: 'zoom', place: { country: 'BR', city: 'Santos' } } });
  add({ ...r2, name: 'destination_viewed', at: '2026-10-01T10:06:00.000Z', path: '/destinations/jp', props: { destination: { country: 'JP' } } });
  add({ ...r2, name: 'web_vital_measured', at: '2026-10-01T10:00:01.000Z', path: '/posts/sao-paulo', props: { metric: 'INP', value: 180, rating: 'good', template: 'guide' } });
  add({ ...r2, name: 'search_performed', at: '2026-10-02T10:10:00.000Z', path: '/search', props: { query: 'kyoto "temples" \\ guide', resultsCount: 3, destination: kyoto } });
  // Reader r3: no server context (stored by an SDK without the collector), tablet screen, no receipt time.
  const r3 = { anon: 'r3', server: null, screen: 'tablet' as const, received: null };
  add({ ...r3, name: 'page_viewed', at: '2026-10-01T12:00:00.000Z', path: '/posts/kyoto', props: { postId: 'p3', authorId: 'a1', template: 'gallery', themes: ['temples'] } });
  add({ ...r3, name: 'gallery_interacted', at: '2026-10-01T12:01:00.000Z', path: '/posts/kyoto', props: { postId: 'p3', authorId: 'a1', galleryId: 'g1', action: 'opened' } });
  add({ ...r3, name: 'video_interacted', at: '2026-10-01T12:02:00.000Z', path: '/posts/kyoto', props: { postId: 'p3', authorId: 'a1', videoId: 'v1', action: 'progress', percent: 50 } });
  add({ ...r3, name: 'web_vital_measured', at: '2026-10-01T12:00:01.000Z', path: '/posts/kyoto', props: { metric: 'LCP', value: 4100.25, rating: 'poor', template: 'gallery' } });
  // Reader r4: sampled at 0.1, Japan, campaign without medium, clock 3.2 s behind.
  const r4 = { anon: 'r4', server: { device: 'mobile', browser: 'Mobile Safari', clockSkewMs: 3200 }, country: 'JP', rate: 0.1, campaign: { source: 'pinterest', name: 'kyoto-spring' } };
  add({ ...r4, name: 'page_viewed', at: '2026-10-02T07:00:00.000Z', path: '/posts/kyoto', route: '/posts/[slug]', props: { postId: 'p3', authorId: 'a1', template: 'gallery', themes: ['culture'], destinations: [kyoto] } });
  add({ ...r4, name: 'engaged_time_reported', at: '2026-10-02T07:01:00.000Z', path: '/posts/kyoto', props: { postId: 'p3', authorId: 'a1', engagedMs: 8000, final: true } });
  add({ ...r4, name: 'scroll_depth_reached', at: '2026-10-02T07:00:40.000Z', path: '/posts/kyoto', props: { postId: 'p3', authorId: 'a1', percent: 75 } });
  add({ ...r4, name: 'newsletter_signed_up', at: '2026-10-02T07:02:00.000Z', path: '/posts/kyoto', props: { postId: 'p3', authorId: 'a1', listId: 'weekly' } });
  add({ ...r4, type: 'identify', name: 'user_identified', at: '2026-10-02T07:03:00.000Z', user: 'u4', traits: { ageBand: '45-54', travellerType: 'solo' } });
  add({ ...r4, name: 'page_viewed', at: '2026-10-02T07:05:00.000Z', path: '/', route: '/', props: { template: 'home' } });
  // A crawler: flagged by the collector, kept out of the daily rollup.
  const bot = { anon: 'crawler', server: { device: 'desktop', browser: 'Googlebot', bot: true }, country: 'US' };
  for (let i = 0; i < 6; i++) {
    add({ ...bot, session: `crawler-${i}`, name: 'page_viewed', at: `2026-10-01T0${i}:30:00.000Z`, path: '/posts/lisbon', route: '/posts/[slug]', props: { ...p1, template: 'guide', themes: ['food'], destinations: [porto] } });
  }
  // r5: a reader with a different page view of p2 on the same millisecond as r2's last one (tie broken by id).
  add({ anon: 'r5', server: desktop, name: 'page_viewed', at: '2026-10-02T10:00:00.000Z', path: '/posts/sao-paulo', props: { ...p2, template: 'longread', themes: ['city'] } });
  add({ anon: 'r5', server: desktop, name: 'outbound_link_clicked', at: '2026-10-02T10:01:00.000Z', path: '/posts/sao-paulo', props: { ...p2, url: 'https://example.org/', host: 'example.org' } });
  add({ anon: 'r5', server: desktop, name: 'section_read', at: '2026-10-02T10:02:00.000Z', path: '/posts/sao-paulo', props: { ...p2, sectionId: 's1', index: 0, visibleMs: 9000 } });
  add({ anon: 'r5', server: desktop, name: 'itinerary_viewed', at: '2026-10-02T10:03:00.000Z', path: '/posts/sao-paulo', props: { ...p2, itineraryId: 'i1', days: 3, destinations: [saoPaulo] } });
  add({ anon: 'r5', server: desktop, name: 'destination_saved', at: '2026-10-02T10:04:00.000Z', path: '/posts/sao-paulo', props: { ...p2, destination: saoPaulo } });
  return events;
}

/** Late events: received after the first refresh, happened days before (an offline phone syncing). */
function lateEvents(): SinkEvent[] {
  const received = '2026-10-05T09:00:00.000Z';
  const r6 = { anon: 'r6', server: { device: 'mobile', browser: 'Chrome', clockSkewMs: 120 }, country: 'PT', received };
  return [
    event({ ...r6, name: 'page_viewed', at: '2026-09-30T18:00:00.000Z', path: '/posts/lisbon', props: { ...p1, template: 'guide', themes: ['food'], destinations: [lisbon] } }),
    event({ ...r6, name: 'engaged_time_reported', at: '2026-09-30T18:02:00.000Z', path: '/posts/lisbon', props: { ...p1, engagedMs: 30000, final: true } }),
    event({ ...r6, name: 'page_viewed', at: '2026-10-04T18:00:00.000Z', path: '/posts/lisbon', props: { ...p1, template: 'guide-v2', themes: ['food', 'wine'], destinations: [porto] } }),
    event({ ...r6, type: 'identify', name: 'user_identified', at: '2026-10-04T18:01:00.000Z', user: 'u6', traits: { budget: 'budget', tripStyles: [] } }),
  ];
}

const orderColumns: Record<RollupTable, string> = Object.fromEntries(
  rollupTables.map((table) => [table, rollupColumns[table].map(([name]) => name).join(', ')]),
) as Record<RollupTable, string>;

/** Every derived table's rows, sorted, as comparable plain values (bool as 0/1, doubles to 12 digits). */
async function snapshot(engine: ReportEngine): Promise<Record<string, ReportRow[]>> {
  const out: Record<string, ReportRow[]> = {};
  for (const table of rollupTables) {
    if (table === 'waymark_rollup_state') continue;
    const rows = await engine.query(`SELECT ${orderColumns[table]} FROM ${table} ORDER BY ${orderColumns[table]}`);
    out[table] = rows.map((row) => {
      const clean: ReportRow = {};
      for (const [name, kind] of rollupColumns[table]) {
        const value = row[name];
        clean[name] = kind === 'bool' ? Number(value) : kind === 'double' ? Number(Number(value).toPrecision(12)) : value;
      }
      return clean;
    });
  }
  return out;
}

const byDay = (rows: ReportRow[], day: string) => rows.filter((r) => r.day === day);

/** Checks the fixture's derived tables against numbers worked out by hand. */
function expectHandChecked(tables: Record<string, ReportRow[]>) {
  const facts = tables.waymark_facts;
  expect(facts).toHaveLength(50);
  const fact = (id: string) => facts.find((f) => f.id === id)!;
  expect(fact('evt-0001')).toMatchObject({ day: '2026-09-30', ts_ms: Date.parse('2026-09-30T09:00:00.000Z'), received_ms: Date.parse('2026-09-30T09:00:02.000Z') });
  expect(fact('evt-0001')).toMatchObject({ device: 'mobile', browser: 'Chrome', geo: 'PT', utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'autumn', skew_ms: -1500, bot: 0 });
  expect(fact('evt-0001')).toMatchObject({ post_id: 'p1', author_id: 'a1', template: 'guide', path: '/posts/lisbon', route: '/posts/[slug]', weight: 1, sample_rate: 1 });
  expect(fact('evt-0004')).toMatchObject({ name: 'scroll_depth_reached', scroll_pct: 50, engaged_ms: 0 });
  expect(fact('evt-0007')).toMatchObject({ name: 'post_read', engaged_ms: 60000 });
  expect(fact('evt-0008')).toMatchObject({ network: 'whatsapp', partner: '', dest_country: '' });
  expect(fact('evt-0009')).toMatchObject({ partner: 'stayco', product_type: 'hotel', dest_country: 'PT', dest_city: 'Lisbon' });
  expect(fact('evt-0010')).toMatchObject({ vital: 'LCP', vital_value: 2345.6, template: 'guide', post_id: '' });
  expect(fact('evt-0011')).toMatchObject({ vital: 'CLS', vital_value: 0.0123 });
  expect(fact('evt-0012')).toMatchObject({ type: 'identify', user_id: 'u1', day: '2026-10-01' });
  expect(fact('evt-0013')).toMatchObject({ day: '2026-10-01', ts_ms: Date.parse('2026-10-01T23:59:59.999Z') });
  expect(fact('evt-0014')).toMatchObject({ day: '2026-10-02', session_id: 'r1-s2' });
  // r2: sampled at 0.5, desktop, no campaign; the booking widget's destination; the map's place.
  expect(fact('evt-0017')).toMatchObject({ device: 'desktop', browser: 'Firefox', sample_rate: 0.5, weight: 2, utm_campaign: '', author_id: "o'brien" });
  expect(fact('evt-0024')).toMatchObject({ name: 'booking_widget_used', partner: 'flyco', product_type: 'flight', dest_country: 'BR', dest_city: 'Rio de Janeiro' });
  expect(fact('evt-0026')).toMatchObject({ name: 'map_interacted', dest_country: 'BR', dest_city: 'Santos' });
  expect(fact('evt-0027')).toMatchObject({ name: 'destination_viewed', dest_country: 'JP', dest_city: '', post_id: '' });
  expect(fact('evt-0029')).toMatchObject({ name: 'search_performed', dest_country: 'JP', dest_city: 'Kyoto' });
  // r3: no server context: device from the screen class, no browser, no receipt time, route falls back to the path.
  expect(fact('evt-0030')).toMatchObject({ device: 'tablet', browser: '', received_ms: 0, skew_ms: 0, geo: '', route: '/posts/kyoto', bot: 0 });
  expect(fact('evt-0032')).toMatchObject({ name: 'video_interacted', scroll_pct: 0 });
  // r4: sampled at 0.1.
  expect(fact('evt-0034')).toMatchObject({ weight: 10, skew_ms: 3200, utm_source: 'pinterest', utm_medium: '', utm_campaign: 'kyoto-spring', scroll_pct: 0 });
  expect(fact('evt-0040')).toMatchObject({ bot: 1, browser: 'Googlebot', geo: 'US' });
  expect(fact('evt-0049')).toMatchObject({ name: 'itinerary_viewed', dest_country: '', dest_city: '' });
  expect(fact('evt-0050')).toMatchObject({ name: 'destination_saved', dest_country: 'BR', dest_city: 'São Paulo' });

  expect(tables.waymark_posts).toEqual([
    // p1's latest page view is r1's of 2026-10-02 (the late crawler views are older).
    { post_id: 'p1', author_id: 'a1', template: 'guide' },
    // Two views of p2 on the same millisecond: the larger id (evt-0046, r5's) wins.
    { post_id: 'p2', author_id: "o'brien", template: 'longread' },
    { post_id: 'p3', author_id: 'a1', template: 'gallery' },
  ]);
  expect(tables.waymark_post_themes).toEqual([
    { post_id: 'p1', theme: 'city' },
    { post_id: 'p1', theme: 'food' },
    { post_id: 'p1', theme: "rock 'n' roll \"live\"" },
    { post_id: 'p2', theme: 'city' },
    { post_id: 'p3', theme: 'culture' },
  ]);
  expect(tables.waymark_post_destinations).toEqual([
    { post_id: 'p1', country: 'PT', city: 'Lisbon' },
    { post_id: 'p1', country: 'PT', city: 'Porto' },
    { post_id: 'p3', country: 'JP', city: 'Kyoto' },
  ]);
  const empty = { user_id: '', age_band: '', home_country: '', traveller_type: '', budget: '', trip_style: '' };
  expect(tables.waymark_visitors).toEqual([
    { anonymous_id: 'crawler', first_day: '2026-10-01', ...empty },
    // r1 identified twice: the later traits win.
    { anonymous_id: 'r1', first_day: '2026-09-30', user_id: 'u1', age_band: '25-34', home_country: 'PT', traveller_type: 'family', budget: 'luxury', trip_style: 'beach' },
    { anonymous_id: 'r2', first_day: '2026-10-01', ...empty },
    { anonymous_id: 'r3', first_day: '2026-10-01', ...empty },
    { anonymous_id: 'r4', first_day: '2026-10-02', ...empty, user_id: 'u4', age_band: '45-54', traveller_type: 'solo' },
    { anonymous_id: 'r5', first_day: '2026-10-02', ...empty },
  ]);

  const daily = tables.waymark_daily;
  // No row for the crawler; every non-bot fact counted once.
  expect(daily.some((r) => r.device === 'desktop' && r.geo === 'US')).toBe(false);
  expect(daily.reduce((sum, r) => sum + Number(r.raw_events), 0)).toBe(44);
  // Page views of 2026-10-01: r1 p1 (1), r1 p3 at 23:59:59.999 (1), r2 p2 twice at weight 2 (4), r3 p3 (1).
  const views1 = byDay(daily, '2026-10-01').filter((r) => r.name === 'page_viewed');
  expect(views1.reduce((sum, r) => sum + Number(r.events), 0)).toBe(7);
  expect(views1.find((r) => r.post_id === 'p2')).toMatchObject({ author_id: "o'brien", device: 'desktop', geo: 'BR', events: 4, raw_events: 2 });
  // Engaged time of 2026-10-02: r2 22 s at weight 2, r4 8 s at weight 10.
  const engaged2 = byDay(daily, '2026-10-02').filter((r) => r.name === 'engaged_time_reported');
  expect(engaged2.map((r) => [r.post_id, r.events, r.engaged_ms, r.raw_events])).toEqual([
    ['p2', 2, 44000, 1],
    ['p3', 10, 80000, 1],
  ]);
  expect(byDay(daily, '2026-09-30')).toEqual([
    { day: '2026-09-30', name: 'page_viewed', post_id: 'p1', author_id: 'a1', template: 'guide', device: 'mobile', geo: 'PT', utm_campaign: 'autumn', dest_country: '', events: 1, engaged_ms: 0, raw_events: 1 },
  ]);
}

/** Runs the refresh and the checks every engine must pass. */
function refreshSuite(open: () => Promise<{ engine: ReportEngine; write: (events: SinkEvent[]) => Promise<void>; fresh: () => Promise<{ engine: ReportEngine; write: (events: SinkEvent[]) => Promise<void> }> }>) {
  let engine: ReportEngine;
  let write: (events: SinkEvent[]) => Promise<void>;
  let fresh: () => Promise<{ engine: ReportEngine; write: (events: SinkEvent[]) => Promise<void> }>;
  let first: Record<string, ReportRow[]>;
  beforeAll(async () => {
    ({ engine, write, fresh } = await open());
    await write(fixtureEvents());
  });

  it('builds the derived tables from the stored events', async () => {
    const result = await refreshRollups(engine);
    expect(result).toMatchObject({ facts: 50, days: ['2026-09-30', '2026-10-01', '2026-10-02'], posts: 3, visitors: 6 });
    expect(result.watermarkMs).toBe(Date.parse('2026-10-02T10:10:02.000Z'));
    first = await snapshot(engine);
    expectHandChecked(first);
  });

  it('changes nothing when run again', async () => {
    const again = await refreshRollups(engine);
    expect(again.facts).toBe(0);
    expect(await snapshot(engine)).toEqual(first);
    const [{ n }] = await engine.query('SELECT count(*) AS n FROM waymark_rollup_state');
    expect(Number(n)).toBeGreaterThan(0);
  });

  it('keeps per-session and per-reader sums that add up to the daily rollup', async () => {
    const sum = (rows: ReportRow[], column: string) => rows.reduce((total, row) => total + Number(row[column]), 0);
    const views = first.waymark_daily.filter((row) => row.name === 'page_viewed' && row.post_id !== '');
    expect(sum(first.waymark_sessions, 'events')).toBe(sum(first.waymark_daily, 'events'));
    const engaged = first.waymark_daily.filter((row) => row.name === 'engaged_time_reported');
    expect(sum(first.waymark_sessions, 'engaged_ms')).toBe(sum(engaged, 'engaged_ms'));
    expect(sum(engaged, 'engaged_ms')).toBeGreaterThan(0);
    expect(sum(first.waymark_sessions, 'views')).toBe(sum(views, 'events'));
    expect(sum(first.waymark_post_visitors, 'views')).toBe(sum(views, 'events'));
    expect(first.waymark_sessions.length).toBeGreaterThan(0);
    expect(first.waymark_post_visitors.every((row) => row.post_id !== '')).toBe(true);
  });

  it('fills the session and post-reader rollups of a store refreshed before they existed', async () => {
    await engine.run('TRUNCATE TABLE waymark_sessions');
    await engine.run('TRUNCATE TABLE waymark_post_visitors');
    await refreshRollups(engine);
    expect(await snapshot(engine)).toEqual(first);
  });

  it('adds late events to the days they happened on, and only rebuilds those days', async () => {
    await write(lateEvents());
    const result = await refreshRollups(engine);
    expect(result.facts).toBe(4);
    // The overlap window also re-checks the last 10 minutes before the watermark (2026-10-02's latest events).
    expect(result.days).toEqual(['2026-09-30', '2026-10-02', '2026-10-04']);
    expect(result.watermarkMs).toBe(Date.parse('2026-10-05T09:00:00.000Z'));
    const after = await snapshot(engine);
    expect(after.waymark_facts).toHaveLength(54);
    const views = byDay(after.waymark_daily, '2026-09-30').filter((r) => r.name === 'page_viewed');
    expect(views.map((r) => [r.utm_campaign, r.template, r.events])).toEqual([
      ['', 'guide', 1],
      ['autumn', 'guide', 1],
    ]);
    // A newer page view of p1 (2026-10-04) now says template guide-v2, themes food + wine, destination Porto.
    expect(after.waymark_posts.find((r) => r.post_id === 'p1')).toEqual({ post_id: 'p1', author_id: 'a1', template: 'guide-v2' });
    expect(after.waymark_post_themes.filter((r) => r.post_id === 'p1').map((r) => r.theme)).toEqual(['food', 'wine']);
    expect(after.waymark_post_destinations.filter((r) => r.post_id === 'p1')).toEqual([{ post_id: 'p1', country: 'PT', city: 'Porto' }]);
    expect(after.waymark_visitors.find((r) => r.anonymous_id === 'r6')).toEqual({
      anonymous_id: 'r6', first_day: '2026-09-30', user_id: 'u6', age_band: '', home_country: '', traveller_type: '', budget: 'budget', trip_style: '',
    });
    // Days the late events did not touch keep their rows.
    expect(byDay(after.waymark_daily, '2026-10-01')).toEqual(byDay(first.waymark_daily, '2026-10-01'));

    // The same events loaded at once and refreshed once give the same tables.
    const other = await fresh();
    await other.write([...fixtureEvents(), ...lateEvents()]);
    await refreshRollups(other.engine);
    expect(await snapshot(other.engine)).toEqual(after);
    await refreshRollups(engine);
    expect(await snapshot(engine)).toEqual(after);
    await other.engine.close();
  });

  it('picks up an event received just before the watermark but stored after the refresh', async () => {
    const before = await snapshot(engine);
    const straggler = event({ anon: 'r7', server: desktop, name: 'page_viewed', at: '2026-10-05T08:55:00.000Z', received: '2026-10-05T08:59:00.000Z', path: '/', props: { template: 'home' } });
    await write([straggler]);
    const result = await refreshRollups(engine);
    expect(result.facts).toBe(1);
    expect(result.days).toContain('2026-10-05');
    const after = await snapshot(engine);
    expect(after.waymark_facts).toHaveLength(before.waymark_facts.length + 1);
    expect(byDay(after.waymark_daily, '2026-10-05')).toEqual([
      { day: '2026-10-05', name: 'page_viewed', post_id: '', author_id: '', template: 'home', device: 'desktop', geo: '', utm_campaign: '', dest_country: '', events: 1, engaged_ms: 0, raw_events: 1 },
    ]);
  });

  it('gives every row of a session its visitor, and rebuilds a session on all its days when that changes', async () => {
    const other = await fresh();
    const session = 'shared-s1';
    await other.write([
      event({ anon: 'zz', session, name: 'page_viewed', at: '2026-09-10T23:50:00.000Z', props: { postId: 'p1', authorId: 'a1' } }),
      event({ anon: 'zz', session, name: 'post_read', at: '2026-09-11T00:10:00.000Z', props: { postId: 'p1', authorId: 'a1', engagedMs: 1000 } }),
    ]);
    await refreshRollups(other.engine);
    const d = sqlDialect(other.engine.dialect);
    const key = async (id: string) => (await other.engine.query(`SELECT ${d.toText(d.idKey(d.string(id)))} AS k`))[0].k;
    const rows = async () =>
      other.engine.query(`SELECT day, anonymous_id, ${d.toText('anonymous_key')} AS anonymous_key, ${d.toText('session_key')} AS session_key, reads FROM waymark_sessions ORDER BY day`);
    expect(await rows()).toEqual([
      { day: '2026-09-10', anonymous_id: 'zz', anonymous_key: await key('zz'), session_key: await key(session), reads: 0 },
      { day: '2026-09-11', anonymous_id: 'zz', anonymous_key: await key('zz'), session_key: await key(session), reads: 1 },
    ]);
    // An event of the same session from a smaller anonymous id, on the second day only: both days change visitor.
    await other.write([event({ anon: 'aa', session, name: 'page_viewed', at: '2026-09-11T00:20:00.000Z', props: { postId: 'p1', authorId: 'a1' } })]);
    expect((await refreshRollups(other.engine)).days).toEqual(['2026-09-11']);
    expect((await rows()).map((row) => [row.day, row.anonymous_id, row.anonymous_key])).toEqual([
      ['2026-09-10', 'aa', await key('aa')],
      ['2026-09-11', 'aa', await key('aa')],
    ]);
    const [reader] = await other.engine.query(`SELECT ${d.toText('anonymous_key')} AS k FROM waymark_post_visitors WHERE anonymous_id = 'aa'`);
    expect(reader.k).toBe(await key('aa'));
  });

  it('inserts fixture rows with defaults for the columns left out', async () => {
    for (const sql of rollupInsertSql(engine.dialect, 'waymark_daily', [{ day: '2030-01-01', name: 'page_viewed', events: 2.5, raw_events: 2 }])) await engine.run(sql);
    const rows = await engine.query("SELECT * FROM waymark_daily WHERE day = " + (engine.dialect === 'duckdb' ? "DATE '2030-01-01'" : "toDate('2030-01-01')"));
    expect(rows).toEqual([{ day: '2030-01-01', name: 'page_viewed', post_id: '', author_id: '', template: '', device: '', geo: '', utm_campaign: '', dest_country: '', events: 2.5, engaged_ms: 0, raw_events: 2 }]);
    expect(() => rollupInsertSql(engine.dialect, 'waymark_daily', [{ days: '2030-01-01' }])).toThrow(/no column "days"/);
  });
}

describe('refreshRollups on DuckDB', { timeout: 60_000 }, () => {
  const engines: DuckdbEngine[] = [];
  afterAll(async () => {
    for (const engine of engines) await engine.close().catch(() => undefined);
  });
  const open = async () => {
    const engine = await duckdbEngine();
    engines.push(engine);
    const sink = duckdbSink({ connection: engine.connection });
    const write = async (events: SinkEvent[]) => {
      const result = await sink.write(events);
      expect(result.failed).toEqual([]);
    };
    return { engine, write };
  };
  refreshSuite(async () => ({ ...(await open()), fresh: open }));

  it('creates the tables with the documented columns', async () => {
    expect(rollupTableSql('duckdb', 'waymark_posts')).toBe(
      "CREATE TABLE IF NOT EXISTS waymark_posts (\n  post_id VARCHAR NOT NULL,\n  author_id VARCHAR NOT NULL DEFAULT '',\n  template VARCHAR NOT NULL DEFAULT ''\n)",
    );
    const { engine } = await open();
    expect(await refreshRollups(engine)).toEqual({ facts: 0, days: [], posts: 0, visitors: 0, watermarkMs: 0 });
    const rows = await engine.query("SELECT table_name, count(*) AS n FROM information_schema.columns WHERE table_name LIKE 'waymark_%' GROUP BY table_name ORDER BY table_name");
    expect(Object.fromEntries(rows.map((r) => [r.table_name, r.n]))).toMatchObject(
      Object.fromEntries(rollupTables.map((t) => [t, rollupColumns[t].length])),
    );
  });

  it('rewrites the facts sorted by event name once small refreshes have mixed them, and changes no number', async () => {
    const events = fixtureEvents();
    const whole = await open();
    await whole.write(events);
    await refreshRollups(whole.engine);
    const { engine, write } = await open();
    // Three refreshes, each of a third of the events in order of receipt: each adds its facts sorted, together they
    // interleave names.
    const storageOrder = async () => (await engine.query('SELECT name FROM waymark_facts ORDER BY rowid')).map((r) => String(r.name));
    const receipt = (e: SinkEvent) => Date.parse(e.receivedAt ?? e.timestamp);
    const received = [...events].sort((a, b) => receipt(a) - receipt(b));
    for (let part = 0; part < 3; part++) {
      await write(received.slice(Math.floor((part * events.length) / 3), Math.floor(((part + 1) * events.length) / 3)));
      await refreshRollups(engine);
    }
    expect(await storageOrder()).toHaveLength(events.length);
    const mixed = await storageOrder();
    expect(mixed).not.toEqual([...mixed].sort());
    // Below the row threshold nothing is rewritten; at it, the next refresh (even with nothing new) rewrites.
    await refreshRollups(engine, { reorderFactsAtRows: events.length + 1 });
    expect(await storageOrder()).toEqual(mixed);
    await refreshRollups(engine, { reorderFactsAtRows: events.length });
    const sorted = await storageOrder();
    expect(sorted).toEqual([...mixed].sort());
    expect(await snapshot(engine)).toEqual(await snapshot(whole.engine));
    // The rewritten table keeps its columns' defaults.
    expect(await engine.query("SELECT column_name FROM duckdb_columns() WHERE table_name = 'waymark_facts' AND column_default IS NOT NULL")).not.toEqual([]);
  });

  it('refreshes 1M events', { timeout: 600_000 }, async () => {
    const engine = await duckdbEngine();
    engines.push(engine);
    await engine.run(duckdbTableSql());
    const total = 1_000_000;
    // 90 days of events from 50k readers on 500 posts by 40 authors; JSON shaped like the collector stores it.
    const start = Date.UTC(2026, 0, 1);
    const names = ['page_viewed', 'engaged_time_reported', 'scroll_depth_reached', 'post_read', 'post_shared', 'affiliate_link_clicked', 'web_vital_measured'];
    await engine.run(`INSERT INTO waymark_events
SELECT 'e' || i, CASE WHEN i % 7 = 0 THEN 'page' ELSE 'track' END, [${names.map((n) => `'${n}'`).join(', ')}][i % 7 + 1], 'travel@1',
  make_timestamptz(${start}::BIGINT * 1000 + i * 7776000), make_timestamptz(${start}::BIGINT * 1000 + i * 7776000 + 1500000),
  'anon-' || (i % 50000), NULL, 's-' || (i % 120000), '/posts/x', '/posts/[slug]', NULL, 'PT', 'en-GB', 'mobile', 'newsletter', 'email', 'autumn', 1,
  printf('{"postId":"p%d","authorId":"a%d","template":"guide","engagedMs":%d,"percent":50,"network":"x","partner":"stayco","productType":"hotel","destination":{"country":"PT","city":"Lisbon"},"metric":"LCP","value":1234.5,"themes":["food"],"destinations":[{"country":"PT"}]}', i % 500, (i % 500) % 40, (i % 90) * 1000),
  NULL,
  '{"page":{"url":"https://blog.example/posts/x","path":"/posts/x"},"screen":"mobile","consent":{"analytics":true,"storage":true,"marketing":false,"gpc":false},"sampleRate":1,"library":{"name":"@waymark/core","version":"0.1.0"},"server":{"siteId":"blog","visitorId":"v","device":"mobile","browser":"Chrome","clockSkewMs":10}}'
FROM range(${total}) t(i)`);
    const began = performance.now();
    const result = await refreshRollups(engine);
    const ms = performance.now() - began;
    console.log(`[waymark] refreshRollups on ${total.toLocaleString('en')} DuckDB events (in memory): ${Math.round(ms)} ms (${result.days.length} days, ${result.posts} posts, ${result.visitors} visitors)`);
    expect(result).toMatchObject({ facts: total, posts: 500, visitors: 50_000 });
    expect(result.days).toHaveLength(90);
    const [{ n, engaged }] = await engine.query('SELECT sum(raw_events) AS n, sum(engaged_ms) AS engaged FROM waymark_daily');
    expect(n).toBe(total);
    // engaged_time_reported and post_read are the events i % 7 = 1 and 3; engagedMs is (i % 90) s.
    const [{ expected }] = await engine.query(`SELECT sum((i % 90) * 1000) AS expected FROM range(${total}) t(i) WHERE i % 7 IN (1, 3)`);
    expect(engaged).toBe(expected);
    // The events interleave their names; the facts are stored by name, then day, so a scan of one name reads its
    // own row groups only.
    const [{ unsorted }] = await engine.query(
      `SELECT count(*) AS unsorted FROM (SELECT name, day, lag(name) OVER (ORDER BY rowid) AS p_name, lag(day) OVER (ORDER BY rowid) AS p_day FROM waymark_facts)
       WHERE name < p_name OR (name = p_name AND day < p_day)`,
    );
    expect(unsorted).toBe(0);
    const again = performance.now();
    expect((await refreshRollups(engine)).facts).toBe(0);
    console.log(`[waymark] a second refresh with nothing new: ${Math.round(performance.now() - again)} ms`);
  });
});

describe.skipIf(!up)('refreshRollups on ClickHouse 18.16 (real server)', { timeout: 60_000 }, () => {
  const databases: string[] = [];
  afterAll(async () => {
    const admin = clickhouseEngine({ url });
    for (const database of databases) await admin.run(`DROP DATABASE IF EXISTS ${database}`);
  });
  const open = async () => {
    const database = `waymark_rollups_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    databases.push(database);
    await clickhouseEngine({ url }).run(`CREATE DATABASE ${database}`);
    const engine = clickhouseEngine({ url, database });
    const sink = clickhouseSink({ url, database });
    const write = async (events: SinkEvent[]) => {
      const result = await sink.write(events);
      expect(result.failed).toEqual([]);
    };
    return { engine, write };
  };
  refreshSuite(async () => ({ ...(await open()), fresh: open }));

  it('never double-counts when refreshes run after a duplicate insert and a merge', async () => {
    const { engine, write } = await open();
    const events = fixtureEvents();
    await write(events);
    await refreshRollups(engine);
    const before = await snapshot(engine);
    // A retried batch stores the same rows again (collapsed only at merge time, or with FINAL).
    await write(events.slice(0, 20));
    await refreshRollups(engine);
    await refreshRollups(engine, { overlapMs: 10 * 86_400_000 });
    expect(await snapshot(engine)).toEqual(before);
    await engine.run('OPTIMIZE TABLE waymark_facts FINAL');
    expect(await snapshot(engine)).toEqual(before);
  });
});

describe.skipIf(!up)('refreshRollups on DuckDB and ClickHouse (same events)', { timeout: 60_000 }, () => {
  let database: string;
  afterAll(() => clickhouseEngine({ url }).run(`DROP DATABASE IF EXISTS ${database}`));

  it('gives identical derived tables', async () => {
    database = `waymark_same_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    await clickhouseEngine({ url }).run(`CREATE DATABASE ${database}`);
    const house = clickhouseEngine({ url, database });
    const duck = await duckdbEngine();
    try {
      const events = [...fixtureEvents(), ...lateEvents()];
      expect((await clickhouseSink({ url, database }).write(events)).failed).toEqual([]);
      expect((await duckdbSink({ connection: duck.connection }).write(events)).failed).toEqual([]);
      const [a, b] = [await refreshRollups(duck), await refreshRollups(house)];
      expect(b).toEqual(a);
      const [x, y] = [await snapshot(duck), await snapshot(house)];
      expect(x.waymark_facts).toHaveLength(54);
      expect(y).toEqual(x);
    } finally {
      await duck.close();
    }
  });
});
