import type { GlobalDirectives } from 'vue';
import { describe, expectTypeOf, it } from 'vitest';
import type { TrackBinding } from './index';

describe('TrackBinding', () => {
  it('accepts a catalogue event with its properties', () => {
    expectTypeOf({ name: 'post_shared', properties: { network: 'pinterest', method: 'button' } } as const).toExtend<TrackBinding>();
    expectTypeOf({ name: 'user_identified' } as const).toExtend<TrackBinding>();
  });

  it('rejects unknown events, wrong properties and missing required properties', () => {
    expectTypeOf({ name: 'post_shred', properties: { network: 'pinterest' } } as const).not.toExtend<TrackBinding>();
    expectTypeOf({ name: 'post_shared', properties: { network: 'myspace' } } as const).not.toExtend<TrackBinding>();
    expectTypeOf({ name: 'post_shared' } as const).not.toExtend<TrackBinding>();
  });

  it('types v-track in templates through GlobalDirectives', () => {
    expectTypeOf<GlobalDirectives>().toHaveProperty('vTrack');
  });
});
