import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackHistory } from './trackHistory';

const views: [string, unknown, unknown][] = [];
const tracker = { track: () => {}, page: (properties?: unknown, options?: unknown) => void views.push([location.pathname + location.search, properties, options]) };

describe('trackHistory', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    views.length = 0;
    history.replaceState({}, '', '/');
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends one page view per push, replace or popstate that changes the URL', () => {
    const stop = trackHistory(tracker);
    vi.advanceTimersByTime(100);
    history.pushState({}, '', '/lisbon');
    vi.advanceTimersByTime(1);
    history.replaceState({}, '', '/lisbon'); // same URL
    history.pushState({}, '', '/lisbon#day-2'); // fragment only
    vi.advanceTimersByTime(1);
    history.replaceState({}, '', '/porto?day=1');
    vi.advanceTimersByTime(1);
    history.pushState({}, '', '/');
    window.dispatchEvent(new PopStateEvent('popstate'));
    vi.advanceTimersByTime(1);
    expect(views.map(([url]) => url)).toEqual(['/lisbon', '/porto?day=1', '/']);
    stop();
  });

  it('counts a push followed by a redirecting replace as one page view', () => {
    const stop = trackHistory(tracker);
    vi.advanceTimersByTime(100);
    history.pushState({}, '', '/old');
    history.replaceState({}, '', '/new');
    vi.advanceTimersByTime(1);
    expect(views.map(([url]) => url)).toEqual(['/new']);
    stop();
  });

  it('catches a navigation made before the page was idle, and the first page with initial', () => {
    const stop = trackHistory(tracker);
    history.pushState({}, '', '/early');
    vi.advanceTimersByTime(100);
    expect(views.map(([url]) => url)).toEqual(['/early']);
    stop();
    views.length = 0;
    const again = trackHistory(tracker, { initial: true, pageView: () => ({ properties: { template: 'post' }, options: { route: '/[slug]' } }) });
    vi.advanceTimersByTime(100);
    expect(views).toEqual([['/early', { template: 'post' }, { route: '/[slug]' }]]);
    again();
  });

  it('restores history on stop and sends nothing after', () => {
    const { pushState } = history;
    const stop = trackHistory(tracker);
    vi.advanceTimersByTime(100);
    expect(history.pushState).not.toBe(pushState);
    stop();
    expect(history.pushState).toBe(pushState);
    history.pushState({}, '', '/after');
    vi.advanceTimersByTime(1);
    expect(views).toEqual([]);
  });
});
