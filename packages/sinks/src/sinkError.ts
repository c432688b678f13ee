/** What went wrong, as a stable string to branch on. */
export type SinkErrorCode =
  /** The backend cannot be reached or answered with a server error; retry later. */
  | 'unavailable'
  /** The backend asked to slow down (HTTP 429 or its equivalent); retry after `retryAfterMs`. */
  | 'rate_limited'
  /** The request took longer than the sink's timeout; retry later. */
  | 'timeout'
  /** The backend refused the request itself (bad credentials, missing table); retrying will not help. */
  | 'rejected'
  /** An option passed to a sink factory is missing or invalid. */
  | 'invalid_option';

/** Options of {@link SinkError}. */
export interface SinkErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** How long the backend asked to wait before the next try, in ms (from `Retry-After`). */
  retryAfterMs?: number;
}

const retryableCodes: ReadonlySet<SinkErrorCode> = new Set(['unavailable', 'rate_limited', 'timeout']);

/**
 * The error sinks reject with. `retryable` is true for `unavailable`, `rate_limited` and `timeout`: the same batch
 * may succeed later, and because writes are idempotent by event id, retrying it never duplicates an event.
 */
export class SinkError extends Error {
  /** What went wrong. */
  readonly code: SinkErrorCode;
  /** Whether trying the same batch again later may succeed. */
  readonly retryable: boolean;
  /** How long the backend asked to wait before the next try, in ms, when it said. */
  readonly retryAfterMs?: number;

  constructor(code: SinkErrorCode, message: string, options: SinkErrorOptions = {}) {
    super(message.startsWith('[waymark]') ? message : `[waymark] ${message}`, { cause: options.cause });
    this.name = 'SinkError';
    this.code = code;
    this.retryable = retryableCodes.has(code);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** Whether an error rejected by a sink's `write` is worth retrying: a retryable {@link SinkError}, or any other error. */
export function isRetryable(error: unknown): boolean {
  return error instanceof SinkError ? error.retryable : true;
}

/** Throws a `SinkError('invalid_option')` naming the option and how to fix it. */
export function invalidOption(sink: string, option: string, fix: string): never {
  throw new SinkError('invalid_option', `${sink}: option \`${option}\` ${fix}`);
}
