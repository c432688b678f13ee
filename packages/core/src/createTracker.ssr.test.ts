// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { beaconTransport, createTracker, fetchTransport } from '@waymark/core';
import { indexedDbBuffer } from '@waymark/core/offline';

describe('@waymark/core on the server', () => {
  it('runs without browser globals', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  it('creates a tracker whose methods throw nothing and send nothing', async () => {
    const send = vi.fn(async () => ({ status: 200 }));
    const fetch = vi.spyOn(globalThis, 'fetch');
    const tracker = createTracker({ endpoint: 'https://collect.example.test', writeKey: 'wk_test_123', consent: 'granted', transport: { send } });
    tracker.setConsent({ analytics: true, storage: true });
    tracker.track('destination_viewed', { destination: { country: 'PT' } });
    tracker.page();
    tracker.identify('user-42', { travellerType: 'solo' });
    tracker.reset();
    await tracker.flush();
    expect(tracker.stats()).toStrictEqual({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 });
    tracker.destroy();
    expect(send).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('creates the built-in transports and the offline buffer without touching browser globals', () => {
    expect(() => [fetchTransport(), beaconTransport(), indexedDbBuffer()]).not.toThrow();
    expect(() => createTracker({ endpoint: 'https://collect.example.test', writeKey: 'wk_test_123' }).destroy()).not.toThrow();
  });
});
