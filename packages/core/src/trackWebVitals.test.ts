import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Report = (metric: { name: string; value: number; rating: string; navigationType?: string }) => void;
const reporters: Record<string, Report> = {};
vi.mock('web-vitals', () => {
  const on = (name: string) => (report: Report) => void (reporters[name] = report);
  return { onCLS: on('CLS'), onFCP: on('FCP'), onINP: on('INP'), onLCP: on('LCP'), onTTFB: on('TTFB') };
});
const { trackWebVitals } = await import('./trackWebVitals');

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };

describe('trackWebVitals', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    sent.length = 0;
    for (const key of Object.keys(reporters)) delete reporters[key];
  });
  afterEach(() => {
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    vi.useRealTimers();
  });

  it('loads web-vitals only once the page is idle, then sends each metric with the template', async () => {
    const stop = trackWebVitals(tracker, { template: () => 'post' });
    await vi.advanceTimersByTimeAsync(10);
    expect(Object.keys(reporters)).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    await vi.dynamicImportSettled();
    expect(Object.keys(reporters).sort()).toEqual(['CLS', 'FCP', 'INP', 'LCP', 'TTFB']);
    reporters.LCP({ name: 'LCP', value: 1234.56, rating: 'good', navigationType: 'navigate' });
    reporters.CLS({ name: 'CLS', value: 0.123456, rating: 'needs-improvement', navigationType: 'back-forward-cache' });
    expect(sent).toEqual([
      ['web_vital_measured', { metric: 'LCP', value: 1235, rating: 'good', template: 'post', navigationType: 'navigate' }],
      ['web_vital_measured', { metric: 'CLS', value: 0.1235, rating: 'needs-improvement', template: 'post', navigationType: 'back-forward-cache' }],
    ]);
    stop();
    reporters.INP({ name: 'INP', value: 80, rating: 'good' });
    expect(sent).toHaveLength(2);
  });

  it('never loads web-vitals when stopped before the page is idle', async () => {
    trackWebVitals(tracker)();
    await vi.advanceTimersByTimeAsync(500);
    await vi.dynamicImportSettled();
    expect(Object.keys(reporters)).toEqual([]);
  });
});
