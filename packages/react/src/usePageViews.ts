import type { PageOptions, Tracker } from '@waymark/core';
import { useEffect, useRef } from 'react';
import { useReadyTracker } from './useTracker';

/** Options of {@link usePageViews}. */
export interface PageViewsOptions extends PageOptions {
  /** Properties of each `page_viewed` event, such as `{ template: 'post' }`. */
  properties?: Parameters<Tracker['page']>[0];
}

/**
 * Sends one `page_viewed` per distinct `location`, for any router: pass what changes on navigation (the path and
 * query), and the route pattern if the router knows it. An empty location (router not ready) sends nothing. The same location twice in a row (a re-render, Strict Mode's
 * extra effect run) is one page view.
 *
 * @example
 * const { pathname, search } = useLocation(); // react-router, wouter, TanStack Router…
 * usePageViews(pathname + search, { route: matchedPattern });
 */
export function usePageViews(location: string, options: PageViewsOptions = {}): void {
  const tracker = useReadyTracker();
  const last = useRef<string | undefined>(undefined);
  const { properties, route, title } = options;
  useEffect(() => {
    if (!tracker || !location || last.current === location) return;
    last.current = location;
    tracker.page(properties, { route, title });
    // Only a new location is a new page view; properties and route belong to it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tracker, location]);
}
