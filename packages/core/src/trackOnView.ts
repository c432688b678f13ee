import type { RegisteredEvents } from '@waymark/taxonomy';
import type { Tracker } from './createTracker';
import type { StopTracking } from './engagementTypes';
import { cleanupAll, listen, startWhenIdle } from './startWhenIdle';

/** The catalogue event {@link trackOnView} sends, and when its element counts as seen. */
export type OnViewEvent<M extends object = RegisteredEvents, N extends keyof M & string = keyof M & string> = {
  /** The catalogue event sent once the element has been seen, such as `destination_viewed`. */
  name: N;
  /**
   * Share of the element (0 to 1) that must be inside the viewport. An element taller than the viewport never shows
   * more than the viewport's height of itself: lower the threshold for such elements.
   * @default 0.5
   */
  threshold?: number;
  /**
   * How long, in milliseconds, the element must stay that visible without interruption (page visible) to count as seen.
   * @default 1000
   */
  minVisibleMs?: number;
} & ({} extends M[N]
  ? {
      /** Properties of the event. */
      properties?: M[N];
    }
  : {
      /** Properties of the event. */
      properties: M[N];
    });

/** Options of {@link trackOnView}: the element, the catalogue event it sends and when it counts as seen. */
export type OnViewOptions<M extends object = RegisteredEvents, N extends keyof M & string = keyof M & string> = OnViewEvent<M, N> & {
  /** The element to watch, such as a destination card or a booking widget. */
  element: Element;
};

/**
 * Sends the catalogue event `name` with `properties` once, when `element` has been at least `threshold` inside the
 * viewport for `minVisibleMs` without interruption while the page was visible (an IntersectionObserver; scrolling past
 * or switching tabs restarts the wait). Starts after the page is idle; returns `stop()`. On the server and in browsers
 * without IntersectionObserver it sends nothing.
 *
 * @example
 * import { trackOnView } from '@waymark/core/engagement';
 *
 * trackOnView(tracker, {
 *   element: document.querySelector('#booking-widget')!,
 *   name: 'destination_viewed',
 *   properties: { destination: { country: 'PT', city: 'Lisbon' } },
 * });
 */
export function trackOnView<M extends object = RegisteredEvents, N extends keyof M & string = keyof M & string>(
  tracker: Pick<Tracker<M>, 'track'>,
  options: OnViewOptions<M, N>,
): StopTracking {
  const { element, name, properties, threshold = 0.5, minVisibleMs = 1000 } = options;
  let stop: StopTracking = () => {};
  stop = startWhenIdle((win) => {
    if (!win.IntersectionObserver || !element) return;
    const doc = win.document;
    let inView = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = () => {
      clearTimeout(timer);
      timer = undefined;
      if (!inView || doc.visibilityState !== 'visible') return;
      timer = setTimeout(() => {
        (tracker.track as (name: string, properties?: object) => void)(name, properties as object | undefined);
        stop();
      }, minVisibleMs);
    };
    const observer = new win.IntersectionObserver(
      (entries) => {
        const entry = entries[entries.length - 1];
        if (!entry) return;
        // The ratio at a crossing can come out a hair under the threshold (layout rounding); with threshold 0 an
        // element touching the viewport edge intersects with a ratio of 0.
        const now = entry.isIntersecting && entry.intersectionRatio >= threshold - 0.005;
        if (now === inView) return;
        inView = now;
        update();
      },
      { threshold },
    );
    observer.observe(element);
    return cleanupAll([
      listen(doc, 'visibilitychange', update),
      () => {
        clearTimeout(timer);
        observer.disconnect();
      },
    ]);
  });
  return () => stop();
}
