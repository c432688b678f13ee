import type { Envelope } from '@waymark/taxonomy';

/** Decides whether an event is kept: returns its sampling rate in (0, 1] to keep it, or 0 to drop it. */
export type Sampler = (envelope: Envelope) => number;

/** Options of {@link sessionSampling}: which share of sessions to keep, overall, per event name or per category. */
export interface SamplingOptions {
  /**
   * Share of sessions kept for events without a more specific rule, in (0, 1].
   * @default 1
   */
  rate?: number;
  /** Rates per event name, e.g. `{ scroll_depth_reached: 0.1 }`. Wins over `categories`. */
  events?: Record<string, number>;
  /** Rates per taxonomy category, e.g. `{ engagement: 0.25 }`. Needs `categoryOf` to map names to categories. */
  categories?: Record<string, number>;
  /** Maps an event name to its category: pass `eventCategory` from `@waymark/taxonomy/categories`. */
  categoryOf?: (name: string) => string | undefined;
  /** Event names never sampled, whatever the rates say (e.g. `affiliate_link_clicked`). */
  keep?: string[];
}

/**
 * A stable number in [0, 1) for a session id (FNV-1a). An event is kept when it is below the event's rate, so a
 * session kept at 10 % is also kept at 50 %: whole sessions are kept or dropped together.
 */
export function sessionPosition(sessionId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) h = Math.imul(h ^ sessionId.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

/**
 * Samples whole sessions deterministically by a hash of the session id, with rates per event name or category and
 * events that are never sampled. Kept events carry their rate, so reports weight counts by `1 / sampleRate`.
 *
 * @example
 * createTracker({
 *   endpoint,
 *   writeKey,
 *   sampling: sessionSampling({ rate: 0.5, events: { scroll_depth_reached: 0.1 }, keep: ['affiliate_link_clicked'] }),
 * });
 */
export function sessionSampling(options: SamplingOptions): Sampler {
  return ({ name, sessionId }) => {
    if (options.keep?.includes(name)) return 1;
    const category = options.categories && options.categoryOf?.(name);
    const rate = options.events?.[name] ?? (category ? options.categories?.[category] : undefined) ?? options.rate ?? 1;
    return sessionPosition(sessionId) < rate ? rate : 0;
  };
}
