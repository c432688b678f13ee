import { WaymarkError } from '@waymark/core';
import type { PageOptions, Tracker } from '@waymark/core';
import { getCurrentScope, hasInjectionContext, nextTick, onScopeDispose } from 'vue';
import type { RouteLocationNormalizedLoaded, Router } from 'vue-router';
import { useTracker } from './useTracker';

/** Options of {@link trackRouter}. */
export interface RouterTrackingOptions {
  /**
   * The tracker to send page views with.
   * @default useTracker() (the plugin's tracker), when called inside setup()
   */
  tracker?: Tracker;
  /** Properties of each page view, such as `{ postId: route.params.slug, template: route.meta.template }`. */
  pageView?: (route: RouteLocationNormalizedLoaded) => Parameters<Tracker['page']>[0];
}

/** The URL without its fragment: in-page anchors are not page views. */
const pageKey = (route: RouteLocationNormalizedLoaded) => route.fullPath.replace(/#.*$/, '');

/**
 * Sends one page view per vue-router navigation, with the route pattern (`/destinations/:country/:slug`) as
 * `context.page.route` next to the path. The page view is sent once the new page has rendered, so the title and meta
 * tags are the new page's. Failed, cancelled and duplicate navigations and fragment-only changes send nothing; the
 * current route, if already resolved, is sent at once. Returns `stop()`; inside `setup()` it also stops when the
 * component unmounts.
 *
 * @example
 * // In the root component's setup():
 * trackRouter(useRouter());
 * // Or anywhere, with the plugin's tracker:
 * trackRouter(router, { tracker: waymark.tracker });
 */
export function trackRouter(router: Router, options: RouterTrackingOptions = {}): () => void {
  const tracker = options.tracker ?? (hasInjectionContext() || process.env.NODE_ENV === 'production' ? useTracker() : undefined);
  if (!tracker) {
    throw new WaymarkError(
      'invalid_options',
      'trackRouter(router) outside setup() needs a tracker: trackRouter(router, { tracker: createWaymark(options).tracker })',
    );
  }
  let last: string | undefined;
  let stopped = false;
  const send = (route: RouteLocationNormalizedLoaded) => {
    const key = pageKey(route);
    if (stopped || key === last) return;
    last = key;
    const pattern = route.matched.length ? route.matched[route.matched.length - 1].path : undefined;
    const page: PageOptions = { route: pattern };
    try {
      tracker.page(options.pageView?.(route), page);
    } catch (error) {
      // A throwing pageView callback is a bug to see in development; in production tracking never breaks navigation.
      if (process.env.NODE_ENV !== 'production') throw error;
    }
  };
  const removeHook = router.afterEach((to, _from, failure) => {
    if (!failure) void nextTick(() => send(to as RouteLocationNormalizedLoaded));
  });
  // The first navigation may have finished before this was called (mounting waits for router.isReady()).
  if (router.currentRoute.value.matched.length) send(router.currentRoute.value);
  const stop = () => {
    stopped = true;
    removeHook();
  };
  if (getCurrentScope()) onScopeDispose(stop);
  return stop;
}
