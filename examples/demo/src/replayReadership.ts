// IndexedDB in memory, for the offline readers' buffers.
import 'fake-indexeddb/auto';
import { sessionSampling } from '@waymark/core';
import type { Tracker, TrackerOptions } from '@waymark/core';
import { indexedDbBuffer } from '@waymark/core/offline';
import type { UserTraits } from '@waymark/taxonomy';
import { createRandom } from '../../../scripts/synthetic/createRandom';
import type { Visitor } from '../../../scripts/synthetic/createVisitor';
import { generateReadership } from '../../../scripts/synthetic/generateReadership';
import type { PageView, Visit } from '../../../scripts/synthetic/generateReadership';
import { syntheticSampling } from '../../../scripts/synthetic/toEnvelope';
import { blogPostPath } from './blogContent';
import type { ReplayNetwork, VisitorConnection } from './replayNetwork';
import type { VirtualClock } from './virtualClock';
import { createVisitorBrowser } from './visitorBrowser';
import type { BrowserTab, VisitorBrowser } from './visitorBrowser';

/** Options of {@link replayReadership}. */
export interface ReplayOptions {
  seed: number;
  days: number;
  visitors: number;
  /** First instant of the period, epoch ms (UTC midnight). */
  start: number;
  /** Visits that would start at or after this instant (later today) are not replayed: the period ends now. */
  end: number;
  /** The blog's origin: page URLs and the `Origin` of the tracker's requests. */
  blogOrigin: string;
  /** The collector's origin: the trackers' `endpoint`. */
  endpoint: string;
  /** The blog's public write key. */
  writeKey: string;
  clock: VirtualClock;
  network: ReplayNetwork;
  /** Stops the replay between two steps. */
  signal?: AbortSignal;
  /** Called after every step with the running counts. */
  onProgress?: (counts: ReplayCounts) => void;
}

/** What the replay did on the browsers' side. */
export interface ReplayCounts {
  /** The virtual clock, epoch ms. */
  at: number;
  /** Distinct visitors and their visits replayed, crawlers included. */
  visitors: number;
  visits: number;
  /** Tracker calls (`page`, `track`, `identify`): the events the readers' pages recorded. */
  tracked: number;
  /** Visitors who declined consent, and the events their trackers held in memory and never sent. */
  declinedVisitors: number;
  declinedEvents: number;
  /** Crawler visits (their User-Agents are bots; the collector drops their events). */
  botVisits: number;
  /** Visits read offline, sent when the device came back online (the offline buffer). */
  offlineVisits: number;
  /** Events the tracker's session sampling left out (`scroll_depth_reached` in half the sessions). */
  sampledOut: number;
  /** Events the trackers gave up on (queue full, too old, too many attempts), and events the collector refused with a 4xx. */
  droppedByTracker: number;
  rejectedByStatus: number;
  /** Events still waiting in a tracker or an offline buffer when the replay ended. */
  unsent: number;
  /** Errors the trackers reported through `onError`, by code. */
  trackerErrors: Record<string, number>;
}

/** The replay tracks whatever the readership model says; the catalogue's types are checked by the collector. */
type UntypedTracker = { track(name: string, properties: Record<string, unknown>): void };

/** Route pattern of the React blog's post pages; its other routes are the generator's. */
const POST_ROUTE = '/destinations/:country/:slug';
const DESTINATION_ROUTE = '/destinations/:country';
/** The trackers' own 5-second timer is replaced by flushes at the send times the readership model assigns. */
const NO_TIMER = 2_000_000_000;
const SECOND = 1000;

/** The page's path and route as the served React blog has them (posts live under their country there). */
function blogPage(page: PageView): { path: string; route: string } {
  if (page.kind === 'post' && page.post) return { path: blogPostPath(page.post), route: POST_ROUTE };
  if (page.kind === 'destination') return { path: page.path, route: DESTINATION_ROUTE };
  return { path: page.path, route: page.route };
}

/** A min-heap of steps by time, then by the order they were scheduled in. */
interface Step {
  at: number;
  seq: number;
  offset: number;
  run: () => Promise<void> | void;
}

function createHeap() {
  const items: Step[] = [];
  const less = (a: Step, b: Step) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  return {
    get size() {
      return items.length;
    },
    peek: () => items[0],
    push(step: Step) {
      items.push(step);
      for (let i = items.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!less(items[i], items[parent])) break;
        [items[i], items[parent]] = [items[parent], items[i]];
        i = parent;
      }
    },
    pop(): Step {
      const top = items[0];
      const last = items.pop()!;
      if (items.length > 0) {
        items[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < items.length && less(items[l], items[m])) m = l;
          if (r < items.length && less(items[r], items[m])) m = r;
          if (m === i) break;
          [items[i], items[m]] = [items[m], items[i]];
          i = m;
        }
      }
      return top;
    },
  };
}

/** One visitor's device: the browser (its storage outlives a visit) and its network, offline until `offlineUntil`. */
interface Device {
  browser: VisitorBrowser;
  connection: VisitorConnection;
  offlineUntil: number;
  /** A lost answer is due on the next request (a flaky connection coming back). */
  loseNext: boolean;
}

/** A deterministic IPv6 address from the documentation range for a visitor: headers only, never contacted. */
const visitorIp = (index: number) => `2001:db8::${(index >>> 16).toString(16)}:${(index & 0xffff).toString(16)}`;

const bufferName = (index: number) => `waymark-device-${index}`;

/** Lets the microtasks a tracker call queued run: a send starts a few promise reactions after `track()` returns. */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 16; i++) await Promise.resolve();
}

/**
 * Replays a seeded synthetic readership through the real tracker: one tracker per visit on the visitor's own
 * (simulated) browser, consent asked on every visit as the React blog's banner does, the visitor's User-Agent, IP and
 * country on every request, and a virtual clock so every event carries its historical time. Steps (each action of
 * each visit, the sends the readership model times, page exits) run in time order across all visits; the collector
 * receives each batch at the virtual instant the tracker sent it (see `createReplayNetwork`), so its clock-skew
 * correction sees only the offsets of devices whose clocks are wrong.
 *
 * Decliners' trackers stay in strict mode and never send. Crawlers run the tracker with bot User-Agents. Offline
 * readers get the IndexedDB offline buffer (`fake-indexeddb`): their requests fail until their device is back online,
 * when a new page load sends what the buffer kept, with the original timestamps; half the time the first answer after
 * coming back is lost on the way, so the tracker sends that batch again and the collector drops the duplicates.
 */
export async function replayReadership(options: ReplayOptions): Promise<ReplayCounts> {
  const { clock, network, signal } = options;
  const counts: ReplayCounts = {
    at: clock.now(),
    visitors: 0,
    visits: 0,
    tracked: 0,
    declinedVisitors: 0,
    declinedEvents: 0,
    botVisits: 0,
    offlineVisits: 0,
    sampledOut: 0,
    droppedByTracker: 0,
    rejectedByStatus: 0,
    unsent: 0,
    trackerErrors: {},
  };
  const sampler = sessionSampling({ events: { ...syntheticSampling } });
  const devices = new Map<number, Device>();
  const seen = new Set<number>();
  const declined = new Set<number>();
  // Every tracker of the replay: their counters are read once all answers are in.
  const trackers: { tracker: Tracker; declined: boolean; buffered: boolean }[] = [];
  // Visitors whose devices have an offline buffer (one IndexedDB database each).
  const buffers = new Set<number>();
  const heap = createHeap();
  let seq = 0;
  const schedule = (at: number, visitor: Visitor, run: Step['run']) => heap.push({ at: Math.round(at), seq: seq++, offset: visitor.clockOffsetMs, run });

  const deviceOf = (visitor: Visitor): Device => {
    let device = devices.get(visitor.index);
    if (device) return device;
    const browser = createVisitorBrowser({
      language: visitor.locale,
      width: visitor.screen === 'mobile' ? 390 : visitor.screen === 'tablet' ? 820 : 1440,
      gpc: visitor.gpc,
    });
    const state: Device = {
      browser,
      offlineUntil: 0,
      loseNext: false,
      connection: {
        userAgent: visitor.userAgent.userAgent,
        ip: visitorIp(visitor.index),
        country: visitor.homeCountry,
        gpc: visitor.gpc,
        online: () => clock.now() >= state.offlineUntil,
        loseAnswer: () => {
          const lose = state.loseNext;
          state.loseNext = false;
          return lose;
        },
      },
    };
    // Only devices that keep ids need to be remembered between visits.
    if (visitor.storesIds) devices.set(visitor.index, state);
    return state;
  };

  /** A page load in a new tab of the visitor's browser, and its tracker. */
  const load = (visitor: Visitor, device: Device, tab: BrowserTab): Tracker => {
    const trackerOptions: TrackerOptions = {
      endpoint: options.endpoint,
      writeKey: options.writeKey,
      consent: 'strict',
      transport: network.transport(device.connection),
      flushInterval: NO_TIMER,
      sampling: (envelope) => {
        const rate = sampler(envelope);
        if (rate === 0) counts.sampledOut += 1;
        return rate;
      },
      onError: (error) => {
        counts.trackerErrors[error.code] = (counts.trackerErrors[error.code] ?? 0) + 1;
      },
    };
    if (visitor.offlineReader) {
      trackerOptions.buffer = indexedDbBuffer({ name: bufferName(visitor.index), onError: () => undefined });
      buffers.add(visitor.index);
    }
    const tracker = tab.load(trackerOptions);
    trackers.push({ tracker, declined: visitor.consent === 'declined', buffered: visitor.offlineReader });
    return tracker;
  };

  // Page exits still sending: the replay waits for them at the end.
  const leaving = new Set<Promise<void>>();
  /**
   * The page is left: page hide, then the tracker is gone. The replay runs days in seconds, so a page is left long
   * before (in real time) the collector answered its earlier requests, and the tracker would count their bytes
   * against the page-exit budget and keep what does not fit for a next visit. A browser has its answers within a
   * second, long before the reader leaves: so the replay lets the tracker send everything first (`flush()` waits for
   * the answers) and only then hides the page.
   */
  const close = (tracker: Tracker, device: Device, tab: BrowserTab) => {
    const exit = tracker
      .flush()
      .then(() => {
        // Still offline when the tab is closed: the browser knows it, and the tracker leaves the events in its buffer.
        if (!device.connection.online()) device.browser.setOnline(false);
        tab.leave();
        tracker.destroy();
      })
      .finally(() => leaving.delete(exit));
    leaving.add(exit);
  };

  const consentOf = (visitor: Visitor) => ({
    analytics: visitor.consentSnapshot.analytics,
    storage: visitor.consentSnapshot.storage,
    marketing: visitor.consentSnapshot.marketing,
  });

  function scheduleVisit(visit: Visit): void {
    const { visitor } = visit;
    const device = deviceOf(visitor);
    const random = createRandom(visit.idSeed);
    const declines = visitor.consent === 'declined';
    counts.visits += 1;
    if (!seen.has(visitor.index)) {
      seen.add(visitor.index);
      counts.visitors += 1;
    }
    if (declines && !declined.has(visitor.index)) {
      declined.add(visitor.index);
      counts.declinedVisitors += 1;
    }
    if (visitor.kind === 'bot') counts.botVisits += 1;
    const tab = device.browser.openTab();
    let tracker: Tracker | undefined;
    let page = -1;

    visit.actions.forEach((action, index) => {
      schedule(action.at, visitor, () => {
        if (index === 0) {
          if (visit.offline) {
            counts.offlineVisits += 1;
            // The device reads offline, and is back online when the model says the buffer was sent.
            device.offlineUntil = Math.max(device.offlineUntil, Math.min(action.sentAt, options.end));
          }
          tracker = load(visitor, device, tab);
        }
        if (action.page !== page) {
          page = action.page;
          const view = visit.pages[page];
          const { path } = blogPage(view);
          const url = new URL(view.url);
          // A page load on the first page (the browser's referrer), a client-side navigation after it.
          tab.open(`${options.blogOrigin}${path}${url.search}`, view.title, index === 0 ? (view.referrer ?? '') : undefined);
        }
        counts.tracked += 1;
        if (action.type === 'page') tracker!.page(action.properties, { route: blogPage(visit.pages[action.page]).route, title: visit.pages[action.page].title });
        else if (action.type === 'identify') tracker!.identify(visitor.userId!, action.traits as UserTraits);
        else (tracker as unknown as UntypedTracker).track(action.name, action.properties);
        // The reader answers the consent banner after the first page view (held until then, sent with its own time).
        if (index === 0 && !declines) tracker!.setConsent(consentOf(visitor));
      });
    });

    const last = visit.actions[visit.actions.length - 1];
    if (!visit.offline) {
      // The tracker's 5-second timer and page-hide sends, at the times the readership model gives them.
      for (const sentAt of new Set(visit.actions.map((a) => a.sentAt))) {
        if (sentAt > 0 && !declines) schedule(sentAt, visitor, () => void tracker?.flush());
      }
    }
    const leaveAt = Math.max(last.at, ...(visit.offline ? [] : visit.actions.map((a) => a.sentAt))) + SECOND;
    schedule(leaveAt, visitor, () => {
      if (tracker) close(tracker, device, tab);
    });

    if (visit.offline) {
      // Back online: the reader opens the blog again, and the new page's tracker sends what the buffer kept.
      const backAt = Math.max(leaveAt + SECOND, Math.min(last.sentAt, options.end));
      let again: Tracker | undefined;
      const back = device.browser.openTab();
      schedule(backAt, visitor, async () => {
        device.browser.setOnline(true);
        device.loseNext = random.chance(0.5);
        back.open(`${options.blogOrigin}/`, 'Wayfarer travel blog', '');
        again = load(visitor, device, back);
        again.setConsent(consentOf(visitor));
        // Adopting the buffer's events takes a few IndexedDB round trips: the step ends once they are sent.
        await again.flush();
      });
      // The tracker's retry after a lost answer, a few seconds later.
      schedule(backAt + 3 * SECOND, visitor, () => again?.flush());
      schedule(backAt + 10 * SECOND, visitor, () => {
        if (again) close(again, device, back);
      });
    }
  }

  const visits = generateReadership({ seed: options.seed, start: options.start, days: options.days, visitors: options.visitors, origin: options.blogOrigin })[
    Symbol.iterator
  ]();
  let next = visits.next();
  for (;;) {
    while (!next.done && (heap.size === 0 || next.value.start <= heap.peek().at)) {
      if (next.value.start >= options.end) {
        next = { done: true, value: undefined };
        break;
      }
      scheduleVisit(next.value);
      next = visits.next();
    }
    if (heap.size === 0 || signal?.aborted) break;
    const step = heap.pop();
    clock.set(step.at);
    // A visitor's device clock may be off: its tracker reads it, also in answers and retries that come later.
    await clock.onDevice(step.offset, async () => {
      await step.run();
      // Sends the step started (10 events queued, a consent grant) leave in a few microtasks: at this instant.
      await drainMicrotasks();
    });
    // Backpressure: the replay gets ahead of the collector by at most a bounded number of requests.
    await network.belowLimit();
    counts.at = clock.now();
    options.onProgress?.(counts);
  }
  while (leaving.size > 0) await Promise.all(leaving);
  await network.idle();
  for (const { tracker, declined, buffered } of trackers) {
    const stats = tracker.stats();
    if (declined) counts.declinedEvents += stats.held;
    else {
      counts.droppedByTracker += stats.dropped;
      counts.rejectedByStatus += stats.rejected;
      // A buffering tracker's queue is also in its offline buffer, which a later page of the visitor may have sent.
      if (!buffered) counts.unsent += stats.queued + stats.held;
    }
  }
  // What the offline buffers still hold: events no later page took over.
  for (const index of buffers) {
    const buffer = indexedDbBuffer({ name: bufferName(index) });
    counts.unsent += (await buffer.adopt(Number.MAX_SAFE_INTEGER)).length;
    buffer.close();
  }
  return counts;
}
