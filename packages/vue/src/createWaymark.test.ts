import { createTracker } from '@waymark/core';
import type { Transport } from '@waymark/core';
import { travelCatalogue, validateEnvelope } from '@waymark/taxonomy';
import type { Envelope } from '@waymark/taxonomy';
import { mount } from '@vue/test-utils';
import { createApp, defineComponent, h, ref, resolveDirective, withDirectives } from 'vue';
import type { PropType } from 'vue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWaymark, useTracker } from './index';

/** A tracker whose transport keeps what goes over the wire. */
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

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
  document.body.innerHTML = '';
});

/** A button with `v-track`, rendered with a render function (what a template compiles to). */
const TrackedButton = defineComponent({
  props: { arg: { type: String, default: undefined }, binding: { type: null as unknown as PropType<object | null>, default: null } },
  setup(props) {
    return () => withDirectives(h('button', { id: 'b' }, 'Share'), [[resolveDirective('track')!, props.binding, props.arg]]);
  },
});

const share = { name: 'post_shared', properties: { postId: 'lisbon-3-days', network: 'pinterest', method: 'button' } };

describe('createWaymark', () => {
  it('provides the tracker to useTracker() in components', () => {
    const { tracker } = recordingTracker();
    let injected: unknown;
    mount(defineComponent({ setup: () => ((injected = useTracker()), () => h('p')) }), {
      global: { plugins: [createWaymark({ tracker })] },
    });
    expect(injected).toBe(tracker);
  });

  it('creates a tracker from the tracker options', () => {
    const waymark = createWaymark({ endpoint: 'https://collect.example.test', writeKey: 'wk_test_123' });
    let injected: unknown;
    mount(defineComponent({ setup: () => ((injected = useTracker()), () => h('p')) }), { global: { plugins: [waymark] } });
    expect(injected).toBe(waymark.tracker);
    waymark.tracker.destroy();
  });

  it('throws with a fix-it message on missing options in development', () => {
    expect(() => createWaymark({} as never)).toThrow(/\[waymark\] createTracker needs a writeKey/);
  });

  it('sends the v-track event with its properties on each click', async () => {
    const { tracker, sent } = recordingTracker();
    const wrapper = mount(TrackedButton, { props: { binding: share }, global: { plugins: [createWaymark({ tracker })] } });
    await wrapper.find('#b').trigger('click');
    await wrapper.find('#b').trigger('click');
    await tracker.flush();
    expect(sent.map((e) => [e.name, e.properties])).toEqual([
      ['post_shared', share.properties],
      ['post_shared', share.properties],
    ]);
    expect(sent.every((e) => validateEnvelope([travelCatalogue], e).ok)).toBe(true);
  });

  it('reads the v-track value at click time after an update', async () => {
    const { tracker, sent } = recordingTracker();
    const wrapper = mount(TrackedButton, { props: { binding: share }, global: { plugins: [createWaymark({ tracker })] } });
    await wrapper.setProps({ binding: { name: 'post_shared', properties: { network: 'whatsapp' } } });
    await wrapper.find('#b').trigger('click');
    await tracker.flush();
    expect(sent.map((e) => e.properties)).toEqual([{ network: 'whatsapp' }]);
  });

  it('sends nothing for a null v-track value', async () => {
    const { tracker, sent } = recordingTracker();
    const wrapper = mount(TrackedButton, { props: { binding: null }, global: { plugins: [createWaymark({ tracker })] } });
    await wrapper.find('#b').trigger('click');
    await tracker.flush();
    expect(sent).toEqual([]);
  });

  it('sends v-track:view once the element has been seen, not on mount, clicks or updates', async () => {
    // jsdom has no IntersectionObserver: this one reports the element fully visible as soon as it is observed.
    let seen = 0;
    vi.stubGlobal(
      'IntersectionObserver',
      class {
        constructor(private readonly report: (entries: object[]) => void) {}
        observe(target: Element) {
          seen++;
          this.report([{ target, isIntersecting: true, intersectionRatio: 1 }]);
        }
        disconnect() {}
      },
    );
    const { tracker, sent } = recordingTracker();
    const viewed = { name: 'destination_viewed', properties: { destination: { country: 'PT', city: 'Lisbon' } } };
    const wrapper = mount(TrackedButton, { props: { binding: viewed, arg: 'view' }, global: { plugins: [createWaymark({ tracker })] } });
    await wrapper.find('#b').trigger('click');
    await wrapper.setProps({ binding: { ...viewed } });
    await tracker.flush();
    expect(sent).toEqual([]);
    await vi.waitFor(() => expect(seen).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await tracker.flush();
    expect(sent.map((e) => [e.name, e.properties])).toEqual([['destination_viewed', viewed.properties]]);
    vi.unstubAllGlobals();
  });

  it('stops listening for clicks once the element is unmounted', async () => {
    const { tracker, sent } = recordingTracker();
    const show = ref(true);
    const Parent = defineComponent({ setup: () => () => (show.value ? h(TrackedButton, { binding: share }) : h('p')) });
    const wrapper = mount(Parent, { attachTo: document.body, global: { plugins: [createWaymark({ tracker })] } });
    const button = wrapper.find('#b').element as HTMLButtonElement;
    show.value = false;
    await wrapper.vm.$nextTick();
    button.click();
    await tracker.flush();
    expect(sent).toEqual([]);
    wrapper.unmount();
  });

  it('destroys its own tracker when the app unmounts, sending what waits', async () => {
    const sent: string[] = [];
    const transport: Transport = {
      async send({ body }) {
        sent.push(...(JSON.parse(body) as { events: Envelope[] }).events.map((e) => e.name));
        return { status: 200 };
      },
    };
    const waymark = createWaymark({ endpoint: 'https://collect.example.test', writeKey: 'wk_test_123', consent: 'granted', transport });
    const app = createApp({ render: () => h('p') }).use(waymark);
    app.mount(document.createElement('div'));
    waymark.tracker.track('post_read', { engagedMs: 1000 });
    app.unmount();
    await new Promise((resolve) => setTimeout(resolve, 0));
    waymark.tracker.track('post_read', { engagedMs: 2000 });
    await waymark.tracker.flush();
    expect(sent).toEqual(['post_read']);
  });

  it('leaves a tracker passed in running when the app unmounts', async () => {
    const { tracker, sent } = recordingTracker();
    const app = createApp({ render: () => h('p') }).use(createWaymark({ tracker }));
    app.mount(document.createElement('div'));
    app.unmount();
    tracker.track('post_read', { engagedMs: 1000 });
    await tracker.flush();
    expect(sent.map((e) => e.name)).toEqual(['post_read']);
  });
});

describe('useTracker without the plugin', () => {
  it('throws in development with how to install the plugin', () => {
    const Orphan = defineComponent({ setup: () => (useTracker(), () => h('p')) });
    expect(() => mount(Orphan)).toThrow(/\[waymark\] useTracker\(\) found no Waymark plugin: .*\.use\(createWaymark/);
  });

  it('throws outside setup() with where to find the tracker instead', () => {
    expect(() => useTracker()).toThrow(/\[waymark\] useTracker\(\) must be called inside setup\(\)/);
  });
});
