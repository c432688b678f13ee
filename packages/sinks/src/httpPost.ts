// The POST, retry classification and URL checks shared by httpSink and the third-party forwarders.
import { parseRetryAfter } from './retryingSink';
import type { SinkEvent, FailedEvent } from './sink';
import { invalidOption, SinkError } from './sinkError';
import { messageOf } from './writeResult';

/** A permanent HTTP refusal (4xx other than 408/429): not retried. */
class HttpStatusError extends SinkError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('rejected', message);
  }
}

/** One JSON POST for `httpSink` and the forwarders, with the retryable outcomes as retryable `SinkError`s. */
export async function postJson(
  sink: string,
  url: string,
  init: { body: string; headers: Record<string, string>; timeoutMs: number; fetch: typeof fetch },
): Promise<Response> {
  let response: Response;
  try {
    response = await init.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (error) {
    const timedOut = (error as Error)?.name === 'TimeoutError';
    throw new SinkError(timedOut ? 'timeout' : 'unavailable', `${sink}: POST ${new URL(url).origin} failed: ${messageOf((error as Error)?.cause ?? error)}`, { cause: error });
  }
  if (response.ok) return response;
  const text = (await response.text().catch(() => '')).slice(0, 300);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const message = `${sink}: POST ${new URL(url).origin} answered HTTP ${response.status}${text ? `: ${text}` : ''}`;
  if (response.status === 429) throw new SinkError('rate_limited', message, { retryAfterMs });
  if (response.status === 408 || response.status >= 500) throw new SinkError('unavailable', message, { retryAfterMs });
  throw new HttpStatusError(response.status, message);
}

/** Whether a refusal may come from one event in the request (bad value, too large), so splitting finds it. */
export function isPayloadRefusal(error: unknown): boolean {
  return error instanceof HttpStatusError && [400, 413, 422].includes(error.status);
}

/** Turns a permanent HTTP refusal into per-event failures, and rethrows retryable errors. */
export function failOrRethrow(error: unknown, events: readonly SinkEvent[]): FailedEvent[] {
  if (error instanceof HttpStatusError) return events.map((event) => ({ event, reason: error.message }));
  throw error;
}

/** Checks a URL option. */
export function checkUrl(sink: string, option: string, url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(String(url));
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) invalidOption(sink, option, `must be an http(s) URL, got ${JSON.stringify(url)}`);
  return parsed.toString();
}
