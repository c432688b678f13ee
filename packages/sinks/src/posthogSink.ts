import { createHash } from 'node:crypto';
import { checkUrl } from './httpPost';
import { compact, createForwarder } from './forwarder';
import type { ForwarderOptions } from './forwarder';
import type { Sink, SinkEvent } from './sink';
import { invalidOption } from './sinkError';

/** Options of {@link posthogSink}. */
export interface PosthogSinkOptions extends ForwarderOptions {
  /** The project API key (`phc_...`): public, write-only. Never a personal API key. */
  apiKey: string;
  /** The PostHog host; `https://eu.i.posthog.com` for EU Cloud, or your own instance. @default 'https://us.i.posthog.com' */
  host?: string;
}

/** One PostHog event as the capture API takes it. */
interface PosthogEvent {
  event: string;
  distinct_id: string;
  timestamp: string;
  uuid: string;
  properties: Record<string, unknown>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The event id when it is a UUID, else a stable name-based UUID of it (so retries keep PostHog's dedupe key). */
export function posthogUuid(id: string): string {
  if (uuidPattern.test(id)) return id.toLowerCase();
  const hex = createHash('sha1').update(`waymark:${id}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function toPosthog(event: SinkEvent): { item: PosthogEvent } {
  const { page, campaign, locale, timeZone, screen, library } = event.context;
  const distinctId = event.userId ?? event.anonymousId;
  const properties: Record<string, unknown> = compact({
    ...event.properties,
    $session_id: event.sessionId,
    $current_url: page.url,
    $pathname: page.path,
    $referrer: page.referrer,
    title: page.title,
    $browser_language: locale,
    $timezone: timeZone,
    $device_type: screen === 'mobile' ? 'Mobile' : screen === 'tablet' ? 'Tablet' : screen === 'desktop' ? 'Desktop' : undefined,
    utm_source: campaign?.source,
    utm_medium: campaign?.medium,
    utm_campaign: campaign?.name,
    utm_term: campaign?.term,
    utm_content: campaign?.content,
    $lib: library.name,
    $lib_version: library.version,
    // Without a user id, no person profile: anonymous events stay anonymous in PostHog.
    $process_person_profile: event.userId ? undefined : false,
  });
  let name = event.name;
  if (event.type === 'page') name = '$pageview';
  if (event.type === 'identify') {
    name = '$identify';
    properties.$set = event.traits ?? {};
    if (event.userId) properties.$anon_distinct_id = event.anonymousId;
  }
  return { item: { event: name, distinct_id: distinctId, timestamp: event.timestamp, uuid: posthogUuid(event.id), properties } };
}

/**
 * Forwards events to PostHog's capture API (`POST /batch/` with the project API key): `page` envelopes become
 * `$pageview`, `identify` becomes `$identify` with `$set` traits, `track` keeps its name and properties;
 * `distinct_id` is the `userId` or else the `anonymousId`, `uuid` is the event id (or a stable UUID derived from
 * it), so PostHog dedupes retries. Events without a `userId` are sent with `$process_person_profile: false`, so
 * PostHog creates no person profile for anonymous visitors. Only events whose consent allows third-party sharing and that carry no GPC
 * signal are sent.
 * @example
 * ```ts
 * import { posthogSink } from '@waymark/sinks/posthog';
 * const sink = posthogSink({ apiKey: 'phc_...', host: 'https://eu.i.posthog.com' });
 * ```
 */
export function posthogSink(options: PosthogSinkOptions): Sink {
  if (typeof options?.apiKey !== 'string' || options.apiKey === '') invalidOption('posthogSink', 'apiKey', 'is required: the project API key (phc_...)');
  if (options.apiKey.startsWith('phx_')) invalidOption('posthogSink', 'apiKey', 'is a personal API key (phx_...), which must stay secret: use the project API key (phc_...)');
  const host = checkUrl('posthogSink', 'host', options.host ?? 'https://us.i.posthog.com');
  return createForwarder<PosthogEvent>(
    {
      name: 'posthog',
      label: 'posthogSink',
      url: new URL('/batch/', host).toString(),
      headers: {},
      maxEvents: 1000,
      maxBytes: 5_000_000,
      map: toPosthog,
      body: (batch) => ({ api_key: options.apiKey, historical_migration: false, batch }),
    },
    options,
  );
}
