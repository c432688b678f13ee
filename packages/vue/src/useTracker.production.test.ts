import { mount } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { describe, expect, it, vi } from 'vitest';
import { createWaymark, trackRouter, useReadTime, useTracker } from './index';

describe('@waymark/vue in production', () => {
  it('runs with NODE_ENV=production', () => {
    expect(process.env.NODE_ENV).toBe('production');
  });

  it('gives a tracker that does nothing when the plugin is missing, without throwing', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch');
    let tracker: ReturnType<typeof useTracker> | undefined;
    const Orphan = defineComponent({
      setup() {
        tracker = useTracker();
        useReadTime(() => null);
        return () => h('p', 'post');
      },
    });
    expect(() => mount(Orphan).unmount()).not.toThrow();
    tracker!.track('post_read', { engagedMs: 1 });
    tracker!.page();
    await tracker!.flush();
    expect(tracker!.stats()).toEqual({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 });
    expect(fetch).not.toHaveBeenCalled();
    fetch.mockRestore();
  });

  it('does nothing for trackRouter outside setup() without a tracker, and for bad plugin options', async () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { render: () => null } }] });
    expect(() => trackRouter(router)()).not.toThrow();
    expect(() => createWaymark({} as never).tracker.track('post_read', { engagedMs: 1 })).not.toThrow();
    await router.push('/');
  });
});
