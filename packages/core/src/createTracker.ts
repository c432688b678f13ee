import type { Campaign, Catalogue, ConsentSnapshot, Envelope, EnvelopeType, RegisteredEvents, UserTraits } from '@waymark/taxonomy';
import { chunkEvents } from './chunkEvents';
import { createIdentity } from './createIdentity';
import { devValidate } from './devValidate';
import { getWindow } from './env';
import { fetchTransport } from './fetchTransport';
import { readPage, SENSITIVE_QUERY_KEYS } from './readPage';
import type { PageRead } from './readPage';
import { backoffDelay, classifyStatus, MAX_ATTEMPTS, MAX_EVENT_AGE_MS } from './retryPolicy';
import type { DeliveryOutcome } from './retryPolicy';
import type { Sampler } from './sessionSampling';
import type { EventBuffer, Transport, TransportResult } from './types';
import { uuid } from './uuid';
import { DEFAULT_SCHEMA, LIBRARY } from './version';
import { WaymarkError } from './WaymarkError';
import type { WaymarkErrorCode } from './WaymarkError';

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
   * Delivers the last requests when the page is hidden or closed. The default keepalive fetch outlives the page;
   * `beaconTransport()` is the alternative for browsers without keepalive.
   * @default transport
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
  /**
   * Deterministic per-session sampling: the function `sessionSampling()` returns, such as
   * `sessionSampling({ events: { scroll_depth_reached: 0.1 } })` (not its options object). The rate is stamped on
   * every event as `context.sampleRate`. Anything but a function throws in development; in production a sampling
   * that is not a function or that throws is reported to `onError` and the event is sent unsampled.
   */
  sampling?: Sampler;
  /** Changes an envelope before it is queued, or drops it by returning null. Runs after consent and sampling. */
  beforeSend?: (envelope: Envelope) => Envelope | null | undefined;
  /**
   * The catalogue the events follow, as `id@version`. Set it when you register your own catalogue.
   * @default 'travel@1'
   */
  schema?: string;
  /**
   * Loads your own catalogue for development-time validation, so `track()` calls with an unknown name or a wrong
   * property are logged like those of the built-in `travel@1` catalogue. Only development builds call it (when an
   * event is tracked); production builds strip the call, so with a lazy `import()` the catalogue and zod stay in a
   * chunk production pages never load.
   * @default the built-in travel catalogue when `schema` is 'travel@1', otherwise no validation
   * @example
   * createTracker({
   *   endpoint,
   *   writeKey,
   *   schema: 'acme-travel@1',
   *   catalogue: () => import('./acmeCatalogue').then((m) => m.acmeCatalogue),
   * });
   */
  catalogue?: () => Promise<Catalogue>;
  /** Query keys removed from URLs in addition to the built-in list (`email`, `token`, `password`, …). */
  sensitiveQueryKeys?: string[];
  /** Called with every error the tracker swallows (delivery failures, storage errors, rejected events). */
  onError?: (error: WaymarkError) => void;
}

/** Options of {@link Tracker.page}. */
export interface PageOptions {
  /**
   * Route pattern such as `/destinations/[country]/[slug]`; framework plugins fill it in. Later events on the same
   * URL carry it too, until the URL changes.
   */
  route?: string;
  /** Title to report instead of `document.title`, on this event and later ones until the URL changes. */
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
  /**
   * Applies the visitor's consent choice. Refusing or withdrawing analytics or storage deletes the stored ids and the
   * offline buffer at once; after an analytics refusal nothing is stored or sent until analytics is granted again.
   */
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

const noop = () => {};
const resolved = () => Promise.resolve();
const CONSENT_KEYS = ['analytics', 'storage', 'marketing'] as const;

/** A tracker that does nothing: on the server, and after invalid options in production. */
const inert: Tracker<any> = {
  track: noop,
  page: noop,
  identify: noop,
  reset: noop,
  setConsent: noop,
  flush: resolved,
  stats: () => ({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 }),
  destroy: noop,
};

/** Most bytes in flight at once: the browser allows 64 KiB of keepalive requests and beacons. */
const INFLIGHT_BUDGET = 60_000;
/** How often a storing tab looks for events left by closed tabs (localstorage-retry takes over after 10 s). */
const ADOPT_EVERY = 10_000;

/** Development only: throws a WaymarkError naming an option of the wrong shape and what to pass instead. */
function checkOptions(options: TrackerOptions): void {
  const problems: Array<[keyof TrackerOptions, string[], string]> = [
    ['sampling', [], 'a function: pass sessionSampling({ rate, events, categories, categoryOf, keep }), not its options'],
    ['beforeSend', [], 'a function (envelope) => envelope | null'],
    ['onError', [], 'a function (error) => void'],
    ['catalogue', [], 'a function that loads your catalogue, e.g. () => import("./catalogue").then((m) => m.acmeCatalogue)'],
    ['transport', ['send'], 'an object with a send(request) method, such as fetchTransport()'],
    ['unloadTransport', ['send'], 'an object with a send(request) method, such as beaconTransport()'],
    ['buffer', ['add', 'remove', 'adopt', 'clear', 'close'], 'an EventBuffer such as indexedDbBuffer() from @waymark/core/offline'],
  ];
  for (const [key, methods, expected] of problems) {
    const value = options[key] as Record<string, unknown> | undefined;
    if (value != null && (methods.length ? !methods.every((m) => typeof value[m] === 'function') : typeof value !== 'function')) {
      throw new WaymarkError('invalid_options', `createTracker option ${key} must be ${expected}`);
    }
  }
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
  const { endpoint, writeKey } = options || ({} as TrackerOptions);
  if (!writeKey || !endpoint) {
    if (process.env.NODE_ENV !== 'production') {
      throw new WaymarkError(
        'invalid_options',
        writeKey
          ? 'createTracker needs an endpoint: pass your collector URL, e.g. createTracker({ endpoint: "https://stats.example.com", writeKey })'
          : 'createTracker needs a writeKey: pass the site\'s public write key, e.g. createTracker({ endpoint, writeKey: "wk_…" })',
      );
    }
    return inert;
  }
  if (process.env.NODE_ENV !== 'production') checkOptions(options);
  const win = getWindow();
  if (!win) return inert;

  const {
    buffer,
    beforeSend,
    sampling,
    onError,
    flushAt = 10,
    flushInterval = 5000,
    maxQueue = 1000,
    schema = DEFAULT_SCHEMA,
    transport = fetchTransport(),
    sensitiveQueryKeys = [],
  } = options;
  const unloadTransport = options.unloadTransport || transport;
  const url = `${endpoint.replace(/\/+$/, '')}/v1/batch?key=${encodeURIComponent(writeKey)}`;
  const sensitiveKeys = SENSITIVE_QUERY_KEYS.concat(sensitiveQueryKeys.map((k) => k.toLowerCase()));
  const { navigator: nav, document: doc, location } = win;
  const identity = createIdentity(win, options.sessionTimeout ?? 1_800_000);
  const gpc = (nav as { globalPrivacyControl?: boolean }).globalPrivacyControl === true;
  // undefined = no decision yet (events are held); false = refused (events are discarded).
  const initial = options.respectDoNotTrack && nav.doNotTrack === '1' ? false : options.consent === 'granted' || undefined;
  const consent: ConsentChoice = { analytics: initial, storage: initial };
  const width = win.innerWidth;
  const constant = {
    locale: nav.language,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    // A screen class, not the exact dimensions.
    screen: width ? (width < 768 ? 'mobile' : width < 1024 ? 'tablet' : 'desktop') : undefined,
  } as const;
  const counts = { delivered: 0, rejected: 0, dropped: 0 };
  let queue: Item[] = [];
  let held: Item[] = [];
  let lastHref = '';
  let pageRead: PageRead;
  /** Route and title from page() for the current URL. */
  let pageOptions: PageOptions | undefined;
  let campaign: Campaign | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = 0;
  let inflight = 0;
  let retryAt = 0;
  let attempt = 0;
  let lastAdopt = 0;
  let flushing: Promise<void> | undefined;
  let destroyed = false;
  let hidden = false;

  const report = (code: WaymarkErrorCode, message: string, cause?: unknown) => {
    try {
      if (onError) onError(new WaymarkError(code, message, { cause }));
      else if (process.env.NODE_ENV !== 'production') console.warn(`[waymark] ${message}`);
    } catch (thrown) {
      // A failing listener must not break the host app.
      if (process.env.NODE_ENV !== 'production') console.error('[waymark] onError threw:', thrown);
    }
  };
  const drop = (n: number, why: string) => {
    if (n > 0) {
      counts.dropped += n;
      report('delivery_failed', `${n} event(s) dropped: ${why}`);
    }
  };
  const storageError = (error: unknown) => report('storage_failed', 'offline buffer failed', error);
  /** The device may hold ids and events: storage granted and analytics not refused. */
  const allowed = () => consent.storage && consent.analytics !== false;
  const storing = () => buffer && allowed();
  /** Mirrors events in the offline buffer, or deletes them from it, while storage consent is granted. */
  const store = (method: 'add' | 'remove', list: Envelope[] | string[]) => {
    if (storing() && list.length) (buffer![method] as (list: unknown[]) => Promise<void>)(list).catch(storageError);
  };
  const snapshot = (): ConsentSnapshot => ({
    analytics: !!consent.analytics,
    storage: !!consent.storage,
    marketing: !!consent.marketing && !gpc,
    gpc,
  });
  const waiting = () => queue.filter((item) => !item.s);
  const pick = (ids: string[]) => queue.filter((item) => ids.includes(item.e.id));

  /** Keeps `list` within maxQueue by dropping its oldest items. */
  const bound = (list: Item[]) => drop(list.splice(0, list.length - maxQueue).length, 'queue full');

  /** Sends after `delay` ms, unless a send is due sooner; `replace` moves the timer even to a later time (backoff). */
  const schedule = (delay: number, replace?: boolean) => {
    if (!destroyed && (replace || timer === undefined || Date.now() + delay < timerAt)) {
      clearTimeout(timer);
      timerAt = Date.now() + delay;
      timer = setTimeout(() => {
        timer = undefined;
        send();
      }, delay);
    }
  };

  /** Sampling and beforeSend, then the queue. */
  const admit = (item: Item) => {
    let rate = 1;
    try {
      if (sampling) rate = sampling(item.e);
    } catch (error) {
      report('invalid_options', 'sampling threw; event sent unsampled', error);
    }
    if (!rate) return;
    item.e.context.sampleRate = rate;
    if (beforeSend) {
      try {
        item.e = beforeSend(item.e)!;
      } catch (error) {
        report('invalid_event', 'beforeSend threw; event sent unchanged', error);
      }
      if (!item.e) return;
    }
    queue.push(item);
    bound(queue);
    store('add', [item.e]);
    // Tracked while the page is being left (by a listener that ran after ours): send it now, with keepalive.
    if (hidden) send(true);
    else if (queue.length >= flushAt && Date.now() >= retryAt) queueMicrotask(send);
    else schedule(Math.max(flushInterval, retryAt - Date.now()));
  };

  const record = (type: EnvelopeType, name: string, properties?: object, page?: PageOptions, traits?: object) => {
    if (destroyed || consent.analytics === false) return;
    if (process.env.NODE_ENV !== 'production') devValidate(schema, name, properties, options.catalogue);
    const now = Date.now();
    if (location.href !== lastHref) {
      // A client-side navigation: the previous page is the referrer.
      pageRead = readPage(win, sensitiveKeys, lastHref && pageRead.page.url);
      pageOptions = undefined;
      campaign = pageRead.campaign || campaign;
      lastHref = location.href;
    }
    if (page) pageOptions = page;
    const item: Item = {
      e: {
        id: uuid(),
        type,
        name,
        properties: { ...properties },
        timestamp: new Date(now).toISOString(),
        ...identity.touch(now),
        schema,
        traits: traits && { ...traits },
        context: {
          page: { ...pageRead.page, ...pageOptions },
          ...constant,
          campaign,
          consent: snapshot(),
          sampleRate: 1,
          library: LIBRARY,
        },
      },
      t: now,
    };
    if (consent.analytics) admit(item);
    else {
      held.push(item);
      bound(held);
    }
  };

  /** Takes over events left in the buffer by earlier visits and closed tabs (at most every 10 s). */
  const adopt = async () => {
    if (storing() && Date.now() - lastAdopt >= ADOPT_EVERY) {
      lastAdopt = Date.now();
      try {
        queue = (await buffer!.adopt(maxQueue)).map((e) => ({ e, t: Date.parse(e.timestamp) || Date.now() })).concat(queue);
        bound(queue);
      } catch (error) {
        storageError(error);
      }
    }
  };

  const settle = (ids: string[], outcome: DeliveryOutcome, status: number) => {
    const items = pick(ids);
    if (outcome === 'retry') {
      for (const item of items) item.s = false;
      // Page-exit sends released their stored copies early; keep them for a later try.
      store(
        'add',
        items.map((item) => item.e),
      );
    } else if (ids.length) {
      queue = queue.filter((item) => !items.includes(item));
      counts[outcome] += ids.length;
      if (outcome === 'rejected') report('delivery_failed', `${ids.length} event(s) refused: ${status}`);
      store('remove', ids);
    }
  };

  const send = (unloading?: boolean): Promise<void> => {
    if (!consent.analytics || destroyed) return resolved();
    if (!unloading && flushing) return flushing;
    const run = async () => {
      timer = void clearTimeout(timer);
      if (!unloading) {
        await adopt();
        // A tab that closes releases its events a moment later: look again while storing, even with nothing queued.
        if (storing()) schedule(ADOPT_EVERY);
      }
      const now = Date.now();
      drop(queue.length - (queue = queue.filter((item) => now - item.t < MAX_EVENT_AGE_MS)).length, 'too old');
      const ready = waiting();
      // Offline, nothing can leave: the `online` listener sends as soon as the network is back.
      if (!ready.length || nav.onLine === false) return;
      const { chunks, oversized } = chunkEvents(ready.map((item) => item.e));
      settle(
        oversized.map((e) => e.id),
        'rejected',
        413,
      );
      let full = false;
      const results = await Promise.all(
        chunks.map(async ({ body, ids, bytes }) => {
          // Keepalive requests in flight share 64 KiB: what does not fit waits for the next send (at page exit, for the
          // next visit, from the buffer). Later chunks wait too, so events leave in order.
          if (full || inflight + bytes > INFLIGHT_BUDGET) {
            full = true;
            return;
          }
          inflight += bytes;
          for (const item of pick(ids)) item.s = true;
          // The page may die before the answer: release the stored copies now, and store them again on failure.
          if (unloading) store('remove', ids);
          // `held` is replaced only when analytics is refused (see setConsent).
          const era = held;
          let result: TransportResult = { status: 0 };
          try {
            result =
              (await (unloading ? unloadTransport : transport).send({
                url,
                body,
                unloading: !!unloading,
              })) || result;
          } catch {
            // A transport that breaks its contract (throws or rejects) counts as a network failure: the events are retried.
          }
          inflight -= bytes;
          const outcome = classifyStatus(result.status);
          // Analytics was refused meanwhile (the events left the queue then): what did not arrive is dropped, never
          // stored or sent again.
          if (outcome === 'retry' && era != held) return drop(ids.length, 'consent refused');
          settle(ids, outcome, result.status);
          return outcome === 'retry' && result;
        }),
      );
      const failed = results.find(Boolean);
      if (!failed) attempt = retryAt = 0;
      else if (!unloading) {
        if (++attempt >= MAX_ATTEMPTS) {
          // Give up for this page; with storage consent the events stay in the buffer for the next visit.
          const left = waiting().length;
          queue = queue.filter((item) => item.s);
          if (!storing()) drop(left, 'too many attempts');
          attempt = retryAt = 0;
          return;
        }
        const delay = backoffDelay(attempt, failed.retryAfter);
        retryAt = Date.now() + delay;
        // Replaces a timer set while the request was in flight, which would retry too early or too late.
        schedule(delay, true);
      }
      // Without a backoff (retryAt 0) the delay is below 0, which sends at once.
      if (waiting().length) schedule(retryAt - Date.now());
    };
    const promise = run().catch((error) => report('delivery_failed', 'sending failed', error));
    return unloading ? promise : (flushing = promise.finally(() => (flushing = undefined)));
  };

  /** Page exit (hidden, closed, or destroy()): store the ids and send what fits with the unload transport. */
  const exit = () => {
    identity.save();
    send(true);
  };
  // pagehide and a hidden visibilitychange start a page exit; pageshow (back from the bfcache) or visible end it.
  const onHide = (event: Event) => {
    if ((hidden = event.type === 'pagehide' || doc.visibilityState === 'hidden')) exit();
  };
  const onOnline = () => {
    lastAdopt = attempt = retryAt = 0;
    send();
  };
  const listen = (method: 'addEventListener' | 'removeEventListener') => {
    doc[method]('visibilitychange', onHide);
    win[method]('pagehide', onHide);
    win[method]('pageshow', onHide);
    win[method]('online', onOnline);
  };
  listen('addEventListener');

  const becomeStoring = () => {
    identity.persist();
    store(
      'add',
      queue.map((item) => item.e),
    );
    lastAdopt = 0;
    // Only the buffer can hold events to send now; anything else waits for flushAt or flushInterval.
    if (buffer) send();
  };
  if (allowed()) becomeStoring();

  const safe =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (error) {
        if (process.env.NODE_ENV !== 'production') throw error;
        report('invalid_event', 'tracking call failed', error);
      }
    };

  return {
    track: safe((name: string, properties?: object) => record('track', name, properties)) as Tracker<M>['track'],
    page: safe((properties?: object, page?: PageOptions) => record('page', 'page_viewed', properties, page)) as Tracker<M>['page'],
    identify: safe((userId: string, traits?: UserTraits) => {
      if (userId && typeof userId == 'string') {
        identity.setUser(userId);
        record('identify', 'user_identified', {}, undefined, traits);
      } else if (process.env.NODE_ENV !== 'production') {
        throw new WaymarkError('invalid_event', 'identify(userId) needs a non-empty string user id');
      }
    }),
    reset: safe(identity.reset),
    setConsent: safe((choice: ConsentChoice) => {
      const wasAllowed = allowed();
      const wasAnalytics = consent.analytics;
      for (const key of CONSENT_KEYS) {
        if (typeof choice?.[key] === 'boolean') consent[key] = choice[key];
      }
      const refused = consent.analytics === false;
      if (refused) {
        // Withdrawn or refused: nothing waiting may be sent any more, now or on a later visit. Events in flight are
        // counted when their request ends; the new `held` array tells their send that a refusal came in between.
        drop(held.length + waiting().length, 'consent refused');
        held = [];
        queue = [];
      }
      if (choice?.storage === false || refused) identity.forget();
      if (choice?.storage === false || (refused && wasAllowed)) buffer?.clear().catch(storageError);
      // Stored ids load first, so held events carry the visitor's ids like the events after them.
      if (allowed() && !wasAllowed) becomeStoring();
      if (consent.analytics && !wasAnalytics) {
        const ids = identity.touch(Date.now());
        for (const item of held.splice(0)) {
          // Sent now with the consent that allows it, and the ids of this visit; the timestamp stays the original.
          Object.assign(item.e, ids);
          item.e.context.consent = snapshot();
          admit(item);
        }
      }
      if (consent.analytics) send();
    }),
    flush: async () => {
      // One send carries at most the in-flight budget, and an earlier send may still be in flight: go on while sends
      // settle events.
      for (let settled = -1; settled < (settled = counts.delivered + counts.rejected + counts.dropped); ) {
        await send();
        if (!waiting().length || Date.now() < retryAt) break;
      }
    },
    stats: () => ({ ...counts, queued: queue.length, held: held.length }),
    destroy: safe(() => {
      if (!destroyed) {
        exit();
        destroyed = true;
        clearTimeout(timer);
        listen('removeEventListener');
        buffer?.close();
      }
    }),
  };
}
