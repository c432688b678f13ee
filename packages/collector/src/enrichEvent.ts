import { createHmac } from 'node:crypto';
import type { Envelope } from '@waymark/taxonomy';
import type { SinkEvent } from '@waymark/sinks';
import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';

/**
 * What the collector adds to an event's `context`, under `context.server`. Stored with the context (the DuckDB
 * `context` JSON column), so a report reads `context->'server'->>'visitorId'`.
 */
export interface ServerContext {
  /** Id of the site whose write key sent the event. */
  siteId: string;
  /** Daily-salted anonymous visitor hash: the same for one IP + browser on one site within one UTC day. */
  visitorId: string;
  /** Device class from the User-Agent: `mobile`, `tablet`, `desktop`, `smarttv`, `console`, `wearable`, `embedded`. */
  device: string;
  /** Browser family, such as `Chrome` or `Mobile Safari`, without its version; absent when unknown. */
  browser?: string;
  /** Operating system family, such as `iOS` or `Windows`; absent when unknown. */
  os?: string;
  /** Set when the User-Agent matches the isbot pattern list (with `bots: 'flag'`). */
  bot?: true;
  /** Milliseconds added to the client `timestamp` to correct its clock (server receipt minus the batch's `sentAt`). */
  clockSkewMs: number;
}

/** An event as the collector stores it. */
export type CollectedEvent = SinkEvent & { context: SinkEvent['context'] & { server: ServerContext } };

/** What the collector knows about the request an event came in. */
export interface RequestFacts {
  siteId: string;
  /** Client IP, used for the visitor hash and the rate limit only, never stored. */
  ip: string;
  /** Full User-Agent, reduced to classes and never stored. */
  userAgent: string;
  /** `Sec-GPC: 1` was sent. */
  gpc: boolean;
  /** Country from the trusted proxy header, already checked. */
  country?: string;
  receivedAt: number;
  /** Client clock at send time (`sentAt`), epoch ms. */
  sentAt: number;
  /** Today's visitor-hash salt. */
  salt: Buffer;
  /**
   * Results shared by the events of one request, so work that gives the same answer for each of them is done once:
   * the visitor hash (the same site, IP, User-Agent and salt for all), and the reduced URLs and pseudonymised user
   * ids already computed. Made by {@link createRequestCache}; lives as long as the request.
   */
  cache?: RequestCache;
}

/** Per-request memo of {@link RequestFacts.cache}. */
export interface RequestCache {
  visitorId?: string;
  readonly urls: Map<string, string>;
  readonly userIds: Map<string, string>;
  /** Referrer hosts by referrer. */
  readonly referrers?: Map<string, string | undefined>;
  /** Corrected ISO timestamps by client timestamp. */
  readonly timestamps?: Map<string, string>;
  /** `receivedAt` as ISO 8601. */
  receivedAt?: string;
  /**
   * The enriched contexts built so far, each with the validated context it came from. Events of one page usually
   * carry equal contexts: they then share one enriched context object, which the store serialises once.
   */
  readonly contexts?: { source: Envelope['context']; enriched: CollectedEvent['context'] }[];
}

/** A fresh, empty {@link RequestCache} for one request. */
export function createRequestCache(): RequestCache {
  return { urls: new Map(), userIds: new Map(), referrers: new Map(), timestamps: new Map(), contexts: [] };
}

/** Contexts remembered per request; a batch from one page holds one or two. */
const CONTEXTS_PER_REQUEST = 8;

/** Whether two JSON values are equal, object keys in the same order (so they serialise to the same text). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  const other = Object.keys(b);
  if (keys.length !== other.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key !== other[i] || !sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Settings of {@link enrichEvent}. */
export interface EnrichSettings {
  /** HMAC-SHA-256 key for `userId`. */
  userIdKey: Buffer;
  /** Query keys kept besides `utm_*` and `ref`. */
  keepQueryKeys: readonly string[];
}

/** The User-Agent reduced to the classes the collector keeps, and whether it is a bot. */
export function classifyUserAgent(userAgent: string): { device: string; browser?: string; os?: string; bot: boolean } {
  const result = new UAParser(userAgent).getResult();
  return {
    device: result.device.type ?? 'desktop',
    browser: result.browser.name || undefined,
    os: result.os.name || undefined,
    bot: isbot(userAgent),
  };
}

/** `userId` pseudonymised: hex HMAC-SHA-256 under the collector's key. Same input and key, same output. */
export function pseudonymise(userId: string, key: Buffer): string {
  return createHmac('sha256', key).update(userId, 'utf8').digest('hex');
}

/** The anonymous visitor hash `HMAC(daily salt, site ‖ ip ‖ ua)`, 128 bits as hex. */
export function visitorHash(salt: Buffer, siteId: string, ip: string, userAgent: string): string {
  return createHmac('sha256', salt).update(`${siteId}\u0000${ip}\u0000${userAgent}`, 'utf8').digest('hex').slice(0, 32);
}

/** The URL without fragment and with only `utm_*`, `ref` and the allowlisted query keys; unparsable URLs lose their query. */
export function stripQuery(url: string, keep: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://relative.invalid');
  } catch {
    return url.split(/[?#]/, 1)[0];
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (!key.startsWith('utm_') && key !== 'ref' && !keep.includes(key)) parsed.searchParams.delete(key);
  }
  parsed.hash = '';
  if (parsed.origin === 'http://relative.invalid') return parsed.pathname + parsed.search;
  return parsed.toString();
}

/** The referrer's host name only (`news.example`), or undefined when it has none. */
export function referrerHost(referrer: string | undefined): string | undefined {
  if (!referrer) return undefined;
  if (/^https?:\/\//i.test(referrer)) {
    try {
      return new URL(referrer).hostname || undefined;
    } catch {
      return undefined;
    }
  }
  // A bare host such as `news.example`, as some trackers send.
  const host = referrer.split(/[/?#]/, 1)[0].toLowerCase();
  return /^[a-z0-9.-]+(:\d+)?$/.test(host) ? host.replace(/:\d+$/, '') : undefined;
}

/**
 * Turns a validated envelope into the event the collector stores: `receivedAt`, the clock-corrected `timestamp`,
 * the pseudonymised `userId`, the stripped URL and referrer host, the GPC signal, the country, and `context.server`.
 * The raw IP and User-Agent are not part of the result. Events of one request whose contexts are equal get the same
 * `context` object (built and serialised once), so treat it as read-only.
 */
export function enrichEvent(envelope: Envelope, facts: RequestFacts, settings: EnrichSettings, ua: ReturnType<typeof classifyUserAgent>): CollectedEvent {
  const cache = facts.cache;
  let visitorId = cache?.visitorId;
  if (visitorId === undefined) {
    visitorId = visitorHash(facts.salt, facts.siteId, facts.ip, facts.userAgent);
    if (cache) cache.visitorId = visitorId;
  }
  const skew = facts.receivedAt - facts.sentAt;
  let timestamp = cache?.timestamps?.get(envelope.timestamp);
  if (timestamp === undefined) {
    // A clock that runs ahead must not put an event after its arrival.
    timestamp = new Date(Math.min(Date.parse(envelope.timestamp) + skew, facts.receivedAt)).toISOString();
    cache?.timestamps?.set(envelope.timestamp, timestamp);
  }
  let receivedAt = cache?.receivedAt;
  if (receivedAt === undefined) {
    receivedAt = new Date(facts.receivedAt).toISOString();
    if (cache) cache.receivedAt = receivedAt;
  }
  const event: CollectedEvent = {
    ...envelope,
    timestamp,
    receivedAt,
    context: enrichContext(envelope.context, facts, settings, ua, visitorId, skew),
  };
  if (envelope.userId !== undefined) {
    let userId = cache?.userIds.get(envelope.userId);
    if (userId === undefined) {
      userId = pseudonymise(envelope.userId, settings.userIdKey);
      cache?.userIds.set(envelope.userId, userId);
    }
    event.userId = userId;
  }
  if (facts.country) event.country = facts.country;
  return event;
}

/** The stored context of a validated one: reduced URLs and referrer, GPC applied to consent, and `server`. */
function enrichContext(
  context: Envelope['context'],
  facts: RequestFacts,
  settings: EnrichSettings,
  ua: ReturnType<typeof classifyUserAgent>,
  visitorId: string,
  skew: number,
): CollectedEvent['context'] {
  const cache = facts.cache;
  const seen = cache?.contexts;
  if (seen) {
    for (const entry of seen) if (sameJson(entry.source, context)) return entry.enriched;
  }
  const strip = (url: string) => {
    if (!cache) return stripQuery(url, settings.keepQueryKeys);
    let stripped = cache.urls.get(url);
    if (stripped === undefined) {
      stripped = stripQuery(url, settings.keepQueryKeys);
      cache.urls.set(url, stripped);
    }
    return stripped;
  };
  const { page, consent } = context;
  const { referrer: rawReferrer, ...pageRest } = page;
  const gpc = consent.gpc || facts.gpc;
  const server: ServerContext = {
    siteId: facts.siteId,
    visitorId,
    device: ua.device,
    ...(ua.browser ? { browser: ua.browser } : {}),
    ...(ua.os ? { os: ua.os } : {}),
    ...(ua.bot ? { bot: true as const } : {}),
    clockSkewMs: skew,
  };
  let referrer: string | undefined;
  if (rawReferrer !== undefined && cache?.referrers?.has(rawReferrer)) referrer = cache.referrers.get(rawReferrer);
  else {
    referrer = referrerHost(rawReferrer);
    if (rawReferrer !== undefined) cache?.referrers?.set(rawReferrer, referrer);
  }
  const enriched: CollectedEvent['context'] = {
    ...context,
    page: {
      ...pageRest,
      url: strip(page.url),
      path: strip(page.path),
      ...(referrer ? { referrer } : {}),
    },
    consent: { ...consent, gpc, marketing: consent.marketing && !gpc },
    server,
  };
  if (seen && seen.length < CONTEXTS_PER_REQUEST) seen.push({ source: context, enriched });
  return enriched;
}

/**
 * A refused event as the failed-events store keeps it: as received, except that a string or numeric `userId` is
 * pseudonymised (any other non-null `userId` becomes null) and the page URL and referrer are reduced as for stored events, so a failed event never holds
 * more than a stored one would. A replay must therefore skip those two steps.
 */
export function scrubPayload(raw: unknown, userIdKey: Buffer, keepQueryKeys: readonly string[]): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const event = { ...(raw as Record<string, unknown>) };
  // Any user id the event carries, not only a valid one: a number is a user id too, and an object may hide one.
  if (typeof event.userId === 'string' || typeof event.userId === 'number' || typeof event.userId === 'bigint') {
    event.userId = pseudonymise(String(event.userId), userIdKey);
  } else if (event.userId !== undefined && event.userId !== null) event.userId = null;
  const context = event.context as { page?: Record<string, unknown> } | undefined;
  if (context && typeof context === 'object' && context.page && typeof context.page === 'object') {
    const page = { ...context.page };
    if (typeof page.url === 'string') page.url = stripQuery(page.url, keepQueryKeys);
    if (typeof page.path === 'string') page.path = stripQuery(page.path, keepQueryKeys);
    if (typeof page.referrer === 'string') page.referrer = referrerHost(page.referrer) ?? null;
    event.context = { ...context, page };
  }
  return event;
}
