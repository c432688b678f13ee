import type { FailedEvent, Sink, SinkEvent, Subject, WriteResult } from './sink';
import { SinkError } from './sinkError';
import { failAll, messageOf } from './writeResult';

/** Options of {@link fanOutSink}. */
export interface FanOutOptions {
  /** The sinks every event goes to. Wrap each in `retryingSink` / `deadLetterSink` / `batchingSink` as it needs. */
  sinks: Sink[];
  /** Name in logs and failure reasons. @default 'fan-out' */
  name?: string;
  /**
   * A sink that has not settled its part of a write after this long, in ms, is reported as failed for that batch
   * so a hanging backend cannot hold up the others. Its write keeps running; writes are idempotent. @default 30000
   */
  timeoutMs?: number;
  /** Called with each sink's own outcome of each write, for metrics. */
  onSinkResult?: (sink: string, outcome: { result?: WriteResult; error?: unknown }) => void;
}

function withTimeout<T>(promise: Promise<T>, ms: number, sink: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SinkError('timeout', `fanOutSink: sink "${sink}" did not finish within timeoutMs (${ms} ms)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runAll(sinks: Sink[], label: string, run: (sink: Sink) => Promise<unknown> | undefined): Promise<unknown[]> {
  const settled = await Promise.allSettled(sinks.map(async (sink) => run(sink)));
  const errors = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${sinks[i].name}: ${messageOf(s.reason)}`] : []));
  if (errors.length > 0) {
    const reasons = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    throw new SinkError('unavailable', `fanOutSink: ${label} failed for ${errors.join('; ')}`, { cause: new AggregateError(reasons) });
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
}

/**
 * Writes every event to several sinks at once. One failing, rejecting or hanging sink does not block or fail the
 * others: its events are reported in `failed` with its name, and `write` never rejects. `written` counts events
 * that no sink failed. `erase`, `flush` and `close` run on every sink, then report all errors together.
 * @example
 * ```ts
 * const sink = fanOutSink({ sinks: [duckdbSink({ path: 'events.duckdb' }), ga4Sink({ measurementId, apiSecret })] });
 * ```
 */
export function fanOutSink(options: FanOutOptions): Sink {
  const { sinks, timeoutMs = 30_000 } = options;
  if (!Array.isArray(sinks) || sinks.length === 0) {
    throw new SinkError('invalid_option', 'fanOutSink: option `sinks` must be a non-empty array: fanOutSink({ sinks: [a, b] })');
  }
  return {
    name: options.name ?? 'fan-out',
    async write(events: readonly SinkEvent[]): Promise<WriteResult> {
      const outcomes = await Promise.all(
        sinks.map(async (sink) => {
          try {
            const result = await withTimeout(Promise.resolve().then(() => sink.write(events)), timeoutMs, sink.name);
            options.onSinkResult?.(sink.name, { result });
            return result.failed.map((f) => ({ sink: sink.name, ...f }));
          } catch (error) {
            options.onSinkResult?.(sink.name, { error });
            return failAll(events, messageOf(error), sink.name);
          }
        }),
      );
      const failed: FailedEvent[] = outcomes.flat();
      const failedEvents = new Set(failed.map((f) => f.event));
      return { written: events.length - failedEvents.size, skipped: 0, failed };
    },
    async flush() {
      await runAll(sinks, 'flush', (sink) => sink.flush?.());
    },
    async close() {
      await runAll(sinks, 'close', (sink) => sink.close?.());
    },
    async erase(subject: Subject) {
      const results = (await runAll(sinks, 'erase', (sink) => sink.erase?.(subject))) as ({ deleted?: number } | undefined)[];
      const counts = results.filter((r) => r !== undefined);
      return counts.every((r) => r!.deleted !== undefined) ? { deleted: counts.reduce((n, r) => n + r!.deleted!, 0) } : {};
    },
  };
}
