import type { EngagementTracker, StopTracking, TravelTracker } from './engagementTypes';
import { attempt, startWhenIdle } from './startWhenIdle';

/** Options of {@link trackWebVitals}. */
export interface WebVitalsOptions {
  /**
   * The page template sent with each metric (`post`, `destination`, `home`), or a function that reads it when the metric
   * is reported. With `withContentMetadata()` in `beforeSend`, the page's `waymark:template` is used when this is unset.
   */
  template?: string | (() => string | undefined);
}

/** The slice of `web-vitals` this module uses; loaded with a dynamic import so it is a separate, lazy chunk. */
type Metric = { name: 'CLS' | 'FCP' | 'INP' | 'LCP' | 'TTFB'; value: number; rating: 'good' | 'needs-improvement' | 'poor'; navigationType?: string };

/**
 * Sends `web_vital_measured` for LCP, INP, CLS, FCP and TTFB as the `web-vitals` library reports them (once per page
 * view; LCP, CLS and INP when the page is hidden, again after a back/forward-cache restore), with the page template.
 * `web-vitals` is imported only after the page has loaded and is idle, so neither its download nor its observers touch
 * the critical path; it reads earlier paint and layout-shift entries from the browser's buffer.
 *
 * @example
 * import { trackWebVitals } from '@waymark/core/engagement';
 *
 * trackWebVitals(tracker, { template: document.body.dataset.template });
 */
export function trackWebVitals(tracker: EngagementTracker, options: WebVitalsOptions = {}): StopTracking {
  const t = tracker as TravelTracker;
  let stopped = false;
  const stop = startWhenIdle(() => {
    import('web-vitals').then(
      ({ onCLS, onFCP, onINP, onLCP, onTTFB }) => {
        const report = (metric: Metric) => {
          if (stopped) return;
          const { template } = options;
          const name = typeof template === 'function' ? attempt(template) : template;
          // CLS is a unitless score; the others are milliseconds.
          const value = metric.name === 'CLS' ? Math.round(metric.value * 10_000) / 10_000 : Math.round(metric.value);
          t.track('web_vital_measured', {
            metric: metric.name,
            value: Math.max(0, value),
            rating: metric.rating,
            ...(name && { template: name.slice(0, 64) }),
            ...(metric.navigationType && { navigationType: metric.navigationType.slice(0, 32) }),
          });
        };
        for (const on of [onCLS, onFCP, onINP, onLCP, onTTFB]) attempt(() => on(report));
      },
      () => undefined,
    );
    return () => {
      stopped = true;
    };
  });
  return () => {
    stopped = true;
    stop();
  };
}
