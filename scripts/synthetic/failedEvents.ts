// Refused events as the collector keeps them in its failed-events table: the mistakes real sites make (a country
// code that is not ISO, a misspelt property, an event the catalogue lacks, a newer catalogue, an oversize event, an
// event older than the dedupe window), each with the reason the collector gives.
import { formatIssues, travelCatalogue, validateEnvelope } from '@waymark/taxonomy';
import type { Envelope } from '@waymark/taxonomy';
import { seededTimeUuid } from './createRandom';
import { referrerHostOf } from './toStoredRow';

/** A row of the collector's failed-events table (`failedEventsTableSql`). */
export interface FailedRow {
  id: string | null;
  site_id: string;
  /** Epoch ms. */
  received_at: number;
  reason: string;
  /** The event as received (URL and referrer reduced as for stored events), as JSON text. */
  payload: string;
}

/** Kinds of refused events, with their share of the failed-events table. */
export const failureKinds = {
  not_iso_country: 0.3,
  misspelt_property: 0.25,
  unknown_event: 0.2,
  newer_catalogue: 0.1,
  too_old: 0.1,
  too_large: 0.05,
} as const;
/** A kind of refused event. */
export type FailureKind = keyof typeof failureKinds;

const DAY = 86_400_000;
const MAX_EVENT_BYTES = 32_768;

/**
 * The failed-events row for a broken variant of a valid envelope, received at `receivedAt`. The reason is what the
 * collector answers for it (validation issues as `validateEnvelope` words them, size and age messages).
 */
export function failedRow(base: Envelope, kind: FailureKind, receivedAt: number, siteId: string, seed: number): FailedRow {
  const content = { ...(base.properties.postId ? { postId: base.properties.postId } : {}) };
  const event: Envelope = { ...base, id: seededTimeUuid(Date.parse(base.timestamp), seed, 0xfa11) };
  let reason: string;
  if (kind === 'too_old') {
    event.timestamp = new Date(receivedAt - 8 * DAY - (seed % 86_400) * 1000).toISOString();
    reason = 'the event happened more than 7 days ago, outside the dedupe window';
  } else if (kind === 'too_large') {
    // A comment's text pasted into the properties: the tracker sends it, the collector refuses it by size.
    event.name = 'comment_posted';
    event.properties = { ...content, length: 40_000, text: 'Wonderful trip report! '.repeat(1750) };
    const bytes = Buffer.byteLength(JSON.stringify(event));
    reason = `the event is ${bytes} bytes, above the ${MAX_EVENT_BYTES}-byte limit`;
  } else {
    if (kind === 'not_iso_country') {
      event.name = 'destination_viewed';
      event.properties = { ...content, destination: { country: 'UK', city: 'London' } };
    } else if (kind === 'misspelt_property') {
      event.name = 'scroll_depth_reached';
      event.properties = { ...content, percentage: 50 };
    } else if (kind === 'unknown_event') {
      event.name = 'post_liked';
      event.properties = content;
    } else {
      event.schema = 'travel@2';
    }
    const result = validateEnvelope([travelCatalogue], event);
    if (result.ok) throw new Error(`[waymark] synthetic failed event of kind ${kind} passed validation`);
    reason = formatIssues(result.issues);
  }
  // As the collector scrubs a refused payload: the referrer becomes its host.
  const page: Record<string, unknown> = { ...event.context.page };
  if (typeof page.referrer === 'string') page.referrer = referrerHostOf(page.referrer) ?? null;
  const payload = { ...event, context: { ...event.context, page } };
  return { id: event.id, site_id: siteId, received_at: receivedAt, reason: `[waymark] ${reason}`, payload: JSON.stringify(payload) };
}
