import type { SinkEvent, Subject } from './sink';
import { invalidOption } from './sinkError';

/**
 * The flat row every table-shaped sink stores: the commonly queried fields as columns, the rest as JSON text.
 * New server-side fields become new nullable columns, so old rows stay valid.
 */
export interface EventRow {
  /** The envelope id; the dedupe key. */
  id: string;
  /** `track`, `page` or `identify`. */
  type: string;
  /** Event name from the catalogue, such as `post_viewed`. */
  name: string;
  /** Catalogue and version, such as `travel@1`. */
  schema: string;
  /** When the event happened, as epoch milliseconds (UTC). */
  timestamp: number;
  /** When the collector received it, as epoch milliseconds, or null when unknown. */
  received_at: number | null;
  /** The device's anonymous id. */
  anonymous_id: string;
  /** The identified user's id, or null. */
  user_id: string | null;
  /** The session id. */
  session_id: string;
  /** `context.page.path`. */
  page_path: string;
  /** `context.page.route`, the route pattern such as `/posts/[slug]`, or null. */
  page_route: string | null;
  /** `context.page.referrer`, or null. */
  page_referrer: string | null;
  /** ISO 3166-1 alpha-2 country the collector looked up, or null. */
  country: string | null;
  /** `context.locale`, or null. */
  locale: string | null;
  /** `context.screen` (`mobile`, `tablet`, `desktop`), or null. */
  screen: string | null;
  /** `context.campaign.source`, or null. */
  utm_source: string | null;
  /** `context.campaign.medium`, or null. */
  utm_medium: string | null;
  /** `context.campaign.name`, or null. */
  utm_campaign: string | null;
  /** Share of sessions kept by sampling; weight counts by `1 / sample_rate`. */
  sample_rate: number;
  /** `properties` as JSON text. */
  properties: string;
  /** `traits` as JSON text, on identify events, else null. */
  traits: string | null;
  /** The whole `context` as JSON text (page, consent, library, ...). */
  context: string;
}

/** Column names of {@link EventRow}, in the order every table sink creates and fills them. */
export const eventColumns = [
  'id',
  'type',
  'name',
  'schema',
  'timestamp',
  'received_at',
  'anonymous_id',
  'user_id',
  'session_id',
  'page_path',
  'page_route',
  'page_referrer',
  'country',
  'locale',
  'screen',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'sample_rate',
  'properties',
  'traits',
  'context',
] as const satisfies readonly (keyof EventRow)[];

/** Epoch ms of an ISO 8601 text, or a TypeError naming the field. */
function parseTime(text: string, field: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new TypeError(`${field} ${JSON.stringify(text)} is not an ISO 8601 date`);
  return ms;
}

/** The row of an event whose times are parsed and whose context is serialised already. */
function buildRow(event: SinkEvent, timestamp: number, receivedAt: number | null, contextJson: string): EventRow {
  if (typeof event.id !== 'string' || event.id.length === 0) throw new TypeError('the event has no id');
  const context = event.context;
  return {
    id: event.id,
    type: event.type,
    name: event.name,
    schema: event.schema,
    timestamp,
    received_at: receivedAt,
    anonymous_id: event.anonymousId,
    user_id: event.userId ?? null,
    session_id: event.sessionId,
    page_path: context.page.path,
    page_route: context.page.route ?? null,
    page_referrer: context.page.referrer ?? null,
    country: event.country ?? null,
    locale: context.locale ?? null,
    screen: context.screen ?? null,
    utm_source: context.campaign?.source ?? null,
    utm_medium: context.campaign?.medium ?? null,
    utm_campaign: context.campaign?.name ?? null,
    sample_rate: context.sampleRate,
    properties: JSON.stringify(event.properties ?? {}),
    traits: event.traits === undefined ? null : JSON.stringify(event.traits),
    context: contextJson,
  };
}

/**
 * Flattens an event into an {@link EventRow}.
 * @throws {TypeError} when the event's `timestamp` or `receivedAt` is not a date, so callers can fail that event alone.
 */
export function toEventRow(event: SinkEvent): EventRow {
  const timestamp = parseTime(event.timestamp, 'timestamp');
  const receivedAt = event.receivedAt === undefined ? null : parseTime(event.receivedAt, 'receivedAt');
  return buildRow(event, timestamp, receivedAt, JSON.stringify(event.context));
}

/**
 * Flattens a group of events into rows, as `events.map(toEventRow)` does, but serialises each distinct `context`
 * object once and parses each distinct timestamp text once. The events of one request usually share one context
 * object and one receipt time, so a 50-event batch costs a few `JSON.stringify` calls instead of fifty.
 * @throws {TypeError} like {@link toEventRow}, for the first event whose `timestamp` or `receivedAt` is not a date or
 *   that has no id.
 */
export function toEventRows(events: readonly SinkEvent[]): EventRow[] {
  const contexts = new Map<object, string>();
  const times = new Map<string, number>();
  const time = (text: string, field: string) => {
    let ms = times.get(text);
    if (ms === undefined) times.set(text, (ms = parseTime(text, field)));
    return ms;
  };
  return events.map((event) => {
    const timestamp = time(event.timestamp, 'timestamp');
    const receivedAt = event.receivedAt === undefined ? null : time(event.receivedAt, 'receivedAt');
    let contextJson = contexts.get(event.context);
    if (contextJson === undefined) contexts.set(event.context, (contextJson = JSON.stringify(event.context)));
    return buildRow(event, timestamp, receivedAt, contextJson);
  });
}

/** Checks an erase subject and returns its ids; names the problem when neither id is set. */
export function subjectIds(sink: string, subject: Subject): { userId?: string; anonymousId?: string } {
  const userId = subject?.userId || undefined;
  const anonymousId = subject?.anonymousId || undefined;
  if (!userId && !anonymousId) invalidOption(sink, 'subject', 'needs `userId` or `anonymousId`: erase({ userId: "u_123" })');
  return { userId, anonymousId };
}

/** Whether an event belongs to the subject (its userId or anonymousId matches). */
export function matchesSubject(event: Pick<SinkEvent, 'userId' | 'anonymousId'>, subject: Subject): boolean {
  return (
    (subject.userId !== undefined && event.userId === subject.userId) ||
    (subject.anonymousId !== undefined && event.anonymousId === subject.anonymousId)
  );
}
