/**
 * An error with an HTTP status that the collector answers as a JSON problem response (RFC 9457):
 * `{ "type": "about:blank", "title": "Payload Too Large", "status": 413, "detail": "[waymark] …" }`.
 * Any other error becomes a plain 500 that is logged, never a stack trace on the wire.
 * @example
 * ```ts
 * throw new HttpError(401, 'unknown write key');
 * ```
 */
export class HttpError extends Error {
  /** HTTP status of the response. */
  readonly status: number;
  /** Extra response headers, such as `Retry-After` on a 429. */
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message.startsWith('[waymark]') ? message : `[waymark] ${message}`, { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.headers = options.headers ?? {};
  }
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The JSON problem response of an {@link HttpError}. */
export function problemResponse(error: HttpError, headers: Record<string, string> = {}): Response {
  const body = { type: 'about:blank', title: titles[error.status] ?? 'Error', status: error.status, detail: error.message };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { 'content-type': 'application/problem+json', ...headers, ...error.headers },
  });
}
