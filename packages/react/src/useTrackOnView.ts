import type { Tracker } from '@waymark/core';
import type { OnViewEvent } from '@waymark/core/engagement';
import { trackOnView } from '@waymark/core/engagement';
import { useEffect } from 'react';
import type { RefObject } from 'react';
import { useReadyTracker } from './useTracker';

/** The events the app's tracker knows: the registered catalogue. */
type Events = Tracker extends Tracker<infer M> ? M : never;

/**
 * Sends a catalogue event once when the element has been seen: at least `threshold` of it in the viewport for
 * `minVisibleMs` (defaults 0.5 and 1000 ms), with `trackOnView` from `@waymark/core/engagement`. A new event name,
 * new properties or a new element start over; unmounting stops the wait.
 *
 * @example
 * const ref = useRef<HTMLElement>(null);
 * useTrackOnView(ref, { name: 'destination_viewed', properties: { destination: { country: 'PT' } } });
 * <article ref={ref}>…</article>
 */
export function useTrackOnView<N extends keyof Events & string>(
  ref: RefObject<Element | null>,
  event: OnViewEvent<Events, N>,
): void {
  const tracker = useReadyTracker();
  const { name, threshold, minVisibleMs } = event;
  // Properties are usually an inline object literal: compare them by value, not by identity.
  const properties = JSON.stringify(event.properties ?? null);
  useEffect(() => {
    const element = ref.current;
    if (!tracker || !element) return;
    return trackOnView(tracker, { ...event, element } as Parameters<typeof trackOnView>[1]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tracker, ref, name, properties, threshold, minVisibleMs]);
}
