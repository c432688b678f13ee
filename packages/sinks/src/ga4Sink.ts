import { checkUrl } from './httpPost';
import { compact, createForwarder } from './forwarder';
import type { ForwarderOptions } from './forwarder';
import type { Sink, SinkEvent } from './sink';
import { invalidOption } from './sinkError';

/** Options of {@link ga4Sink}. */
export interface Ga4SinkOptions extends ForwarderOptions {
  /** The web stream's measurement id, `G-A1B2C3D4E5` (Admin > Data streams). */
  measurementId: string;
  /** A Measurement Protocol API secret of that stream. Sent in the query string, as the protocol requires; never logged. */
  apiSecret: string;
  /** The collect endpoint; `https://region1.google-analytics.com/mp/collect` keeps data collection in the EU. @default 'https://www.google-analytics.com/mp/collect' */
  endpoint?: string;
}

/** One Measurement Protocol event. */
interface Ga4Event {
  clientId: string;
  userId?: string;
  event: { name: string; params: Record<string, string | number>; timestamp_micros: number };
}

// Names the protocol reserves (Measurement Protocol reference, "Reserved names").
const reservedEvents = new Set([
  'ad_activeview', 'ad_click', 'ad_exposure', 'ad_query', 'ad_reward', 'adunit_exposure', 'app_clear_data', 'app_exception',
  'app_install', 'app_remove', 'app_store_refund', 'app_update', 'app_upgrade', 'dynamic_link_app_open', 'dynamic_link_app_update',
  'dynamic_link_first_open', 'error', 'firebase_campaign', 'firebase_in_app_message_action', 'firebase_in_app_message_dismiss',
  'firebase_in_app_message_impression', 'first_open', 'first_visit', 'in_app_purchase', 'notification_dismiss', 'notification_foreground',
  'notification_open', 'notification_receive', 'notification_send', 'os_update', 'session_start', 'session_start_with_rollout',
  'user_engagement',
]);
const reservedPrefix = /^(google_|ga_|firebase_)/;
const maxParams = 25;

function paramName(key: string): string {
  let name = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(name)) name = `p_${name}`;
  if (reservedPrefix.test(name)) name = `p_${name}`;
  return name.slice(0, 40);
}

function paramValue(value: unknown): string | number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.slice(0, 100);
}

function toGa4(event: SinkEvent): { item: Ga4Event } | { skip: true } | { fail: string } {
  // GA4 has no identify call: user ids travel on every event instead.
  if (event.type === 'identify') return { skip: true };
  const name = event.type === 'page' ? 'page_view' : event.name;
  if (name.length > 40) return { fail: `event name "${name}" is longer than the 40 characters GA4 accepts` };
  if (reservedEvents.has(name) || reservedPrefix.test(name)) return { fail: `event name "${name}" is reserved by GA4; rename it in the catalogue` };
  const page = event.context.page;
  const params: Record<string, string | number> = {};
  const add = (key: string, value: unknown) => {
    const v = paramValue(value);
    if (v !== undefined && Object.keys(params).length < maxParams) params[paramName(key)] = v;
  };
  add('session_id', event.sessionId);
  add('page_location', page.url);
  add('page_referrer', page.referrer);
  add('page_title', page.title);
  add('language', event.context.locale);
  add('campaign_source', event.context.campaign?.source);
  add('campaign_medium', event.context.campaign?.medium);
  add('campaign', event.context.campaign?.name);
  for (const [key, value] of Object.entries(event.properties ?? {})) add(key, value);
  return {
    item: compact({
      clientId: event.anonymousId,
      userId: event.userId,
      event: { name, params, timestamp_micros: Date.parse(event.timestamp) * 1000 },
    }),
  };
}

/**
 * Forwards events to Google Analytics 4 with the Measurement Protocol: `page` envelopes become `page_view`, `track`
 * envelopes keep their name, properties become params (at most 25, names up to 40 characters, values up to 100),
 * `anonymousId` is the `client_id` and `userId` the `user_id`; up to 25 events per request, one client per request.
 * `identify` envelopes are skipped. Only events whose consent allows third-party sharing and that carry no GPC
 * signal are sent (see `consentFilterSink`); requests say `ad_user_data: GRANTED, ad_personalization: DENIED`.
 * GA4 does not dedupe by event id: do not wrap this sink in `retryingSink` (its own retries resend only requests
 * that failed), or a batch retried after GA4 accepted part of it is counted twice.
 * @example
 * ```ts
 * import { ga4Sink } from '@waymark/sinks/ga4';
 * const sink = ga4Sink({ measurementId: 'G-A1B2C3D4E5', apiSecret: process.env.GA4_API_SECRET! });
 * ```
 */
export function ga4Sink(options: Ga4SinkOptions): Sink {
  if (!/^G-[A-Z0-9]+$/.test(options?.measurementId ?? '')) invalidOption('ga4Sink', 'measurementId', `must look like "G-A1B2C3D4E5" (Admin > Data streams), got ${JSON.stringify(options?.measurementId)}`);
  if (typeof options.apiSecret !== 'string' || options.apiSecret === '') invalidOption('ga4Sink', 'apiSecret', 'is required: create one under Admin > Data streams > Measurement Protocol API secrets');
  const url = new URL(checkUrl('ga4Sink', 'endpoint', options.endpoint ?? 'https://www.google-analytics.com/mp/collect'));
  url.searchParams.set('measurement_id', options.measurementId);
  url.searchParams.set('api_secret', options.apiSecret);
  return createForwarder<Ga4Event>(
    {
      name: 'ga4',
      label: 'ga4Sink',
      url: url.toString(),
      headers: {},
      maxEvents: 25,
      maxBytes: 120_000,
      map: toGa4,
      groupKey: (event) => `${event.anonymousId}\n${event.userId ?? ''}`,
      body: (items) =>
        compact({
          client_id: items[0].clientId,
          user_id: items[0].userId,
          // Marketing consent covers sharing with third parties; nothing in the snapshot grants ad personalisation.
          consent: { ad_user_data: 'GRANTED', ad_personalization: 'DENIED' },
          events: items.map((i) => i.event),
        }),
    },
    options,
  );
}
