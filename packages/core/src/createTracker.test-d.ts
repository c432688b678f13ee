import { travelCatalogue } from '@waymark/taxonomy';
import type { EventMap } from '@waymark/taxonomy';
import { describe, expectTypeOf, it } from 'vitest';
import { createTracker } from './createTracker';
import type { Tracker } from './createTracker';
import { acmeCatalogue } from '../e2e/fixtures/acmeCatalogue';

const options = { endpoint: 'https://collect.example.test', writeKey: 'wk_test_123' };

describe('Tracker types', () => {
  const tracker = createTracker(options);

  it('accepts catalogue events with their properties', () => {
    tracker.track('destination_viewed', { destination: { country: 'PT' } });
    tracker.track('destination_viewed', { destination: { country: 'PT', city: 'Lisbon', iata: 'LIS' }, postId: 'p-1' });
    tracker.track('user_identified');
    expectTypeOf(tracker.track('post_read', { engagedMs: 1000 })).toEqualTypeOf<void>();
    expectTypeOf(tracker.flush()).toEqualTypeOf<Promise<void>>();
  });

  it('rejects a wrong event name', () => {
    // @ts-expect-error not in the catalogue
    tracker.track('destination_viewd', { destination: { country: 'PT' } });
    // @ts-expect-error not in the catalogue
    tracker.track('page_view');
  });

  it('rejects a missing required property', () => {
    // @ts-expect-error destination is required
    tracker.track('destination_viewed', {});
    // @ts-expect-error properties are required when a property is
    tracker.track('destination_viewed');
    // @ts-expect-error country is required
    tracker.track('destination_viewed', { destination: { city: 'Lisbon' } });
  });

  it('rejects a wrong property type', () => {
    // @ts-expect-error engagedMs is a number
    tracker.track('post_read', { engagedMs: '1000' });
    // @ts-expect-error percent is 25, 50, 75 or 100
    tracker.track('scroll_depth_reached', { percent: 30 });
  });

  it('rejects an unknown extra property', () => {
    // @ts-expect-error strict schema: no extra keys
    tracker.track('destination_viewed', { destination: { country: 'PT' }, hotel: 'Pestana' });
  });

  it('types page() and identify()', () => {
    tracker.page();
    tracker.page({ postId: 'p-1', template: 'article' }, { route: '/blog/[slug]', title: 'Lisbon' });
    // @ts-expect-error page_viewed properties are strict
    tracker.page({ url: '/blog' });
    tracker.identify('user-42', { travellerType: 'family' });
    // @ts-expect-error not a traveller type
    tracker.identify('user-42', { travellerType: 'pirate' });
    expectTypeOf(tracker).toEqualTypeOf<Tracker>();
  });

  it('types a tracker for a custom catalogue', () => {
    const custom = acmeCatalogue;
    const acme = createTracker<EventMap<typeof custom>>({ ...options, schema: 'acme-travel@1' });
    acme.track('packing_list_downloaded', { listId: 'alps' });
    acme.track('destination_viewed', { destination: { country: 'CH' } });
    // @ts-expect-error listId is a string
    acme.track('packing_list_downloaded', { listId: 7 });
    // @ts-expect-error the default tracker does not know the custom event
    tracker.track('packing_list_downloaded', { listId: 'alps' });
  });

  it('takes a lazy loader of the catalogue for development validation', () => {
    createTracker({ ...options, schema: 'acme-travel@1', catalogue: () => import('@waymark/taxonomy').then((m) => m.travelCatalogue) });
    createTracker({ ...options, catalogue: async () => travelCatalogue });
    // @ts-expect-error a loader, not the catalogue itself
    createTracker({ ...options, catalogue: travelCatalogue });
    // @ts-expect-error the loader resolves with a catalogue
    createTracker({ ...options, catalogue: async () => 'acme-travel@1' });
  });

  // The `declare module '@waymark/taxonomy' { interface Register … }` form is checked in createTracker.test.ts, in a
  // program of its own: declared here, it would retype every other type test of the repository.
});
