import type { Envelope } from '@waymark/taxonomy';

/**
 * One event as a sink receives it: the envelope the browser sent, plus the fields the collector may add on the
 * server. Every extra field is optional, so a plain {@link Envelope} is a valid `SinkEvent`.
 */
export type SinkEvent = Envelope & {
  /** When the collector received the event, ISO 8601. Stored as `received_at` where the backend has that column. */
  receivedAt?: string;
  /** ISO 3166-1 alpha-2 country of the visitor, looked up by the collector from the IP it then discarded. */
  country?: string;
};

/** An event that a sink could not write and will never be able to write as it is (a retry would fail again). */
export interface FailedEvent {
  /** The event, unchanged, so it can be inspected and replayed from the dead letter. */
  event: SinkEvent;
  /** Why it failed, for humans: `[waymark] postgresSink: invalid input syntax for type timestamp`. */
  reason: string;
  /** Name of the sink that failed it, when a wrapper (fan-out, dead letter) reports for several sinks. */
  sink?: string;
}

/** What {@link Sink.write} resolves with. */
export interface WriteResult {
  /**
   * Events now stored by the sink, including those it already had (a retried batch counts again here but creates
   * no second copy).
   */
  written: number;
  /** Events left out on purpose and not failed, such as events whose consent forbids a third-party sink. */
  skipped: number;
  /** Events that cannot be written; never retried by the sink, handed to a dead letter by {@link deadLetterSink}. */
  failed: FailedEvent[];
}

/** Whose events {@link Sink.erase} deletes. At least one field must be set; events matching either are deleted. */
export interface Subject {
  /** The `userId` set by `identify`. */
  userId?: string;
  /** The device's anonymous id. */
  anonymousId?: string;
}

/** What {@link Sink.erase} resolves with. */
export interface EraseResult {
  /** How many stored events were deleted, when the backend says; `undefined` when it cannot count. */
  deleted?: number;
}

/**
 * Where the collector writes events. The only server-side extension point: implement `write`, and the optional
 * lifecycle methods your backend needs.
 *
 * The contract every adapter keeps:
 * - `write` is idempotent by `event.id`: writing the same event twice (a retried batch) stores it once.
 * - `write` resolves with per-event failures for events that can never be written, and rejects only when the
 *   whole batch may succeed later (server down, timeout, rate limit): reject with a {@link SinkError} whose
 *   `retryable` is true, so {@link retryingSink} knows to try again.
 *
 * @example
 * ```ts
 * const sink: Sink = {
 *   name: 'console',
 *   async write(events) {
 *     for (const event of events) console.log(event.id, event.name);
 *     return { written: events.length, skipped: 0, failed: [] };
 *   },
 * };
 * ```
 */
export interface Sink {
  /** Short name used in logs and failure reasons, such as `postgres` or `webhook:billing`. */
  readonly name: string;
  /** Stores the events; see the interface's contract. Events may arrive in any number, including zero. */
  write(events: readonly SinkEvent[]): Promise<WriteResult>;
  /** Writes whatever the sink buffers and resolves once it is stored. */
  flush?(): Promise<void>;
  /** Flushes, then releases connections, files and timers. The sink is unusable afterwards. */
  close?(): Promise<void>;
  /** Deletes every stored event of the subject (GDPR Art. 17). Present only where the backend can delete. */
  erase?(subject: Subject): Promise<EraseResult>;
}
