import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackOnView } from './trackOnView';

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };

/** A controllable IntersectionObserver: `show(ratio)` reports the observed element at that visible share. */
let observed: Element[] = [];
let thresholds: unknown;
let callback: (entries: { target: Element; isIntersecting: boolean; intersectionRatio: number }[]) => void = () => {};
class FakeObserver {
  constructor(cb: typeof callback, options?: { threshold?: unknown }) {
    callback = cb;
    thresholds = options?.threshold;
  }
  observe(el: Element) {
    observed.push(el);
  }
  disconnect() {
    observed = [];
  }
}
const show = (ratio: number) => callback([{ target: observed[0], isIntersecting: ratio > 0, intersectionRatio: ratio }]);
const setVisibility = (state: 'visible' | 'hidden') => {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
};

const destination = { destination: { country: 'PT', city: 'Lisbon' } };

describe('trackOnView', () => {
  let card: HTMLElement;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    sent.length = 0;
    observed = [];
    vi.stubGlobal('IntersectionObserver', FakeObserver);
    document.body.innerHTML = '<div id="card">Lisbon</div>';
    card = document.getElementById('card')!;
  });
  afterEach(() => {
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    setVisibility('visible');
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('sends the event once after the element is half visible for a second', () => {
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination });
    vi.advanceTimersByTime(100);
    expect(observed).toEqual([card]);
    expect(thresholds).toBe(0.5);
    show(0.6);
    vi.advanceTimersByTime(999);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([['destination_viewed', destination]]);
    expect(observed).toEqual([]);
    show(0.6);
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(1);
    stop();
  });

  it('restarts the wait when the element scrolls out before the time is up', () => {
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination, minVisibleMs: 2000 });
    vi.advanceTimersByTime(100);
    show(0.8);
    vi.advanceTimersByTime(1500);
    show(0.2); // below the threshold
    vi.advanceTimersByTime(3000);
    expect(sent).toEqual([]);
    show(1);
    vi.advanceTimersByTime(1999);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    stop();
  });

  it('honours a custom threshold', () => {
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination, threshold: 0.9 });
    vi.advanceTimersByTime(100);
    expect(thresholds).toBe(0.9);
    show(0.7);
    vi.advanceTimersByTime(2000);
    expect(sent).toEqual([]);
    show(0.95);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    stop();
  });

  it('does not count time while the page is hidden', () => {
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination });
    vi.advanceTimersByTime(100);
    show(1);
    vi.advanceTimersByTime(600);
    setVisibility('hidden');
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
    setVisibility('visible');
    vi.advanceTimersByTime(999);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    stop();
  });

  it('sends nothing after stop(), even with a wait under way', () => {
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination });
    vi.advanceTimersByTime(100);
    show(1);
    vi.advanceTimersByTime(500);
    stop();
    expect(observed).toEqual([]);
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
  });

  it('never observes when stopped before the page is idle', () => {
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination });
    stop();
    vi.advanceTimersByTime(3000);
    expect(observed).toEqual([]);
  });

  it('sends nothing and does not throw without IntersectionObserver', () => {
    vi.stubGlobal('IntersectionObserver', undefined);
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination });
    vi.advanceTimersByTime(3000);
    expect(sent).toEqual([]);
    expect(() => stop()).not.toThrow();
  });

  it('does nothing on the server', () => {
    vi.stubGlobal('window', undefined);
    const stop = trackOnView(tracker, { element: card, name: 'destination_viewed', properties: destination });
    vi.advanceTimersByTime(3000);
    expect(observed).toEqual([]);
    expect(() => stop()).not.toThrow();
  });
});
