/** What to do with the events of a request after the transport answered. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'rejected';

/**
 * First retry delay before jitter. The 1 s start and the doubling follow Segment's localstorage-retry
 * (`README.md`: `minRetryDelay` 1000, `backoffFactor` 2).
 */
export const RETRY_BASE_MS = 1000;

/**
 * Longest delay computed by backoff before jitter: localstorage-retry's `maxRetryDelay` (30 000 ms), so a tab that
 * stays open on hotel wifi retries every half minute once the collector is back.
 */
export const RETRY_CAP_MS = 30_000;

/** Longest wait honoured from a server's `Retry-After`, so a wrong header cannot park events for days. */
export const RETRY_AFTER_CAP_MS = 3_600_000;

/** Sends of one event before it is dropped and counted: the `maxRetries` default (10) of analytics-next's batched dispatcher. */
export const MAX_ATTEMPTS = 10;

/**
 * Age after which an undelivered event is dropped and counted instead of sent, like the age limits on Snowplow's
 * and Segment's retry queues. Seven days is the collector's dedupe window: an older copy could be counted twice.
 */
export const MAX_EVENT_AGE_MS = 7 * 24 * 3_600_000;

/**
 * Sorts a transport status: 2xx `delivered`; 0 (network error), 408, 425, 429 and 5xx except 501 and 505 `retry`;
 * every other status (400, 401, 403, 404, 410, 413, 422, 501, 505, ...) `rejected`, since sending the same body again
 * cannot succeed. 501 and 505 are permanent like in Segment's React Native SDK (`wiki/e2e-current-status.md` of
 * segmentio/analytics-react-native: 400/401/403/404/413/422/501/505 dequeue).
 *
 * @example
 * classifyStatus(503); // 'retry'
 */
export function classifyStatus(status: number): DeliveryOutcome {
  const hundreds = (status / 100) | 0;
  return hundreds == 2
    ? 'delivered'
    : [0, 408, 425, 429].includes(status) || (hundreds == 5 && status != 501 && status != 505)
    ? 'retry'
    : 'rejected';
}

/**
 * Milliseconds to wait before the next send: {@link RETRY_BASE_MS} doubled per failed attempt, capped at
 * {@link RETRY_CAP_MS}, then jittered to between half and all of it so many tabs do not retry in step. A server's
 * `Retry-After` wins when it is longer, up to {@link RETRY_AFTER_CAP_MS}.
 *
 * @param attempt Failed sends so far: 1 after the first failure.
 * @param retryAfter Milliseconds from the response's `Retry-After` header, if any.
 * @param random Source of jitter in [0, 1).
 * @example
 * setTimeout(flush, backoffDelay(attempt, result.retryAfter));
 */
export function backoffDelay(attempt: number, retryAfter?: number, random: () => number = Math.random): number {
  const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(attempt - 1, 0));
  return Math.min(Math.max(retryAfter || 0, (delay * (1 + random())) / 2), RETRY_AFTER_CAP_MS);
}
