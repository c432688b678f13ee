import type { SectionsOptions } from '@waymark/core/engagement';
import { trackSections } from '@waymark/core/engagement';
import { useEffect, useId } from 'react';
import type { RefObject } from 'react';
import { useReadyTracker } from './useTracker';

/** Options of {@link useReadTime}: those of `trackSections` that apply to one element. */
export type ReadTimeOptions = Pick<SectionsOptions, 'rootMargin' | 'dayReadAfter' | 'itineraryId'>;

/**
 * Measures how long one element was in the reading zone, with `trackSections` from `@waymark/core/engagement`:
 * `section_read` with `visibleMs` when the page is hidden and when the component unmounts (a client-side navigation),
 * and `itinerary_day_read` once for an element with `data-itinerary-day`. The section id is the element's `id` or
 * `data-section-id`, else a slug of its text.
 *
 * @example
 * const ref = useRef<HTMLElement>(null);
 * useReadTime(ref);
 * <section ref={ref} id="day-2" data-itinerary-day="2">…</section>
 */
export function useReadTime(ref: RefObject<Element | null>, options: ReadTimeOptions = {}): void {
  const tracker = useReadyTracker();
  const id = useId();
  const { rootMargin, dayReadAfter, itineraryId } = options;
  useEffect(() => {
    const element = ref.current;
    if (!tracker || !element) return;
    // trackSections finds its sections with a selector: mark this element so it finds exactly this one.
    element.setAttribute('data-waymark-read', id);
    const stop = trackSections(tracker, { selector: `[data-waymark-read="${id}"]`, rootMargin, dayReadAfter, itineraryId });
    return () => {
      stop();
      element.removeAttribute('data-waymark-read');
    };
  }, [tracker, ref, id, rootMargin, dayReadAfter, itineraryId]);
}
