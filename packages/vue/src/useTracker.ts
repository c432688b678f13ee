import { WaymarkError } from '@waymark/core';
import type { Tracker } from '@waymark/core';
import { hasInjectionContext, inject } from 'vue';
import { trackerKey } from './createWaymark';

const noop = () => {};

/** Stands in for a missing plugin in production: every call does nothing. */
const inertTracker = (): Tracker => ({
  track: noop,
  page: noop,
  identify: noop,
  reset: noop,
  setConsent: noop,
  flush: () => Promise.resolve(),
  stats: () => ({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 }),
  destroy: noop,
});

/**
 * The app's tracker, inside `setup()` (or another composable) of a component in an app that installed
 * `createWaymark()`. Without the plugin it throws in development with how to fix it, and returns a tracker that does
 * nothing in production.
 *
 * @example
 * import { useTracker } from '@waymark/vue';
 *
 * const tracker = useTracker();
 * const save = () => tracker.track('destination_saved', { destination: { country: 'PT', city: 'Lisbon' } });
 */
export function useTracker(): Tracker {
  const tracker = hasInjectionContext() ? inject(trackerKey, null) : null;
  if (tracker) return tracker;
  if (process.env.NODE_ENV !== 'production') {
    throw new WaymarkError(
      'invalid_options',
      hasInjectionContext()
        ? 'useTracker() found no Waymark plugin: install it before mounting, e.g. createApp(App).use(createWaymark({ endpoint, writeKey }))'
        : 'useTracker() must be called inside setup() of a component; elsewhere use the plugin\'s tracker: createWaymark(options).tracker',
    );
  }
  return inertTracker();
}
