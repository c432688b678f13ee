import { useEffect, useSyncExternalStore } from 'react';
import type { AnchorHTMLAttributes, MouseEvent } from 'react';

// A tiny router on the History API: enough for this blog, and the route patterns it matches are what page views report.

/** A route: its pattern (`/destinations/:country`) and the template reported with its page views. */
export interface Route {
  pattern: string;
  template: string;
}

/** The blog's routes, first match wins. */
export const routes: Route[] = [
  { pattern: '/', template: 'home' },
  { pattern: '/destinations/:country', template: 'destination' },
  { pattern: '/destinations/:country/:slug', template: 'post' },
  { pattern: '/about', template: 'about' },
];

/** The route for a path and its parameters, or the not-found route. */
export function matchRoute(path: string): { route: Route; params: Record<string, string> } {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const names = route.pattern.split('/').filter(Boolean);
    if (names.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (names.every((name, i) => (name.startsWith(':') ? (params[name.slice(1)] = decodeURIComponent(parts[i])) : name === parts[i]))) {
      return { route, params };
    }
  }
  return { route: { pattern: '/*', template: 'not_found' }, params: {} };
}

// The path being rendered. The address bar follows it in an effect (useAddressBar), after the old page's cleanups:
// what the old page reports as it unmounts (its reading time) still carries its own URL.
let current: string | undefined;
const listeners = new Set<() => void>();
const currentPath = () => (current ??= location.pathname);
const notify = () => {
  for (const listener of listeners) listener();
};
const onPopState = () => {
  current = location.pathname;
  notify();
};

const subscribe = (onChange: () => void) => {
  if (!listeners.size) window.addEventListener('popstate', onPopState);
  listeners.add(onChange);
  return () => {
    listeners.delete(onChange);
    if (!listeners.size) window.removeEventListener('popstate', onPopState);
  };
};

/** The path to render; re-renders on every navigation (links, back and forward). */
export const usePath = (): string => useSyncExternalStore(subscribe, currentPath, () => '/');

/** Goes to `to` without reloading the page. */
export function navigate(to: string): void {
  if (to === currentPath()) return;
  current = to;
  notify();
}

/**
 * Puts the rendered path in the address bar. Call it in the root component before `usePageViews`: React runs the
 * unmounted page's cleanups first, then this, then the page view, which so reads the new URL.
 */
export function useAddressBar(path: string): void {
  useEffect(() => {
    if (location.pathname === path) return;
    history.pushState(null, '', path);
    window.scrollTo(0, 0);
  }, [path]);
}

/** An in-app link: a plain click navigates client-side; modifier and middle clicks keep the browser's behaviour. */
export function Link({ href, onClick, ...props }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...props} />;
}
