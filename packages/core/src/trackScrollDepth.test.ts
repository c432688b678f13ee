import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackScrollDepth } from './trackScrollDepth';

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };

/** Puts the article `top` px from the window's top; the article is 2000 px tall in an 800 px window. */
function scrollArticleTo(top: number) {
  vi.spyOn(document.querySelector('article')!, 'getBoundingClientRect').mockReturnValue({ top, bottom: top + 2000, height: 2000 } as DOMRect);
  window.dispatchEvent(new Event('scroll'));
  vi.advanceTimersByTime(20);
}

describe('trackScrollDepth', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    sent.length = 0;
    document.body.innerHTML = '<article><p>Alfama</p></article>';
    vi.spyOn(window, 'innerHeight', 'get').mockReturnValue(800);
  });
  afterEach(() => {
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('sends each milestone of the article once, and post_read at its end', () => {
    const stop = trackScrollDepth(tracker, { engagedMs: () => 42_000 });
    vi.advanceTimersByTime(100);
    scrollArticleTo(200); // 30 % seen
    scrollArticleTo(-400); // 60 %
    scrollArticleTo(200);
    scrollArticleTo(-1300); // end of the article in view
    scrollArticleTo(-5000);
    expect(sent).toEqual([
      ['scroll_depth_reached', { percent: 25 }],
      ['scroll_depth_reached', { percent: 50 }],
      ['scroll_depth_reached', { percent: 75 }],
      ['scroll_depth_reached', { percent: 100 }],
      ['post_read', { engagedMs: 42_000 }],
    ]);
    stop();
  });

  it('starts over after a client-side navigation', () => {
    const stop = trackScrollDepth(tracker);
    vi.advanceTimersByTime(100);
    scrollArticleTo(200);
    history.pushState({}, '', '/next-post');
    scrollArticleTo(200);
    expect(sent.map(([, properties]) => properties.percent)).toEqual([25, 25]);
    history.pushState({}, '', '/');
    stop();
  });

  it('measures the page when there is no article, and nothing after stop', () => {
    document.body.innerHTML = '<p>Home</p>';
    vi.spyOn(document.documentElement, 'scrollHeight', 'get').mockReturnValue(1600);
    vi.spyOn(window, 'scrollY', 'get').mockReturnValue(0);
    const stop = trackScrollDepth(tracker);
    vi.advanceTimersByTime(100);
    window.dispatchEvent(new Event('scroll'));
    vi.advanceTimersByTime(20);
    expect(sent).toEqual([
      ['scroll_depth_reached', { percent: 25 }],
      ['scroll_depth_reached', { percent: 50 }],
    ]);
    stop();
    vi.spyOn(window, 'scrollY', 'get').mockReturnValue(800);
    window.dispatchEvent(new Event('scroll'));
    vi.advanceTimersByTime(20);
    expect(sent).toHaveLength(2);
  });
});
