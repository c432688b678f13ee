import { SinkError, matchesSubject } from '@waymark/sinks';
import type { FailedEvent, Sink, SinkEvent, Subject, WriteResult } from '@waymark/sinks';

/** Options of {@link memorySink}. */
export interface MemorySinkOptions {
  /** Refuse events whose JSON is larger than this, in bytes. @default 32768 */
  maxEventBytes?: number;
}

/** A sink that keeps events in memory, plus a switch to play an outage in tests. */
export interface MemorySink extends Sink {
  /** Stored events by id. */
  readonly events: ReadonlyMap<string, SinkEvent>;
  /** While true, `write` rejects as a database that went away would. */
  offline: boolean;
}

/**
 * Keeps events in a Map keyed by event id: for tests and demos, and as a template for your own sink.
 * @example
 * ```ts
 * const sink = memorySink();
 * await sink.write(events);
 * sink.events.size; // how many distinct events arrived
 * ```
 */
export function memorySink(options: MemorySinkOptions = {}): MemorySink {
  const maxEventBytes = options.maxEventBytes ?? 32_768;
  const events = new Map<string, SinkEvent>();

  const sink: MemorySink = {
    name: 'memory',
    events,
    offline: false,

    async write(batch: readonly SinkEvent[]): Promise<WriteResult> {
      // 1. Whole-batch problems that may go away: reject with a retryable SinkError.
      if (sink.offline) throw new SinkError('unavailable', 'memorySink: the store is offline');

      // 2. Problems of one event that retrying cannot fix: report them, write the rest.
      const failed: FailedEvent[] = [];
      let written = 0;
      for (const event of batch) {
        if (Buffer.byteLength(JSON.stringify(event)) > maxEventBytes) {
          failed.push({ event, reason: `[waymark] memorySink: the event is larger than maxEventBytes (${maxEventBytes})` });
          continue;
        }
        // 3. Idempotent by id: a retried batch overwrites, never duplicates.
        events.set(event.id, event);
        written++;
      }
      return { written, skipped: 0, failed };
    },

    async erase(subject: Subject) {
      let deleted = 0;
      for (const [id, event] of events) {
        if (matchesSubject(event, subject)) {
          events.delete(id);
          deleted++;
        }
      }
      return { deleted };
    },

    async close() {
      events.clear();
    },
  };
  return sink;
}
