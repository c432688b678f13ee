import type { Catalogue, EventMap } from './defineCatalogue';
import type { TravelCatalogue } from './travelCatalogue';

/**
 * Register your own catalogue once, and every `track()` in the app (core and framework hooks) is typed against it:
 *
 * @example
 * declare module '@waymark/taxonomy' {
 *   interface Register {
 *     catalogue: typeof acmeCatalogue;
 *   }
 * }
 */
export interface Register {}

/** The catalogue `track()` is typed against: the registered one, or the built-in travel catalogue. */
export type RegisteredCatalogue = Register extends { catalogue: infer C extends Catalogue } ? C : TravelCatalogue;

/** Event name to properties for the registered catalogue. */
export type RegisteredEvents = EventMap<RegisteredCatalogue>;
