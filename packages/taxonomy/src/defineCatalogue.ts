import type { z } from 'zod';
import type { EventDefinition } from './defineEvent';

/** A named, versioned set of events. Envelopes name it in their `schema` field as `id@version`. */
export interface Catalogue<E extends Record<string, EventDefinition> = Record<string, EventDefinition>> {
  /** Lower-case identifier such as `travel` or `acme-travel`. */
  id: string;
  /** Whole-catalogue version; bump it whenever an event's `version` changes or an event is added. */
  version: number;
  /** The events, keyed by `object_action` name. */
  events: E;
  /** Schema of the user traits `identify()` accepts; without it, traits are not checked. */
  traits?: z.ZodType;
}

/** Options of {@link defineCatalogue}. */
export interface CatalogueOptions<E extends Record<string, EventDefinition>> {
  /** Lower-case identifier such as `acme-travel`. */
  id: string;
  /** Version of the catalogue. */
  version: number;
  /** Events keyed by `object_action` name. */
  events: E;
  /** Schema of the user traits `identify()` accepts. */
  traits?: z.ZodType;
}

const ID = /^[a-z][a-z0-9-]*$/;
const EVENT_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;

/**
 * Declares a catalogue and checks its names: ids are lower-case, event names `object_action` snake case.
 *
 * @throws TypeError naming the bad id or event name.
 */
export function defineCatalogue<E extends Record<string, EventDefinition>>(options: CatalogueOptions<E>): Catalogue<E> {
  if (!ID.test(options.id)) {
    throw new TypeError(`[waymark] catalogue id "${options.id}" must be lower-case letters, digits and dashes`);
  }
  if (!Number.isInteger(options.version) || options.version < 1) {
    throw new TypeError(`[waymark] catalogue "${options.id}" version must be a positive integer`);
  }
  for (const [name, event] of Object.entries(options.events)) {
    if (!EVENT_NAME.test(name)) {
      throw new TypeError(`[waymark] event name "${name}" must be object_action snake case, e.g. "destination_viewed"`);
    }
    if (!Number.isInteger(event.version) || event.version < 1) {
      throw new TypeError(`[waymark] event "${name}" version must be a positive integer`);
    }
  }
  return { id: options.id, version: options.version, events: options.events, traits: options.traits };
}

/** The `schema` string envelopes carry for a catalogue: `id@version`. */
export function catalogueSchemaId(catalogue: Pick<Catalogue, 'id' | 'version'>): string {
  return `${catalogue.id}@${catalogue.version}`;
}

/** Event name to properties type, as the tracker's `track()` accepts them (zod input types). */
export type EventMap<C extends Catalogue> = {
  [K in keyof C['events'] & string]: z.input<C['events'][K]['properties']>;
};
