import { act, cleanup, render } from '@testing-library/react';
import { useRef, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingOptions } from './testTransport';
import { useTrackOnView } from './useTrackOnView';
import { WaymarkProvider } from './WaymarkProvider';

/** A controllable IntersectionObserver: `show(ratio)` reports the observed element at that visible share. */
let observed: Element[] = [];
let callback: (entries: { target: Element; isIntersecting: boolean; intersectionRatio: number }[]) => void = () => {};
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
const show = (ratio: number) => act(() => callback([{ target: observed[0], isIntersecting: ratio > 0, intersectionRatio: ratio }]));

function Card({ country, city }: { country: string; city: string }) {
  const ref = useRef<HTMLElement>(null);
  const [likes, setLikes] = useState(0);
  useTrackOnView(ref, { name: 'destination_viewed', properties: { destination: { country, city } }, minVisibleMs: 2000 });
  return (
    <article ref={ref} id={`card-${country}`}>
      {city} <button onClick={() => setLikes(likes + 1)}>{likes} likes</button>
    </article>
  );
}

const app = (options: ReturnType<typeof recordingOptions>['options'], city = 'Lisbon') => (
  <WaymarkProvider options={options}>
    <Card country="PT" city={city} />
  </WaymarkProvider>
);

describe('useTrackOnView', () => {
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

  it('sends the event once when its element has been seen long enough, despite re-renders', async () => {
    const { options, sent } = recordingOptions();
    const { getByRole } = render(app(options));
    await act(() => vi.advanceTimersByTimeAsync(100));
    expect(observed.map((el) => el.id)).toEqual(['card-PT']);
    show(0.7);
    await act(() => vi.advanceTimersByTimeAsync(1000));
    act(() => getByRole('button').click()); // a re-render with a new properties object keeps the wait
    await act(() => vi.advanceTimersByTimeAsync(1000));
    act(() => getByRole('button').click());
    await act(() => vi.advanceTimersByTimeAsync(3000));
    expect(sent.map((e) => [e.name, e.properties])).toEqual([['destination_viewed', { destination: { country: 'PT', city: 'Lisbon' } }]]);
  });

  it('sends nothing when the component unmounts before the element was seen long enough', async () => {
    const { options, sent } = recordingOptions();
    const { unmount } = render(app(options));
    await act(() => vi.advanceTimersByTimeAsync(100));
    show(1);
    await act(() => vi.advanceTimersByTimeAsync(1500));
    unmount();
    await act(() => vi.advanceTimersByTimeAsync(5000));
    expect(sent).toEqual([]);
  });

  it('starts over for new properties', async () => {
    const { options, sent } = recordingOptions();
    const { rerender } = render(app(options));
    await act(() => vi.advanceTimersByTimeAsync(100));
    show(1);
    await act(() => vi.advanceTimersByTimeAsync(2000));
    rerender(app(options, 'Porto'));
    await act(() => vi.advanceTimersByTimeAsync(100));
    show(1);
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(sent.map((e) => e.properties)).toEqual([
      { destination: { country: 'PT', city: 'Lisbon' } },
      { destination: { country: 'PT', city: 'Porto' } },
    ]);
  });
});
