import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTracker } from './createTracker';
import type { Tracker, TrackerOptions } from './createTracker';
import type { Transport } from './types';

const endpoint = 'https://collect.example.test';
const writeKey = 'wk_test_123';
const lisbon = { destination: { country: 'PT', city: 'Lisbon' } };

/** Calls every method of a tracker, with valid and invalid arguments. */
async function exercise(tracker: Tracker) {
  tracker.setConsent({ analytics: true, storage: true, marketing: true });
  tracker.track('destination_viewed', lisbon);
  tracker.track('destination_viewed', { destination: { country: 'XX' } });
  tracker.track('no_such_event' as never, { wrong: 1 } as never);
  tracker.page();
  tracker.page({ postId: 'p-1' }, { route: '/blog/[slug]' });
  tracker.identify('user-42', { travellerType: 'family' });
  tracker.identify('');
  tracker.identify(undefined as never);
  tracker.reset();
  tracker.setConsent(undefined as never);
  await tracker.flush();
  tracker.stats();
  document.dispatchEvent(new Event('visibilitychange'));
  window.dispatchEvent(new Event('pagehide'));
  tracker.destroy();
  tracker.destroy();
  tracker.track('post_read', { engagedMs: 1 });
}

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  vi.restoreAllMocks();
  localStorage.clear();
});

/** Starts watching for unhandled rejections and console output; `expectSilent()` asserts there was none. */
function watch() {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
  const error = vi.spyOn(console, 'error');
  const warn = vi.spyOn(console, 'warn');
  return {
    expectSilent() {
      expect(unhandled).toEqual([]);
      expect(error).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
    },
  };
}

/** Waits for lazy imports and late rejections to surface. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('createTracker in production', () => {
  it('runs in production mode', () => {
    expect(process.env.NODE_ENV).toBe('production');
  });

  it.each([
    ['no options', undefined],
    ['no writeKey', { endpoint }],
    ['no endpoint', { writeKey }],
    ['empty strings', { endpoint: '', writeKey: '' }],
  ])('returns a tracker that does nothing for %s', async (_, options) => {
    const { expectSilent } = watch();
    const send = vi.fn(async () => ({ status: 200 }));
    let tracker: Tracker | undefined;
    expect(() => {
      tracker = createTracker({ ...(options as TrackerOptions), transport: { send }, consent: 'granted' });
    }).not.toThrow();
    await exercise(tracker!);
    await settle();
    expect(send).not.toHaveBeenCalled();
    expect(tracker!.stats()).toStrictEqual({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 });
    expect(localStorage.length).toBe(0);
    expectSilent();
  });

  it('never throws on misuse and logs nothing, while valid events still go out', async () => {
    const { expectSilent } = watch();
    const bodies: string[] = [];
    const transport: Transport = {
      async send({ body }) {
        bodies.push(body);
        return { status: 200 };
      },
    };
    const tracker = createTracker({
      endpoint,
      writeKey,
      transport,
      beforeSend: (envelope) => {
        if (envelope.name === 'post_read') throw new Error('broken beforeSend');
        return envelope;
      },
    });
    expect(() => tracker.identify('')).not.toThrow();
    expect(() => tracker.track('post_read', { engagedMs: 1 })).not.toThrow();
    await exercise(tracker);
    await settle();
    const names = bodies.flatMap((body) => JSON.parse(body).events.map((e: { name: string }) => e.name));
    expect(names).toContain('destination_viewed');
    // A throwing beforeSend leaves the event unchanged rather than losing it.
    expect(names).toContain('post_read');
    expectSilent();
  });

  it('resolves flush() and leaves no unhandled rejection when onError throws', async () => {
    const { expectSilent } = watch();
    const onError = vi.fn(() => {
      throw new Error('broken onError');
    });
    const send = vi.fn(async () => ({ status: 400 }));
    // flushAt 1: the send starts on its own, with no flush() call to catch it.
    const tracker = createTracker({ endpoint, writeKey, consent: 'granted', transport: { send }, onError, flushAt: 1 });
    tracker.track('destination_viewed', lisbon);
    await settle();
    tracker.track('destination_viewed', lisbon);
    await expect(tracker.flush()).resolves.toBeUndefined();
    await settle();
    expect(send).toHaveBeenCalledTimes(2);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(tracker.stats()).toMatchObject({ rejected: 2, queued: 0 });
    tracker.destroy();
    expectSilent();
  });

  it('sends events unsampled and reports it when sampling is not a function', async () => {
    const { expectSilent } = watch();
    const bodies: string[] = [];
    const transport: Transport = {
      async send({ body }) {
        bodies.push(body);
        return { status: 200 };
      },
    };
    const onError = vi.fn();
    const sampling = { categories: { engagement: 0.25 }, categoryOf: () => 'engagement' } as unknown as TrackerOptions['sampling'];
    const tracker = createTracker({ endpoint, writeKey, consent: 'granted', transport, onError, sampling });
    tracker.track('destination_viewed', lisbon);
    tracker.track('post_read', { engagedMs: 1 });
    await tracker.flush();
    const events = bodies.flatMap((body) => JSON.parse(body).events);
    expect(events.map((e: { name: string }) => e.name)).toEqual(['destination_viewed', 'post_read']);
    expect(events.map((e: { context: { sampleRate: number } }) => e.context.sampleRate)).toEqual([1, 1]);
    expect(tracker.stats()).toMatchObject({ delivered: 2, dropped: 0 });
    expect(onError).toHaveBeenCalled();
    expect(onError.mock.calls[0][0]).toMatchObject({ code: 'invalid_options', message: expect.stringMatching(/^\[waymark\] sampling /) });
    tracker.destroy();
    expectSilent();
  });

  it('survives a transport that rejects or throws, without an unhandled rejection', async () => {
    const { expectSilent } = watch();
    const rejecting: Transport = { send: () => Promise.reject(new Error('offline')) };
    const throwing: Transport = {
      send: () => {
        throw new Error('sync failure');
      },
    };
    const malformed = { send: async () => undefined } as unknown as Transport;
    for (const transport of [rejecting, throwing, malformed]) {
      const onError = vi.fn();
      const tracker = createTracker({ endpoint, writeKey, consent: 'granted', transport, onError, flushAt: 1 });
      tracker.track('destination_viewed', lisbon);
      await expect(tracker.flush()).resolves.toBeUndefined();
      window.dispatchEvent(new Event('pagehide'));
      await settle();
      expect(tracker.stats()).toMatchObject({ delivered: 0, rejected: 0, queued: 1 });
      tracker.destroy();
    }
    await settle();
    expectSilent();
  });
});
