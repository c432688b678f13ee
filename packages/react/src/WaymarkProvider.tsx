import { createTracker } from '@waymark/core';
import type { Tracker, TrackerOptions } from '@waymark/core';
import { createContext, createElement, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';

/** The context's value: the tracker once created in the browser, `null` before that (and during SSR). */
export const WaymarkContext = createContext<Tracker | null | undefined>(undefined);

/** Props of {@link WaymarkProvider}: pass `options` (the provider owns the tracker) or a `tracker` you own. */
export interface WaymarkProviderProps {
  /**
   * Options for `createTracker`. The tracker is created when the provider mounts in the browser and destroyed when it
   * unmounts; later changes to the options are ignored (give the provider a new `key` to start over).
   */
  options?: TrackerOptions;
  /** A tracker you created yourself; you destroy it. Takes precedence over `options`. */
  tracker?: Tracker;
  children?: ReactNode;
}

/**
 * Makes a tracker available to `useTracker()` and the other hooks below it. Rendering on the server creates nothing
 * and sends nothing.
 *
 * @example
 * import { WaymarkProvider } from '@waymark/react';
 *
 * <WaymarkProvider options={{ endpoint: 'https://stats.example.com', writeKey: 'wk_live_123' }}>
 *   <App />
 * </WaymarkProvider>
 */
export function WaymarkProvider({ options, tracker, children }: WaymarkProviderProps) {
  const [own, setOwn] = useState<Tracker | null>(null);
  const optionsRef = useRef(options);
  useEffect(() => {
    if (tracker) return;
    // Created in an effect, not during render: effects run only in the browser, and Strict Mode's extra
    // mount/unmount then destroys and recreates it instead of leaking a second tracker.
    const created = createTracker(optionsRef.current!);
    setOwn(created);
    return () => {
      setOwn(null);
      // React cleans up a removed tree parent first: wait for the children's cleanups (a final section_read) to be
      // tracked before sending what waits and releasing the tracker.
      queueMicrotask(created.destroy);
    };
  }, [tracker]);
  return createElement(WaymarkContext.Provider, { value: tracker ?? own }, children);
}
