// What the collector stores for a visit's envelopes, built straight as `EventRow`s: the collector's enrichment
// (receipt time, clock correction, referrer host, `context.server`) with the JSON columns assembled from per-visit
// pieces, because serialising a whole context object per event is what would make a 10-million-event load slow.
import type { EventRow } from '../../packages/sinks/src/eventRow';
import { hex8, mixSeed } from './createRandom';
import type { Visit } from './generateReadership';
import { actionId, sampleRateOf, syntheticLibrary, syntheticSchema } from './toEnvelope';

/** Options of {@link storedRows}. */
export interface StoredRowOptions {
  /** Seed of the readership (for the visitor hashes). */
  seed: number;
  /** Site id the collector stamps as `context.server.siteId`. */
  siteId: string;
}

const DAY = 86_400_000;

/**
 * The collector's anonymous visitor hash for a visitor on one UTC day (32 hex characters). The collector's is a
 * keyed hash of site, IP and User-Agent under a daily salt; this one keeps its properties (stable within a UTC day,
 * unrelated across days) without an IP.
 */
export function syntheticVisitorId(seed: number, visitorIndex: number, utcDay: number): string {
  return hex8(mixSeed(1, seed, visitorIndex, utcDay)) + hex8(mixSeed(2, seed, visitorIndex, utcDay)) + hex8(mixSeed(3, seed, visitorIndex, utcDay)) + hex8(mixSeed(4, seed, visitorIndex, utcDay));
}

/** The referrer's host name, as the collector stores it (`www.google.com`). */
export function referrerHostOf(referrer: string | undefined): string | undefined {
  if (!referrer) return undefined;
  try {
    return new URL(referrer).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The rows the collector stores for a visit, aligned with `visit.actions`: undefined where the tracker sends nothing
 * (declined consent, sampled out). Each row equals `toEventRow()` of the collector's enriched event, except that
 * `userId` is kept as sent (not pseudonymised) and `context.server.visitorId` is {@link syntheticVisitorId}.
 */
export function storedRows(visit: Visit, options: StoredRowOptions): (EventRow | undefined)[] {
  const { visitor } = visit;
  const rows: (EventRow | undefined)[] = new Array(visit.actions.length);
  if (!visitor.consentSnapshot.analytics) return rows;
  const consent = visitor.consentSnapshot;
  const gpc = consent.gpc || visitor.gpc;
  const ua = visitor.userAgent;
  const middle = JSON.stringify({
    locale: visitor.locale,
    timeZone: visitor.timeZone,
    screen: visitor.screen,
    campaign: visit.campaign,
    consent: { ...consent, gpc, marketing: consent.marketing && !gpc },
  }).slice(1, -1);
  const serverHead = `,"library":${JSON.stringify(syntheticLibrary)},"server":{"siteId":${JSON.stringify(options.siteId)},"visitorId":"`;
  const serverTail = `",${JSON.stringify({ device: ua.device, browser: ua.browser, os: ua.os, ...(ua.bot ? { bot: true } : {}) }).slice(1, -1)},"clockSkewMs":`;
  const pages = visit.pages.map((page) => {
    const referrer = referrerHostOf(page.referrer);
    return {
      json: `{"page":${JSON.stringify({ url: page.url, path: page.path, title: page.title, route: page.route, ...(referrer ? { referrer } : {}) })},${middle},"sampleRate":`,
      referrer: referrer ?? null,
    };
  });
  const campaign = visit.campaign;
  let day = -1;
  let visitorId = '';
  for (let i = 0; i < visit.actions.length; i++) {
    const action = visit.actions[i];
    const sampleRate = sampleRateOf(action.name, visit.sessionId);
    if (sampleRate === 0) continue;
    const receivedAt = action.sentAt + visit.latencyMs;
    const clockSkewMs = receivedAt - (action.sentAt + visitor.clockOffsetMs);
    const receivedDay = Math.floor(receivedAt / DAY);
    if (receivedDay !== day) {
      day = receivedDay;
      visitorId = syntheticVisitorId(options.seed, visitor.index, day);
    }
    const page = visit.pages[action.page];
    const pieces = pages[action.page];
    rows[i] = {
      id: actionId(visit, i),
      type: action.type,
      name: action.name,
      schema: syntheticSchema,
      timestamp: Math.min(action.at + visitor.clockOffsetMs + clockSkewMs, receivedAt),
      received_at: receivedAt,
      anonymous_id: visit.anonymousId,
      user_id: action.userId ?? null,
      session_id: visit.sessionId,
      page_path: page.path,
      page_route: page.route,
      page_referrer: pieces.referrer,
      country: visit.country,
      locale: visitor.locale,
      screen: visitor.screen,
      utm_source: campaign?.source ?? null,
      utm_medium: campaign?.medium ?? null,
      utm_campaign: campaign?.name ?? null,
      sample_rate: sampleRate,
      properties: JSON.stringify(action.properties),
      traits: action.traits === undefined ? null : JSON.stringify(action.traits),
      context: `${pieces.json}${sampleRate}${serverHead}${visitorId}${serverTail}${clockSkewMs}}}`,
    };
  }
  return rows;
}
