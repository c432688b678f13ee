import type { PageOptions } from './createTracker';
import type { EngagementTracker, StopTracking } from './engagementTypes';
import { getWindow } from './env';
import { attempt, cleanupAll, listen, startWhenIdle } from './startWhenIdle';

/** Options of {@link trackHistory}. */
export interface HistoryOptions {
  /**
   * Also send a page view for the URL the page opened with. Leave off when the page already calls `tracker.page()`.
   * @default false
   */
  initial?: boolean;
  /** Properties and page options for each page view, read when it is sent (after the navigation). */
  pageView?: () => { properties?: Record<string, unknown>; options?: PageOptions } | undefined;
}

/** A URL without its fragment: in-page anchors are not page views. */
const pageKey = (location: Location) => location.origin + location.pathname + location.search;

/**
 * Page views for single-page apps without a framework plugin: `tracker.page()` after each `history.pushState`,
 * `replaceState` and `popstate` that changes the path or query, once per change (a push followed by a redirecting replace
 * in the same task is one page view; fragment-only changes and same-URL pushes are none). The page view is sent in the
 * task after the navigation, so the new title is usually in place. Patches `history` once the page is idle (a navigation
 * made before that is caught then) and restores it on stop.
 *
 * @example
 * import { trackHistory } from '@waymark/core/engagement';
 *
 * tracker.page();
 * trackHistory(tracker);
 */
export function trackHistory(tracker: EngagementTracker, options: HistoryOptions = {}): StopTracking {
  const win = getWindow();
  // The URL the page was tracked at, read now so a navigation before the page is idle is not missed.
  let last = win && !options.initial ? pageKey(win.location) : '';
  return startWhenIdle((win) => {
    const { history, location } = win;
    let pending: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const check = () => {
      pending = undefined;
      const key = pageKey(location);
      if (key === last) return;
      last = key;
      const view = options.pageView && attempt(options.pageView);
      tracker.page(view?.properties, view?.options);
    };
    const changed = () => {
      if (pending === undefined && !stopped) pending = setTimeout(check, 0);
    };
    const patch = (method: 'pushState' | 'replaceState') => {
      const original = history[method];
      const patched = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args);
        attempt(changed);
        return result;
      };
      history[method] = patched;
      // Restore only if nobody wrapped it after us; otherwise leave their wrapper in place (ours then calls the original).
      return () => {
        if (history[method] === patched) history[method] = original;
      };
    };
    changed();
    return cleanupAll([
      patch('pushState'),
      patch('replaceState'),
      listen(win, 'popstate', changed),
      () => {
        stopped = true;
        clearTimeout(pending);
      },
    ]);
  });
}
