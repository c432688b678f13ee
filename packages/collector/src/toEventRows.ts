import type { EventRow, SinkEvent } from '@waymark/sinks';

/**
 * Flattens a group of events into rows, as `events.map(toEventRow)` from `@waymark/sinks` does, but serialises each
 * distinct `context` object once and parses each distinct timestamp string once. The events of one request usually
 * share one context object (see `enrichEvent`) and one receipt time, so a 50-event batch costs a few
 * `JSON.stringify` calls instead of fifty.
 * @throws {TypeError} like `toEventRow`, when an event's `timestamp` or `receivedAt` is not a date or it has no id.
 */
export function toEventRows(events: readonly SinkEvent[]): EventRow[] {
  const rows: EventRow[] = new Array(events.length);
  const contexts = new Map<object, string>();
  const times = new Map<string, number>();
  const time = (text: string, field: string) => {
    let ms = times.get(text);
    if (ms === undefined) {
      ms = Date.parse(text);
      if (!Number.isFinite(ms)) throw new TypeError(`${field} ${JSON.stringify(text)} is not an ISO 8601 date`);
      times.set(text, ms);
    }
    return ms;
  };
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const context = event.context;
    const timestamp = time(event.timestamp, 'timestamp');
    const receivedAt = event.receivedAt === undefined ? null : time(event.receivedAt, 'receivedAt');
    if (typeof event.id !== 'string' || event.id.length === 0) throw new TypeError('the event has no id');
    let contextJson = contexts.get(context);
    if (contextJson === undefined) {
      contextJson = JSON.stringify(context);
      contexts.set(context, contextJson);
    }
    rows[i] = {
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
  return rows;
}
