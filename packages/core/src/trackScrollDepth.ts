import type { EngagementTracker, StopTracking, TravelTracker } from './engagementTypes';
import { cleanupAll, listen, startWhenIdle } from './startWhenIdle';

/** Options of {@link trackScrollDepth}. */
export interface ScrollDepthOptions {
  /**
   * The article body whose depth is measured, as a selector or an element. When no element matches, the whole page is
   * measured.
   * @default 'article'
   */
  article?: string | Element;
  /**
   * Engaged time to report with `post_read`, such as `trackEngagedTime(tracker).engagedMs`.
   * @default milliseconds since tracking started
   */
  engagedMs?: () => number;
}

const MILESTONES = [25, 50, 75, 100] as const;

/**
 * Sends `scroll_depth_reached` once per milestone (25, 50, 75, 100 %) of the article (or the page) per page view, and
 * `post_read` with the engaged time when the reader reaches the end of the article (read-through). Depth is the share of
 * the article that has been above the bottom of the window; a page that fits in the window reaches no milestone
 * until the reader scrolls. A new URL (client-side navigation) starts over.
 *
 * @example
 * import { trackEngagedTime, trackScrollDepth } from '@waymark/core/engagement';
 *
 * const engaged = trackEngagedTime(tracker);
 * trackScrollDepth(tracker, { article: 'article .post-body', engagedMs: engaged.engagedMs });
 */
export function trackScrollDepth(tracker: EngagementTracker, options: ScrollDepthOptions = {}): StopTracking {
  const started = Date.now();
  const { article = 'article', engagedMs = () => Date.now() - started } = options;
  const t = tracker as TravelTracker;
  return startWhenIdle((win) => {
    const doc = win.document;
    let reached = 0;
    let href = win.location.href;
    let frame = 0;
    const target = () => (typeof article === 'string' ? doc.querySelector(article) : article);
    const depth = (): number => {
      const el = target();
      if (el && el.isConnected) {
        const { top, height, bottom } = el.getBoundingClientRect();
        if (bottom <= win.innerHeight + 1) return 100;
        return height > 0 ? ((win.innerHeight - top) / height) * 100 : 0;
      }
      const root = doc.documentElement;
      const seen = win.scrollY + win.innerHeight;
      return seen >= root.scrollHeight - 1 ? 100 : (seen / root.scrollHeight) * 100;
    };
    const check = () => {
      frame = 0;
      if (win.location.href !== href) {
        href = win.location.href;
        reached = 0;
      }
      const percent = depth();
      for (const milestone of MILESTONES) {
        if (milestone > reached && percent >= milestone) {
          reached = milestone;
          t.track('scroll_depth_reached', { percent: milestone });
          if (milestone === 100) t.track('post_read', { engagedMs: Math.max(0, Math.min(86_400_000, Math.round(engagedMs()))) });
        }
      }
    };
    // One measurement per frame, however many scroll events arrive.
    const onScroll = () => {
      if (!frame) frame = win.requestAnimationFrame(check);
    };
    return cleanupAll([listen(win, 'scroll', onScroll), () => win.cancelAnimationFrame(frame)]);
  });
}
