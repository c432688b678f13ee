import { createTracker } from '@waymark/core';
import type { Transport } from '@waymark/core';
import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import type { Envelope } from '@waymark/taxonomy';
import { mount } from '@vue/test-utils';
import { defineComponent, h, ref } from 'vue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWaymark, useReadTime } from './index';
import type { ReadTimeOptions } from './index';

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

/** A controllable IntersectionObserver: `show(el)` puts an observed element in the reading zone. */
let observerCallback: (entries: { target: Element; isIntersecting: boolean }[]) => void = () => {};
class FakeObserver {
  constructor(callback: typeof observerCallback) {
    observerCallback = callback;
  }
  observe() {}
  disconnect() {}
}
const show = (selector: string, isIntersecting: boolean) =>
  observerCallback([{ target: document.querySelector(selector)!, isIntersecting }]);

/** A post that measures its own reading. */
const Post = (options: ReadTimeOptions) =>
  defineComponent({
    setup() {
      const article = ref<HTMLElement | null>(null);
      useReadTime(article, options);
      return () =>
        h('article', { ref: article }, [h('h2', { id: 'getting-there' }, 'Getting there'), h('p', 'Fly to LIS.'), h('h2', { id: 'alfama' }, 'Alfama')]);
    },
  });

describe('useReadTime', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    vi.stubGlobal('IntersectionObserver', FakeObserver);
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    vi.useRealTimers();
    document.body.innerHTML = '';
  });

  it('reports engaged time and sections read with the post id when the component unmounts', async () => {
    const { tracker, sent } = recordingTracker();
    const wrapper = mount(Post({ postId: 'lisbon-3-days', authorId: 'ana' }), {
      attachTo: document.body,
      global: { plugins: [createWaymark({ tracker })] },
    });
    vi.advanceTimersByTime(100); // the modules start once the page is idle
    show('#getting-there', true);
    vi.advanceTimersByTime(4000);
    show('#getting-there', false);
    wrapper.unmount();
    await tracker.flush();
    const events = sent.map((e) => [e.name, e.properties]);
    expect(events).toEqual([
      ['section_read', { postId: 'lisbon-3-days', authorId: 'ana', sectionId: 'getting-there', heading: 'Getting there', index: 0, visibleMs: 4000 }],
      ['engaged_time_reported', { postId: 'lisbon-3-days', authorId: 'ana', engagedMs: 4100, final: true }],
    ]);
    for (const [name, properties] of events) expect(validateEvent(travelCatalogue, name as string, properties).ok).toBe(true);
  });

  it('reports scroll depth through the element and read-through', async () => {
    const { tracker, sent } = recordingTracker();
    const wrapper = mount(Post({ postId: 'lisbon-3-days', sections: false }), {
      attachTo: document.body,
      global: { plugins: [createWaymark({ tracker })] },
    });
    vi.advanceTimersByTime(100);
    const article = wrapper.find('article').element;
    // The article's end is above the bottom of the window.
    vi.spyOn(article, 'getBoundingClientRect').mockReturnValue({ top: -500, height: 800, bottom: 300 } as DOMRect);
    window.dispatchEvent(new Event('scroll'));
    vi.advanceTimersByTime(50);
    await tracker.flush();
    expect(sent.map((e) => [e.name, e.properties])).toEqual([
      ['scroll_depth_reached', { postId: 'lisbon-3-days', percent: 25 }],
      ['scroll_depth_reached', { postId: 'lisbon-3-days', percent: 50 }],
      ['scroll_depth_reached', { postId: 'lisbon-3-days', percent: 75 }],
      ['scroll_depth_reached', { postId: 'lisbon-3-days', percent: 100 }],
      ['post_read', { postId: 'lisbon-3-days', engagedMs: 112 }], // engaged since mount, up to the next frame,
    ]);
    wrapper.unmount();
  });

  it('reports on stop() before the component unmounts, and not again at unmount', async () => {
    const { tracker, sent } = recordingTracker();
    let read: ReturnType<typeof useReadTime> | undefined;
    const Stoppable = defineComponent({
      setup() {
        read = useReadTime(() => null, { postId: 'lisbon-3-days', sections: false });
        return () => h('article', 'post');
      },
    });
    const wrapper = mount(Stoppable, { attachTo: document.body, global: { plugins: [createWaymark({ tracker })] } });
    vi.advanceTimersByTime(2000);
    expect(read!.engagedMs()).toBe(2000);
    read!.stop();
    window.history.pushState(null, '', '/next-page');
    vi.advanceTimersByTime(1000);
    wrapper.unmount();
    await tracker.flush();
    expect(sent.map((e) => [e.name, e.properties, e.context.page.path])).toEqual([
      ['engaged_time_reported', { postId: 'lisbon-3-days', engagedMs: 2000, final: true }, '/'],
    ]);
    window.history.replaceState(null, '', '/');
  });

  it('sends nothing once unmounted', async () => {
    const { tracker, sent } = recordingTracker();
    const wrapper = mount(Post({ sections: false }), { attachTo: document.body, global: { plugins: [createWaymark({ tracker })] } });
    vi.advanceTimersByTime(100);
    wrapper.unmount();
    await tracker.flush();
    const before = sent.length;
    vi.advanceTimersByTime(120_000);
    window.dispatchEvent(new Event('scroll'));
    document.dispatchEvent(new Event('visibilitychange'));
    vi.advanceTimersByTime(100);
    await tracker.flush();
    expect(sent.length).toBe(before);
  });
});
