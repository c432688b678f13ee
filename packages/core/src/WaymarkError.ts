/** What went wrong, for code that handles errors reported through `onError`. */
export type WaymarkErrorCode = 'invalid_options' | 'invalid_event' | 'delivery_failed' | 'storage_failed';

/** The one error type Waymark raises or reports; the message starts with `[waymark]` and says how to fix it. */
export class WaymarkError extends Error {
  /** Machine-readable kind of the error. */
  readonly code: WaymarkErrorCode;

  constructor(code: WaymarkErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[waymark] ${message}`, options);
    this.name = 'WaymarkError';
    this.code = code;
  }
}
