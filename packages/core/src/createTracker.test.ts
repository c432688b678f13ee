import 'fake-indexeddb/auto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchSchema, envelopeSchema, formatIssues, travelCatalogue, validateEnvelope } from '@waymark/taxonomy';
import type { Envelope } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pkg from '../package.json';
import { createTracker } from './createTracker';
import type { Tracker, TrackerOptions } from './createTracker';
import { indexedDbBuffer } from './indexedDbBuffer';
import { MAX_ATTEMPTS } from './retryPolicy';
import { sessionPosition, sessionSampling } from './sessionSampling';
import type { EventBuffer, Transport, TransportResult } from './types';
import { WaymarkError } from './WaymarkError';
import { acmeCatalogue } from '../e2e/fixtures/acmeCatalogue';

const endpoint = 'https://collect.example.test';
const writeKey = 'wk_test_123';
const batchUrl = `${endpoint}/v1/batch?key=${writeKey}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const lisbon = { destination: { country: 'PT', city: 'Lisbon' } };

interface SentRequest {
  url: string;
  body: { sentAt: string; events: Envelope[] };
  unloading: boolean;
  bytes: number;
  at: number;
}
/** A scripted answer: a status, a result, or a result given after `delay` ms. */
type Answer = number | (TransportResult & { delay?: number }) | 'reject';

/** Wire-format problems found in any request of the current test; checked after each test. */
let wireIssues: string[] = [];

/** A custom transport that records what goes over the wire and answers from a script (then 200). */
function recorder(script: Answer[] = [], { validate = true } = {}) {
  const requests: SentRequest[] = [];
  const transport: Transport = {
    async send(request) {
      const body = JSON.parse(request.body) as SentRequest['body'];
      requests.push({
        url: request.url,
        body,
        unloading: request.unloading,
        bytes: new TextEncoder().encode(request.body).length,
        at: Date.now(),
      });
      if (validate) {
        const batch = batchSchema.safeParse(body);
        if (!batch.success) wireIssues.push(`batch: ${batch.error.message}`);
        for (const event of body.events) {
          if (!envelopeSchema.safeParse(event).success) wireIssues.push(`${event.name}: not an envelope`);
          const result = validateEnvelope([travelCatalogue], event);
          if (!result.ok) wireIssues.push(`${event.name}: ${formatIssues(result.issues)}`);
        }
      }
      const answer = script.length > 0 ? script.shift()! : 200;
      if (answer === 'reject') throw new Error('transport broke its contract');
      if (typeof answer === 'number') return { status: answer };
      const { delay, ...result } = answer;
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      return result;
    },
  };
  const events = () => requests.flatMap((request) => request.body.events);
  return { transport, requests, events };
}

/** An in-memory EventBuffer that records every call. */
function fakeBuffer(adoptable: Envelope[] = []) {
  const calls = { add: [] as string[][], remove: [] as string[][], adopt: 0, clear: 0, close: 0 };
  const buffer: EventBuffer = {
    async add(events) {
      calls.add.push(events.map((event) => event.id));
    },
    async remove(ids) {
      calls.remove.push([...ids]);
    },
    async adopt(limit) {
      calls.adopt++;
      return adoptable.splice(0, limit);
    },
    async clear() {
      calls.clear++;
    },
    close() {
      calls.close++;
    },
    dropped: 0,
  };
  return { buffer, calls };
}

/** An event a previous visit or a closed tab left in the buffer. */
const leftBehind = (id = '0b5c7c1e-4b0a-4c1e-9d2f-6a1b2c3d4e5f', now = Date.now()): Envelope => ({
  id,
  type: 'track',
  name: 'destination_saved',
  properties: { destination: { country: 'IS' } },
  timestamp: new Date(now - DAY).toISOString(),
  anonymousId: 'anon-previous-visit',
  sessionId: 'session-previous-visit',
  schema: 'travel@1',
  context: {
    page: { url: 'http://localhost:3000/iceland', path: '/iceland' },
    consent: { analytics: true, storage: true, marketing: false, gpc: false },
    sampleRate: 1,
    library: { name: '@waymark/core', version: pkg.version },
  },
});

const trackers: Tracker<any>[] = [];
function make(options: Partial<TrackerOptions> = {}): Tracker {
  const tracker = createTracker({ endpoint, writeKey, ...options });
  trackers.push(tracker);
  return tracker;
}

/** Lets queued microtasks and zero-delay timers run. */
async function tick() {
  if (!vi.isFakeTimers()) return new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
}

/** Overrides a read-only browser property for one test (restored after it). */
const overridden: Array<[object, string]> = [];
function override(target: object, key: string, value: unknown) {
  Object.defineProperty(target, key, { configurable: true, get: () => value });
  overridden.push([target, key]);
}
function hidePage() {
  override(document, 'visibilityState', 'hidden');
  document.dispatchEvent(new Event('visibilitychange'));
}
let online = true;

beforeEach(() => {
  wireIssues = [];
  online = true;
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });
  overridden.push([navigator, 'onLine']);
  history.replaceState(null, '', '/');
  document.title = 'Lisbon in 3 days';
  localStorage.clear();
  sessionStorage.clear();
});

afterEach(() => {
  for (const tracker of trackers.splice(0)) tracker.destroy();
  for (const [target, key] of overridden.splice(0)) delete (target as Record<string, unknown>)[key];
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  expect(wireIssues).toEqual([]);
});

describe('createTracker wire format', () => {
  it('sends a typed event as one envelope with every field', async () => {
    history.replaceState(null, '', '/destinations/pt/lisbon');
    const { transport, requests } = recorder();
    const tracker = make({ consent: 'granted', transport });
    const before = Date.now();
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();

    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(batchUrl);
    expect(requests[0].unloading).toBe(false);
    const { sentAt, events } = requests[0].body;
    expect(Date.parse(sentAt)).toBeGreaterThanOrEqual(before);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toStrictEqual({
      id: expect.stringMatching(UUID),
      type: 'track',
      name: 'destination_viewed',
      properties: lisbon,
      timestamp: expect.any(String),
      anonymousId: expect.stringMatching(UUID),
      sessionId: expect.stringMatching(UUID),
      schema: 'travel@1',
      context: {
        page: { url: 'http://localhost:3000/destinations/pt/lisbon', path: '/destinations/pt/lisbon', title: 'Lisbon in 3 days' },
        locale: navigator.language,
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        screen: 'desktop',
        consent: { analytics: true, storage: true, marketing: false, gpc: false },
        sampleRate: 1,
        library: { name: '@waymark/core', version: pkg.version },
      },
    });
    expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
    expect(Date.parse(event.timestamp)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(event.timestamp)).toBeLessThanOrEqual(Date.parse(sentAt));
  });

  it('posts through the global fetch as text/plain with keepalive by default', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => new Response(null, { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    const tracker = make({ consent: 'granted' });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(batchUrl);
    expect(init).toMatchObject({
      method: 'POST',
      keepalive: true,
      credentials: 'omit',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    });
    const event = JSON.parse(init!.body as string).events[0];
    expect(validateEnvelope([travelCatalogue], event)).toMatchObject({ ok: true });
    expect(tracker.stats()).toMatchObject({ delivered: 1, queued: 0 });
  });

  it('removes sensitive query keys and the fragment from page.url and reads utm_* as the campaign', async () => {
    history.replaceState(
      null,
      '',
      '/destinations/pt?utm_source=newsletter&utm_medium=email&utm_campaign=spring&token=s3cr3t&Email=ana%40example.com&lang=pt&access_token=x#comments',
    );
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport, sensitiveQueryKeys: ['Lang'] });
    tracker.page();
    await tracker.flush();
    const [event] = events();
    expect(event.type).toBe('page');
    expect(event.name).toBe('page_viewed');
    expect(event.context.page.url).toBe('http://localhost:3000/destinations/pt?utm_source=newsletter&utm_medium=email&utm_campaign=spring');
    expect(event.context.page.path).toBe('/destinations/pt');
    expect(event.context.campaign).toStrictEqual({ source: 'newsletter', medium: 'email', name: 'spring' });
  });

  it('removes sensitive query keys and the fragment from the referrer', async () => {
    override(document, 'referrer', 'http://localhost:3000/login?email=ana%40example.com&next=%2Fpt&sig=abc#top');
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.page();
    await tracker.flush();
    expect(events()[0].context.page.referrer).toBe('http://localhost:3000/login?next=%2Fpt');
  });

  it('uses the previous page as referrer after a client-side navigation and reports route and title', async () => {
    history.replaceState(null, '', '/blog?token=abc');
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.page();
    history.pushState(null, '', '/blog/lisbon-in-3-days');
    tracker.page({ postId: 'p-1' }, { route: '/blog/[slug]', title: 'Lisbon' });
    await tracker.flush();
    const [first, second] = events();
    expect(first.context.page.referrer).toBeUndefined();
    expect(second.properties).toStrictEqual({ postId: 'p-1' });
    expect(second.context.page).toStrictEqual({
      url: 'http://localhost:3000/blog/lisbon-in-3-days',
      path: '/blog/lisbon-in-3-days',
      route: '/blog/[slug]',
      referrer: 'http://localhost:3000/blog',
      title: 'Lisbon',
    });
  });

  it('keeps the route and title from page() on later events until the URL changes', async () => {
    history.replaceState(null, '', '/destinations/pt/lisbon');
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.page({}, { route: '/destinations/[country]/[slug]', title: 'Lisbon' });
    tracker.track('destination_viewed', lisbon);
    tracker.identify('user-42');
    history.pushState(null, '', '/destinations/pt/porto');
    tracker.track('destination_viewed', { destination: { country: 'PT', city: 'Porto' } });
    tracker.page({}, { route: '/destinations/[country]/[slug]' });
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    expect(events().map((e) => [e.name, e.context.page.path, e.context.page.route, e.context.page.title])).toEqual([
      ['page_viewed', '/destinations/pt/lisbon', '/destinations/[country]/[slug]', 'Lisbon'],
      ['destination_viewed', '/destinations/pt/lisbon', '/destinations/[country]/[slug]', 'Lisbon'],
      ['user_identified', '/destinations/pt/lisbon', '/destinations/[country]/[slug]', 'Lisbon'],
      ['destination_viewed', '/destinations/pt/porto', undefined, 'Lisbon in 3 days'],
      ['page_viewed', '/destinations/pt/porto', '/destinations/[country]/[slug]', 'Lisbon in 3 days'],
      ['post_read', '/destinations/pt/porto', '/destinations/[country]/[slug]', 'Lisbon in 3 days'],
    ]);
  });
});

describe('createTracker batching', () => {
  it('sends as soon as flushAt events wait', async () => {
    const { transport, requests } = recorder();
    const tracker = make({ consent: 'granted', transport, flushAt: 3 });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 42_000 });
    await tick();
    expect(requests).toHaveLength(0);
    tracker.track('scroll_depth_reached', { percent: 50 });
    await tick();
    expect(requests).toHaveLength(1);
    expect(requests[0].body.events.map((e) => e.name)).toEqual(['destination_viewed', 'post_read', 'scroll_depth_reached']);
  });

  it('sends flushInterval ms after the first waiting event', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests } = recorder();
    const tracker = make({ consent: 'granted', transport, flushInterval: 5000 });
    tracker.track('destination_viewed', lisbon);
    await vi.advanceTimersByTimeAsync(2000);
    tracker.track('post_read', { engagedMs: 1000 });
    await vi.advanceTimersByTimeAsync(2999);
    expect(requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(1);
    expect(requests[0].body.events).toHaveLength(2);
  });

  it('resolves flush() after the collector answered', async () => {
    const { transport, requests } = recorder([{ status: 200, delay: 30 }]);
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    expect(requests).toHaveLength(1);
    expect(tracker.stats()).toStrictEqual({ delivered: 2, rejected: 0, dropped: 0, queued: 0, held: 0 });
  });

  it('sends events tracked during a request with the same flush()', async () => {
    const { transport, events } = recorder([{ status: 200, delay: 20 }]);
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    const done = tracker.flush();
    await tick();
    tracker.track('post_read', { engagedMs: 1 });
    await done;
    expect(events().map((e) => e.name)).toEqual(['destination_viewed', 'post_read']);
    expect(tracker.stats().delivered).toBe(2);
  });

  it('keeps at most 60 kB in flight, so keepalive requests are never refused, and sends in order', async () => {
    let inFlight = 0;
    let most = 0;
    const bodies: string[] = [];
    const transport: Transport = {
      async send({ body }) {
        const bytes = new TextEncoder().encode(body).length;
        inFlight += bytes;
        most = Math.max(most, inFlight);
        bodies.push(body);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= bytes;
        return { status: 200 };
      },
    };
    const tracker = make({ consent: 'granted', transport, flushAt: 10_000 });
    const heading = 'h'.repeat(250);
    for (let i = 0; i < 400; i++) tracker.track('section_read', { sectionId: `s${i}`, heading, index: i, visibleMs: 1 });
    await tracker.flush();
    expect(bodies.length).toBeGreaterThan(3);
    expect(most).toBeLessThanOrEqual(60_000);
    const sent = bodies.flatMap((body) => JSON.parse(body).events.map((e: Envelope) => e.properties.index));
    expect(sent).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(tracker.stats()).toMatchObject({ delivered: 400, queued: 0 });
  });

  it('drops an event over 32 kB on its own and sends the others', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { transport, events } = recorder([], { validate: false });
    const tracker = make({ consent: 'granted', transport, onError: () => undefined });
    tracker.track('destination_viewed', lisbon);
    // Too long for the catalogue too, but the catalogue caps every string, so no valid event reaches 32 kB.
    tracker.track('destination_viewed', { destination: { country: 'PT', city: 'x'.repeat(33_000) } });
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    expect(events().map((e) => e.name)).toEqual(['destination_viewed', 'post_read']);
    expect(tracker.stats()).toMatchObject({ delivered: 2, rejected: 1, queued: 0 });
  });
});

describe('createTracker consent', () => {
  it('stores and sends nothing before consent in strict mode', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { transport, requests } = recorder();
    const tracker = make({ transport, buffer: indexedDbBuffer() });
    tracker.track('destination_viewed', lisbon);
    tracker.page();
    tracker.identify('user-42');
    await vi.advanceTimersByTimeAsync(60_000);
    hidePage();
    await tick();
    await tracker.flush();
    expect(requests).toHaveLength(0);
    expect(tracker.stats()).toMatchObject({ held: 3, queued: 0 });
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
    vi.useRealTimers();
    expect(await indexedDB.databases()).toEqual([]);
  });

  it('sends held events with their original timestamps and a granted consent snapshot', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, events } = recorder();
    const tracker = make({ transport });
    tracker.track('destination_viewed', lisbon);
    await vi.advanceTimersByTimeAsync(2000);
    tracker.page();
    await vi.advanceTimersByTimeAsync(60_000);
    tracker.setConsent({ analytics: true });
    tracker.track('post_read', { engagedMs: 5 });
    await tracker.flush();
    const sent = events();
    expect(sent.map((e) => [e.name, e.timestamp])).toEqual([
      ['destination_viewed', '2026-03-01T10:00:00.000Z'],
      ['page_viewed', '2026-03-01T10:00:02.000Z'],
      ['post_read', '2026-03-01T10:01:02.000Z'],
    ]);
    for (const event of sent)
      expect(event.context.consent).toStrictEqual({ analytics: true, storage: false, marketing: false, gpc: false });
    expect(new Set(sent.map((e) => e.sessionId)).size).toBe(1);
    expect(new Set(sent.map((e) => e.anonymousId)).size).toBe(1);
    expect(localStorage.length).toBe(0);
  });

  it('discards held events on refusal and sends nothing afterwards', async () => {
    const { transport, requests } = recorder();
    const tracker = make({ transport });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    tracker.setConsent({ analytics: false });
    tracker.track('destination_viewed', lisbon);
    tracker.page();
    await tracker.flush();
    hidePage();
    await tick();
    expect(requests).toHaveLength(0);
    expect(tracker.stats()).toMatchObject({ dropped: 2, held: 0, queued: 0 });
  });

  it('drops waiting events when analytics consent is withdrawn', async () => {
    const { transport, requests } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    tracker.setConsent({ analytics: false });
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    expect(requests).toHaveLength(0);
    expect(tracker.stats().dropped).toBe(1);
  });

  it('deletes the stored ids when analytics is withdrawn, also at page exit, and stores new ones on a new grant', async () => {
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    const first = events()[0].anonymousId;
    expect(JSON.parse(localStorage.getItem('waymark:ids')!).a).toBe(first);
    tracker.setConsent({ analytics: false });
    expect(localStorage.getItem('waymark:ids')).toBeNull();
    tracker.identify('user-42');
    window.dispatchEvent(new Event('pagehide'));
    window.dispatchEvent(new Event('pageshow'));
    expect(localStorage.length).toBe(0);

    tracker.setConsent({ analytics: true });
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    const second = events()[1].anonymousId;
    expect(second).toMatch(UUID);
    expect(second).not.toBe(first);
    expect(JSON.parse(localStorage.getItem('waymark:ids')!).a).toBe(second);
  });

  it('stores no ids while analytics is refused, even with storage granted', async () => {
    const { transport, requests } = recorder();
    const { buffer, calls } = fakeBuffer();
    const tracker = make({ transport, buffer });
    tracker.setConsent({ analytics: false, storage: true });
    tracker.track('destination_viewed', lisbon);
    window.dispatchEvent(new Event('pagehide'));
    await tick();
    expect(localStorage.length).toBe(0);
    expect(calls.add).toEqual([]);
    expect(calls.adopt).toBe(0);
    expect(requests).toHaveLength(0);
  });

  it('drops the events of a request in flight at withdrawal when it fails, and never stores or sends them again', async () => {
    vi.useFakeTimers({ now: T0 });
    const { buffer, calls } = fakeBuffer();
    const { transport, requests } = recorder([{ status: 503, delay: 100 }]);
    const tracker = make({ consent: 'granted', transport, buffer, onError: () => undefined });
    tracker.track('destination_viewed', lisbon);
    void tracker.flush();
    await vi.advanceTimersByTimeAsync(50);
    expect(requests).toHaveLength(1);
    const added = calls.add.length;
    tracker.setConsent({ analytics: false });
    expect(calls.clear).toBe(1);
    expect(tracker.stats()).toMatchObject({ dropped: 0, queued: 0 });
    await vi.advanceTimersByTimeAsync(100);
    expect(tracker.stats()).toStrictEqual({ delivered: 0, rejected: 0, dropped: 1, queued: 0, held: 0 });
    expect(calls.add).toHaveLength(added);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(requests).toHaveLength(1);
  });

  it('does not send the events of a failed request in flight at withdrawal after a new grant', async () => {
    vi.useFakeTimers({ now: T0 });
    const { buffer, calls } = fakeBuffer();
    const { transport, requests } = recorder([{ status: 503, delay: 100 }, { status: 200, delay: 100 }]);
    const tracker = make({ consent: 'granted', transport, buffer, onError: () => undefined });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    void tracker.flush();
    await vi.advanceTimersByTimeAsync(50);
    tracker.setConsent({ analytics: false });
    tracker.setConsent({ analytics: true });
    const added = calls.add.flat().length;
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(requests).toHaveLength(1);
    expect(tracker.stats()).toMatchObject({ delivered: 0, dropped: 2, queued: 0 });
    expect(calls.add.flat()).toHaveLength(added);
  });

  it('counts a request in flight at withdrawal as delivered when the collector accepts it', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport } = recorder([{ status: 200, delay: 100 }]);
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    void tracker.flush();
    await vi.advanceTimersByTimeAsync(50);
    tracker.setConsent({ analytics: false });
    await vi.advanceTimersByTimeAsync(100);
    expect(tracker.stats()).toStrictEqual({ delivered: 1, rejected: 0, dropped: 0, queued: 0, held: 0 });
  });

  it('stamps gpc and keeps marketing off under Global Privacy Control', async () => {
    override(navigator, 'globalPrivacyControl', true);
    const { transport, events } = recorder();
    const tracker = make({ transport });
    tracker.setConsent({ analytics: true, marketing: true });
    tracker.track('destination_viewed', lisbon);
    tracker.setConsent({ marketing: true });
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    expect(events().map((e) => e.context.consent)).toStrictEqual([
      { analytics: true, storage: false, marketing: false, gpc: true },
      { analytics: true, storage: false, marketing: false, gpc: true },
    ]);
  });

  it('grants marketing without Global Privacy Control', async () => {
    const { transport, events } = recorder();
    const tracker = make({ transport });
    tracker.setConsent({ analytics: true, marketing: true });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    expect(events()[0].context.consent).toStrictEqual({ analytics: true, storage: false, marketing: true, gpc: false });
  });

  it('sends nothing when respectDoNotTrack is set and doNotTrack is "1"', async () => {
    override(navigator, 'doNotTrack', '1');
    const { transport, requests } = recorder();
    const tracker = make({ consent: 'granted', transport, respectDoNotTrack: true });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    hidePage();
    await tick();
    expect(requests).toHaveLength(0);
    expect(localStorage.length).toBe(0);
  });

  it('ignores doNotTrack without respectDoNotTrack', async () => {
    override(navigator, 'doNotTrack', '1');
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    expect(events()).toHaveLength(1);
  });
});

describe('createTracker sampling and beforeSend', () => {
  it('keeps or drops whole sessions, stamps the rate, and never samples keep names', async () => {
    const { transport, events } = recorder();
    const tracker = make({
      consent: 'granted',
      transport,
      flushAt: 1000,
      sampling: sessionSampling({ rate: 0.5, events: { scroll_depth_reached: 0.1 }, keep: ['affiliate_link_clicked'] }),
    });
    for (let session = 0; session < 60; session++) {
      tracker.reset();
      tracker.track('affiliate_link_clicked', { partner: 'booking', productType: 'hotel' });
      tracker.track('destination_viewed', lisbon);
      tracker.track('post_read', { engagedMs: 10 });
      tracker.track('scroll_depth_reached', { percent: 25 });
    }
    await tracker.flush();
    const sessions = new Map<string, Envelope[]>();
    for (const event of events()) sessions.set(event.sessionId, [...(sessions.get(event.sessionId) ?? []), event]);
    expect(sessions.size).toBe(60);
    let kept = 0;
    for (const [sessionId, list] of sessions) {
      const position = sessionPosition(sessionId);
      const expected = ['affiliate_link_clicked'];
      if (position < 0.5) expected.push('destination_viewed', 'post_read');
      if (position < 0.1) expected.push('scroll_depth_reached');
      expect(list.map((e) => e.name)).toEqual(expected);
      for (const event of list) {
        expect(event.context.sampleRate).toBe({ affiliate_link_clicked: 1, scroll_depth_reached: 0.1 }[event.name] ?? 0.5);
      }
      if (position < 0.5) kept++;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(60);
  });

  it('sends what beforeSend returns and drops what it returns null for', async () => {
    const { transport, events } = recorder();
    const tracker = make({
      consent: 'granted',
      transport,
      beforeSend: (envelope) =>
        envelope.name === 'post_read' ? null : { ...envelope, properties: { ...envelope.properties, postId: 'post-7' } },
    });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    expect(events().map((e) => [e.name, e.properties])).toEqual([['destination_viewed', { ...lisbon, postId: 'post-7' }]]);
    expect(tracker.stats()).toMatchObject({ delivered: 1, queued: 0 });
  });
});

describe('createTracker delivery', () => {
  beforeEach(() => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
  });

  it('retries 503, 503, 200 with backoff and delivers every event once', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests } = recorder([503, 503, 200]);
    const tracker = make({ consent: 'granted', transport, flushAt: 3 });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    tracker.track('scroll_depth_reached', { percent: 75 });
    await tick();
    expect(requests).toHaveLength(1);
    // Backoff with jitter at its lowest: half of 1 s, then half of 2 s.
    await vi.advanceTimersByTimeAsync(499);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(requests).toHaveLength(3);
    // The same ids travel in every try, so the collector can dedupe; only the 200 delivered them.
    const ids = requests.map((request) => request.body.events.map((e) => e.id));
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    expect(new Set(ids[2]).size).toBe(3);
    expect(tracker.stats()).toStrictEqual({ delivered: 3, rejected: 0, dropped: 0, queued: 0, held: 0 });
  });

  it('makes one attempt per flush() while the collector fails', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests } = recorder([503, 503]);
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(requests).toHaveLength(2);
  });

  it('waits at least Retry-After after a 429 from fetch', async () => {
    vi.useFakeTimers({ now: T0 });
    const answers = [new Response(null, { status: 429, headers: { 'Retry-After': '60' } })];
    const fetch = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
      for (const event of JSON.parse(init!.body as string).events) {
        if (!validateEnvelope([travelCatalogue], event).ok) wireIssues.push('invalid envelope sent with fetch');
      }
      return answers.shift() ?? new Response(null, { status: 200 });
    });
    vi.stubGlobal('fetch', fetch);
    const tracker = make({ consent: 'granted', flushAt: 1 });
    tracker.track('destination_viewed', lisbon);
    await tick();
    expect(fetch).toHaveBeenCalledTimes(1);
    tracker.track('post_read', { engagedMs: 1 });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(JSON.parse(fetch.mock.calls[1][1]!.body as string).events.map((e: Envelope) => e.name)).toEqual([
      'destination_viewed',
      'post_read',
    ]);
  });

  it('keeps to Retry-After when events were tracked while the request was in flight', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests } = recorder([{ status: 429, retryAfter: 60_000, delay: 100 }]);
    const tracker = make({ consent: 'granted', transport, flushInterval: 5000 });
    tracker.track('destination_viewed', lisbon);
    void tracker.flush();
    await vi.advanceTimersByTimeAsync(50);
    tracker.track('post_read', { engagedMs: 1 });
    await vi.advanceTimersByTimeAsync(60_049);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(2);
    expect(requests[1].body.events).toHaveLength(2);
  });

  it('drops a batch the collector refuses with 400 and never retries it', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests } = recorder([400]);
    const onError = vi.fn();
    const tracker = make({ consent: 'granted', transport, onError });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    await tracker.flush();
    expect(requests).toHaveLength(1);
    expect(tracker.stats()).toStrictEqual({ delivered: 0, rejected: 2, dropped: 0, queued: 0, held: 0 });
    expect(onError.mock.calls[0][0]).toBeInstanceOf(WaymarkError);
    expect(onError.mock.calls[0][0].message).toMatch(/^\[waymark\] .*400/);
  });

  it('loses nothing while offline and sends when the browser is back online', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests, events } = recorder([0]);
    const tracker = make({ consent: 'granted', transport, flushAt: 1 });
    tracker.track('destination_viewed', lisbon);
    await tick();
    expect(requests).toHaveLength(1);
    online = false;
    tracker.track('post_read', { engagedMs: 1 });
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(requests).toHaveLength(1);
    expect(tracker.stats()).toMatchObject({ queued: 2, dropped: 0 });
    online = true;
    window.dispatchEvent(new Event('online'));
    await tick();
    expect(requests).toHaveLength(2);
    expect(requests[1].body.events.map((e) => e.name)).toEqual(['destination_viewed', 'post_read']);
    expect(new Set(events().map((e) => e.id)).size).toBe(2);
    expect(tracker.stats()).toMatchObject({ delivered: 2, queued: 0, dropped: 0 });
  });

  it('retries events after a transport rejects instead of keeping them forever', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests } = recorder(['reject']);
    const tracker = make({ consent: 'granted', transport, onError: () => undefined });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    await vi.advanceTimersByTimeAsync(500);
    expect(requests).toHaveLength(2);
    expect(requests[1].body.events[0].id).toBe(requests[0].body.events[0].id);
    expect(tracker.stats()).toMatchObject({ delivered: 1, queued: 0 });
  });

  it(`drops and counts events after ${MAX_ATTEMPTS} failed sends without storage consent`, async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, requests } = recorder(Array(50).fill(503));
    const onError = vi.fn();
    const tracker = make({ transport, onError });
    tracker.setConsent({ analytics: true });
    tracker.track('destination_viewed', lisbon);
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(requests).toHaveLength(MAX_ATTEMPTS);
    expect(tracker.stats()).toStrictEqual({ delivered: 0, rejected: 0, dropped: 1, queued: 0, held: 0 });
    expect(onError.mock.calls.map(([error]) => error.message)).toContain('[waymark] 1 event(s) dropped: too many attempts');
    tracker.track('post_read', { engagedMs: 1 });
    await vi.advanceTimersByTimeAsync(5000);
    // The next event is tried again from the start, alone.
    expect(requests).toHaveLength(MAX_ATTEMPTS + 1);
    expect(requests[MAX_ATTEMPTS].body.events.map((e) => e.name)).toEqual(['post_read']);
  });

  it(`keeps events in the buffer for the next visit after ${MAX_ATTEMPTS} failed sends with storage consent`, async () => {
    vi.useFakeTimers({ now: T0 });
    const { buffer, calls } = fakeBuffer();
    const { transport, requests } = recorder(Array(50).fill(503));
    const tracker = make({ consent: 'granted', transport, buffer, onError: () => undefined });
    tracker.track('destination_viewed', lisbon);
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(requests).toHaveLength(MAX_ATTEMPTS);
    const [id] = requests[0].body.events.map((e) => e.id);
    expect(calls.add.flat()).toContain(id);
    expect(calls.remove.flat()).not.toContain(id);
    expect(calls.clear).toBe(0);
    expect(tracker.stats()).toStrictEqual({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 });
  });

  it('drops and counts events older than 7 days instead of sending them', async () => {
    vi.useFakeTimers({ now: T0 });
    online = false;
    const { transport, requests } = recorder();
    const onError = vi.fn();
    const tracker = make({ consent: 'granted', transport, onError });
    tracker.track('destination_viewed', lisbon);
    await vi.advanceTimersByTimeAsync(DAY);
    tracker.track('post_read', { engagedMs: 1 });
    vi.setSystemTime(T0 + 7 * DAY);
    online = true;
    window.dispatchEvent(new Event('online'));
    await tick();
    expect(requests.flatMap((request) => request.body.events.map((e) => e.name))).toEqual(['post_read']);
    expect(tracker.stats()).toMatchObject({ delivered: 1, dropped: 1, queued: 0 });
    expect(onError.mock.calls.map(([error]) => error.message)).toContain('[waymark] 1 event(s) dropped: too old');
  });

  it('drops the oldest events beyond maxQueue and counts them', async () => {
    online = false;
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport, maxQueue: 5, onError: () => undefined });
    for (let i = 0; i < 8; i++) tracker.track('search_performed', { query: `lisbon ${i}`, resultsCount: i });
    await tracker.flush();
    expect(events()).toHaveLength(0);
    expect(tracker.stats()).toMatchObject({ dropped: 3, queued: 5 });
    online = true;
    window.dispatchEvent(new Event('online'));
    await tick();
    await tracker.flush();
    expect(events().map((e) => e.properties.resultsCount)).toEqual([3, 4, 5, 6, 7]);
  });
});

describe('createTracker page exit', () => {
  /** A page view of about 9 kB, valid against the catalogue. */
  const bigPage = (n: number) => ({
    postId: `post-${n}`,
    destinations: Array.from({ length: 20 }, () => ({
      country: 'JP',
      region: 'r'.repeat(128),
      city: 'c'.repeat(128),
      placeId: 'p'.repeat(128),
    })),
  });

  it.each(['visibilitychange', 'pagehide'])('sends waiting events through unloadTransport on %s', async (type) => {
    const live = recorder();
    const exit = recorder();
    const tracker = make({ consent: 'granted', transport: live.transport, unloadTransport: exit.transport, flushAt: 1000 });
    const tracked: number[] = [];
    for (let n = 0; n < 40; n++) {
      tracker.page(bigPage(n));
      tracked.push(n);
    }
    if (type === 'visibilitychange') hidePage();
    else window.dispatchEvent(new Event('pagehide'));
    expect(exit.requests.length).toBeGreaterThan(0);
    await tick();
    expect(live.requests).toHaveLength(0);
    for (const request of exit.requests) {
      expect(request.unloading).toBe(true);
      expect(request.url).toBe(batchUrl);
      expect(request.bytes).toBeLessThanOrEqual(40_000);
    }
    // Only what fits the 64 KiB keepalive budget leaves at exit, oldest first; the rest waits for the next send.
    expect(exit.requests.reduce((sum, request) => sum + request.bytes, 0)).toBeLessThanOrEqual(60_000);
    const atExit = exit.events().map((e) => e.properties.postId);
    expect(atExit).toEqual(tracked.slice(0, atExit.length).map((n) => `post-${n}`));
    expect(tracker.stats()).toMatchObject({ delivered: atExit.length, queued: 40 - atExit.length });
    await tracker.flush();
    const sent = [...exit.events(), ...live.events()];
    expect(sent.map((e) => e.properties.postId)).toEqual(tracked.map((n) => `post-${n}`));
    expect(new Set(sent.map((e) => e.id)).size).toBe(40);
    expect(tracker.stats()).toMatchObject({ delivered: 40, queued: 0 });
  });

  it('does not send on visibilitychange while the page stays visible', async () => {
    const exit = recorder();
    const tracker = make({ consent: 'granted', transport: recorder().transport, unloadTransport: exit.transport });
    tracker.track('destination_viewed', lisbon);
    document.dispatchEvent(new Event('visibilitychange'));
    await tick();
    expect(exit.requests).toHaveLength(0);
  });

  it('sends at once what is tracked after the page exit began, until the page is shown again', async () => {
    const live = recorder();
    const exit = recorder();
    const tracker = make({ consent: 'granted', transport: live.transport, unloadTransport: exit.transport, flushAt: 1000 });
    window.dispatchEvent(new Event('pagehide'));
    // An engagement listener that runs after the tracker's own reports the final reading.
    tracker.track('engaged_time_reported', { engagedMs: 1200, final: true });
    expect(exit.requests).toHaveLength(1);
    expect(exit.requests[0].unloading).toBe(true);
    window.dispatchEvent(new Event('pageshow'));
    tracker.track('post_read', { engagedMs: 1300 });
    await tick();
    expect(exit.requests).toHaveLength(1);
    expect(tracker.stats().queued).toBe(1);
  });

  it('sends with a keepalive fetch by default at page exit', async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) => new Response(null, { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    const tracker = make({ consent: 'granted' });
    tracker.track('destination_viewed', lisbon);
    window.dispatchEvent(new Event('pagehide'));
    await tick();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe(batchUrl);
    expect(init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
    const batch = JSON.parse(init.body as string);
    expect(validateEnvelope([travelCatalogue], batch.events[0])).toMatchObject({ ok: true });
    expect(tracker.stats()).toMatchObject({ delivered: 1, queued: 0 });
  });

  it('sends at most 60 kB at page exit and keeps the rest queued', async () => {
    const exit = recorder();
    const tracker = make({ consent: 'granted', transport: recorder([0]).transport, unloadTransport: exit.transport, flushAt: 10_000 });
    const heading = 'x'.repeat(250);
    for (let i = 0; i < 150; i++) tracker.track('section_read', { sectionId: `s${i}`, heading, index: i, visibleMs: 1 });
    window.dispatchEvent(new Event('pagehide'));
    await tick();
    const bytes = exit.requests.reduce((sum, request) => sum + request.bytes, 0);
    expect(exit.requests.length).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(60_000);
    expect(exit.events().length + tracker.stats().queued).toBe(150);
    expect(tracker.stats().queued).toBeGreaterThan(0);
  });

  it('retries events a refused page-exit send left behind while the page stays', async () => {
    const live = recorder();
    const exit = recorder([0]);
    const tracker = make({ consent: 'granted', transport: live.transport, unloadTransport: exit.transport });
    tracker.track('destination_viewed', lisbon);
    hidePage();
    await tick();
    await tick();
    expect(exit.requests).toHaveLength(1);
    expect(live.events().map((e) => e.id)).toEqual(exit.events().map((e) => e.id));
    expect(tracker.stats()).toMatchObject({ delivered: 1, queued: 0 });
  });

  it('sends what waits with unloading on destroy() and stops listening', async () => {
    const { transport, requests } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    tracker.destroy();
    expect(requests).toHaveLength(1);
    expect(requests[0].unloading).toBe(true);
    expect(requests[0].body.events).toHaveLength(2);
    localStorage.clear();
    tracker.track('destination_viewed', lisbon);
    hidePage();
    window.dispatchEvent(new Event('pagehide'));
    window.dispatchEvent(new Event('online'));
    await tracker.flush();
    await tick();
    expect(requests).toHaveLength(1);
    // A listener left behind would store the ids again at page hide.
    expect(localStorage.length).toBe(0);
  });
});

describe('createTracker identity', () => {
  it('rotates the session after 30 minutes without events, not before', async () => {
    vi.useFakeTimers({ now: T0 });
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport, flushAt: 1 });
    tracker.track('destination_viewed', lisbon);
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    tracker.track('post_read', { engagedMs: 1 });
    await vi.advanceTimersByTimeAsync(30 * MINUTE + 1);
    tracker.track('post_read', { engagedMs: 2 });
    await tick();
    const [a, b, c] = events();
    expect(b.sessionId).toBe(a.sessionId);
    expect(c.sessionId).not.toBe(a.sessionId);
    expect(c.sessionId).toMatch(UUID);
    expect(c.anonymousId).toBe(a.anonymousId);
  });

  it('stores ids with consent granted and reuses the anonymous id in a new tracker', async () => {
    const first = recorder();
    const tracker = make({ consent: 'granted', transport: first.transport });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    const anonymousId = first.events()[0].anonymousId;
    expect(JSON.parse(localStorage.getItem('waymark:ids')!)).toMatchObject({ a: anonymousId });
    tracker.destroy();

    const second = recorder();
    const next = make({ consent: 'granted', transport: second.transport });
    next.track('post_read', { engagedMs: 1 });
    await next.flush();
    expect(second.events()[0].anonymousId).toBe(anonymousId);
  });

  it('stores ids when storage consent is given without a buffer, and held events carry the stored ids', async () => {
    const now = Date.now();
    localStorage.setItem('waymark:ids', JSON.stringify({ a: 'anon-returning', c: now - 10 * DAY, s: 'session-old', l: now - 5 * MINUTE }));
    const { transport, events } = recorder();
    const tracker = make({ transport });
    tracker.track('destination_viewed', lisbon);
    tracker.setConsent({ analytics: true, storage: true });
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    expect(events().map((e) => [e.anonymousId, e.sessionId])).toEqual([
      ['anon-returning', 'session-old'],
      ['anon-returning', 'session-old'],
    ]);
    expect(events()[0].context.consent).toMatchObject({ analytics: true, storage: true });
    expect(JSON.parse(localStorage.getItem('waymark:ids')!)).toMatchObject({ a: 'anon-returning' });
  });

  it('does not reuse a stored id older than 13 months', async () => {
    const now = Date.now();
    localStorage.setItem('waymark:ids', JSON.stringify({ a: 'anon-expired', c: now - 396 * DAY, s: 'session-old', l: now - MINUTE }));
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    expect(events()[0].anonymousId).toMatch(UUID);
    expect(JSON.parse(localStorage.getItem('waymark:ids')!).a).toBe(events()[0].anonymousId);

    localStorage.setItem('waymark:ids', JSON.stringify({ a: 'anon-young', c: now - 394 * DAY, s: 'session-old', l: now - MINUTE }));
    const again = recorder();
    const next = make({ consent: 'granted', transport: again.transport });
    next.track('destination_viewed', lisbon);
    await next.flush();
    expect(again.events()[0].anonymousId).toBe('anon-young');
  });

  it('deletes stored ids and the buffer when storage consent is withdrawn', async () => {
    const { buffer, calls } = fakeBuffer();
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport, buffer });
    tracker.track('destination_viewed', lisbon);
    await tracker.flush();
    expect(localStorage.getItem('waymark:ids')).not.toBeNull();
    tracker.setConsent({ storage: false });
    expect(localStorage.getItem('waymark:ids')).toBeNull();
    expect(calls.clear).toBe(1);
    const added = calls.add.length;
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    const [before, after] = events();
    expect(after.anonymousId).toMatch(UUID);
    expect(after.anonymousId).not.toBe(before.anonymousId);
    expect(after.context.consent).toMatchObject({ analytics: true, storage: false });
    expect(localStorage.getItem('waymark:ids')).toBeNull();
    expect(calls.add).toHaveLength(added);
  });

  it('mirrors queued events in the buffer, removes them after delivery and sends adopted events', async () => {
    const left = leftBehind();
    const { buffer, calls } = fakeBuffer([left]);
    const { transport, requests, events } = recorder();
    const tracker = make({ consent: 'granted', transport, buffer });
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(requests[0].body.events).toStrictEqual([left]);
    expect(calls.adopt).toBe(1);
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    await tick();
    expect(events().map((e) => e.id)).toEqual([left.id]);
    // One add per queued event: the buffer itself writes the adds of one task together (see indexedDbBuffer.test.ts).
    const added = calls.add.flat();
    expect(added).toHaveLength(2);
    expect(calls.remove).toEqual([[left.id]]);
    await tracker.flush();
    expect(
      events()
        .slice(1)
        .map((e) => e.id),
    ).toEqual(added);
    expect(calls.remove).toEqual([[left.id], added]);
    tracker.destroy();
    expect(calls.close).toBe(1);
  });

  it('looks again for events a closing tab left behind, with nothing else queued', async () => {
    vi.useFakeTimers({ now: T0 });
    const left = leftBehind('5f0c8c1e-8d2b-4e0e-9d1a-1a2b3c4d5e6f');
    const adoptable: Envelope[] = [];
    const { buffer, calls } = fakeBuffer(adoptable);
    const { transport, events } = recorder();
    make({ consent: 'granted', transport, buffer });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.adopt).toBe(1);
    // The other tab's lock is released only now, after the first look.
    adoptable.push(left);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.adopt).toBe(2);
    expect(events().map((e) => e.id)).toEqual([left.id]);
  });

  it('links later events to the user after identify() and forgets them on reset()', async () => {
    const { transport, events } = recorder();
    const tracker = make({ consent: 'granted', transport });
    tracker.track('destination_viewed', lisbon);
    tracker.identify('user-42', { travellerType: 'family', homeCountry: 'PT' });
    tracker.track('post_read', { engagedMs: 1 });
    tracker.reset();
    tracker.track('post_read', { engagedMs: 2 });
    await tracker.flush();
    const [anonymous, identified, after, reset] = events();
    expect(anonymous.userId).toBeUndefined();
    expect(identified).toMatchObject({
      type: 'identify',
      name: 'user_identified',
      properties: {},
      traits: { travellerType: 'family', homeCountry: 'PT' },
      userId: 'user-42',
      anonymousId: anonymous.anonymousId,
    });
    expect(after.userId).toBe('user-42');
    expect(after.traits).toBeUndefined();
    expect('userId' in reset).toBe(false);
    expect(reset.anonymousId).toMatch(UUID);
    expect(reset.anonymousId).not.toBe(anonymous.anonymousId);
    expect(reset.sessionId).not.toBe(anonymous.sessionId);
  });
});

describe('createTracker in development', () => {
  it('throws a WaymarkError that says how to fix a missing writeKey or endpoint', () => {
    expect(() => createTracker({ endpoint } as TrackerOptions)).toThrowError(WaymarkError);
    expect(() => createTracker({ endpoint } as TrackerOptions)).toThrowError(
      /^\[waymark\] createTracker needs a writeKey: .*writeKey: "wk_/,
    );
    expect(() => createTracker({ writeKey } as TrackerOptions)).toThrowError(
      /^\[waymark\] createTracker needs an endpoint: .*endpoint: "https:/,
    );
    try {
      createTracker({ writeKey, endpoint: '' });
    } catch (error) {
      expect((error as WaymarkError).code).toBe('invalid_options');
    }
  });

  it('logs an invalid event naming the field', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const tracker = make({ consent: 'granted', transport: recorder([], { validate: false }).transport });
    tracker.track('destination_viewed', { destination: { country: 'XX' } });
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(1));
    expect(error.mock.calls[0][0]).toMatch(/^\[waymark\] track\("destination_viewed"\).*properties\.destination\.country/);
  });

  it('throws a WaymarkError that says what to pass for an option of the wrong shape', () => {
    const cases: Array<[Partial<TrackerOptions>, RegExp]> = [
      [{ sampling: { rate: 0.5 } as never }, /^\[waymark\] createTracker option sampling must be a function: pass sessionSampling\(/],
      [{ beforeSend: 'scrub' as never }, /option beforeSend must be a function/],
      [{ onError: console as never }, /option onError must be a function/],
      [{ catalogue: travelCatalogue as never }, /option catalogue must be a function that loads your catalogue/],
      [{ transport: fetch as never }, /option transport must be an object with a send\(request\) method/],
      [{ unloadTransport: { send: 'beacon' } as never }, /option unloadTransport must be an object with a send\(request\) method/],
      [{ buffer: { add: async () => undefined } as never }, /option buffer must be an EventBuffer such as indexedDbBuffer\(\)/],
    ];
    for (const [options, message] of cases) {
      let thrown: unknown;
      try {
        make(options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(WaymarkError);
      expect((thrown as WaymarkError).code).toBe('invalid_options');
      expect((thrown as WaymarkError).message).toMatch(message);
    }
    expect(() => make({ sampling: sessionSampling({ rate: 1 }), buffer: fakeBuffer().buffer, transport: recorder().transport })).not.toThrow();
  });

  it('logs an unknown event name', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const tracker = make({ consent: 'granted', transport: recorder([], { validate: false }).transport });
    tracker.track('destination_viewd' as never, lisbon as never);
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(1));
    expect(error.mock.calls[0][0]).toMatch(/^\[waymark\] track\("destination_viewd"\).*name: unknown event "destination_viewd"/);
  });

  it('validates events against the catalogue option, for a team catalogue', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const acme = acmeCatalogue;
    const catalogue = vi.fn(async () => acme);
    const { transport, events } = recorder([], { validate: false });
    const tracker = make({ consent: 'granted', transport, schema: 'acme-travel@1', catalogue });
    const acmeTracker = tracker as unknown as Tracker<{ packing_list_downloaded: { listId: unknown }; packing_list_burned: object }>;
    acmeTracker.track('packing_list_downloaded', { listId: 'alps' });
    acmeTracker.track('packing_list_downloaded', { listId: 7 });
    acmeTracker.track('packing_list_burned', {});
    tracker.track('destination_viewed', { destination: { country: 'XX' } });
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(error.mock.calls.map(([message]) => message)).toEqual([
      expect.stringMatching(/^\[waymark\] track\("packing_list_downloaded"\) does not match the acme-travel@1 catalogue: properties\.listId: /),
      expect.stringMatching(/^\[waymark\] track\("packing_list_burned"\).*name: unknown event "packing_list_burned" in catalogue "acme-travel@1"/),
      expect.stringMatching(/^\[waymark\] track\("destination_viewed"\).*properties\.destination\.country/),
    ]);
    expect(catalogue).toHaveBeenCalled();
    // Validation only reports: every event is still sent.
    await tracker.flush();
    expect(events()).toHaveLength(4);
  });

  it('logs a catalogue option that fails to load', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const tracker = make({
      consent: 'granted',
      transport: recorder([], { validate: false }).transport,
      schema: 'acme-travel@1',
      catalogue: () => Promise.reject(new Error('chunk failed')),
    });
    tracker.track('destination_viewed', lisbon);
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(1));
    expect(error.mock.calls[0][0]).toMatch(/^\[waymark\] the catalogue option failed to load/);
  });

  it('logs nothing for a valid event', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const tracker = make({ consent: 'granted', transport: recorder().transport });
    tracker.track('destination_viewed', lisbon);
    tracker.track('destination_viewed', { destination: { country: 'XX' } });
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(error).toHaveBeenCalledTimes(1);
    tracker.setConsent({ analytics: false });
  });
});

describe('createTracker types with a registered catalogue', () => {
  // `declare module '@waymark/taxonomy'` changes the types of every file in a program, so this check compiles its
  // own small program instead of sitting in createTracker.test-d.ts, where it would retype all the other type tests.
  it('types track() against a catalogue registered with declare module', async () => {
    const ts = (await import('typescript')).default;
    const here = dirname(fileURLToPath(import.meta.url));
    const file = join(here, 'registerCheck.virtual.ts');
    const source = `
      import { createTracker } from '@waymark/core';
      import { acmeCatalogue } from '../e2e/fixtures/acmeCatalogue';

      declare module '@waymark/taxonomy' {
        interface Register {
          catalogue: typeof acmeCatalogue;
        }
      }

      const tracker = createTracker({ endpoint: 'https://stats.example.com', writeKey: 'wk_test_123', schema: 'acme-travel@1' });
      tracker.track('packing_list_downloaded', { listId: 'alps' });
      tracker.track('destination_viewed', { destination: { country: 'PT' } });
      // @ts-expect-error listId is a string
      tracker.track('packing_list_downloaded', { listId: 7 });
      // @ts-expect-error not in the registered catalogue
      tracker.track('packing_list_burned', { listId: 'alps' });
      // @ts-expect-error built-in events keep their types
      tracker.track('destination_viewed', { destination: { country: 'PT' }, listId: 'alps' });
    `;
    const configFile = join(here, '../../../tsconfig.base.json');
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configFile));
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists } = host;
    host.getSourceFile = (name, ...rest) =>
      name === file ? ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, true) : getSourceFile(name, ...rest);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const line = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line : -1;
      return `${diagnostic.file?.fileName ?? ''}:${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
    // The program saw the file: a wrong line in it would be reported.
    expect(program.getSourceFile(file)?.text).toContain('packing_list_downloaded');
  }, 60_000);
});
