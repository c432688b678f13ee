import { createTracker } from '@waymark/core';
import type { Transport } from '@waymark/core';
import type { Envelope } from '@waymark/taxonomy';
import { mount } from '@vue/test-utils';
import { defineComponent, h, nextTick } from 'vue';
import { createRouter, createWebHistory, RouterView, useRouter } from 'vue-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWaymark, trackRouter } from './index';

function recordingTracker() {
  const sent: Envelope[] = [];
  const transport: Transport = {
    async send({ body }) {
      sent.push(...(JSON.parse(body) as { events: Envelope[] }).events);
      return { status: 200 };
    },
  };
  const tracker = createTracker({ endpoint: 'https://collect.example.test', writeKey: 'wk_test_123', consent: 'granted', transport });
  return { tracker, sent };
}

const Page = defineComponent({ setup: () => () => h('main', 'page') });

function blogRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/', component: Page },
      { path: '/destinations/:country', component: Page },
      { path: '/destinations/:country/:slug', component: Page, meta: { template: 'post' } },
      { path: '/old-lisbon', redirect: '/destinations/pt/lisbon-3-days' },
      { path: '/members', component: Page, beforeEnter: () => false },
      { path: '/about', component: Page },
    ],
  });
  return router;
}

/** Page views as `[path, route]` pairs, read from what the tracker sent. */
const pageViews = (sent: Envelope[]) =>
  sent.filter((e) => e.name === 'page_viewed').map((e) => [e.context.page.path, e.context.page.route]);

beforeEach(() => window.history.replaceState(null, '', '/'));

describe('trackRouter', () => {
  let unmount: (() => void) | undefined;
  afterEach(() => unmount?.());

  it('sends one page view per navigation with the route pattern and the path', async () => {
    const { tracker, sent } = recordingTracker();
    const router = blogRouter();
    trackRouter(router, { tracker });
    await router.push('/');
    await router.push('/destinations/pt');
    await router.push('/destinations/pt/lisbon-3-days');
    await router.push('/about');
    const back = new Promise<void>((resolve) => {
      const off = router.afterEach(() => (off(), resolve()));
    });
    router.back();
    await back;
    await nextTick();
    await tracker.flush();
    expect(pageViews(sent)).toEqual([
      ['/', '/'],
      ['/destinations/pt', '/destinations/:country'],
      ['/destinations/pt/lisbon-3-days', '/destinations/:country/:slug'],
      ['/about', '/about'],
      ['/destinations/pt/lisbon-3-days', '/destinations/:country/:slug'],
    ]);
  });

  it('sends nothing for duplicate, cancelled and fragment-only navigations', async () => {
    const { tracker, sent } = recordingTracker();
    const router = blogRouter();
    trackRouter(router, { tracker });
    await router.push('/about');
    await router.push('/about');
    await router.push('/members');
    await router.push('/about#team');
    await nextTick();
    await tracker.flush();
    expect(pageViews(sent)).toEqual([['/about', '/about']]);
  });

  it('sends one page view for a redirect, at its target', async () => {
    const { tracker, sent } = recordingTracker();
    const router = blogRouter();
    trackRouter(router, { tracker });
    await router.push('/old-lisbon');
    await nextTick();
    await tracker.flush();
    expect(pageViews(sent)).toEqual([['/destinations/pt/lisbon-3-days', '/destinations/:country/:slug']]);
  });

  it('sends the current route at once when the first navigation has finished', async () => {
    const { tracker, sent } = recordingTracker();
    const router = blogRouter();
    await router.push('/destinations/pt');
    trackRouter(router, { tracker });
    await nextTick();
    await tracker.flush();
    expect(pageViews(sent)).toEqual([['/destinations/pt', '/destinations/:country']]);
  });

  it('adds the properties pageView returns', async () => {
    const { tracker, sent } = recordingTracker();
    const router = blogRouter();
    trackRouter(router, {
      tracker,
      pageView: (route) => ({ postId: String(route.params.slug), template: route.meta.template as string }),
    });
    await router.push('/destinations/pt/lisbon-3-days');
    await nextTick();
    await tracker.flush();
    expect(sent.map((e) => e.properties)).toEqual([{ postId: 'lisbon-3-days', template: 'post' }]);
  });

  it('uses the plugin tracker inside setup() and stops when the component unmounts', async () => {
    const { tracker, sent } = recordingTracker();
    const router = blogRouter();
    const App = defineComponent({
      setup() {
        trackRouter(useRouter());
        return () => h(RouterView);
      },
    });
    router.push('/');
    await router.isReady();
    const wrapper = mount(App, { global: { plugins: [router, createWaymark({ tracker })] } });
    await router.push('/about');
    await nextTick();
    wrapper.unmount();
    await router.push('/destinations/pt');
    await nextTick();
    await tracker.flush();
    expect(pageViews(sent)).toEqual([
      ['/', '/'],
      ['/about', '/about'],
    ]);
  });

  it('sends no page view after stop()', async () => {
    const { tracker, sent } = recordingTracker();
    const router = blogRouter();
    const stop = trackRouter(router, { tracker });
    stop();
    await router.push('/about');
    await nextTick();
    await tracker.flush();
    expect(sent).toEqual([]);
  });

  it('throws outside setup() without a tracker in development', () => {
    expect(() => trackRouter(blogRouter())).toThrow(/\[waymark\] trackRouter\(router\) outside setup\(\) needs a tracker/);
  });
});
