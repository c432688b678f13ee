import { getNavigator } from './env';
import { fetchTransport } from './fetchTransport';
import type { Transport } from './types';

/** Options of {@link beaconTransport}. */
export interface BeaconTransportOptions {
  /**
   * Transport used where `navigator.sendBeacon` does not exist.
   * @default fetchTransport()
   */
  fallback?: Transport;
}

/**
 * Sends each request with `navigator.sendBeacon`, which the browser delivers even after the page is gone. The browser
 * reports no status: a queued beacon resolves `{ status: 202 }`, a refused one (over the beacon quota) `{ status: 0 }`.
 *
 * @example
 * createTracker({ writeKey, transport: beaconTransport() });
 */
export function beaconTransport(options: BeaconTransportOptions = {}): Transport {
  return {
    async send(request) {
      const navigator = getNavigator();
      if (!navigator?.sendBeacon) return (options.fallback || fetchTransport()).send(request);
      try {
        // A text/plain Blob keeps the beacon CORS-safelisted: no preflight, which sendBeacon could not answer.
        const queued = navigator.sendBeacon(request.url, new Blob([request.body], { type: 'text/plain;charset=UTF-8' }));
        return { status: queued ? 202 : 0 };
      } catch {
        return { status: 0 };
      }
    },
  };
}
