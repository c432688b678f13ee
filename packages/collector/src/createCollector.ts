import type { Sink, SinkEvent, WriteResult } from '@waymark/sinks';
import { fanOutSink } from '@waymark/sinks';
import type { DuckDBConnection } from '@duckdb/node-api';
import { batchSchema, formatIssues, travelCatalogue, validateEnvelope } from '@waymark/taxonomy';
import type { Catalogue, Envelope } from '@waymark/taxonomy';
import { Hono } from 'hono';
import { createDailySalts } from './dailySalts';
import { createDataRights } from './dataRights';
import type { PurgeReport } from './dataRights';
import { duckdbStoreConfig, openDuckdbStore } from './duckdbStore';
import type { CollectorStore, FailedEventFilter, FailedRecord, IngestStatsRow } from './duckdbStore';
import { classifyUserAgent, createRequestCache, enrichEvent, pseudonymise, scrubPayload } from './enrichEvent';
import { createEventStream } from './eventStream';
import type { CollectedEvent } from './enrichEvent';
import { createGroupCommit } from './groupCommit';
import { HttpError, problemResponse } from './HttpError';
import { createMetrics, recordSinkWrite, renderMetrics } from './metrics';
import type { RejectReason } from './metrics';
import { createRateLimiter } from './rateLimiter';
import type { RateLimitOptions } from './rateLimiter';
import { readBody } from './readBody';
import { registerReadApi } from './readApi';
import { createReadKeyring } from './readKeys';
import type { ReadKeyOptions } from './readKeys';
import { createIdWindow, idFingerprint } from './idWindow';
import type { IdFingerprint } from './idWindow';
import { createRecentIds } from './recentIds';

/** One site that may send events: its public write key and the origins its pages are served from. */
export interface SiteOptions {
  /** Stable site id, stored with each event as `context.server.siteId`. */
  id: string;
  /** Public write key sent as `?key=`; it can only write. */
  writeKey: string;
  /** Origins allowed to send with this key, such as `https://blog.example`. Compared exactly, scheme and port included. */
  origins: string[];
  /**
   * Accept requests that carry neither `Origin` nor `Referer` (server-to-server senders). Browsers always send
   * `Origin` on a POST, so leave it off for browser-only sites. @default false
   */
  allowMissingOrigin?: boolean;
}

/** A subject an erasure has put on the suppression list. Ids are as stored: `userId` already pseudonymised. */
export interface SuppressionSubject {
  siteId: string;
  anonymousId: string;
  userId?: string;
}

/**
 * Work the collector runs on its own store from time to time, such as keeping the report rollups fresh
 * (`@waymark/report`'s `waymark serve` passes `refreshRollups` here).
 */
export interface MaintenanceOptions {
  /**
   * Pause between the end of one run and the start of the next, in ms, at most 2147483647 (about 24.8 days, the
   * longest a timer waits); the first run starts once the store is open.
   */
  everyMs: number;
  /**
   * The work, on a DuckDB connection of the store kept for it (time zone UTC). Runs never overlap each other, an
   * erasure or a retention purge; ingestion goes on meanwhile. A rejection is logged and counted in `/metrics`
   * (`waymark_maintenance_failures_total`) and the next run is still scheduled.
   */
  run(connection: DuckDBConnection): Promise<unknown>;
}

/** What `POST /v1/failed-events/replay` did, per failed event it read. */
export interface ReplayReport {
  /** Now valid and stored (with `context.server.replayed = true`), and removed from the failed events. */
  replayed: number;
  /** Now valid but already stored under the same id; removed from the failed events. */
  duplicates: number;
  /** Now valid but never to be stored (no analytics consent, or the subject was erased); removed from the failed events. */
  dropped: number;
  /** Still refused (catalogue, size or nesting); left in the failed events. */
  stillFailing: number;
}

/** Options of {@link createCollector}. */
export interface CollectorOptions {
  /** The sites this collector accepts events for. */
  sites: SiteOptions[];
  /**
   * HMAC-SHA-256 key that pseudonymises `userId` before anything stores it: 32 bytes, as a `Uint8Array` or 64 hex
   * characters (`openssl rand -hex 32`). Keep it apart from the data; rotating it unlinks old and new pseudonyms.
   */
  userIdKey: string | Uint8Array;
  /**
   * The DuckDB file holding `waymark_events` and `waymark_failed_events`, and how much memory (`memoryLimit`, such
   * as `'1GB'`; default `'512MB'`) and how many threads (default: one per core) DuckDB may use.
   * @default { path: 'waymark.duckdb' }
   */
  store?: { path: string; memoryLimit?: string; threads?: number };
  /**
   * More sinks every stored event is forwarded to (through `fanOutSink`) after the store has committed it. A slow
   * or failing forward never delays or fails ingestion; wrap a sink in `retryingSink`/`deadLetterSink` as it needs.
   * @default []
   */
  sinks?: Sink[];
  /** Catalogues events are validated against. @default [travelCatalogue] */
  catalogues?: Catalogue[];
  /**
   * Headers set by a reverse proxy you trust (it must overwrite what clients send). Without `ipHeader` the client IP
   * is the socket address the adapter passes; without `countryHeader` no country is recorded.
   * @default {}
   */
  trustedProxy?: {
    /** Such as `cf-connecting-ip` or `x-real-ip`; for `x-forwarded-for` the first address is used. */
    ipHeader?: string;
    /** Such as `cf-ipcountry`: an ISO 3166-1 alpha-2 code. */
    countryHeader?: string;
  };
  /** Query keys kept in page URLs besides `utm_*` and `ref`. @default [] */
  keepQueryKeys?: string[];
  /** What to do with events whose User-Agent is a bot: mark them (`context.server.bot`) or not store them. @default 'flag' */
  bots?: 'flag' | 'drop';
  /** Token bucket per site and client IP; `false` turns it off. @default { perSecond: 20, burst: 100 } */
  rateLimit?: RateLimitOptions | false;
  /** Size limits. */
  limits?: {
    /** Largest request body in bytes; 413 above it. @default 512000 */
    maxBodyBytes?: number;
    /** Largest single event (its JSON) in bytes; such an event is rejected alone. @default 32768 */
    maxEventBytes?: number;
    /** Deepest nesting of objects and arrays in one event. @default 32 */
    maxDepth?: number;
  };
  /** Dedupe by event id. */
  dedupe?: {
    /** How long a stored id answers `duplicate`; events older than this are rejected as too old. @default 7 days */
    windowMs?: number;
    /**
     * The most recent ids held exactly in memory, which answer repeats without asking the store. Every id of the
     * window is also held as a 64-bit fingerprint (about 16 bytes each); an id whose fingerprint is held but which
     * is not among these is looked up in the store. @default 100000
     */
    maxIds?: number;
  };
  /** How long the first request of a group waits for others before one commit writes them all, in ms (0 to 60000). @default 5 */
  commitWindowMs?: number;
  /**
   * Whether an erased subject's events must be refused (the suppression list after an erasure). Called once per
   * event that would otherwise be stored; such events are answered `rejected` and stored nowhere.
   * @default () => false
   */
  isSuppressed?: (subject: SuppressionSubject) => boolean | Promise<boolean>;
  /**
   * Secret keys of the read API (query, export, erasure, stream, dashboard, `/metrics`), each with a role:
   * `admin`, `creator` (bound to an `authorId`) or `marketing` (aggregates only). Give each key's SHA-256 as
   * `{ hash: 'sha256:<hex>' }` (see `hashReadKey`) or the raw `key`, which is hashed at start. Without read keys
   * every read route answers 401 and `/metrics` is open.
   * @default []
   */
  readKeys?: ReadKeyOptions[];
  /** Token bucket per read key for the read routes; `false` turns it off. @default { perSecond: 5, burst: 60 } */
  readRateLimit?: RateLimitOptions | false;
  /** How long raw and failed events are kept, and how often the purge runs. */
  retention?: {
    /** Events that happened more than this many calendar months ago are deleted. @default 25 */
    months?: number;
    /** Interval of the purge, in ms, at most 2147483647 (about 24.8 days); `0` runs it only through `purgeExpired()`. @default 3600000 */
    intervalMs?: number;
  };
  /**
   * Work to run on the store from time to time, such as refreshing the report rollups. Off unless given.
   * @default undefined
   */
  maintenance?: MaintenanceOptions;
  /** Where problems are logged. @default console */
  logger?: Pick<Console, 'error' | 'warn'>;
  /** The clock, epoch ms. @default Date.now */
  now?: () => number;
}

/** Per-request facts the runtime adapter knows and a `Request` does not carry. */
export interface RequestInfo {
  /** The peer's IP address (the socket's remote address). Used for rate limiting and the visitor hash, never stored. */
  clientIp?: string;
}

/** The outcome of one event of a batch, in the order they were sent. */
export interface EventResult {
  /** The event's id, or null when it had no string id. */
  id: string | null;
  status: 'accepted' | 'duplicate' | 'rejected';
  /** Why it was rejected. */
  reason?: string;
}

/** A running collector. */
export interface Collector {
  /**
   * Answers one HTTP request: `POST /v1/batch`, `OPTIONS /v1/batch`, the read API (`/v1/key`, `/v1/query`,
   * `/v1/events`, `/v1/subjects/{id}`, `/v1/erasures`, `/v1/failed-events/replay`, `/v1/stream`), `GET /health`,
   * `GET /metrics`, `GET /openapi.json` and `GET /dashboard`. `GET /openapi.json` documents every route.
   */
  fetch(request: Request, info?: RequestInfo): Promise<Response>;
  /** Resolves once the store is open; rejects with the reason it cannot be (such as another process holding the file). */
  ready(): Promise<void>;
  /** Ends every open `GET /v1/stream` response, so a server waiting for its connections to end can stop. */
  closeStreams(): void;
  /** Deletes raw and failed events older than the retention period (`retention.months`) now; also runs on a timer. */
  purgeExpired(): Promise<PurgeReport>;
  /** Stops taking batches, commits what is in flight, waits for forwards, then closes the sinks and the store. */
  close(): Promise<void>;
}

/** An event to store, with what its failed record would need should the store refuse it (the payload is made then). */
type Item = { event: CollectedEvent; raw: unknown; siteId: string } | { failed: FailedRecord };
type Outcome = { status: EventResult['status']; reason?: string };

const DAY_MS = 86_400_000;
const STATS_FLUSH_MS = 1000;
/** The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days); above it Node fires the timer after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
/** How long `/metrics` waits for the store's memory figure before answering without it. */
const METRICS_STORE_WAIT_MS = 1000;
/** Longest `commitWindowMs`: every request of a group waits up to that long before its commit starts. */
const MAX_COMMIT_WINDOW_MS = 60_000;

function toKey(key: string | Uint8Array): Buffer {
  const buffer = typeof key === 'string' ? (/^[0-9a-f]{64}$/i.test(key) ? Buffer.from(key, 'hex') : Buffer.alloc(0)) : Buffer.from(key);
  if (buffer.length !== 32) {
    throw new TypeError('[waymark] createCollector: `userIdKey` must be 32 bytes (a Uint8Array, or 64 hex characters from `openssl rand -hex 32`)');
  }
  return buffer;
}

/** Nesting depth of a JSON value, without recursion (a hostile event may nest thousands of levels). */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const nodes: unknown[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    if (Array.isArray(node)) {
      for (const child of node) {
        if (child !== null && typeof child === 'object') {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        if (!Object.hasOwn(node, key)) continue;
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return deepest;
}

const countryPattern = /^[A-Z]{2}$/;

/** User-Agents whose classes are remembered, and the longest one remembered (longer ones are classified each time). */
const UA_CACHE_SIZE = 1000;
const UA_CACHE_MAX_LENGTH = 512;

/**
 * Creates the collector: a `fetch(Request) => Response` function that takes batches from `@waymark/core`, checks
 * the write key, origin, rate and size, validates each event against the catalogue, enriches it (receipt time,
 * clock skew, device class, country, pseudonymised user id, daily visitor hash) while dropping the raw IP,
 * User-Agent and query strings, dedupes by id, and answers 2xx only once the store has committed.
 * @example
 * ```ts
 * import { createCollector } from '@waymark/collector';
 * import { serve } from '@waymark/collector/node';
 *
 * const collector = createCollector({
 *   sites: [{ id: 'blog', writeKey: 'wk_blog_public', origins: ['https://blog.example'] }],
 *   userIdKey: process.env.WAYMARK_USER_ID_KEY!,
 *   store: { path: './waymark.duckdb' },
 * });
 * await serve(collector, { port: 8787 });
 * ```
 */
export function createCollector(options: CollectorOptions): Collector {
  if (!Array.isArray(options?.sites) || options.sites.length === 0) {
    throw new TypeError("[waymark] createCollector: `sites` needs at least one site: [{ id: 'blog', writeKey: '…', origins: ['https://blog.example'] }]");
  }
  const userIdKey = toKey(options.userIdKey);
  const sites = new Map<string, SiteOptions & { allowed: Set<string> }>();
  for (const site of options.sites) {
    if (!site.id || !site.writeKey) throw new TypeError('[waymark] createCollector: every site needs an `id` and a `writeKey`');
    if (sites.has(site.writeKey)) throw new TypeError(`[waymark] createCollector: write key of site "${site.id}" is used twice`);
    const allowed = new Set(
      (site.origins ?? []).map((origin) => {
        try {
          return new URL(origin).origin;
        } catch {
          throw new TypeError(`[waymark] createCollector: origin ${JSON.stringify(origin)} of site "${site.id}" is not a URL such as https://blog.example`);
        }
      }),
    );
    sites.set(site.writeKey, { ...site, allowed });
  }
  // Checked now, so a bad setting fails createCollector rather than the first request.
  duckdbStoreConfig(options.store ?? {});
  const now = options.now ?? Date.now;
  const logger = options.logger ?? console;
  const catalogues = options.catalogues ?? [travelCatalogue];
  const keepQueryKeys = options.keepQueryKeys ?? [];
  const maxBodyBytes = options.limits?.maxBodyBytes ?? 512_000;
  const maxEventBytes = options.limits?.maxEventBytes ?? 32_768;
  const maxDepth = options.limits?.maxDepth ?? 32;
  const windowMs = options.dedupe?.windowMs ?? 7 * DAY_MS;
  const ipHeader = options.trustedProxy?.ipHeader?.toLowerCase();
  const countryHeader = options.trustedProxy?.countryHeader?.toLowerCase();
  const limiter = options.rateLimit === false ? undefined : createRateLimiter(options.rateLimit);
  const salts = createDailySalts();
  const maxIds = options.dedupe?.maxIds ?? 100_000;
  const recent = createRecentIds(windowMs, maxIds);
  const fingerprints = createIdWindow(windowMs);
  const metrics = createMetrics();
  const keyring = createReadKeyring(options.readKeys);
  const readLimiter = options.readRateLimit === false ? undefined : createRateLimiter({ perSecond: 5, burst: 60, ...options.readRateLimit });
  const retentionMonths = options.retention?.months ?? 25;
  const maintenance = options.maintenance;
  if (maintenance !== undefined && (typeof maintenance.run !== 'function' || !(Number.isFinite(maintenance.everyMs) && maintenance.everyMs > 0))) {
    throw new TypeError('[waymark] createCollector: `maintenance` needs `run(connection)` and `everyMs` above 0, such as { everyMs: 60000, run: refresh }');
  }
  if (maintenance !== undefined && maintenance.everyMs > MAX_TIMER_MS) {
    throw new TypeError(`[waymark] createCollector: \`maintenance.everyMs\` must be at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest a timer can wait`);
  }
  const retentionInterval = options.retention?.intervalMs;
  if (retentionInterval !== undefined && !(typeof retentionInterval === 'number' && retentionInterval >= 0 && retentionInterval <= MAX_TIMER_MS)) {
    throw new TypeError(
      `[waymark] createCollector: \`retention.intervalMs\` must be 0 (purge only through purgeExpired()) or a number of ms up to ${MAX_TIMER_MS} (about 24.8 days), the longest a timer can wait`,
    );
  }
  if (!Number.isInteger(retentionMonths) || retentionMonths < 1) throw new TypeError('[waymark] createCollector: `retention.months` must be a whole number of months, at least 1');
  const commitWindowMs = options.commitWindowMs ?? 5;
  if (!(typeof commitWindowMs === 'number' && commitWindowMs >= 0 && commitWindowMs <= MAX_COMMIT_WINDOW_MS)) {
    throw new TypeError(
      `[waymark] createCollector: \`commitWindowMs\` must be a number of ms from 0 to ${MAX_COMMIT_WINDOW_MS} (every request waits up to that long before its commit), got ${String(commitWindowMs)}`,
    );
  }
  const stream = createEventStream();
  // Parsing a User-Agent costs more than the rest of a small request; most requests repeat a few hundred of them.
  const userAgents = new Map<string, ReturnType<typeof classifyUserAgent>>();
  const classify = (userAgent: string) => {
    let classes = userAgents.get(userAgent);
    if (classes === undefined) {
      classes = classifyUserAgent(userAgent);
      if (userAgent.length <= UA_CACHE_MAX_LENGTH) {
        if (userAgents.size >= UA_CACHE_SIZE) userAgents.delete(userAgents.keys().next().value!);
        userAgents.set(userAgent, classes);
      }
    }
    return classes;
  };
  const forwards = new Set<Promise<unknown>>();
  let forwarding = 0;
  let closing = false;

  const timed = (sink: Sink): Sink => ({
    name: sink.name,
    async write(events) {
      const started = performance.now();
      try {
        const result = await sink.write(events);
        recordSinkWrite(metrics, sink.name, (performance.now() - started) / 1000, result.failed.length);
        return result;
      } catch (error) {
        recordSinkWrite(metrics, sink.name, (performance.now() - started) / 1000, events.length);
        throw error;
      }
    },
    flush: sink.flush && (() => sink.flush!()),
    close: sink.close && (() => sink.close!()),
  });
  const forwarder = options.sinks?.length ? fanOutSink({ sinks: options.sinks.map(timed), name: 'forward' }) : undefined;

  let store: CollectorStore | undefined;
  const opening = (async () => {
    store = await openDuckdbStore(options.store ?? { path: 'waymark.duckdb' });
    await store.storedFingerprints(now() - windowMs, (hi, lo, at) => fingerprints.add({ hi, lo }, at));
    // One more than fits: if the window holds more ids than the index, the index learns it is incomplete.
    for (const { id, at } of await store.recentIds(now() - windowMs, maxIds + 1)) recent.add(id, at);
  })();
  opening.catch(() => undefined);
  const rights = createDataRights({
    // Not storeReady(): a bulk erasure job finishes its current subject while the collector closes.
    store: async () => {
      await opening;
      return store!;
    },
    sinks: options.sinks ?? [],
    async settle() {
      await group.drain();
      await Promise.allSettled([...forwards]);
    },
    now,
    logger,
    retentionMonths,
  });
  const started = opening.then(() => rights.start());
  started.catch((error: unknown) => logger.error('[waymark] collector: the suppression list could not be loaded', error));
  let purging: Promise<unknown> = Promise.resolve();
  const purge = () => {
    purging = rights.purgeExpired().catch((error: unknown) => logger.error('[waymark] collector: purging expired events failed', error));
    return purging;
  };
  const retentionMs = options.retention?.intervalMs ?? 3_600_000;
  const retentionTimer = retentionMs > 0 ? setInterval(purge, retentionMs) : undefined;
  retentionTimer?.unref?.();
  if (retentionMs > 0) void started.then(purge, () => undefined);
  let maintenanceTimer: ReturnType<typeof setTimeout> | undefined;
  let maintaining: Promise<void> = Promise.resolve();
  const runMaintenance = async () => {
    maintenanceTimer = undefined;
    if (closing || !maintenance) return;
    const startedAt = performance.now();
    try {
      await store!.maintain((connection) => maintenance.run(connection));
      metrics.maintenance.lastSuccess = now();
    } catch (error) {
      metrics.maintenance.failures += 1;
      logger.error('[waymark] collector: the maintenance task failed; it runs again at its next interval', error);
    } finally {
      metrics.maintenance.runs += 1;
      metrics.maintenance.seconds += (performance.now() - startedAt) / 1000;
    }
    if (!closing) {
      maintenanceTimer = setTimeout(() => (maintaining = runMaintenance()), maintenance.everyMs);
      maintenanceTimer.unref?.();
    }
  };
  if (maintenance) {
    void started.then(
      () => {
        if (!closing) maintaining = runMaintenance();
      },
      () => undefined,
    );
  }
  // Deletes expired salts even when no event arrives for days.
  const saltTimer = setInterval(() => salts.current(now()), 3_600_000);
  saltTimer.unref?.();

  function forward(events: SinkEvent[]) {
    if (!forwarder || events.length === 0) return;
    forwarding += events.length;
    const task = forwarder
      .write(events)
      .then((result: WriteResult) => {
        if (result.failed.length > 0) logger.error(`[waymark] collector: ${result.failed.length} events not forwarded: ${result.failed[0].reason}`);
      })
      .catch((error: unknown) => logger.error('[waymark] collector: forwarding failed', error))
      .finally(() => {
        forwarding -= events.length;
        forwards.delete(task);
      });
    forwards.add(task);
  }

  /** The store's group write, timed in `/metrics` as its events sink. */
  async function writeGroup(events: SinkEvent[], failed: FailedRecord[]) {
    if (events.length === 0 && failed.length === 0) return { written: 0, skipped: 0, failed: [], failedKept: true };
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await store!.writeGroup(events, failed);
      if (events.length > 0) recordSinkWrite(metrics, store!.events.name, seconds(), result.failed.length);
      return result;
    } catch (error) {
      if (events.length > 0) recordSinkWrite(metrics, store!.events.name, seconds(), events.length);
      throw error;
    }
  }

  /**
   * Dedupes, stores and counts one group: the events of every request of the group and their failed records, in
   * one transaction. An id is a duplicate when the group already has it, the exact recent ids hold it, or its
   * fingerprint is held (every id stored within the window is) and the store confirms it.
   */
  async function commit(items: Item[]): Promise<Outcome[]> {
    const at = now();
    recent.expire(at);
    fingerprints.expire(at);
    const outcomes: Outcome[] = new Array(items.length);
    const failed: FailedRecord[] = [];
    let fresh: number[] = [];
    const prints: IdFingerprint[] = new Array(items.length);
    const toConfirm: string[] = [];
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if ('failed' in item) {
        failed.push(item.failed);
        outcomes[i] = { status: 'rejected', reason: item.failed.reason };
      } else if (seen.has(item.event.id) || recent.has(item.event.id)) {
        outcomes[i] = { status: 'duplicate' };
      } else {
        seen.add(item.event.id);
        const print = (prints[i] = idFingerprint(item.event.id));
        // While the recent ids hold the whole window, a fingerprint they do not explain belongs to another id.
        if (!recent.complete && fingerprints.mightHave(print)) toConfirm.push(item.event.id);
        fresh.push(i);
      }
    });
    if (toConfirm.length > 0) {
      // Only where the fingerprint is held: a repeat older than the recent ids, or (rarely) another id's fingerprint.
      const stored = await store!.existingIds(toConfirm, at - windowMs * 1.25);
      fresh = fresh.filter((i) => {
        if (!stored.has((items[i] as { event: CollectedEvent }).event.id)) return true;
        outcomes[i] = { status: 'duplicate' };
        return false;
      });
    }
    const events = fresh.map((i) => (items[i] as { event: CollectedEvent }).event);
    const kept = failed.length;
    const result = await writeGroup(events, failed);
    const refused = new Map(result.failed.map((f) => [f.event, f.reason]));
    const stored: SinkEvent[] = [];
    for (const i of fresh) {
      const item = items[i] as Extract<Item, { event: CollectedEvent }>;
      const reason = refused.get(item.event);
      if (reason === undefined) {
        outcomes[i] = { status: 'accepted' };
        recent.add(item.event.id, at);
        fingerprints.add(prints[i], at);
        stored.push(item.event);
      } else {
        outcomes[i] = { status: 'rejected', reason };
        failed.push({ id: item.event.id, siteId: item.siteId, receivedAt: at, reason, payload: JSON.stringify(scrubPayload(item.raw, userIdKey, keepQueryKeys)) });
      }
    }
    // The records the store refused just now; all of them when the group's transaction did not hold them.
    await store!.writeFailed(result.failedKept ? failed.slice(kept) : failed);
    const day = new Date(at).toISOString().slice(0, 10);
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'accepted') metrics.accepted += 1;
      else if (outcome.status === 'duplicate') metrics.duplicates += 1;
      const item = items[i];
      const siteId = 'failed' in item ? item.failed.siteId : item.siteId;
      addStats({
        day,
        siteId,
        accepted: outcome.status === 'accepted' ? 1 : 0,
        duplicates: outcome.status === 'duplicate' ? 1 : 0,
        rejected: outcome.status === 'rejected' ? 1 : 0,
      });
    });
    metrics.rejected.store += result.failed.length;
    forward(stored);
    stream.publish(stored as CollectedEvent[]);
    return outcomes;
  }

  const group = createGroupCommit(commit, commitWindowMs);

  // Counts for waymark_ingest_stats, added to the table at most once a second: an upsert costs about as much as the
  // commit of a whole batch, so one per commit would halve ingestion. A crash loses at most a second of counts,
  // never events.
  const pendingStats = new Map<string, IngestStatsRow>();
  function addStats(counts: IngestStatsRow) {
    const key = `${counts.day}\u0000${counts.siteId}`;
    const row = pendingStats.get(key);
    if (!row) pendingStats.set(key, { ...counts });
    else {
      row.accepted += counts.accepted;
      row.duplicates += counts.duplicates;
      row.rejected += counts.rejected;
    }
  }
  let statsFlush: Promise<void> = Promise.resolve();
  function flushStats(): Promise<void> {
    if (pendingStats.size === 0 || !store) return statsFlush;
    const rows = [...pendingStats.values()];
    pendingStats.clear();
    statsFlush = statsFlush
      .then(() => store!.recordIngestStats(rows))
      .catch((error: unknown) => {
        metrics.ingestStatsFailures += 1;
        logger.error('[waymark] collector: counts could not be added to waymark_ingest_stats; retrying with the next ones', error);
        for (const row of rows) addStats(row);
      });
    return statsFlush;
  }
  const statsTimer = setInterval(flushStats, STATS_FLUSH_MS);
  statsTimer.unref?.();

  /** A failed event's payload checked again as ingestion would, or why it still fails. */
  function revalidate(payload: string): { envelope: Envelope; raw: unknown } | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(payload);
    } catch {
      return undefined;
    }
    if (depthOf(raw, maxDepth) > maxDepth || Buffer.byteLength(payload) > maxEventBytes) return undefined;
    // The failed-events store turns a referrer without a host into null; a stored event has no referrer then.
    const page = (raw as { context?: { page?: Record<string, unknown> } } | null)?.context?.page;
    if (page && typeof page === 'object' && page.referrer === null) delete page.referrer;
    const valid = validateEnvelope(catalogues, raw);
    return valid.ok ? { envelope: valid.value, raw } : undefined;
  }

  let replaying: Promise<unknown> = Promise.resolve();
  /**
   * Validates stored failed events against the current catalogues and stores those that pass. Their payload was
   * already reduced when it was kept (pseudonymised user id, stripped URL, referrer host), so only what it carries
   * is stored; the request's facts (device, country, visitor hash, clock skew) are gone for good.
   */
  function replayFailed(filter: FailedEventFilter): Promise<ReplayReport> {
    const run = replaying.then(async () => {
      await storeReady();
      await started;
      const report: ReplayReport = { replayed: 0, duplicates: 0, dropped: 0, stillFailing: 0 };
      for await (const rows of store!.failedEvents(filter)) {
        const gone: { id: string; siteId: string; receivedAt: number }[] = [];
        const candidates: { event: CollectedEvent; raw: unknown; siteId: string; key: (typeof gone)[number] }[] = [];
        for (const row of rows) {
          const checked = row.id === null ? undefined : revalidate(row.payload);
          if (!checked) {
            report.stillFailing += 1;
            continue;
          }
          const key = { id: row.id!, siteId: row.siteId, receivedAt: row.receivedAt };
          const { envelope } = checked;
          const { consent } = envelope.context;
          let suppressed = rights.isSuppressed({ anonymousId: envelope.anonymousId, userId: envelope.userId, siteId: row.siteId });
          if (!suppressed && options.isSuppressed) {
            suppressed = await options.isSuppressed({ siteId: row.siteId, anonymousId: envelope.anonymousId, userId: envelope.userId });
          }
          if (!consent.analytics || suppressed) {
            report.dropped += 1;
            gone.push(key);
            continue;
          }
          // Only what the payload has: the request's facts (User-Agent classes, country, visitor hash) were never kept.
          const event = {
            ...envelope,
            receivedAt: new Date(row.receivedAt).toISOString(),
            context: { ...envelope.context, consent: { ...consent, marketing: consent.marketing && !consent.gpc }, server: { siteId: row.siteId, replayed: true } },
          } as unknown as CollectedEvent;
          candidates.push({ event, raw: checked.raw, siteId: row.siteId, key });
        }
        // Asked of the store itself: a replayed event may be older than the ids held in memory.
        const stored = await store!.existingIds(candidates.map((c) => c.event.id));
        const items: Item[] = [];
        const keys: (typeof gone)[number][] = [];
        for (const candidate of candidates) {
          if (stored.has(candidate.event.id)) {
            report.duplicates += 1;
            gone.push(candidate.key);
          } else {
            items.push({ event: candidate.event, raw: candidate.raw, siteId: candidate.siteId });
            keys.push(candidate.key);
          }
        }
        const outcomes = await group.submit(items);
        outcomes.forEach((outcome, i) => {
          if (outcome.status === 'accepted') report.replayed += 1;
          else if (outcome.status === 'duplicate') report.duplicates += 1;
          else report.stillFailing += 1;
          // A refusal by the store has just written a new failed record of its own.
          gone.push(keys[i]);
        });
        await store!.deleteFailed(gone);
      }
      metrics.replayed += report.replayed;
      return report;
    });
    replaying = run.catch(() => undefined);
    return run;
  }

  function corsHeaders(origin: string | null, site: { allowed: Set<string> } | undefined): Record<string, string> {
    return origin && site?.allowed.has(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' };
  }

  /** The site of the request's write key and its checked origin, or an HttpError. */
  function authorise(request: Request) {
    const url = new URL(request.url);
    const key = url.searchParams.get('key');
    const site = key === null ? undefined : sites.get(key);
    if (!site) throw new HttpError(401, key === null ? 'missing write key: POST /v1/batch?key=<writeKey>' : 'unknown write key');
    let origin = request.headers.get('origin');
    if (origin === null) {
      const referer = request.headers.get('referer');
      if (referer !== null) {
        try {
          origin = new URL(referer).origin;
        } catch {
          origin = referer;
        }
      }
    }
    if (origin === null ? !site.allowMissingOrigin : !site.allowed.has(origin)) {
      throw new HttpError(403, origin === null ? `site "${site.id}" accepts only requests with an Origin header` : `origin ${origin} may not send events for site "${site.id}"`);
    }
    return { site, origin };
  }

  function clientIp(request: Request, info: RequestInfo | undefined): string {
    if (ipHeader) {
      const value = request.headers.get(ipHeader);
      if (value) return value.split(',')[0].trim();
    }
    return info?.clientIp ?? '';
  }

  const reject = (reason: RejectReason, message: string): Outcome => {
    metrics.rejected[reason] += 1;
    return { status: 'rejected', reason: `[waymark] ${message}` };
  };

  /**
   * Whether the subject of an event that failed its checks has been erased, read from the raw event's own ids as
   * enrichment would store them: `anonymousId` as is, `userId` pseudonymised under the same key.
   */
  async function rawSubjectSuppressed(raw: unknown, siteId: string): Promise<boolean> {
    const fields = raw as { anonymousId?: unknown; userId?: unknown } | null;
    const anonymousId = typeof fields?.anonymousId === 'string' ? fields.anonymousId : undefined;
    // A numeric user id is pseudonymised in the failed payload too (scrubPayload), so it is checked the same way.
    const userId =
      typeof fields?.userId === 'string' || typeof fields?.userId === 'number' ? pseudonymise(String(fields.userId), userIdKey) : undefined;
    if (anonymousId === undefined && userId === undefined) return false;
    // An empty anonymous id is never on the list: erasure takes a non-empty id.
    const subject = { siteId, anonymousId: anonymousId ?? '', userId };
    if (rights.isSuppressed(subject)) return true;
    return options.isSuppressed ? options.isSuppressed(subject) : false;
  }

  async function ingest(request: Request, info: RequestInfo | undefined, cors: (h: Record<string, string>) => void): Promise<Response> {
    const { site, origin } = authorise(request);
    cors(corsHeaders(origin, site));
    const receivedAt = now();
    const ip = clientIp(request, info);
    const wait = limiter?.take(`${site.id}\u0000${ip}`, receivedAt) ?? 0;
    if (wait > 0) {
      metrics.rateLimited += 1;
      throw new HttpError(429, `rate limit reached for site "${site.id}"; retry after ${Math.ceil(wait / 1000)} s`, {
        headers: { 'retry-after': String(Math.ceil(wait / 1000)) },
      });
    }
    const type = request.headers.get('content-type')?.split(';', 1)[0].trim().toLowerCase();
    if (type && type !== 'application/json' && type !== 'text/plain') {
      await request.body?.cancel().catch(() => undefined);
      throw new HttpError(415, `Content-Type "${type}" is not accepted: send JSON as application/json or text/plain`);
    }
    const text = await readBody(request, maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
    }
    const batch = batchSchema.safeParse(body);
    if (!batch.success) {
      throw new HttpError(400, `the body is not a batch ({ sentAt, events: [1..500] }): ${formatIssues(batch.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })))}`);
    }
    await storeReady();
    await started.catch(() => {
      throw new HttpError(503, 'the suppression list is unavailable; retry later', { headers: { 'retry-after': '5' } });
    });
    const userAgent = request.headers.get('user-agent') ?? '';
    const ua = classify(userAgent);
    const countryValue = countryHeader ? request.headers.get(countryHeader)?.trim().toUpperCase() : undefined;
    const facts = {
      siteId: site.id,
      ip,
      userAgent,
      gpc: request.headers.get('sec-gpc') === '1',
      country: countryValue && countryPattern.test(countryValue) && countryValue !== 'XX' ? countryValue : undefined,
      receivedAt,
      sentAt: Date.parse(batch.data.sentAt),
      salt: salts.current(receivedAt),
      cache: createRequestCache(),
    };
    const settings = { userIdKey, keepQueryKeys };
    const outcomes: (Outcome | undefined)[] = [];
    const items: Item[] = [];
    const slots: number[] = [];
    const ids: (string | null)[] = [];
    const rawEvents = batch.data.events;
    /**
     * Refuses event `i`. A record is kept in the failed events only when `payload` is given and the raw event's
     * subject has not been erased: an erased subject's events are kept nowhere, whatever else is wrong with them.
     */
    const fail = async (i: number, reason: RejectReason, message: string, payload: (() => string) | null, id: string | null) => {
      if (payload !== null && (await rawSubjectSuppressed(rawEvents[i], site.id))) {
        reason = 'suppressed';
        message = 'not stored: the subject has been erased';
        payload = null;
      }
      outcomes[i] = reject(reason, message);
      if (payload === null) {
        // Kept nowhere, so never part of a commit: counted here.
        addStats({ day: new Date(receivedAt).toISOString().slice(0, 10), siteId: site.id, accepted: 0, duplicates: 0, rejected: 1 });
      } else {
        items.push({ failed: { id, siteId: site.id, receivedAt, reason: outcomes[i]!.reason!, payload: payload() } });
        slots.push(i);
      }
    };
    for (let i = 0; i < rawEvents.length; i++) {
      const raw = rawEvents[i];
      const rawId = (raw as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' ? rawId : null;
      ids.push(id);
      // Read before any check that can keep a payload: a visitor who refused measurement leaves no trace, not even
      // as a failed event. Property reads only, so safe on an event of any depth or size.
      const analytics = (raw as { context?: { consent?: { analytics?: unknown } } } | null)?.context?.consent?.analytics;
      if (analytics === false) {
        await fail(i, 'consent', 'should not have been sent: its consent snapshot says analytics was not granted', null, id);
        continue;
      }
      if (depthOf(raw, maxDepth) > maxDepth) {
        await fail(i, 'invalid', `the event nests deeper than ${maxDepth} levels`, () => JSON.stringify({ id, note: 'payload not kept: nested too deep' }), id);
        continue;
      }
      // The failed-events payload, made only for an event that fails. Only a snapshot that grants analytics lets the
      // payload be kept: without one (missing, or not a boolean) nothing shows that the visitor agreed to measurement,
      // and a replay could never store the event anyway (it stores only events whose snapshot grants analytics). The
      // id and the reason are still kept, so a sender that omits the snapshot shows up in the failed events.
      const payload = () =>
        JSON.stringify(analytics === true ? scrubPayload(raw, userIdKey, keepQueryKeys) : { id, note: 'payload not kept: no consent snapshot granting analytics' });
      const bytes = Buffer.byteLength(JSON.stringify(raw));
      if (bytes > maxEventBytes) {
        await fail(i, 'too_large', `the event is larger than the ${maxEventBytes}-byte limit: send less in its properties`, payload, id);
        continue;
      }
      const valid = validateEnvelope(catalogues, raw);
      if (!valid.ok) {
        await fail(i, 'invalid', formatIssues(valid.issues), payload, id);
        continue;
      }
      const envelope = valid.value;
      if (!envelope.context.consent.analytics) {
        // Not kept anywhere, not even as a failed event: the visitor did not allow measurement.
        await fail(i, 'consent', 'should not have been sent: its consent snapshot says analytics was not granted', null, id);
        continue;
      }
      if (ua.bot && options.bots === 'drop') {
        metrics.bots.dropped += 1;
        await fail(i, 'bot', 'not stored: the User-Agent is a bot', null, id);
        continue;
      }
      const event = enrichEvent(envelope, facts, settings, ua);
      if (Date.parse(event.timestamp) < receivedAt - windowMs) {
        await fail(i, 'too_old', `the event happened more than ${Math.round(windowMs / DAY_MS)} days ago, outside the dedupe window`, payload, id);
        continue;
      }
      let suppressed = rights.isSuppressed(event);
      if (!suppressed && options.isSuppressed) {
        const answer = options.isSuppressed({ siteId: site.id, anonymousId: event.anonymousId, userId: event.userId });
        suppressed = typeof answer === 'boolean' ? answer : await answer;
      }
      if (suppressed) {
        await fail(i, 'suppressed', 'not stored: the subject has been erased', null, id);
        continue;
      }
      if (ua.bot) metrics.bots.flagged += 1;
      items.push({ event, raw, siteId: site.id });
      slots.push(i);
    }
    let committed: Outcome[];
    try {
      committed = await group.submit(items);
    } catch (error) {
      logger.error('[waymark] collector: the store could not commit a batch', error);
      throw new HttpError(503, 'the store is unavailable; retry later', { headers: { 'retry-after': '5' }, cause: error });
    }
    committed.forEach((outcome, n) => {
      outcomes[slots[n]] = outcome;
    });
    const results: EventResult[] = ids.map((id, i) => ({ id, ...outcomes[i]! }));
    return Response.json({ results }, { headers: corsHeaders(origin, site) });
  }

  async function storeReady(): Promise<void> {
    try {
      await opening;
    } catch (error) {
      logger.error('[waymark] collector: the store cannot be opened', error);
      throw new HttpError(503, 'the store is unavailable; retry later', { headers: { 'retry-after': '5' } });
    }
    if (closing) throw new HttpError(503, 'the collector is shutting down; retry later', { headers: { 'retry-after': '5' } });
  }

  const app = new Hono<{ Bindings: RequestInfo | undefined }>();
  app.post('/v1/batch', async (c) => {
    let cors: Record<string, string> = { vary: 'Origin' };
    try {
      return await ingest(c.req.raw, c.env, (headers) => (cors = headers));
    } catch (error) {
      if (error instanceof HttpError) return problemResponse(error, cors);
      throw error;
    }
  });
  app.options('/v1/batch', (c) => {
    try {
      const { site, origin } = authorise(c.req.raw);
      return new Response(null, {
        status: 204,
        headers: {
          ...corsHeaders(origin, site),
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': 'content-type',
          'access-control-max-age': '86400',
        },
      });
    } catch (error) {
      if (error instanceof HttpError) return problemResponse(error, { vary: 'Origin' });
      throw error;
    }
  });
  app.get('/health', async () => {
    try {
      await opening;
    } catch {
      return Response.json({ status: 'unavailable', store: 'closed' }, { status: 503 });
    }
    return Response.json({ status: closing ? 'closing' : 'ok', queueDepth: group.depth + forwarding }, { status: closing ? 503 : 200 });
  });
  const readApi = registerReadApi(
    app,
    {
      keyring,
      limiter: readLimiter,
      now,
      async store() {
        await storeReady();
        return store!;
      },
      rights,
      stream,
      pseudonymise: (userId) => pseudonymise(userId, userIdKey),
      replay: replayFailed,
      async metrics() {
        // A store that is not open, or busy for over a second (behind a long erasure), leaves its gauge out:
        // /metrics must still answer then.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const storeMemory =
          store && !closing
            ? await Promise.race([
                store.memoryByTag().catch(() => undefined),
                new Promise<undefined>((resolve) => {
                  timer = setTimeout(() => resolve(undefined), METRICS_STORE_WAIT_MS);
                }),
              ]).finally(() => clearTimeout(timer))
            : undefined;
        const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
        return renderMetrics(metrics, {
          queueDepth: group.depth + forwarding,
          recentIds: recent.size,
          dedupeWindowIds: fingerprints.size,
          dedupeWindowBytes: fingerprints.bytes,
          storeMemory,
          memory: { rss, heapTotal, heapUsed, external },
        });
      },
    },
    '0.1.0',
  );
  app.notFound((c) => problemResponse(new HttpError(404, `no route ${c.req.method} ${new URL(c.req.url).pathname}`)));
  app.onError((error) => {
    if (error instanceof HttpError) return problemResponse(error);
    logger.error('[waymark] collector: unexpected error', error);
    return new Response('Internal Server Error', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  });

  return {
    async fetch(request, info) {
      const response = await app.fetch(request, info);
      if (new URL(request.url).pathname === '/v1/batch' && request.method === 'POST') {
        metrics.requests.set(response.status, (metrics.requests.get(response.status) ?? 0) + 1);
      }
      return response;
    },
    ready: () => started,
    purgeExpired: () => rights.purgeExpired(),
    closeStreams: () => stream.close(),
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(saltTimer);
      clearInterval(retentionTimer);
      clearTimeout(maintenanceTimer);
      stream.close();
      await replaying;
      await group.drain();
      await started.catch(() => undefined);
      await rights.stop();
      await readApi.close();
      await purging;
      await maintaining;
      clearInterval(statsTimer);
      await flushStats();
      await Promise.allSettled([...forwards]);
      const errors: unknown[] = [];
      await forwarder?.close?.().catch((error: unknown) => errors.push(error));
      await opening.catch(() => undefined);
      await store?.close().catch((error: unknown) => errors.push(error));
      if (errors.length > 0) throw new AggregateError(errors, '[waymark] collector: closing failed');
    },
  };
}
