// @vitest-environment node
import { defineComponent, createSSRApp, h, resolveDirective, withDirectives } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createMemoryHistory, createRouter, RouterView, useRouter } from 'vue-router';
import { describe, expect, it, vi } from 'vitest';
import { createWaymark, trackRouter, useReadTime, useTracker } from './index';

const Post = defineComponent({
  setup() {
    const tracker = useTracker();
    tracker.track('destination_viewed', { destination: { country: 'PT', city: 'Lisbon' } });
    useReadTime(() => null, { postId: 'lisbon-3-days' });
    return () =>
      h('article', [
        h('h1', 'Three days in Lisbon'),
        withDirectives(h('button', 'Pin it'), [[resolveDirective('track')!, { name: 'post_shared', properties: { network: 'pinterest' } }]]),
        withDirectives(h('aside', 'Lisbon'), [[resolveDirective('track')!, { name: 'destination_viewed', properties: { destination: { country: 'PT' } } }, 'view']]),
      ]);
  },
});

const App = defineComponent({
  setup() {
    trackRouter(useRouter());
    return () => h('main', [h(RouterView)]);
  },
});

describe('@waymark/vue on the server', () => {
  it('runs without browser globals', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  it('renders an app with the plugin, trackRouter, useReadTime and v-track, sending nothing', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch');
    const send = vi.fn(async () => ({ status: 200 }));
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [{ path: '/destinations/:country/:slug', component: Post }],
    });
    const waymark = createWaymark({ endpoint: 'https://collect.example.test', writeKey: 'wk_test_123', consent: 'granted', transport: { send } });
    const app = createSSRApp(App).use(router).use(waymark);
    await router.push('/destinations/pt/lisbon-3-days');
    await router.isReady();
    const html = await renderToString(app);
    expect(html).toContain('<h1>Three days in Lisbon</h1><button>Pin it</button><aside>Lisbon</aside>');
    await waymark.tracker.flush();
    expect(waymark.tracker.stats()).toEqual({ delivered: 0, rejected: 0, dropped: 0, queued: 0, held: 0 });
    expect(send).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
    fetch.mockRestore();
  });
});
