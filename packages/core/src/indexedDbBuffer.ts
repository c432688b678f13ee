import { deleteDB, openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { Envelope } from '@waymark/taxonomy';
import { getNavigator } from './env';
import type { EventBuffer } from './types';

/** Options of {@link indexedDbBuffer}. */
export interface IndexedDbBufferOptions {
  /**
   * Name of the IndexedDB database, and prefix of the Web Locks names (`<name>:tab:<tabId>`, `<name>:adopt`).
   * @default 'waymark'
   */
  name?: string;
  /**
   * Most events kept; beyond it the oldest are deleted and counted in `dropped`. Same bound as the in-memory queue:
   * a storage queue must stay capped so it never eats the origin's quota (Snowplow caps its localStorage queue for
   * that reason), and 1000 events is far below any browser's IndexedDB quota.
   * @default 1000
   */
  maxEvents?: number;
  /**
   * Milliseconds an event may wait for delivery; older events are deleted when another tab adopts them, and counted
   * in `dropped`. A week, because travellers come back to a blog days later, often from another network.
   * @default 604800000 (7 days)
   */
  maxAge?: number;
  /**
   * Called with any storage error (IndexedDB missing or blocked, quota exceeded in Safari private mode, …).
   * The buffer then behaves as empty; its methods still resolve.
   */
  onError?(error: unknown): void;
}

/** One stored event. */
interface StoredEvent {
  envelope: Envelope;
  /** Id of the tab that will send it. */
  owner: string;
  /** Milliseconds since the epoch; strictly increasing within a tab, so a batch keeps its order. */
  storedAt: number;
}

const EVENTS = 'events';
const BEATS = 'beats';
const BEAT_EVERY = 5000;
const BEAT_STALE = 15000;
const noop = () => {};

type Transaction = IDBPTransaction<unknown, string[], 'readwrite'>;

/** An open connection and the release of this tab's lock. */
interface Session {
  db: IDBPDatabase;
  release: () => void;
}

/**
 * A durable {@link EventBuffer} in IndexedDB, shared by the tabs of one origin. Each tab owns the events it adds;
 * {@link EventBuffer.adopt} hands over only events whose tab is gone, so two tabs never send the same event.
 *
 * Nothing is opened or read at creation: the database is opened on the first method call, which the tracker makes
 * only once storage consent is granted. Methods never reject: errors go to `onError` and the buffer acts as empty.
 *
 * A tab is alive while it holds the Web Lock `<name>:tab:<tabId>` (taken on first use, released by `close()` or when
 * the tab goes away). Browsers without Web Locks fall back to a heartbeat each tab writes every 5 s while it owns
 * events; an owner silent for 15 s counts as gone. That fallback can send an event twice only when a tab's timers were
 * frozen or throttled for more than 15 s and the tab then sends what it still holds; the collector's dedupe on the
 * event id removes that copy.
 *
 * @example
 * const buffer = indexedDbBuffer({ onError: (error) => console.debug(error) });
 * await buffer.add([envelope]); // owned by this tab until delivered
 * const leftBehind = await buffer.adopt(100); // events of closed tabs, now this tab's to send
 */
export function indexedDbBuffer(options: IndexedDbBufferOptions = {}): EventBuffer {
  const { name = 'waymark', maxEvents = 1000, maxAge = 7 * 864e5, onError } = options;
  const tabId = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const tabLock = (tab: string) => `${name}:tab:${tab}`;
  let dropped = 0;
  let lastStamp = 0;
  let session: Promise<Session | void> | undefined;
  let beat: ReturnType<typeof setInterval> | undefined;
  // Set by `close()`: later writes (a page-exit send that failed after the tracker was destroyed) still land, for the
  // next visit or another tab, but leave this tab owning nothing: no lock kept, no heartbeat.
  let closed = false;
  let pending: Envelope[] = [];
  let writing: Promise<void> | undefined;

  const locks = () => getNavigator()?.locks;

  const report = (error: unknown) => {
    if (process.env.NODE_ENV !== 'production' && !onError) {
      console.warn('[waymark] offline buffer error; events stay in memory only:', error);
    }
    try {
      onError?.(error);
    } catch {
      // A failing listener must not break the host app.
    }
  };

  const close = () => {
    clearInterval(beat);
    beat = undefined;
    // Waits for an open in progress, so its lock is released too.
    session?.then((closing) => {
      if (!closing) return;
      // Without Web Locks, deleting the heartbeat makes this tab's events adoptable at once (also one written by a
      // write still in progress: this transaction starts after it).
      if (!locks()) closing.db.delete(BEATS, tabId).catch(noop);
      closing.db.close();
      closing.release();
    });
    session = undefined;
  };

  const open = async (): Promise<Session> => {
    const db = await openDB(name, 1, {
      upgrade(db) {
        const events = db.createObjectStore(EVENTS, { keyPath: 'envelope.id' });
        events.createIndex('storedAt', 'storedAt');
        events.createIndex('owner', 'owner');
        db.createObjectStore(BEATS);
      },
      // Another tab deletes the database (consent withdrawn) or upgrades it: let it, and reopen on next use.
      blocking: close,
      terminated: close,
    });
    const lockManager = locks();
    // The tab lock must be held before this tab stores anything, or another tab would adopt its events.
    const release = lockManager
      ? await new Promise<() => void>((held) => {
          lockManager
            .request(tabLock(tabId), { mode: 'exclusive' }, () => new Promise<void>((done) => held(() => done())))
            .catch((error) => {
              report(error);
              held(noop);
            });
        })
      : noop;
    return { db, release };
  };

  /** Runs `work` on the open database; reports any error and resolves `empty` instead. */
  const run = async <T>(work: (db: IDBPDatabase) => Promise<T>, empty: T): Promise<T> => {
    try {
      session ??= open().catch(report);
      const current = await session;
      return current ? await work(current.db) : empty;
    } catch (error) {
      report(error);
      return empty;
    } finally {
      if (closed) close();
    }
  };

  /** One readwrite transaction over both stores; resolves with `work`'s result once committed. */
  const write = async <T>(db: IDBPDatabase, work: (tx: Transaction) => Promise<T>): Promise<T> => {
    const tx = db.transaction([EVENTS, BEATS], 'readwrite');
    const [result] = await Promise.all([work(tx), tx.done]);
    return result;
  };

  // Heartbeats are only needed without Web Locks, and only while this tab owns events.
  const heartbeat = (tx: Transaction) => (locks() ? undefined : tx.objectStore(BEATS).put(Date.now(), tabId));
  const startBeats = () => {
    if (locks() || closed) return;
    beat ??= setInterval(
      () =>
        run(
          (db) =>
            write(db, async (tx) => {
              if (await tx.objectStore(EVENTS).index('owner').count(tabId)) return heartbeat(tx);
              clearInterval(beat);
              beat = undefined;
              return tx.objectStore(BEATS).delete(tabId);
            }),
          undefined,
        ),
      BEAT_EVERY,
    );
  };

  /** Writes events in one transaction, dropping the oldest beyond `maxEvents`. */
  const put = (events: Envelope[]) =>
    run(async (db) => {
      let extra = 0;
      await write(db, async (tx) => {
        const store = tx.objectStore(EVENTS);
        await Promise.all(
          events.map((envelope) => {
            lastStamp = Math.max(Date.now(), lastStamp + 1e-3);
            return store.put({
              envelope,
              owner: tabId,
              storedAt: lastStamp,
            } satisfies StoredEvent);
          }),
        );
        await heartbeat(tx);
        extra = (await store.count()) - maxEvents;
        for (let cursor = await store.index('storedAt').openCursor(), left = extra; cursor && left-- > 0; ) {
          await cursor.delete();
          cursor = await cursor.continue();
        }
      });
      dropped += Math.max(extra, 0);
      startBeats();
    }, undefined);

  /** Writes the events added since the last write (the tracker adds one event at a time). */
  const flush = () => {
    const events = pending;
    pending = [];
    writing = undefined;
    return events.length ? put(events) : Promise.resolve();
  };

  return {
    // Adds made in the same task are written together, in one transaction, a microtask later.
    add: (events) => {
      pending.push(...events);
      return (writing ??= Promise.resolve().then(flush));
    },

    remove: (ids) => {
      // An event removed before its write (sent at page exit right after it was added) is not written at all.
      pending = pending.filter((envelope) => !ids.includes(envelope.id));
      return ids.length
        ? run(
            (db) =>
              write(db, async (tx) => {
                await Promise.all(ids.map((id) => tx.objectStore(EVENTS).delete(id)));
              }),
            undefined,
          )
        : Promise.resolve();
    },

    adopt: (limit) =>
      run(async (db) => {
        const lockManager = locks();
        const take = async () => {
          const now = Date.now();
          const snapshot = lockManager && (await lockManager.query());
          const held = new Set(snapshot ? snapshot.held?.map((lock) => lock.name) : []);
          let expired = 0;
          const adopted = await write(db, async (tx) => {
            const beats = tx.objectStore(BEATS);
            const seen = new Set<unknown>();
            for (let cursor = await beats.openCursor(); cursor; cursor = await cursor.continue()) {
              if (cursor.value > now - BEAT_STALE) seen.add(cursor.key);
              else await cursor.delete();
            }
            const alive = ({ owner, storedAt }: StoredEvent) =>
              owner === tabId ||
              (snapshot
                ? // Stored after the query started: its tab may have taken its lock too late for the snapshot.
                  held.has(tabLock(owner)) || storedAt >= now
                : seen.has(owner));
            const out: Envelope[] = [];
            const index = tx.objectStore(EVENTS).index('storedAt');
            for (let cursor = await index.openCursor(); cursor; cursor = await cursor.continue()) {
              const record: StoredEvent = cursor.value;
              if (alive(record)) continue;
              if (record.storedAt < now - maxAge) {
                await cursor.delete();
                expired++;
              } else if (out.length < limit) {
                await cursor.update({ ...record, owner: tabId });
                out.push(record.envelope);
              } else break;
            }
            if (out.length) await heartbeat(tx);
            return out;
          });
          dropped += expired;
          if (adopted.length) startBeats();
          return adopted;
        };
        return lockManager ? lockManager.request(`${name}:adopt`, { mode: 'exclusive' }, take) : take();
      }, [] as Envelope[]),

    clear: () => {
      pending = [];
      return run(async (db) => {
        await write(db, async (tx) => {
          await Promise.all([tx.objectStore(EVENTS).clear(), tx.objectStore(BEATS).clear()]);
        });
        db.close();
        close();
        // Resolves on `blocked` too: a connection that never closes must not keep consent withdrawal waiting.
        await new Promise((done, fail) => {
          deleteDB(name, { blocked: done }).then(done, fail);
        });
      }, undefined);
    },

    close: () => {
      closed = true;
      // Events added just before (at page exit) are written with the connection still open.
      flush();
      close();
    },

    get dropped() {
      return dropped;
    },
  };
}
