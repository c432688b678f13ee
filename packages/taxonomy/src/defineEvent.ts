import type { z } from 'zod';

/**
 * Groups of events. Sampling rates can be set per category, and reports group by it.
 * Teams may use their own category names for their own events.
 */
export type EventCategory =
  | 'page'
  | 'engagement'
  | 'social'
  | 'travel'
  | 'search'
  | 'media'
  | 'conversion'
  | 'outbound'
  | 'performance'
  | (string & {});

/** One event of a catalogue: its properties schema and what it means. */
export interface EventDefinition<P extends z.ZodType = z.ZodType> {
  /** Which group the event belongs to (sampling and reports use it). */
  category: EventCategory;
  /** Version of this event's schema; bumped on any change that old data does not satisfy. */
  version: number;
  /** One sentence for the generated reference: when the event is sent. */
  description: string;
  /** Zod schema of the properties. */
  properties: P;
}

/**
 * Declares one event. The identity function exists so TypeScript keeps the exact schema type.
 *
 * @example
 * const newsletterPopupShown = defineEvent({
 *   category: 'conversion',
 *   version: 1,
 *   description: 'The newsletter pop-up was shown.',
 *   properties: z.object({ variant: z.string() }),
 * });
 */
export function defineEvent<P extends z.ZodType>(definition: EventDefinition<P>): EventDefinition<P> {
  return definition;
}
