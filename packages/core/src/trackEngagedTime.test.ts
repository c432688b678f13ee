import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackEngagedTime } from './trackEngagedTime';

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };
let visibility: DocumentVisibilityState = 'visible';

const setVisibility = (state: DocumentVisibilityState) => {
  visibility = state;
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
};

describe('trackEngagedTime', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    sent.length = 0;
    visibility = 'visible';
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
  });
  afterEach(() => {
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('reports the time engaged when the page is hidden', () => {
    const stop = trackEngagedTime(tracker, { idleAfter: 30_000 });
    vi.advanceTimersByTime(10_000);
    setVisibility('hidden');
    expect(sent).toEqual([['engaged_time_reported', { engagedMs: 10_000, final: true }]]);
    stop();
  });

  it('stops counting after idleAfter without input and resumes on input', () => {
    const stop = trackEngagedTime(tracker, { idleAfter: 5000, pingEvery: 0 });
    vi.advanceTimersByTime(20_000);
    window.dispatchEvent(new Event('keydown'));
    vi.advanceTimersByTime(2000);
    setVisibility('hidden');
    expect(sent).toEqual([['engaged_time_reported', { engagedMs: 7000, final: true }]]);
    stop();
  });

  it('does not count while the page is hidden or unfocused', () => {
    const stop = trackEngagedTime(tracker, { pingEvery: 0 });
    vi.advanceTimersByTime(1000);
    window.dispatchEvent(new Event('blur'));
    vi.advanceTimersByTime(5000);
    window.dispatchEvent(new Event('focus'));
    vi.advanceTimersByTime(1000);
    setVisibility('hidden');
    vi.advanceTimersByTime(60_000);
    setVisibility('visible');
    vi.advanceTimersByTime(3000);
    window.dispatchEvent(new Event('pagehide'));
    expect(sent.map(([, properties]) => properties.engagedMs)).toEqual([2000, 3000]);
    stop();
  });

  // Tracking starts 50 ms in (jsdom has no requestIdleCallback); the reading before counts and rides on the first ping.
  it('sends pings on long reads with the time since the last report', () => {
    const stop = trackEngagedTime(tracker, { pingEvery: 60_000, idleAfter: 1_000_000 });
    vi.advanceTimersByTime(125_000);
    setVisibility('hidden');
    expect(sent).toEqual([
      ['engaged_time_reported', { engagedMs: 60_050, final: false }],
      ['engaged_time_reported', { engagedMs: 60_000, final: false }],
      ['engaged_time_reported', { engagedMs: 4950, final: true }],
    ]);
    stop();
  });

  it('counts again after a back/forward-cache restore', () => {
    const stop = trackEngagedTime(tracker, { pingEvery: 0 });
    vi.advanceTimersByTime(4000);
    window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
    vi.advanceTimersByTime(100_000);
    window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    vi.advanceTimersByTime(6000);
    window.dispatchEvent(new Event('pagehide'));
    expect(sent.map(([, properties]) => properties.engagedMs)).toEqual([4000, 6000]);
    stop();
  });

  it('reports what is left on stop and exposes the engaged time', () => {
    const engaged = trackEngagedTime(tracker);
    vi.advanceTimersByTime(2500);
    expect(engaged.engagedMs()).toBe(2500);
    engaged();
    expect(sent).toEqual([['engaged_time_reported', { engagedMs: 2500, final: true }]]);
    window.dispatchEvent(new Event('pagehide'));
    expect(sent).toHaveLength(1);
  });

  it('never throws into the page when tracking fails', () => {
    const broken = { track: () => { throw new Error('broken'); }, page: () => {} };
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const stop = trackEngagedTime(broken);
    vi.advanceTimersByTime(1000);
    expect(() => window.dispatchEvent(new Event('pagehide'))).not.toThrow();
    stop();
  });
});
