import { act, cleanup, render } from '@testing-library/react';
import { useRef } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingOptions } from './testTransport';
import { useReadTime } from './useReadTime';
import { WaymarkProvider } from './WaymarkProvider';

/** A controllable IntersectionObserver: `show(el, true)` puts an observed element in the reading zone. */
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

function Day() {
  const ref = useRef<HTMLElement>(null);
  useReadTime(ref, { dayReadAfter: 3000 });
  return (
    <div data-itinerary-id="lisbon-3-days">
      <section ref={ref} id="day-2" data-itinerary-day="2">
        Sintra
      </section>
      <section id="day-3" data-itinerary-day="3">
        Cascais
      </section>
    </div>
  );
}

describe('useReadTime', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    observed = [];
    vi.stubGlobal('IntersectionObserver', FakeObserver);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('reports the time its element was read, and only that element, when it unmounts', async () => {
    const { options, sent } = recordingOptions();
    const { unmount } = render(
      <WaymarkProvider options={{ ...options, flushAt: 100 }}>
        <Day />
      </WaymarkProvider>,
    );
    await act(() => vi.advanceTimersByTimeAsync(100));
    expect(observed.map((el) => el.id)).toEqual(['day-2']);
    act(() => callback([{ target: observed[0], isIntersecting: true }]));
    await act(() => vi.advanceTimersByTimeAsync(4000));
    unmount();
    await act(() => vi.advanceTimersByTimeAsync(10));
    // The module starts after an idle callback, which jsdom runs on its own clock: allow its 50 ms; a day is checked once a second.
    expect(sent.map((e) => [e.name, e.properties])).toEqual([
      ['itinerary_day_read', { itineraryId: 'lisbon-3-days', day: 2, visibleMs: expect.toSatisfy((ms: number) => ms >= 3000 && ms <= 4000) }],
      ['section_read', { sectionId: 'day-2', index: 0, visibleMs: expect.toSatisfy((ms: number) => ms > 3900 && ms <= 4000) }],
    ]);
  });
});
