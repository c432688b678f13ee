import type { Campaign, ConsentSnapshot, Envelope, EnvelopeType, RegisteredEvents, UserTraits } from '@waymark/taxonomy';
import { beaconTransport } from './beaconTransport';
import { chunkEvents } from './chunkEvents';
import { createIdentity } from './createIdentity';
import { devValidate } from './devValidate';
import { getNavigator, getWindow, isBrowser, isOffline, readGpc } from './env';
import { fetchTransport } from './fetchTransport';
import { readPage, screenClass, SENSITIVE_QUERY_KEYS } from './readPage';
import type { PageRead } from './readPage';
import { backoffDelay, classifyStatus, MAX_ATTEMPTS, MAX_EVENT_AGE_MS } from './retryPolicy';
import { sampleRate, sessionPosition } from './sampling';
import type { SamplingOptions } from './sampling';
import type { EventBuffer, Transport } from './types';
import { uuid } from './uuid';
import { DEFAULT_SCHEMA, LIBRARY } from './version';
import { WaymarkError } from './WaymarkError';

/**
 * How consent starts out.
 * - `strict`: nothing is stored and nothing is sent until `setConsent` grants analytics. Events wait in memory and are
 *   sent with their original timestamps on grant, or discarded on deny.
 * - `granted`: analytics and storage are granted from the start (the site decided no banner is needed).
 */
export type ConsentMode = 'strict' | 'granted';

/** A visitor's choice; each field left out keeps its current value. */
export interface ConsentChoice {
  /** Measurement: events may be sent. */
  analytics?: boolean;
  /** Device storage: ids in localStorage and the offline buffer in IndexedDB. */
  storage?: boolean;
  /** Sharing with third-party tools. Always false while Global Privacy Control is on. */
  marketing?: boolean;
}

/** Options of {@link createTracker}. */
export interface TrackerOptions {
  /** Base URL of the collector; events are posted to `${endpoint}/v1/batch`. A same-origin path such as `/wm` works. */
  endpoint: string;
  /** The site's public write key. */
  writeKey: string;
  /**
   * How consent starts out.
   * @default 'strict'
   */
  consent?: ConsentMode;
  /**
   * Treat `navigator.doNotTrack === '1'` as a refusal of analytics. The DNT standard is discontinued, so this is a
   * per-site choice; Global Privacy Control is always honoured.
   * @default false
   */
  respectDoNotTrack?: boolean;
  /** Durable buffer for unsent events, such as `indexedDbBuffer()`; used only while storage consent is granted. */
  buffer?: EventBuffer;
  /**
   * Delivers requests while the page is open.
   * @default fetchTransport()
   */
  transport?: Transport;
  /**
   * Delivers the last requests when the page is hidden or closed. `beaconTransport()` reports synchronously whether
   * the browser took the request, so stored copies can be released at once.
   * @default transport when given, else beaconTransport()
   */
  unloadTransport?: Transport;
  /**
   * Send as soon as this many events wait.
   * @default 10
   */
  flushAt?: number;
  /**
   * Otherwise send this many milliseconds after the first waiting event.
   * @default 5000
   */
  flushInterval?: number;
  /**
   * Most events held in memory (waiting for consent, or unsent); beyond it the oldest are dropped and counted.
   * @default 1000
   */
  maxQueue?: number;
  /**
   * A session ends after this many milliseconds without events.
   * @default 1_800_000 (30 minutes)
   */
  sessionTimeout?: number;
  /** Deterministic per-session sampling; the rate is stamped on every event. */
  sampling?: SamplingOptions;
  /** Changes an envelope before it is queued, or drops it by returning null. Runs after consent and sampling. */
  beforeSend?: (envelope: Envelope) => Envelope | null | undefined;
  /**
   * The catalogue the events follow, as `id@version`. Set it when you register your own catalogue.
   * @default 'travel@1'
   */
  schema?: string;
  /** Query keys removed from URLs in addition to the built-in list (`email`, `token`, `password`, …). */
  sensitiveQueryKeys?: string[];
  /** Called with every error the tracker swallows (delivery failures, storage errors, rejected events). */
  onError?: (error: WaymarkError) => void;
}

/** Options of {@link Tracker.page}. */
export interface PageOptions {
  /** Route pattern such as `/destinations/[country]/[slug]`; framework plugins fill it in. */
  route?: string;
  /** Title to report instead of `document.title`. */
  title?: string;
}

/** Counters of what happened to events, so no loss is silent. */
export interface TrackerStats {
  /** Events the collector accepted. */
  delivered: number;
  /** Events refused for good (400, 401, 403, 410, 413, 422, 501, 505, or over 32 kB): dropped, not retried. */
  rejected: number;
  /** Events dropped on the client: queue full, too large, too old, consent denied, or given up after retries. */
  dropped: number;
  /** Events waiting in memory to be sent. */
  queued: number;
  /** Events waiting for a consent decision. */
  held: number;
}

type Properties<M, N extends keyof M> = {} extends M[N] ? [properties?: M[N]] : [properties: M[N]];
type PageProperties<M> = 'page_viewed' extends keyof M ? M['page_viewed'] : Record<string, unknown>;

/** A tracker: every method returns at once and never throws into the page. */
export interface Tracker<M extends object = RegisteredEvents> {
  /** Records a catalogue event. Names and properties are type-checked; in development they are also validated. */
  track<N extends keyof M & string>(name: N, ...properties: Properties<M, N>): void;
  /** Records a `page_viewed` event for the current URL. */
  page(properties?: PageProperties<M>, options?: PageOptions): void;
  /** Links later events to a user id and records `user_identified` with the traits. */
  identify(userId: string, traits?: UserTraits): void;
  /** Forgets the user: new anonymous id and session, no user id (call on log-out). */
  reset(): void;
  /** Applies the visitor's consent choice. Withdrawing storage deletes stored ids and the offline buffer at once. */
  setConsent(choice: ConsentChoice): void;
  /** Sends everything that waits now. Resolves when the requests finish; never rejects. */
  flush(): Promise<void>;
  /** Counters of delivered, rejected, dropped and waiting events. */
  stats(): TrackerStats;
  /** Sends what waits (as at page exit), removes listeners and releases the buffer. Later calls do nothing. */
  destroy(): void;
}

interface Item {
  e: Envelope;
  /** event time, ms */
  t: number;
  /** a request carrying it is in flight */
  s?: boolean;
}

const noop = () => undefined;

/** A tracker that does nothing: on the server, and after invalid options in production. */
function inertTracker(): Tracker<any> {
  return {
    track: noop,
    page: noop,
    identify: noop,
    reset: noop,
    setConsent: noop,
    flush: () => Promise.resolve(),
    stats: () => ({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 }),
    destroy: noop,
  };
}

/**
 * Creates a tracker. On the server it returns a tracker that does nothing, so it is safe to call during SSR.
 *
 * @example
 * import { createTracker } from '@waymark/core';
 *
 * const tracker = createTracker({ endpoint: 'https://stats.example.com', writeKey: 'wk_live_123' });
 * tracker.setConsent({ analytics: true, storage: true }); // from your consent banner
 * tracker.track('destination_viewed', { destination: { country: 'PT', city: 'Lisbon' } });
 */
export function createTracker<M extends object = RegisteredEvents>(options: TrackerOptions): Tracker<M> {
  const problem = !options?.writeKey
    ? 'createTracker needs a writeKey: pass the site\'s public write key, e.g. createTracker({ endpoint, writeKey: "wk_…" })'
    : !options.endpoint
      ? 'createTracker needs an endpoint: pass your collector URL, e.g. createTracker({ endpoint: "https://stats.example.com", writeKey })'
      : undefined;
  if (problem) {
    if (process.env.NODE_ENV !== 'production') throw new WaymarkError('invalid_options', problem);
    return inertTracker();
  }
  if (!isBrowser()) return inertTracker();

  const {
    writeKey,
    buffer,
    beforeSend,
    sampling,
    onError,
    flushAt = 10,
    flushInterval = 5000,
    maxQueue = 1000,
    sessionTimeout = 1_800_000,
    schema = DEFAULT_SCHEMA,
  } = options;
  const transport = options.transport ?? fetchTransport();
  const unloadTransport = options.unloadTransport ?? (options.transport ? transport : beaconTransport());
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/batch?key=${encodeURIComponent(writeKey)}`;
  const sensitiveKeys = [...SENSITIVE_QUERY_KEYS, ...(options.sensitiveQueryKeys ?? []).map((k) => k.toLowerCase())];
  const win = getWindow()!;
  const nav = getNavigator();
  const identity = createIdentity(sessionTimeout);
  const gpc = readGpc();
  const dnt = options.respectDoNotTrack && nav?.doNotTrack === '1';
  const granted = options.consent === 'granted';
  // undefined = no decision yet (events are held); false = refused (events are discarded).
  const consent: { analytics?: boolean; storage?: boolean; marketing?: boolean } = dnt
    ? { analytics: false, storage: false, marketing: false }
    : { analytics: granted || undefined, storage: granted || undefined, marketing: false };
  const locale = nav?.language;
  let timeZone: string | undefined;
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    timeZone = undefined;
  }
  const screen = screenClass();
  const counts = { delivered: 0, rejected: 0, dropped: 0 };
  let queue: Item[] = [];
  let held: Item[] = [];
  let unsaved: Envelope[] = [];
  let lastHref = '';
  let pageRead: PageRead | undefined;
  let campaign: Campaign | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryAt = 0;
  let attempt = 0;
  let lastAdopt = 0;
  let flushing: Promise<void> | undefined;
  let destroyed = false;

  const report = (code: WaymarkError['code'], message: string, cause?: unknown) => {
    const error = new WaymarkError(code, message, { cause });
    if (onError) onError(error);
    else if (process.env.NODE_ENV !== 'production') console.warn(error.message);
  };
  const drop = (n: number, why: string) => {
    if (n <= 0) return;
    counts.dropped += n;
    report('delivery_failed', `${n} event(s) dropped: ${why}`);
  };
  const storing = () => !!buffer && consent.storage === true;
  const snapshot = (): ConsentSnapshot => ({
    analytics: consent.analytics === true,
    storage: consent.storage === true,
    marketing: consent.marketing === true && !gpc,
    gpc,
  });

  /** Keeps `list` within maxQueue by dropping its oldest items. */
  const bound = (list: Item[], why: string) => {
    const excess = list.length - maxQueue;
    if (excess > 0) {
      list.splice(0, excess);
      drop(excess, why);
    }
  };

  const schedule = (delay: number) => {
    if (timer !== undefined || destroyed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void send(false);
    }, delay);
  };

  /** Saves events to the durable buffer in one write, shortly after they were queued. */
  const saveSoon = () => {
    if (!storing() || unsaved.length === 0) return;
    const events = unsaved;
    unsaved = [];
    buffer!.add(events).catch((error) => report('storage_failed', 'could not write the offline buffer', error));
  };

  /** Sampling and beforeSend, then the queue. */
  const admit = (item: Item) => {
    const rate = sampleRate(sampling, item.e.name);
    if (rate < 1 && sessionPosition(item.e.sessionId) >= rate) return;
    item.e.context.sampleRate = rate;
    let envelope: Envelope | null | undefined = item.e;
    if (beforeSend) {
      try {
        envelope = beforeSend(envelope);
      } catch (error) {
        report('invalid_event', 'beforeSend threw; the event was sent unchanged', error);
      }
      if (!envelope) return;
    }
    queue.push({ e: envelope, t: item.t });
    bound(queue, 'the send queue is full (offline too long?)');
    if (storing() && unsaved.push(envelope) === 1) Promise.resolve().then(saveSoon);
    if (queue.length >= flushAt && Date.now() >= retryAt) Promise.resolve().then(() => send(false));
    else schedule(Math.max(flushInterval, retryAt - Date.now()));
  };

  const record = (type: EnvelopeType, name: string, properties: object | undefined, extra?: Partial<Envelope>, page?: PageOptions) => {
    if (destroyed || consent.analytics === false) return;
    if (process.env.NODE_ENV !== 'production') devValidate(schema, name, properties);
    const now = Date.now();
    const href = win.location.href;
    if (href !== lastHref) {
      // A client-side navigation: the previous page is the referrer.
      pageRead = readPage(sensitiveKeys, lastHref ? pageRead?.page.url : undefined);
      campaign = pageRead?.campaign ?? campaign;
      lastHref = href;
    }
    const ids = identity.touch(now);
    const envelope: Envelope = {
      id: uuid(),
      type,
      name,
      properties: { ...(properties as Record<string, unknown>) },
      timestamp: new Date(now).toISOString(),
      anonymousId: ids.anonymousId,
      sessionId: ids.sessionId,
      ...(ids.userId ? { userId: ids.userId } : {}),
      schema,
      ...extra,
      context: {
        page: { ...pageRead!.page, ...(page?.route ? { route: page.route } : {}), ...(page?.title ? { title: page.title } : {}) },
        locale,
        timeZone,
        screen,
        ...(campaign ? { campaign } : {}),
        consent: snapshot(),
        sampleRate: 1,
        library: LIBRARY,
      },
    };
    const item = { e: envelope, t: now };
    if (consent.analytics) admit(item);
    else {
      held.push(item);
      bound(held, 'too many events waiting for consent');
    }
  };

  /** Takes over events left in the buffer by earlier visits and closed tabs (at most every 30 s). */
  const adopt = async () => {
    if (!storing() || Date.now() - lastAdopt < 30_000) return;
    lastAdopt = Date.now();
    try {
      const known = new Set(queue.map((item) => item.e.id));
      const events = (await buffer!.adopt(maxQueue)).filter((e) => !known.has(e.id));
      queue = [...events.map((e) => ({ e, t: Date.parse(e.timestamp) || Date.now() })), ...queue];
      bound(queue, 'the send queue is full');
    } catch (error) {
      report('storage_failed', 'could not read the offline buffer', error);
    }
  };

  const settle = (ids: string[], outcome: 'delivered' | 'rejected' | 'retry', status: number) => {
    const sent = new Set(ids);
    if (outcome === 'retry') {
      for (const item of queue) if (sent.has(item.e.id)) item.s = false;
      return;
    }
    queue = queue.filter((item) => !sent.has(item.e.id));
    counts[outcome] += ids.length;
    if (outcome === 'rejected') report('delivery_failed', `the collector refused ${ids.length} event(s) with status ${status}; they are dropped`);
    if (buffer && consent.storage) buffer.remove(ids).catch((error) => report('storage_failed', 'could not update the offline buffer', error));
  };

  const send = (unloading: boolean): Promise<void> => {
    if (consent.analytics !== true || destroyed) return Promise.resolve();
    if (!unloading && flushing) return flushing;
    const run = async () => {
      clearTimeout(timer);
      timer = undefined;
      if (!unloading) await adopt();
      const now = Date.now();
      const before = queue.length;
      queue = queue.filter((item) => now - item.t < MAX_EVENT_AGE_MS);
      drop(before - queue.length, 'older than the maximum event age');
      const ready = queue.filter((item) => !item.s);
      if (ready.length === 0) return;
      if (isOffline()) {
        // Nothing can leave; the `online` listener sends as soon as the network is back.
        if (unloading) saveSoon();
        return;
      }
      for (const item of ready) item.s = true;
      const { chunks, oversized } = chunkEvents(ready.map((item) => item.e), { sentAt: new Date().toISOString() });
      if (oversized.length > 0) settle(oversized.map((e) => e.id), 'rejected', 413);
      const results = await Promise.all(
        chunks.map(async ({ body, ids }) => {
          let status = 0;
          let retryAfter: number | undefined;
          try {
            ({ status, retryAfter } = await (unloading ? unloadTransport : transport).send({ url, body, unloading }));
          } catch {
            // A transport that breaks its contract (rejects) counts as a network failure, so the events are retried.
          }
          const outcome = classifyStatus(status);
          settle(ids, outcome, status);
          return { outcome, retryAfter };
        }),
      );
      const failed = results.find((r) => r.outcome === 'retry');
      if (!failed) {
        attempt = 0;
        retryAt = 0;
      } else if (!unloading) {
        attempt++;
        if (attempt >= MAX_ATTEMPTS) {
          // Give up for this page; with storage consent the events stay in the buffer for the next visit.
          const waiting = queue.filter((item) => !item.s);
          queue = queue.filter((item) => item.s);
          if (!storing()) drop(waiting.length, `not delivered after ${MAX_ATTEMPTS} attempts`);
          attempt = 0;
          retryAt = 0;
          return;
        }
        const delay = backoffDelay(attempt, failed.retryAfter);
        retryAt = Date.now() + delay;
        // Replaces a timer set while the request was in flight, which would retry too early or too late.
        clearTimeout(timer);
        timer = undefined;
        schedule(delay);
      }
      if (queue.some((item) => !item.s)) schedule(Math.max(0, retryAt - Date.now()));
    };
    const promise = run().catch((error) => report('delivery_failed', 'sending failed unexpectedly', error));
    if (!unloading) {
      flushing = promise.finally(() => {
        flushing = undefined;
      });
      return flushing;
    }
    return promise;
  };

  const onHide = (event: Event) => {
    if (event.type === 'pagehide' || document.visibilityState === 'hidden') {
      identity.save();
      saveSoon();
      void send(true);
    }
  };
  const onOnline = () => {
    lastAdopt = 0;
    attempt = 0;
    retryAt = 0;
    void send(false);
  };
  const listeners: Array<[EventTarget, string, (event: Event) => void]> = [
    [document, 'visibilitychange', onHide],
    [win, 'pagehide', onHide],
    [win, 'online', onOnline],
  ];
  for (const [target, type, listener] of listeners) target.addEventListener(type, listener);

  const becomeStoring = () => {
    identity.persist();
    unsaved = queue.map((item) => item.e);
    saveSoon();
    lastAdopt = 0;
    // Only the buffer can hold events to send now; anything else waits for flushAt or flushInterval.
    if (buffer) void send(false);
  };
  if (consent.storage) becomeStoring();

  const safe =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (error) {
        if (process.env.NODE_ENV !== 'production') throw error;
        report('invalid_event', 'a tracking call failed and was ignored', error);
      }
    };

  return {
    track: safe((name: string, properties?: object) => record('track', name, properties)) as Tracker<M>['track'],
    page: safe((properties?: object, page?: PageOptions) => record('page', 'page_viewed', properties, undefined, page)) as Tracker<M>['page'],
    identify: safe((userId: string, traits?: UserTraits) => {
      if (typeof userId !== 'string' || userId === '') {
        if (process.env.NODE_ENV !== 'production') throw new WaymarkError('invalid_event', 'identify(userId) needs a non-empty string user id');
        return;
      }
      identity.setUser(userId);
      record('identify', 'user_identified', {}, traits ? { traits: { ...traits } } : undefined);
    }),
    reset: safe(() => identity.reset()),
    setConsent: safe((choice: ConsentChoice) => {
      const wasStorage = consent.storage;
      const wasAnalytics = consent.analytics;
      for (const key of ['analytics', 'storage', 'marketing'] as const) {
        if (typeof choice?.[key] === 'boolean') consent[key] = choice[key];
      }
      if (choice?.storage === false) {
        identity.forget();
        buffer?.clear().catch((error) => report('storage_failed', 'could not delete the offline buffer', error));
      }
      if (consent.analytics === false) {
        // Withdrawn or refused: nothing waiting may be sent any more, now or on a later visit.
        drop(held.length + queue.filter((item) => !item.s).length, 'analytics consent was refused');
        held = [];
        queue = queue.filter((item) => item.s);
        unsaved = [];
        if (wasStorage && consent.storage) buffer?.clear().catch((error) => report('storage_failed', 'could not delete the offline buffer', error));
      }
      // Stored ids load first, so held events carry the visitor's ids like the events after them.
      if (consent.storage && !wasStorage) becomeStoring();
      if (consent.analytics && !wasAnalytics) {
        const waiting = held;
        held = [];
        const ids = identity.touch(Date.now());
        for (const item of waiting) {
          // Sent now with the consent that allows it, and the ids of this visit; the timestamp stays the original.
          Object.assign(item.e, { anonymousId: ids.anonymousId, sessionId: ids.sessionId, ...(ids.userId ? { userId: ids.userId } : {}) });
          item.e.context.consent = snapshot();
          admit(item);
        }
      }
      if (consent.analytics) void send(false);
    }),
    flush: async () => {
      await send(false);
      // Events queued while an earlier request was in flight go now too.
      if (queue.some((item) => !item.s) && Date.now() >= retryAt) await send(false);
    },
    stats: () => ({ ...counts, queued: queue.length, held: held.length }),
    destroy: safe(() => {
      if (destroyed) return;
      identity.save();
      saveSoon();
      void send(true);
      destroyed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
      buffer?.close();
    }),
  };
}
