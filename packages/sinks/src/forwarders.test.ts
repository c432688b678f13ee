import { afterEach, describe, expect, it } from 'vitest';
import { ga4Sink } from './ga4Sink';
import { posthogSink, posthogUuid } from './posthogSink';
import { segmentSink } from './segmentSink';
import type { Sink, SinkEvent } from './sink';
import { makeEvent, makeEvents, startRecordingServer } from './testSupport';
import type { RecordingServer } from './testSupport';

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const json = (i: number) => JSON.parse(server!.requests[i].body) as Record<string, any>;

/** One event of each kind and consent, for one visitor. */
function mixedEvents(): { allowed: SinkEvent[]; forbidden: SinkEvent[] } {
  const base = { anonymousId: 'anon-1', userId: undefined };
  const page = makeEvent(1, { ...base, type: 'page', name: 'page_viewed' });
  page.context = { ...page.context, page: { ...page.context.page, title: 'Lisbon in 3 days' } };
  const track = makeEvent(2, { ...base, properties: { postId: 'lisbon-3-days', words: 1800, tags: ['food'], 'ga_hidden': 'x' } });
  const identify = makeEvent(3, { anonymousId: 'anon-1', userId: 'user-1', type: 'identify', name: 'user_identified', traits: { plan: 'free' } });
  const noMarketing = makeEvent(4, base);
  noMarketing.context = { ...noMarketing.context, consent: { ...noMarketing.context.consent, marketing: false } };
  const gpc = makeEvent(5, base);
  gpc.context = { ...gpc.context, consent: { ...gpc.context.consent, gpc: true } };
  return { allowed: [page, track, identify], forbidden: [noMarketing, gpc] };
}

function sentIds(requests: RecordingServer['requests']): string {
  return requests.map((r) => r.body).join('\n');
}

describe('ga4Sink', () => {
  const make = (url: string, extra: Partial<Parameters<typeof ga4Sink>[0]> = {}): Sink =>
    ga4Sink({ measurementId: 'G-TEST123', apiSecret: 'secret-1', endpoint: `${url}/mp/collect`, ...extra });

  it('sends Measurement Protocol payloads in the documented shape', async () => {
    server = await startRecordingServer(() => ({ status: 204, body: '' }));
    const { allowed, forbidden } = mixedEvents();
    const result = await make(server.url).write([...allowed, ...forbidden]);
    expect(result).toEqual({ written: 2, skipped: 3, failed: [] });
    expect(server.requests).toHaveLength(1);
    const url = new URL(server.requests[0].url, server.url);
    expect(url.pathname).toBe('/mp/collect');
    expect(Object.fromEntries(url.searchParams)).toEqual({ measurement_id: 'G-TEST123', api_secret: 'secret-1' });
    const body = json(0);
    expect(body.client_id).toBe('anon-1');
    expect(body.user_id).toBeUndefined();
    expect(body.consent).toEqual({ ad_user_data: 'GRANTED', ad_personalization: 'DENIED' });
    expect(body.events.map((e: any) => e.name)).toEqual(['page_view', 'post_viewed']);
    for (const event of body.events) {
      expect(event.name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,39}$/);
      expect(String(event.timestamp_micros)).toMatch(/^\d{16}$/);
      expect(Object.keys(event.params).length).toBeLessThanOrEqual(25);
      for (const [key, value] of Object.entries(event.params)) {
        expect(key).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,39}$/);
        expect(key).not.toMatch(/^(google_|ga_|firebase_)/);
        expect(typeof value === 'number' || (typeof value === 'string' && value.length <= 100)).toBe(true);
      }
    }
    expect(body.events[0].params).toMatchObject({ page_location: allowed[0].context.page.url, page_title: 'Lisbon in 3 days', session_id: allowed[0].sessionId });
    expect(body.events[1].params).toMatchObject({ postId: 'lisbon-3-days', words: 1800, tags: '["food"]', p_ga_hidden: 'x' });
    expect(body.events[1].timestamp_micros).toBe(Date.parse(allowed[1].timestamp) * 1000);
    expect(sentIds(server.requests)).not.toContain(forbidden[0].id);
  });

  it('sends at most 25 events per request and one client per request', async () => {
    server = await startRecordingServer(() => ({ status: 204, body: '' }));
    const events = [...Array.from({ length: 30 }, (_, i) => makeEvent(i, { anonymousId: 'a', userId: undefined })), makeEvent(99, { anonymousId: 'b', userId: 'u-b' })];
    await make(server.url).write(events);
    const bodies = server.requests.map((_, i) => json(i));
    expect(bodies.map((b) => [b.client_id, b.user_id, b.events.length])).toEqual([
      ['a', undefined, 25],
      ['a', undefined, 5],
      ['b', 'u-b', 1],
    ]);
  });

  it('fails an event whose name GA4 reserves', async () => {
    server = await startRecordingServer(() => ({ status: 204, body: '' }));
    const reserved = makeEvent(1, { name: 'session_start' });
    const result = await make(server.url).write([reserved]);
    expect(result.failed.map((f) => f.reason)).toEqual(['[waymark] ga4Sink: event name "session_start" is reserved by GA4; rename it in the catalogue']);
    expect(server.requests).toHaveLength(0);
  });

  it('names a malformed measurement id', () => {
    expect(() => ga4Sink({ measurementId: 'UA-1', apiSecret: 'x' })).toThrow('[waymark] ga4Sink: option `measurementId` must look like "G-A1B2C3D4E5"');
  });
});

describe('segmentSink', () => {
  it('sends HTTP tracking API batches in the documented shape', async () => {
    server = await startRecordingServer(() => ({ body: '{"success":true}' }));
    const { allowed, forbidden } = mixedEvents();
    const result = await segmentSink({ writeKey: 'wk_123', endpoint: `${server.url}/v1/batch` }).write([...allowed, ...forbidden]);
    expect(result).toEqual({ written: 3, skipped: 2, failed: [] });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.url).toBe('/v1/batch');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('wk_123:').toString('base64')}`);
    const body = json(0);
    expect(Date.parse(body.sentAt)).toBeGreaterThan(0);
    expect(Buffer.byteLength(request.body)).toBeLessThan(500_000);
    expect(body.batch.map((m: any) => m.type)).toEqual(['page', 'track', 'identify']);
    for (const [i, message] of body.batch.entries()) {
      expect(message.messageId).toBe(allowed[i].id);
      expect(message.anonymousId ?? message.userId).toBeTruthy();
      expect(message.timestamp).toBe(allowed[i].timestamp);
      expect(message.context.page.path).toBe(allowed[i].context.page.path);
      expect(message.context.library).toEqual({ name: '@waymark/core', version: '0.1.0' });
    }
    expect(body.batch[0]).toMatchObject({ name: 'Lisbon in 3 days', properties: { path: allowed[0].context.page.path, url: allowed[0].context.page.url } });
    expect(body.batch[1]).toMatchObject({ event: 'post_viewed', properties: allowed[1].properties });
    expect(body.batch[2]).toMatchObject({ userId: 'user-1', traits: { plan: 'free' } });
    expect(sentIds(server.requests)).not.toContain(forbidden[1].id);
  });

  it('waits for Retry-After on a 429 and resends the same messageIds', async () => {
    server = await startRecordingServer((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : {}));
    const events = makeEvents(3);
    const started = Date.now();
    const result = await segmentSink({ writeKey: 'wk', endpoint: `${server.url}/v1/batch` }).write(events);
    expect(result.written).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(json(1).batch.map((m: any) => m.messageId)).toEqual(events.map((e) => e.id));
  });
});

describe('posthogSink', () => {
  it('sends capture API batches in the documented shape', async () => {
    server = await startRecordingServer(() => ({ body: '{"status":1}' }));
    const { allowed, forbidden } = mixedEvents();
    const result = await posthogSink({ apiKey: 'phc_test', host: server.url }).write([...allowed, ...forbidden]);
    expect(result).toEqual({ written: 3, skipped: 2, failed: [] });
    expect(server.requests[0].url).toBe('/batch/');
    const body = json(0);
    expect(body.api_key).toBe('phc_test');
    expect(body.historical_migration).toBe(false);
    expect(body.batch.map((e: any) => e.event)).toEqual(['$pageview', 'post_viewed', '$identify']);
    for (const [i, event] of body.batch.entries()) {
      expect(event.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(event.uuid).toBe(allowed[i].id);
      expect(event.timestamp).toBe(allowed[i].timestamp);
      expect(typeof event.distinct_id).toBe('string');
    }
    expect(body.batch[0].properties).toMatchObject({ $current_url: allowed[0].context.page.url, $session_id: allowed[0].sessionId, $process_person_profile: false });
    expect(body.batch[1].properties).toMatchObject(allowed[1].properties);
    expect(body.batch[2]).toMatchObject({ distinct_id: 'user-1', properties: { $set: { plan: 'free' }, $anon_distinct_id: 'anon-1' } });
    expect(body.batch[2].properties.$process_person_profile).toBeUndefined();
    expect(sentIds(server.requests)).not.toContain(forbidden[0].id);
  });

  it('derives a stable UUID from an id that is not one', () => {
    expect(posthogUuid('evt_0123456789')).toBe(posthogUuid('evt_0123456789'));
    expect(posthogUuid('evt_0123456789')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(posthogUuid('evt_0123456789')).not.toBe(posthogUuid('evt_0123456780'));
  });

  it('refuses a personal API key', () => {
    expect(() => posthogSink({ apiKey: 'phx_secret' })).toThrow('[waymark] posthogSink: option `apiKey` is a personal API key');
  });
});
