// Every read of a browser global lives here, inside functions, so importing the package in Node (SSR) never throws.
// The tracker reads the rest (location, document, navigator, localStorage) through the window it got from here.

/** The page's `window`, or undefined on the server (no window or no document). */
export const getWindow = (): (Window & typeof globalThis) | undefined =>
  typeof window != 'undefined' && typeof document != 'undefined' ? window : undefined;

/** The page's `navigator`, or undefined on the server. */
export const getNavigator = (): Navigator | undefined => (typeof navigator != 'undefined' ? navigator : undefined);
