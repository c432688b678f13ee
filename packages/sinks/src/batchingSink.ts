import { eventBytes } from './chunkEvents';
import { matchesSubject, subjectIds } from './eventRow';
import type { FailedEvent, Sink, SinkEvent, Subject, WriteResult } from './sink';
import { SinkError } from './sinkError';

/** Options of {@link batchingSink}. */
export interface BatchingOptions {
  /** Write once this many events are buffered. @default 1000 */
  maxEvents?: number;
  /** Write once the buffered events' JSON reaches this many bytes. @default 4194304 (4 MiB) */
  maxBytes?: number;
  /** Write buffered events at the latest this long after the first of them arrived, in ms. @default 1000 */
  maxWaitMs?: number;
}

interface Ticket {
  remaining: number;
  result: WriteResult;
  settled: boolean;
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

interface Item {
  event: SinkEvent;
  bytes: number;
  ticket: Ticket;
}

/**
 * Buffers writes and hands them to `sink` in batches by count, bytes or time, whichever comes first. Each `write`
 * resolves once all its events are stored (or failed), so callers keep back-pressure and at-least-once delivery;
 * many small writes (one per HTTP request at the collector) become one bulk insert.
 * `erase` also drops the subject's events still waiting in the buffer.
 * @example
 * ```ts
 * const sink = batchingSink(retryingSink(clickhouseSink({ url })), { maxEvents: 5000, maxWaitMs: 2000 });
 * ```
 */
export function batchingSink(sink: Sink, options: BatchingOptions = {}): Sink {
  const maxEvents = options.maxEvents ?? 1000;
  const maxBytes = options.maxBytes ?? 4_194_304;
  const maxWaitMs = options.maxWaitMs ?? 1000;
  if (!(maxEvents >= 1)) throw new SinkError('invalid_option', `batchingSink: option \`maxEvents\` must be 1 or more, got ${maxEvents}`);
  let buffer: Item[] = [];
  let bufferedBytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  function settle(ticket: Ticket, written: number, failed: FailedEvent[], skipped: number, count: number) {
    ticket.result.written += written;
    ticket.result.skipped += skipped;
    ticket.result.failed.push(...failed);
    ticket.remaining -= count;
    if (ticket.remaining <= 0 && !ticket.settled) {
      ticket.settled = true;
      ticket.resolve(ticket.result);
    }
  }

  function take(): Item[] {
    let count = 0;
    let bytes = 0;
    while (count < buffer.length && count < maxEvents && (count === 0 || bytes + buffer[count].bytes <= maxBytes)) {
      bytes += buffer[count].bytes;
      count++;
    }
    bufferedBytes -= bytes;
    return buffer.splice(0, count);
  }

  async function writeItems(items: Item[]): Promise<void> {
    if (items.length === 0) return;
    const tickets = new Map<Ticket, Item[]>();
    for (const item of items) {
      const own = tickets.get(item.ticket);
      if (own) own.push(item);
      else tickets.set(item.ticket, [item]);
    }
    try {
      const result = await sink.write(items.map((item) => item.event));
      const failedBy = new Map<SinkEvent, FailedEvent>(result.failed.map((f) => [f.event, f]));
      // Counts are per batch; spread them over the writes in it, failures first by identity.
      let skippedLeft = result.skipped;
      for (const [ticket, own] of tickets) {
        const failed = own.map((item) => failedBy.get(item.event)).filter((f): f is FailedEvent => f !== undefined);
        const skipped = Math.min(skippedLeft, own.length - failed.length);
        skippedLeft -= skipped;
        settle(ticket, own.length - failed.length - skipped, failed, skipped, own.length);
      }
    } catch (error) {
      for (const ticket of tickets.keys()) {
        if (!ticket.settled) {
          ticket.settled = true;
          ticket.reject(error);
        }
      }
    }
  }

  function drain(all: boolean): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batches: Item[][] = [];
    while (buffer.length > 0 && (all || buffer.length >= maxEvents || bufferedBytes >= maxBytes)) batches.push(take());
    if (buffer.length > 0) arm();
    chain = chain.then(async () => {
      for (const items of batches) await writeItems(items);
    });
    return chain;
  }

  function arm() {
    if (timer === undefined) {
      timer = setTimeout(() => void drain(true), maxWaitMs);
      timer.unref?.();
    }
  }

  const batching: Sink = {
    name: sink.name,
    write(events) {
      if (closed) return Promise.reject(new SinkError('rejected', `batchingSink(${sink.name}): write() after close()`));
      if (events.length === 0) return Promise.resolve({ written: 0, skipped: 0, failed: [] });
      return new Promise<WriteResult>((resolve, reject) => {
        const ticket: Ticket = { remaining: events.length, result: { written: 0, skipped: 0, failed: [] }, settled: false, resolve, reject };
        for (const event of events) {
          const bytes = eventBytes(event);
          buffer.push({ event, bytes, ticket });
          bufferedBytes += bytes;
        }
        if (buffer.length >= maxEvents || bufferedBytes >= maxBytes) void drain(false);
        else arm();
      });
    },
    async flush() {
      await drain(true);
      await sink.flush?.();
    },
    async close() {
      await batching.flush!();
      closed = true;
      await sink.close?.();
    },
  };
  if (sink.erase) {
    batching.erase = async (subject: Subject) => {
      const ids = subjectIds(`batchingSink(${sink.name})`, subject);
      const kept: Item[] = [];
      for (const item of buffer) {
        if (matchesSubject(item.event, ids)) {
          bufferedBytes -= item.bytes;
          settle(item.ticket, 0, [], 1, 1);
        } else kept.push(item);
      }
      buffer = kept;
      // Events already on their way are erased after they land.
      await chain;
      return sink.erase!(subject);
    };
  }
  return batching;
}
