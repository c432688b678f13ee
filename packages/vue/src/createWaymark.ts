import { createTracker } from '@waymark/core';
import type { Tracker, TrackerOptions } from '@waymark/core';
import type { App, InjectionKey } from 'vue';
import { createTrackDirective } from './vTrack';

/** Options of {@link createWaymark}: the tracker's options, or a tracker you created yourself. */
export type WaymarkOptions = TrackerOptions | { tracker: Tracker };

/** The Vue plugin {@link createWaymark} returns: pass it to `app.use()`. */
export interface WaymarkPlugin {
  /** The app's tracker, for code outside components such as a consent banner or `trackRouter`. */
  readonly tracker: Tracker;
  /** Called by `app.use()`: provides the tracker, registers `v-track` and destroys the tracker when the app unmounts. */
  install(app: App): void;
}

/** Where the plugin provides the tracker; {@link useTracker} injects it. */
export const trackerKey: InjectionKey<Tracker> = Symbol('waymark');

/**
 * Creates the Waymark plugin for a Vue 3 app: one tracker per app, provided to every component (`useTracker()`),
 * the `v-track` directive, and `tracker.destroy()` (which sends what waits) when the app unmounts. On the server the
 * tracker does nothing, so the same code renders with `renderToString`.
 *
 * @example
 * import { createApp } from 'vue';
 * import { createWaymark, trackRouter } from '@waymark/vue';
 *
 * const waymark = createWaymark({ endpoint: 'https://stats.example.com', writeKey: 'wk_live_123' });
 * createApp(App).use(router).use(waymark).mount('#app');
 * trackRouter(router, { tracker: waymark.tracker });
 */
export function createWaymark(options: WaymarkOptions): WaymarkPlugin {
  const own = !(options && 'tracker' in options && options.tracker);
  const tracker = own ? createTracker(options as TrackerOptions) : (options as { tracker: Tracker }).tracker;
  return {
    tracker,
    install(app) {
      app.provide(trackerKey, tracker);
      app.directive('track', createTrackDirective(tracker));
      // A tracker passed in belongs to its creator, who destroys it.
      if (own) app.onUnmount(() => tracker.destroy());
    },
  };
}
