import { checkUrl } from './httpPost';
import { compact, createForwarder } from './forwarder';
import type { ForwarderOptions } from './forwarder';
import type { Sink, SinkEvent } from './sink';
import { invalidOption } from './sinkError';

/** Options of {@link segmentSink}. */
export interface SegmentSinkOptions extends ForwarderOptions {
  /** The HTTP API source's write key; sent as HTTP Basic user name. Never logged. */
  writeKey: string;
  /** The batch endpoint; `https://events.eu1.segmentapis.com/v1/batch` for the EU workspace region. @default 'https://api.segment.io/v1/batch' */
  endpoint?: string;
}

/** One Segment call: `track`, `page` or `identify`. */
type SegmentMessage = Record<string, unknown>;

function toSegment(event: SinkEvent): { item: SegmentMessage } | { fail: string } {
  const { page, campaign, locale, timeZone, library } = event.context;
  const message = compact({
    type: event.type,
    messageId: event.id,
    anonymousId: event.anonymousId,
    userId: event.userId,
    timestamp: event.timestamp,
    context: compact({
      page: compact({ path: page.path, url: page.url, referrer: page.referrer, title: page.title }),
      locale,
      timezone: timeZone,
      campaign: campaign && compact({ ...campaign }),
      library: { name: library.name, version: library.version },
    }),
  }) as SegmentMessage;
  if (event.type === 'track') {
    message.event = event.name;
    message.properties = event.properties;
  } else if (event.type === 'page') {
    message.name = page.title;
    message.properties = { ...event.properties, path: page.path, url: page.url, referrer: page.referrer, title: page.title };
  } else {
    message.traits = event.traits ?? {};
  }
  // Segment refuses a message over 32 KB (HTTP API limits).
  if (Buffer.byteLength(JSON.stringify(message)) > 32_000) return { fail: 'the message is larger than the 32 KB Segment accepts' };
  return { item: message };
}

/**
 * Forwards events to Segment's HTTP tracking API (`POST /v1/batch`, Basic auth with the write key): `track`
 * envelopes become `track` calls with `event` and `properties`, `page` becomes `page`, `identify` becomes
 * `identify` with `traits`; `messageId` is the event id, so Segment dedupes retries. Batches stay under 500 KB.
 * Only events whose consent allows third-party sharing and that carry no GPC signal are sent.
 * @example
 * ```ts
 * import { segmentSink } from '@waymark/sinks/segment';
 * const sink = segmentSink({ writeKey: process.env.SEGMENT_WRITE_KEY! });
 * ```
 */
export function segmentSink(options: SegmentSinkOptions): Sink {
  if (typeof options?.writeKey !== 'string' || options.writeKey === '') invalidOption('segmentSink', 'writeKey', "is required: the HTTP API source's write key");
  const url = checkUrl('segmentSink', 'endpoint', options.endpoint ?? 'https://api.segment.io/v1/batch');
  return createForwarder<SegmentMessage>(
    {
      name: 'segment',
      label: 'segmentSink',
      url,
      headers: { authorization: `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}` },
      maxEvents: 500,
      maxBytes: 450_000,
      map: toSegment,
      body: (batch) => ({ batch, sentAt: new Date().toISOString() }),
    },
    options,
  );
}
