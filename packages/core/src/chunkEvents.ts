import type { Envelope } from '@waymark/taxonomy';

/** Options of {@link chunkEvents}. */
export interface ChunkEventsOptions {
  /**
   * Largest request body in UTF-8 bytes: Snowplow's `maxPostBytes` default, well under the 64 KiB that keepalive
   * fetches and beacons may have in flight.
   * @default 40_000
   */
  maxBytes?: number;
  /**
   * Largest single event in UTF-8 bytes; a larger one goes to `oversized`, since the collector answers 413 above
   * 32 KB per event and the rest of its request would be refused with it.
   * @default 32_000
   */
  maxEventBytes?: number;
  /**
   * Most events in one request.
   * @default 100
   */
  maxEvents?: number;
  /**
   * The batch's `sentAt`, ISO 8601.
   * @default new Date().toISOString()
   */
  sentAt?: string;
}

/** One request body and the ids of the events it carries, in order. */
export interface EventChunk {
  /** JSON text of a batch: `{"sentAt":…,"events":[…]}`. */
  body: string;
  /** Ids of the events in `body`, in order. */
  ids: string[];
  /** UTF-8 length of `body`. */
  bytes: number;
}

/** What {@link chunkEvents} returns. */
export interface ChunkedEvents {
  /** Request bodies within the limits, holding every sendable event once, in the original order. */
  chunks: EventChunk[];
  /**
   * Events that can never be sent: larger than `maxEventBytes` (or `maxBytes`) on their own, or not serialisable (a cycle or a BigInt in
   * their properties). Drop and count them; kept in the queue they would block it forever.
   */
  oversized: Envelope[];
}

/**
 * Splits events into request bodies of at most `maxBytes` UTF-8 bytes and `maxEvents` events, keeping their order
 * and setting aside events larger than `maxEventBytes`.
 * Each event is serialised once.
 *
 * @example
 * const { chunks, oversized } = chunkEvents(queue);
 * for (const { body, ids } of chunks) await transport.send({ url, body, unloading: false });
 */
export function chunkEvents(
  events: Envelope[],
  { maxBytes = 40_000, maxEventBytes = 32_000, maxEvents = 100, sentAt = new Date().toISOString() }: ChunkEventsOptions = {},
): ChunkedEvents {
  const encoder = new TextEncoder();
  const head = '{"sentAt":' + JSON.stringify(sentAt) + ',"events":[';
  const empty = encoder.encode(head + ']}').length;
  const chunks: EventChunk[] = [];
  const oversized: Envelope[] = [];
  let parts: string[] = [];
  let ids: string[] = [];
  let size = empty;
  const close = () => {
    if (parts.length) chunks.push({ body: head + parts.join() + ']}', ids, bytes: size });
    parts = [];
    ids = [];
    size = empty;
  };
  for (const event of events) {
    let bytes: number;
    let json: string;
    try {
      json = JSON.stringify(event);
      bytes = encoder.encode(json).length;
    } catch {
      bytes = Infinity;
    }
    if (bytes > maxEventBytes || empty + bytes > maxBytes) {
      oversized.push(event);
      continue;
    }
    // One more byte for the comma before every event but the first.
    if (parts.length >= maxEvents || size + bytes + 1 > maxBytes) close();
    size += bytes + (parts.length ? 1 : 0);
    parts.push(json!);
    ids.push(event.id);
  }
  close();
  return { chunks, oversized };
}
