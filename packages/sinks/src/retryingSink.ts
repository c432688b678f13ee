import type { Sink, WriteResult } from './sink';
import { isRetryable, SinkError } from './sinkError';

/** How to retry a failed attempt. The defaults follow common SDK practice: 1 s, doubling, at most 30 s, 10 attempts. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 10 */
  attempts?: number;
  /** Delay before the second attempt, in ms. @default 1000 */
  baseDelayMs?: number;
  /** Largest backoff delay, in ms. A longer `Retry-After` from the server is still honoured. @default 30000 */
  maxDelayMs?: number;
  /** Growth factor between delays. @default 2 */
  factor?: number;
  /** Spread each delay randomly over [delay / 2, delay] so many clients do not retry in step. @default true */
  jitter?: boolean;
  /** Stops retrying when aborted; the last error is then thrown. */
  signal?: AbortSignal;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * The backoff delay before attempt `attempt + 1` (attempt 1 is the first retry's predecessor).
 * @example backoffDelay(1) // between 500 and 1000 ms
 */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const { baseDelayMs = 1000, maxDelayMs = 30_000, factor = 2, jitter = true } = options;
  const delay = Math.min(maxDelayMs, baseDelayMs * factor ** Math.max(0, attempt - 1));
  return jitter ? delay / 2 + Math.random() * (delay / 2) : delay;
}

/**
 * Reads an HTTP `Retry-After` value (delta seconds or an HTTP date) as milliseconds from `now`.
 * Returns `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `attempt` until it resolves, retrying retryable failures (see {@link isRetryable}) with exponential backoff,
 * and waiting at least the `retryAfterMs` a {@link SinkError} carries (from `Retry-After`).
 * Throws the last error once attempts run out, and non-retryable errors at once.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 10;
  if (!(attempts >= 1)) throw new SinkError('invalid_option', 'retry: option `attempts` must be 1 or more (1 means no retry)');
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= attempts || !isRetryable(error) || options.signal?.aborted) throw error;
      const retryAfter = error instanceof SinkError ? (error.retryAfterMs ?? 0) : 0;
      const delayMs = Math.max(backoffDelay(n, options), retryAfter);
      options.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}

/**
 * Wraps a sink so a rejected `write` is retried with backoff and `Retry-After`. Safe because every sink's `write`
 * is idempotent by event id: a retried batch never duplicates an event.
 * @example
 * ```ts
 * const sink = retryingSink(postgresSink({ connectionString }), { attempts: 5 });
 * ```
 */
export function retryingSink(sink: Sink, options: RetryOptions = {}): Sink {
  const wrapped: Sink = {
    name: sink.name,
    write: (events): Promise<WriteResult> => withRetry(() => sink.write(events), options),
  };
  if (sink.flush) wrapped.flush = () => withRetry(() => sink.flush!(), options);
  if (sink.close) wrapped.close = () => sink.close!();
  if (sink.erase) wrapped.erase = (subject) => withRetry(() => sink.erase!(subject), options);
  return wrapped;
}
