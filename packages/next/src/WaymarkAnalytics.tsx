import { usePageViews } from '@waymark/react';
import type { PageViewsOptions } from '@waymark/react';
import { useRouter as usePagesRouter } from 'next/compat/router.js';
import { useParams, usePathname, useSearchParams } from 'next/navigation.js';
import { createElement, Suspense } from 'react';
import { routePattern } from './routePattern';

/** Props of {@link WaymarkAnalytics}. */
export interface WaymarkAnalyticsProps {
  /** Properties of every `page_viewed` event, such as `{ template: 'post' }`. */
  properties?: PageViewsOptions['properties'];
}

function PageViews({ properties }: WaymarkAnalyticsProps) {
  // Next has no exports map, so plain Node ESM needs the .js. Pages Router: the router knows the pattern (`/destinations/[country]/[slug]`); null under the App Router.
  const pages = usePagesRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const params = useParams();
  let location = '';
  let route: string | undefined;
  if (pages) {
    if (pages.isReady) {
      location = pages.asPath.split('#')[0];
      route = pages.pathname;
    }
  } else if (pathname !== null) {
    const query = search?.toString();
    location = query ? `${pathname}?${query}` : pathname;
    route = routePattern(pathname, params);
  }
  usePageViews(location, { route, properties });
  return null;
}

/**
 * Sends exactly one `page_viewed` per navigation, with the path and the route pattern
 * (`/destinations/[country]/[slug]`), under the App Router and the Pages Router. Put it inside `<WaymarkProvider>` in
 * the root layout (or `_app`); it renders nothing and brings its own Suspense boundary for `useSearchParams`.
 *
 * @example
 * // app/layout.tsx
 * import { WaymarkAnalytics, WaymarkProvider } from '@waymark/next';
 *
 * <WaymarkProvider options={{ endpoint: '/wm', writeKey: 'wk_live_123' }}>
 *   <WaymarkAnalytics />
 *   {children}
 * </WaymarkProvider>
 */
export function WaymarkAnalytics(props: WaymarkAnalyticsProps) {
  return createElement(Suspense, { fallback: null }, createElement(PageViews, props));
}
