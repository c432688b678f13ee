import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackSections } from './trackSections';

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };

/** A controllable IntersectionObserver: `show(el, true)` puts an observed element in view. */
let observed: Element[] = [];
let callback: (entries: { target: Element; isIntersecting: boolean }[]) => void = () => {};
class FakeObserver {
  constructor(cb: typeof callback) {
    callback = cb;
  }
  observe(el: Element) {
    observed.push(el);
  }
  disconnect() {
    observed = [];
  }
}
const show = (selector: string, isIntersecting: boolean) =>
  callback([{ target: document.querySelector(selector)!, isIntersecting }]);

describe('trackSections', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    sent.length = 0;
    observed = [];
    vi.stubGlobal('IntersectionObserver', FakeObserver);
    document.body.innerHTML = `
      <article>
        <h2 id="getting-there">Getting there</h2><p id="p1">Fly to LIS.</p><h3>By train</h3><p id="p2">Or the train.</p>
        <h2>Où dormir à Alfama</h2><p id="p3">Hotels.</p>
        <div data-itinerary-id="lisbon-3-days"><section data-itinerary-day="2" id="day2">Sintra</section></div>
      </article>`;
  });
  afterEach(() => {
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('observes each heading with its section content and each itinerary day', () => {
    const stop = trackSections(tracker);
    vi.advanceTimersByTime(100);
    expect(observed.map((el) => el.id || el.tagName)).toEqual(['getting-there', 'p1', 'H3', 'p2', 'H2', 'p3', 'day2']);
    stop();
  });

  it('sends the time each section was in view at page hide, then only new time after a restore', () => {
    const stop = trackSections(tracker);
    vi.advanceTimersByTime(100);
    show('#getting-there', true);
    vi.advanceTimersByTime(1000);
    show('#getting-there', false);
    show('#p2', true); // same section, further down
    vi.advanceTimersByTime(1500);
    show('#p2', false);
    show('#p3', true);
    vi.advanceTimersByTime(700);
    window.dispatchEvent(new Event('pagehide'));
    expect(sent).toEqual([
      ['section_read', { sectionId: 'getting-there', heading: 'Getting there', index: 0, visibleMs: 2500 }],
      ['section_read', { sectionId: 'ou-dormir-a-alfama', heading: 'Où dormir à Alfama', index: 1, visibleMs: 700 }],
    ]);
    sent.length = 0;
    vi.advanceTimersByTime(5000); // left the page: not counted
    window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true })); // back/forward-cache restore
    vi.advanceTimersByTime(300);
    stop();
    expect(sent).toEqual([['section_read', { sectionId: 'ou-dormir-a-alfama', heading: 'Où dormir à Alfama', index: 1, visibleMs: 300 }]]);
  });

  it('sends itinerary_day_read once when a day has been in view long enough', () => {
    const stop = trackSections(tracker, { dayReadAfter: 3000 });
    vi.advanceTimersByTime(100);
    show('#day2', true);
    vi.advanceTimersByTime(2500);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(2000);
    // Checked every second from the start (50 ms): at 4050 ms the day has been in view 3950 ms.
    expect(sent).toEqual([['itinerary_day_read', { itineraryId: 'lisbon-3-days', day: 2, visibleMs: 3950 }]]);
    vi.advanceTimersByTime(4000);
    window.dispatchEvent(new Event('pagehide'));
    expect(sent.map(([name]) => name)).toEqual(['itinerary_day_read', 'section_read']);
    expect(sent[1][1]).toEqual({ sectionId: 'day2', index: 2, visibleMs: 8500 });
    stop();
  });

  it('does not count time while the page is hidden', () => {
    let state: DocumentVisibilityState = 'visible';
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state);
    const stop = trackSections(tracker);
    vi.advanceTimersByTime(100);
    show('#p1', true);
    vi.advanceTimersByTime(1000);
    state = 'hidden';
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    vi.advanceTimersByTime(60_000);
    state = 'visible';
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    vi.advanceTimersByTime(500);
    stop();
    expect(sent.map(([, properties]) => properties.visibleMs)).toEqual([1000, 500]);
    vi.restoreAllMocks();
  });
});
