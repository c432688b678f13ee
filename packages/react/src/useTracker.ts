import type { Tracker } from '@waymark/core';
import { useContext } from 'react';
import { WaymarkContext } from './WaymarkProvider';

const noop = () => {};

/** What `useTracker()` returns before the tracker exists (server render, first client render) and, in production, without a provider. */
const inert: Tracker = {
  track: noop,
  page: noop,
  identify: noop,
  reset: noop,
  setConsent: noop,
  flush: () => Promise.resolve(),
  stats: () => ({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 }),
  destroy: noop,
};

/**
 * The tracker of the nearest `<WaymarkProvider>`. During the server render and the first client render it is a
 * tracker that does nothing; call it from event handlers and effects. Without a provider it throws in development and
 * does nothing in production.
 *
 * @example
 * const tracker = useTracker();
 * <button onClick={() => tracker.track('post_shared', { postId, network: 'pinterest', method: 'button' })}>Pin it</button>
 */
export function useTracker(): Tracker {
  const tracker = useContext(WaymarkContext);
  if (tracker === undefined && process.env.NODE_ENV !== 'production') {
    throw new Error(
      '[waymark] useTracker() found no <WaymarkProvider>: wrap your app in <WaymarkProvider options={{ endpoint, writeKey }}>',
    );
  }
  return tracker || inert;
}

/** The provider's tracker once it exists in the browser, else null (on the server, before mount, without a provider in production). */
export function useReadyTracker(): Tracker | null {
  const tracker = useContext(WaymarkContext);
  useTracker();
  return tracker || null;
}
