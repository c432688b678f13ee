import type { FailedEvent, Sink, WriteResult } from './sink';
import { failAll, messageOf } from './writeResult';

/** Options of {@link deadLetterSink}. */
export interface DeadLetterOptions {
  /**
   * Receives every event the sink cannot write: per-event failures, and whole batches whose `write` rejected
   * (after any retries wrapped inside). Store them somewhere durable so they can be inspected and replayed.
   * If it throws, the `write` rejects and nothing is lost silently.
   */
  onDeadLetter: (failed: FailedEvent[]) => void | Promise<void>;
}

/**
 * Wraps a sink so events it cannot write are handed to `onDeadLetter` instead of being dropped or retried forever.
 * The wrapped `write` never rejects because of the inner sink: it resolves with the handed-off events in `failed`.
 * Put retries inside: `deadLetterSink(retryingSink(sink), ...)`.
 * @example
 * ```ts
 * const failedFile = fileSink({ dir: './dead-letter' });
 * const sink = deadLetterSink(retryingSink(postgresSink({ connectionString })), {
 *   onDeadLetter: async (failed) => void (await failedFile.write(failed.map((f) => f.event))),
 * });
 * ```
 */
export function deadLetterSink(sink: Sink, options: DeadLetterOptions): Sink {
  const wrapped: Sink = {
    name: sink.name,
    async write(events): Promise<WriteResult> {
      let result: WriteResult;
      try {
        result = await sink.write(events);
      } catch (error) {
        result = { written: 0, skipped: 0, failed: failAll(events, messageOf(error), sink.name) };
      }
      if (result.failed.length > 0) await options.onDeadLetter(result.failed.map((f) => ({ sink: sink.name, ...f })));
      return result;
    },
  };
  if (sink.flush) wrapped.flush = () => sink.flush!();
  if (sink.close) wrapped.close = () => sink.close!();
  if (sink.erase) wrapped.erase = (subject) => sink.erase!(subject);
  return wrapped;
}
