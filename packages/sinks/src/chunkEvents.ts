import type { SinkEvent } from './sink';

/** Limits of one chunk. */
export interface ChunkLimits {
  /** Most events in one chunk. @default 500 */
  maxEvents?: number;
  /** Most bytes in one chunk, summed over `sizeOf`. A single larger event gets a chunk of its own. @default 1048576 */
  maxBytes?: number;
}

/** The UTF-8 size of an event's JSON, the measure `maxBytes` limits use. */
export function eventBytes(event: SinkEvent): number {
  return Buffer.byteLength(JSON.stringify(event));
}

/**
 * Splits events into chunks of at most `maxEvents` events and `maxBytes` bytes (measured by `sizeOf`), keeping
 * their order: the request-sized pieces HTTP and forwarding sinks send.
 * @example chunkEvents(events, { maxEvents: 25 }) // GA4 takes 25 events per request
 */
export function chunkEvents<T = SinkEvent>(
  events: readonly T[],
  limits: ChunkLimits = {},
  sizeOf: (item: T) => number = eventBytes as (item: T) => number,
): T[][] {
  const maxEvents = limits.maxEvents ?? 500;
  const maxBytes = limits.maxBytes ?? 1_048_576;
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of events) {
    const size = maxBytes === Infinity ? 0 : sizeOf(item);
    if (current.length > 0 && (current.length >= maxEvents || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
