import type { Catalogue, CatalogueOptions } from './defineCatalogue';
import { defineCatalogue } from './defineCatalogue';
import type { EventDefinition } from './defineEvent';

/**
 * Adds a team's own events to a catalogue (usually the built-in `travelCatalogue`) under a new id and version.
 * Built-in names cannot be redefined, so reports keep their meaning.
 *
 * @throws TypeError naming an event that already exists in the base catalogue.
 * @example
 * export const acmeCatalogue = extendCatalogue(travelCatalogue, {
 *   id: 'acme-travel',
 *   version: 1,
 *   events: {
 *     packing_list_downloaded: defineEvent({
 *       category: 'conversion',
 *       version: 1,
 *       description: 'The reader downloaded a packing list.',
 *       properties: z.strictObject({ listId: z.string() }),
 *     }),
 *   },
 * });
 */
export function extendCatalogue<B extends Record<string, EventDefinition>, E extends Record<string, EventDefinition>>(
  base: Catalogue<B>,
  options: CatalogueOptions<E>,
): Catalogue<B & E> {
  for (const name of Object.keys(options.events)) {
    if (Object.hasOwn(base.events, name)) {
      throw new TypeError(
        `[waymark] event "${name}" already exists in catalogue "${base.id}": pick another name for your own event`,
      );
    }
  }
  if (options.id === base.id) {
    throw new TypeError(`[waymark] an extended catalogue needs its own id, not "${base.id}"`);
  }
  return defineCatalogue({
    traits: base.traits,
    ...options,
    events: { ...base.events, ...options.events } as B & E,
  });
}
