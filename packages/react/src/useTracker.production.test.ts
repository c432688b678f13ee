import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import type { Tracker } from '@waymark/core';
import { usePageViews } from './usePageViews';
import { useTracker } from './useTracker';

describe('useTracker in production', () => {
  it('returns a tracker that does nothing when there is no provider', async () => {
    let tracker: Tracker | undefined;
    function Page() {
      usePageViews('/');
      tracker = useTracker();
      return null;
    }
    const root = createRoot(document.createElement('div'));
    root.render(createElement(Page));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tracker).toBeDefined();
    expect(() => tracker!.track('post_shared', { postId: 'p1', network: 'pinterest', method: 'button' })).not.toThrow();
    expect(tracker!.stats()).toEqual({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 });
    root.unmount();
  });
});
