import type { Tracker } from '@waymark/core';
import { trackOnView } from '@waymark/core/engagement';
import type { RegisteredEvents } from '@waymark/taxonomy';
import type { Directive, DirectiveBinding } from 'vue';

/**
 * The value of `v-track`: a catalogue event and its properties, type-checked like `tracker.track(name, properties)`.
 * `properties` is read when the event is sent, so it may change while the element is mounted.
 */
export type TrackBinding<M extends object = RegisteredEvents> = {
  [N in keyof M & string]: {} extends M[N] ? { name: N; properties?: M[N] } : { name: N; properties: M[N] };
}[keyof M & string];

/** When `v-track` sends: `click` (the default) on every click, `view` once the element has been seen. */
export type TrackTrigger = 'click' | 'view';

/** State `v-track` keeps on its element. */
interface Tracked extends Element {
  _waymark?: { binding: TrackBinding | null | undefined; off?: () => void };
}

/**
 * Creates the `v-track` directive bound to a tracker; `createWaymark()` registers it on the app.
 *
 * - `v-track="{ name: 'post_shared', properties: { network: 'pinterest' } }"` (or `v-track:click`) sends the event
 *   on each click; it never prevents or delays the click.
 * - `v-track:view="{ name: 'destination_viewed', properties: { destination } }"` sends it once the element has been at
 *   least half visible for a second (`trackOnView` from `@waymark/core/engagement`). Give a reused element a `:key`
 *   (such as the route's path) to count it again for new content.
 *
 * A value of `null` or `undefined` sends nothing.
 */
export function createTrackDirective(tracker: Tracker): Directive<Element, TrackBinding | null | undefined, string, TrackTrigger> {
  const send = (binding: TrackBinding | null | undefined) => {
    if (binding && binding.name) (tracker.track as (name: string, properties?: object) => void)(binding.name, binding.properties);
  };
  return {
    mounted(el: Tracked, { arg, value }: DirectiveBinding<TrackBinding | null | undefined, string, TrackTrigger>) {
      const state: NonNullable<Tracked['_waymark']> = (el._waymark = { binding: value });
      if (arg === 'view') {
        // Seen, not just rendered: half visible for a second, sent once (core's trackOnView).
        if (value?.name) state.off = trackOnView(tracker as Tracker<any>, { element: el, name: value.name, properties: value.properties as object });
      }
      else {
        const onClick = () => send(state.binding);
        el.addEventListener('click', onClick);
        state.off = () => el.removeEventListener('click', onClick);
      }
    },
    updated(el: Tracked, { value }) {
      if (el._waymark) el._waymark.binding = value;
    },
    unmounted(el: Tracked) {
      el._waymark?.off?.();
      el._waymark = undefined;
    },
  };
}
