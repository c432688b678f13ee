// Every read of a browser global lives here, inside functions, so importing the package in Node (SSR) never throws.

/** True when running in a browser page with a document. */
export const isBrowser = (): boolean => typeof window !== 'undefined' && typeof document !== 'undefined';

/** The page's `window`, or undefined on the server. */
export const getWindow = (): (Window & typeof globalThis) | undefined => (isBrowser() ? window : undefined);

/** The page's `navigator`, or undefined on the server. */
export const getNavigator = (): Navigator | undefined => (typeof navigator !== 'undefined' ? navigator : undefined);

/** Whether the browser sends Global Privacy Control (`navigator.globalPrivacyControl === true`). */
export const readGpc = (): boolean =>
  (getNavigator() as (Navigator & { globalPrivacyControl?: boolean }) | undefined)?.globalPrivacyControl === true;

/** Whether the browser says it is offline. Unknown counts as online. */
export const isOffline = (): boolean => getNavigator()?.onLine === false;

/** `localStorage`, or undefined where it is missing or throws (Safari private mode, sandboxed iframes). */
export function getLocalStorage(): Storage | undefined {
  try {
    return getWindow()?.localStorage;
  } catch {
    return undefined;
  }
}
