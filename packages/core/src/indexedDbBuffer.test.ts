import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import type { Envelope } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { indexedDbBuffer, type IndexedDbBufferOptions } from './indexedDbBuffer';
import type { EventBuffer } from './types';

let sequence = 0;
function envelope(): Envelope {
  sequence++;
  return {
    id: `event-${String(sequence).padStart(4, '0')}`,
    type: 'track',
    name: 'post_viewed',
    properties: { n: sequence },
    timestamp: new Date().toISOString(),
    anonymousId: 'anon-1',
    sessionId: 'session-1',
    schema: 'travel@1',
    context: {
      page: { url: 'https://blog.example/lisbon', path: '/lisbon' },
      consent: { analytics: true, storage: true, marketing: false, gpc: false },
      sampleRate: 1,
      library: { name: '@waymark/core', version: '0.1.0' },
    },
  };
}
const events = (count: number) => Array.from({ length: count }, envelope);
const ids = (list: Envelope[]) => list.map((event) => event.id);

let open: EventBuffer[] = [];
/** A buffer standing for one tab; closed after each test. */
function tab(options?: IndexedDbBufferOptions): EventBuffer {
  const buffer = indexedDbBuffer(options);
  open.push(buffer);
  return buffer;
}

/** Lets IndexedDB work started by a timer finish (fake-indexeddb schedules on real macrotasks). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Reads what is stored, as another program would. */
async function stored(name = 'waymark') {
  const db = await openDB(name);
  const result = { events: await db.getAll('events'), beats: await db.getAllKeys('beats') };
  db.close();
  return result;
}

/** Exclusive-only Web Locks, enough for the buffer's logic; real Chromium covers the real API. */
function fakeLockManager() {
  const tails = new Map<string, Promise<void>>();
  const holding = new Set<string>();
  return {
    async request(name: string, _options: LockOptions, callback: (lock: Lock | null) => unknown) {
      const previous = tails.get(name) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      tails.set(
        name,
        previous.then(() => mine),
      );
      await previous;
      holding.add(name);
      try {
        return await callback({ name, mode: 'exclusive' } as Lock);
      } finally {
        holding.delete(name);
        release();
      }
    },
    /** What the browser does when a tab crashes or is discarded: its locks are released. */
    tabGone() {
      holding.clear();
    },
    async query() {
      return { held: [...holding].map((name) => ({ name, mode: 'exclusive' as const, clientId: 'test' })), pending: [] };
    },
  };
}

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});

afterEach(() => {
  for (const buffer of open) buffer.close();
  open = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('indexedDbBuffer', () => {
  it('creates no database until a method is called', async () => {
    const buffer = tab();
    expect(await indexedDB.databases()).toEqual([]);
    await buffer.add(events(1));
    expect((await indexedDB.databases()).map((db) => db.name)).toEqual(['waymark']);
  });

  it('uses the name option for the database', async () => {
    await tab({ name: 'blog-events' }).add(events(1));
    expect((await indexedDB.databases()).map((db) => db.name)).toEqual(['blog-events']);
  });

  it('stores each event with its owner tab and time', async () => {
    const [first] = events(1);
    await tab().add([first]);
    const { events: records } = await stored();
    expect(records).toEqual([{ envelope: first, owner: expect.any(String), storedAt: expect.any(Number) }]);
  });

  it('hands events of a closed tab to another tab, oldest first, and keeps removals', async () => {
    const [one, two, three] = events(3);
    const [four] = events(1);
    const a = tab();
    await a.add([one, two, three]);
    await a.add([four]);
    await a.remove([two.id]);
    a.close();

    const b = tab();
    expect(await b.adopt(10)).toEqual([one, three, four]);
    await b.remove([one.id]);
    b.close();

    expect(await tab().adopt(10)).toEqual([three, four]);
  });

  it('writes the adds of one task in one transaction, in order', async () => {
    const list = events(4);
    const a = tab();
    await a.add([]);
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    await Promise.all(list.map((event) => a.add([event])));
    expect(transaction.mock.calls.filter(([, mode]) => mode === 'readwrite')).toHaveLength(1);
    a.close();
    expect(await tab().adopt(10)).toEqual(list);
  });

  it('does not write an event removed in the task that added it', async () => {
    const [kept, sent] = events(2);
    const a = tab();
    void a.add([kept]);
    void a.add([sent]);
    await a.remove([sent.id]);
    await a.add([]);
    a.close();
    expect(await tab().adopt(10)).toEqual([kept]);
  });

  it('writes events added just before close', async () => {
    const list = events(2);
    const a = tab();
    await a.add([]);
    void a.add(list);
    a.close();
    await settle();
    expect(await tab().adopt(10)).toEqual(list);
  });

  it('returns at most limit events and leaves the rest for later', async () => {
    const list = events(5);
    const a = tab();
    await a.add(list);
    a.close();
    const b = tab();
    expect(ids(await b.adopt(2))).toEqual(ids(list.slice(0, 2)));
    expect(ids(await b.adopt(10))).toEqual(ids(list.slice(2)));
  });

  it('never returns events a live tab owns, its own included', async () => {
    const a = tab();
    await a.add(events(2));
    expect(await a.adopt(10)).toEqual([]);
    expect(await tab().adopt(10)).toEqual([]);
  });

  it('returns an event once after its tab closes, to one of two tabs adopting at the same time', async () => {
    const list = events(6);
    const a = tab();
    await a.add(list);
    const b = tab();
    const c = tab();
    expect(await b.adopt(10)).toEqual([]);
    a.close();
    const [fromB, fromC] = await Promise.all([b.adopt(10), c.adopt(10)]);
    expect([...ids(fromB), ...ids(fromC)].sort()).toEqual(ids(list));
    expect(await b.adopt(10)).toEqual([]);
    expect(await c.adopt(10)).toEqual([]);
    expect(await tab().adopt(10)).toEqual([]);
  });

  it('drops the oldest events beyond maxEvents and counts them', async () => {
    const list = events(5);
    const a = tab({ maxEvents: 3 });
    await a.add(list.slice(0, 2));
    await a.add(list.slice(2));
    expect(a.dropped).toBe(2);
    a.close();
    const b = tab();
    expect(ids(await b.adopt(10))).toEqual(ids(list.slice(2)));
    expect(b.dropped).toBe(0);
  });

  it('drops events older than maxAge when adopting and counts them', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const a = tab();
    const old = events(2);
    await a.add(old);
    vi.setSystemTime(Date.now() + 6 * 864e5);
    const recent = events(1);
    await a.add(recent);
    a.close();
    vi.setSystemTime(Date.now() + 864e5 + 1);

    const b = tab();
    expect(ids(await b.adopt(10))).toEqual(ids(recent));
    expect(b.dropped).toBe(2);
    expect((await stored()).events.map((record) => record.envelope.id)).toEqual(ids(recent));
  });

  it('applies a custom maxAge', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const a = tab({ maxAge: 1000 });
    await a.add(events(1));
    a.close();
    vi.setSystemTime(Date.now() + 1001);
    const b = tab({ maxAge: 1000 });
    expect(await b.adopt(10)).toEqual([]);
    expect(b.dropped).toBe(1);
  });

  it('clear deletes every event and the database', async () => {
    const a = tab();
    const b = tab();
    await a.add(events(3));
    expect(await b.adopt(10)).toEqual([]);
    await a.clear();
    expect(await indexedDB.databases()).toEqual([]);
  });

  it('clear deletes a database left by an earlier visit before any other call', async () => {
    const earlier = tab();
    await earlier.add(events(1));
    earlier.close();
    await tab().clear();
    expect(await indexedDB.databases()).toEqual([]);
  });

  it('lets another tab keep storing after one tab clears', async () => {
    const a = tab();
    const b = tab();
    await b.add(events(1));
    await a.clear();
    const list = events(1);
    await b.add(list);
    expect((await stored()).events.map((record) => record.envelope)).toEqual(list);
  });

  it('starts empty after clear when used again', async () => {
    const a = tab();
    await a.add(events(2));
    await a.clear();
    const list = events(1);
    await a.add(list);
    a.close();
    expect(ids(await tab().adopt(10))).toEqual(ids(list));
  });

  describe('without Web Locks (heartbeats)', () => {
    it('keeps a live tab’s events while its heartbeat runs', async () => {
      vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
      const a = tab();
      await a.add(events(2));
      const b = tab();
      for (let i = 0; i < 4; i++) {
        await vi.advanceTimersByTimeAsync(5000);
        await settle();
      }
      expect(await b.adopt(10)).toEqual([]);
    });

    it('adopts the events of a tab silent for more than 15 s', async () => {
      vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
      const list = events(2);
      await tab().add(list);
      const b = tab();
      vi.setSystemTime(Date.now() + 14_000);
      expect(await b.adopt(10)).toEqual([]);
      // The owner's timers did not run (a frozen or crashed tab): its heartbeat is now stale.
      vi.setSystemTime(Date.now() + 2000);
      expect(ids(await b.adopt(10))).toEqual(ids(list));
      expect(await tab().adopt(10)).toEqual([]);
    });

    it('never returns a tab’s own events, even when its own heartbeat is late', async () => {
      vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
      const a = tab();
      await a.add(events(2));
      vi.setSystemTime(Date.now() + 16_000);
      expect(await a.adopt(10)).toEqual([]);
    });

    it('writes heartbeats only while the tab owns events', async () => {
      vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
      const a = tab();
      const list = events(1);
      await a.add(list);
      expect((await stored()).beats).toHaveLength(1);
      await a.remove(ids(list));
      await vi.advanceTimersByTimeAsync(5000);
      await settle();
      expect((await stored()).beats).toEqual([]);
    });

    it('makes a closed tab’s events adoptable at once', async () => {
      const list = events(1);
      const a = tab();
      await a.add(list);
      a.close();
      expect(ids(await tab().adopt(10))).toEqual(ids(list));
    });

    it('stores events added after close for another tab, without a heartbeat', async () => {
      vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
      const a = tab();
      a.close();
      // A page-exit send that failed after the tracker was destroyed puts its events back.
      const list = events(2);
      await a.add(list);
      await vi.advanceTimersByTimeAsync(5000);
      await settle();
      expect((await stored()).beats).toEqual([]);
      expect(ids(await tab().adopt(10))).toEqual(ids(list));
    });
  });

  describe('with Web Locks', () => {
    let locks: ReturnType<typeof fakeLockManager>;
    beforeEach(() => {
      locks = fakeLockManager();
      Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
    });
    afterEach(() => {
      delete (navigator as { locks?: unknown }).locks;
    });

    it('holds a tab lock from first use until close', async () => {
      const a = tab({ name: 'trip' });
      expect((await locks.query()).held).toEqual([]);
      await a.add(events(1));
      const held = (await locks.query()).held.map((lock) => lock.name);
      expect(held).toEqual([expect.stringMatching(/^trip:tab:.+/)]);
      a.close();
      await settle();
      expect((await locks.query()).held).toEqual([]);
    });

    it('stores events added after close for another tab, and holds no lock', async () => {
      const a = tab();
      await a.add(events(1));
      a.close();
      const list = events(2);
      await a.add(list);
      await settle();
      expect((await locks.query()).held).toEqual([]);
      expect(ids(await tab().adopt(10))).toHaveLength(3);
    });

    it('releases the tab lock when closed while still opening', async () => {
      const a = tab();
      const adding = a.add(events(1));
      a.close();
      await adding;
      await settle();
      expect((await locks.query()).held).toEqual([]);
    });

    it('keeps a live tab’s events however old its last write, and writes no heartbeat', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const a = tab();
      await a.add(events(2));
      vi.setSystemTime(Date.now() + 60_000);
      expect(await tab().adopt(10)).toEqual([]);
      expect((await stored()).beats).toEqual([]);
    });

    it('returns each event once when two tabs adopt at the same time', async () => {
      const list = events(8);
      const a = tab();
      await a.add(list);
      const b = tab();
      const c = tab();
      expect(await b.adopt(10)).toEqual([]);
      a.close();
      await settle();
      const [fromB, fromC] = await Promise.all([b.adopt(5), c.adopt(5)]);
      expect([...ids(fromB), ...ids(fromC)].sort()).toEqual(ids(list));
      expect([fromB.length, fromC.length].sort()).toEqual([3, 5]);
      expect(await tab().adopt(10)).toEqual([]);
    });

    it('adopts events whose tab is gone without closing', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const list = events(2);
      const a = tab();
      await a.add(list);
      const b = tab();
      expect(await b.adopt(10)).toEqual([]);
      locks.tabGone();
      vi.setSystemTime(Date.now() + 1);
      expect(ids(await b.adopt(10))).toEqual(ids(list));
    });

    it('skips events stored by a tab that took its lock after the lock snapshot', async () => {
      const b = tab();
      await b.adopt(10);
      const a = tab();
      const query = locks.query;
      locks.query = async () => {
        const snapshot = await query();
        await a.add(events(2));
        return snapshot;
      };
      expect(await b.adopt(10)).toEqual([]);
    });
  });

  describe('failures', () => {
    it('resolves as an empty buffer and reports once when IndexedDB is missing', async () => {
      // @ts-expect-error simulating a browser without IndexedDB
      delete globalThis.indexedDB;
      const onError = vi.fn();
      const buffer = tab({ onError });
      await expect(buffer.add(events(1))).resolves.toBeUndefined();
      await expect(buffer.remove(['event-x'])).resolves.toBeUndefined();
      await expect(buffer.adopt(10)).resolves.toEqual([]);
      await expect(buffer.clear()).resolves.toBeUndefined();
      expect(() => buffer.close()).not.toThrow();
      expect(buffer.dropped).toBe(0);
      expect(onError).toHaveBeenCalledTimes(1);
    });

    it('reports a quota error and keeps resolving', async () => {
      const onError = vi.fn();
      const buffer = tab({ onError });
      await buffer.adopt(1);
      vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      });
      await expect(buffer.add(events(1))).resolves.toBeUndefined();
      expect(onError).toHaveBeenCalledWith(expect.objectContaining({ name: 'QuotaExceededError' }));
      vi.restoreAllMocks();
      expect((await stored()).events).toEqual([]);
    });

    it('resolves even when onError throws', async () => {
      // @ts-expect-error simulating a browser without IndexedDB
      delete globalThis.indexedDB;
      const buffer = tab({
        onError() {
          throw new Error('listener bug');
        },
      });
      await expect(buffer.adopt(10)).resolves.toEqual([]);
    });

    it('warns in development when no onError is given', async () => {
      // @ts-expect-error simulating a browser without IndexedDB
      delete globalThis.indexedDB;
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      await tab().add(events(1));
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('[waymark]'), expect.anything());
    });
  });
});
