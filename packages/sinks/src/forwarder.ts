import { chunkEvents } from './chunkEvents';
import { consentFilterSink } from './consentFilterSink';
import { failOrRethrow, isPayloadRefusal, postJson } from './httpPost';
import { isolateFailures } from './isolateFailures';
import { withRetry } from './retryingSink';
import type { RetryOptions } from './retryingSink';
import type { FailedEvent, Sink, SinkEvent, WriteResult } from './sink';

/** Options every third-party forwarder shares. */
export interface ForwarderOptions {
  /** Retries of a request that failed with a network error, 408, 429 or 5xx; `false` for none. @default { attempts: 5 } */
  retry?: RetryOptions | false;
  /** Time limit of one request, in ms. @default 10000 */
  timeoutMs?: number;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** How one event maps to the vendor's format: an item to send, or why it is skipped or failed. */
export type Mapped<T> = { item: T } | { skip: true } | { fail: string };

/** What a forwarder definition provides; internal to the forwarders. */
export interface ForwarderDefinition<T> {
  name: string;
  label: string;
  url: string;
  headers: Record<string, string>;
  maxEvents: number;
  maxBytes: number;
  map: (event: SinkEvent) => Mapped<T>;
  /** Events with different keys never share a request (GA4: one client id per request). */
  groupKey?: (event: SinkEvent) => string;
  body: (items: T[]) => unknown;
}

/**
 * Builds a third-party forwarder: consent-filtered, mapped, grouped, chunked to the vendor's limits, POSTed with
 * retries, and with a refused request split until the refused event stands alone.
 */
export function createForwarder<T>(definition: ForwarderDefinition<T>, options: ForwarderOptions): Sink {
  const retry = options.retry === false ? { attempts: 1 } : { attempts: 5, ...options.retry };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function write(events: readonly SinkEvent[]): Promise<WriteResult> {
    const failed: FailedEvent[] = [];
    let skipped = 0;
    const groups = new Map<string, { event: SinkEvent; item: T; bytes: number }[]>();
    for (const event of events) {
      const mapped = definition.map(event);
      if ('skip' in mapped) skipped++;
      else if ('fail' in mapped) failed.push({ event, reason: `[waymark] ${definition.label}: ${mapped.fail}` });
      else {
        const key = definition.groupKey?.(event) ?? '';
        const entry = { event, item: mapped.item, bytes: Buffer.byteLength(JSON.stringify(mapped.item)) };
        const group = groups.get(key);
        if (group) group.push(entry);
        else groups.set(key, [entry]);
      }
    }
    let written = 0;
    for (const group of groups.values()) {
      for (const chunk of chunkEvents(group, { maxEvents: definition.maxEvents, maxBytes: definition.maxBytes }, (e) => e.bytes)) {
        try {
          const result = await isolateFailures(chunk, {
            sink: definition.label,
            isDataError: isPayloadRefusal,
            write: (items) =>
              withRetry(async () => {
                await postJson(definition.label, definition.url, {
                  body: JSON.stringify(definition.body(items.map((i) => i.item))),
                  headers: definition.headers,
                  timeoutMs,
                  fetch: fetchImpl,
                });
              }, retry),
          });
          written += result.written;
          failed.push(...result.failed);
        } catch (error) {
          failed.push(...failOrRethrow(error, chunk.map((c) => c.event)));
        }
      }
    }
    return { written, skipped, failed };
  }

  return consentFilterSink({ name: definition.name, write });
}

/** Drops `undefined` fields, so payloads carry only what is known. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
