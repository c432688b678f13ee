import type { Transport, TransportResult } from './types';

/** Options of {@link fetchTransport}. */
export interface FetchTransportOptions {
  /**
   * The `fetch` to send with, for tests or a wrapped fetch. Called without a `this`, so passing `window.fetch` works.
   * @default the global `fetch`, read at each send
   */
  fetch?: typeof fetch;
}

/** Milliseconds from a `Retry-After` value (delta-seconds or HTTP-date), or undefined when missing or unreadable. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return;
  const ms = /^\d+$/.test(value) ? +value * 1000 : Date.parse(value) - Date.now();
  return ms > 0 ? ms : ms <= 0 ? 0 : undefined;
}

/**
 * Sends each request as a `keepalive` POST, so it completes even when the page is closed meanwhile. The body goes as
 * `text/plain` and without credentials: a CORS-safelisted request with no preflight (the write key is in the URL).
 * Resolves `{ status: 0 }` instead of rejecting when the request fails.
 *
 * @example
 * createTracker({ writeKey, transport: fetchTransport() });
 */
export function fetchTransport(options: FetchTransportOptions = {}): Transport {
  return {
    async send({ url, body, unloading }) {
      // Read at send time and called unbound: `options.fetch(...)` would pass `options` as `this` (Illegal invocation).
      const post = (keepalive: boolean) =>
        (options.fetch || fetch)(url, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
          body,
          credentials: 'omit',
          keepalive,
        });
      try {
        const response = await post(true).catch((error) => {
          // Keepalive requests share a 64 KiB in-flight quota; past it fetch throws. A page that stays can send normally.
          if (unloading) throw error;
          return post(false);
        });
        const result: TransportResult = { status: response.status };
        const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
        if (retryAfter != null) result.retryAfter = retryAfter;
        return result;
      } catch {
        return { status: 0 };
      }
    },
  };
}
