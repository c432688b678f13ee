import type { EngagementTracker, StopTracking, TravelTracker } from './engagementTypes';
import { cleanupAll, listen, onPageExit, startWhenIdle } from './startWhenIdle';

/** Options of {@link trackSections}. */
export interface SectionsOptions {
  /**
   * Elements that start a section. A heading's section runs until the next matched element or heading of the same or
   * a higher level; any other element (an itinerary day's container) is its own section.
   * @default 'article h2, [data-itinerary-day]'
   */
  selector?: string;
  /**
   * The reading zone as an IntersectionObserver root margin: by default the bottom 30 % of the window does not count,
   * so the next section peeking in while the reader finishes the current one earns no time.
   * @default '0px 0px -30% 0px'
   */
  rootMargin?: string;
  /**
   * An itinerary day counts as read (`itinerary_day_read`) after this many milliseconds in view.
   * @default 5000
   */
  dayReadAfter?: number;
  /** Itinerary id for days without a `data-itinerary-id` on themselves or an ancestor. */
  itineraryId?: string;
}

interface Section {
  els: Element[];
  inView: Set<Element>;
  index: number;
  sectionId: string;
  heading?: string;
  day?: { itineraryId: string; day: number; sent?: boolean };
  since?: number;
  total: number;
  reported: number;
}

const MAX_MS = 86_400_000;
const HEADING = /^H([1-6])$/;

/** An id for a section: its element id, else a slug of its heading, else its position. */
const sectionIdOf = (el: Element, text: string, index: number): string =>
  (
    el.id ||
    el.getAttribute('data-section-id') ||
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') ||
    `section-${index + 1}`
  ).slice(0, 128);

/**
 * Section-level reading: which `h2` section or itinerary day was in the reading zone, and for how long (page visible
 * only), measured with an IntersectionObserver. At each page hide, every section read since the last hide is sent as
 * `section_read` with its `visibleMs`, and each itinerary day (`[data-itinerary-day="3"]`, with `data-itinerary-id` on
 * it or an ancestor) in view for `dayReadAfter` is sent once as `itinerary_day_read`. Sections are found when tracking
 * starts (after the page is idle); after a client-side navigation, stop and start again.
 *
 * @example
 * import { trackSections } from '@waymark/core/engagement';
 *
 * trackSections(tracker, { selector: 'article h2, [data-itinerary-day]' });
 */
export function trackSections(tracker: EngagementTracker, options: SectionsOptions = {}): StopTracking {
  const { selector = 'article h2, [data-itinerary-day]', rootMargin = '0px 0px -30% 0px', dayReadAfter = 5000 } = options;
  const t = tracker as TravelTracker;
  return startWhenIdle((win) => {
    const doc = win.document;
    if (!win.IntersectionObserver) return;
    const starts = Array.from(doc.querySelectorAll(selector));
    const startSet = new Set(starts);
    const byEl = new Map<Element, Section>();
    const sections = starts.map((start, index): Section => {
      const els = [start];
      const level = HEADING.exec(start.tagName)?.[1];
      if (level) {
        // A heading's section: the heading and its following siblings, up to the next section start (or an element holding one) or equal heading.
        for (let next = start.nextElementSibling; next && !startSet.has(next); next = next.nextElementSibling) {
          const other = HEADING.exec(next.tagName)?.[1];
          if ((other && other <= level) || next.querySelector(selector)) break;
          els.push(next);
        }
      }
      const text = (start.textContent || '').trim().replace(/\s+/g, ' ');
      const dayAttr = start.getAttribute('data-itinerary-day');
      const itineraryId =
        start.closest('[data-itinerary-id]')?.getAttribute('data-itinerary-id') || options.itineraryId;
      const dayNumber = Number(dayAttr);
      const section: Section = {
        els,
        inView: new Set(),
        index,
        sectionId: sectionIdOf(start, dayAttr !== null && !level ? `day-${dayAttr}` : text, index),
        heading: level ? text.slice(0, 256) || undefined : undefined,
        day:
          dayAttr !== null && itineraryId && Number.isInteger(dayNumber) && dayNumber >= 1 && dayNumber <= 365
            ? { itineraryId: itineraryId.slice(0, 128), day: dayNumber }
            : undefined,
        total: 0,
        reported: 0,
      };
      for (const el of els) if (!byEl.has(el)) byEl.set(el, section);
      return section;
    });

    // Between pagehide and a back/forward-cache restore the page still says visible, but nobody reads it.
    let gone = false;
    const visible = () => !gone && doc.visibilityState === 'visible';
    const settle = (section: Section, at: number) => {
      if (section.since !== undefined) section.total += at - section.since;
      section.since = section.inView.size && visible() ? at : undefined;
      if (section.day && !section.day.sent && section.total >= dayReadAfter) {
        section.day.sent = true;
        const { itineraryId, day } = section.day;
        t.track('itinerary_day_read', { itineraryId, day, visibleMs: Math.min(MAX_MS, Math.round(section.total)) });
      }
    };
    const settleAll = () => {
      const now = Date.now();
      for (const section of sections) settle(section, now);
    };
    const observer = new win.IntersectionObserver(
      (entries) => {
        const now = Date.now();
        for (const entry of entries) {
          const section = byEl.get(entry.target);
          if (!section) continue;
          if (entry.isIntersecting) section.inView.add(entry.target);
          else section.inView.delete(entry.target);
          settle(section, now);
        }
      },
      { rootMargin },
    );
    for (const el of byEl.keys()) observer.observe(el);
    // An itinerary day can reach `dayReadAfter` while nothing scrolls.
    const dayTimer = sections.some((section) => section.day) ? setInterval(settleAll, 1000) : undefined;

    const report = () => {
      settleAll();
      for (const section of sections) {
        const visibleMs = Math.min(MAX_MS, Math.round(section.total - section.reported));
        if (visibleMs <= 0) continue;
        section.reported = section.total;
        const { sectionId, heading, index } = section;
        t.track('section_read', heading ? { sectionId, heading, index, visibleMs } : { sectionId, index, visibleMs });
      }
    };
    return cleanupAll([
      listen(doc, 'visibilitychange', settleAll),
      onPageExit(win, (event) => {
        if (event.type === 'pagehide') gone = true;
        report();
      }),
      listen(win, 'pageshow', () => {
        gone = false;
        settleAll();
      }),
      () => {
        clearInterval(dayTimer);
        observer.disconnect();
        report();
      },
    ]);
  });
}
