import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { EventMap } from './defineCatalogue';
import { defineEvent } from './defineEvent';
import { extendCatalogue } from './extendCatalogue';
import type { RegisteredEvents } from './register';
import { travelCatalogue } from './travelCatalogue';

describe('catalogue types', () => {
  it('infers properties from the zod schemas', () => {
    expectTypeOf<RegisteredEvents['destination_viewed']['destination']['country']>().toEqualTypeOf<string>();
    expectTypeOf<RegisteredEvents['affiliate_link_clicked']['productType']>().toEqualTypeOf<
      'hotel' | 'flight' | 'tour' | 'car' | 'insurance' | 'activity' | 'rail' | 'other'
    >();
    expectTypeOf<RegisteredEvents>().toHaveProperty('web_vital_measured');
  });

  it('types a team event next to the built-in ones', () => {
    const acme = extendCatalogue(travelCatalogue, {
      id: 'acme',
      version: 1,
      events: {
        packing_list_downloaded: defineEvent({
          category: 'conversion',
          version: 1,
          description: 'x',
          properties: z.strictObject({ listId: z.string() }),
        }),
      },
    });
    type Acme = EventMap<typeof acme>;
    expectTypeOf<Acme['packing_list_downloaded']>().toEqualTypeOf<{ listId: string }>();
    expectTypeOf<Acme>().toHaveProperty('page_viewed');
    // @ts-expect-error an event the catalogue does not define
    expectTypeOf<Acme['packing_list_burned']>().toBeObject();
  });
});
