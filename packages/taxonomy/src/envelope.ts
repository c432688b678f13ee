import { z } from 'zod';

/** The kinds of envelope: a custom or catalogue event, a page view, or an identify call. */
export const envelopeTypeSchema = z.enum(['track', 'page', 'identify']);

/** Which consent the visitor had given when the event was recorded. Sent with every event. */
export const consentSnapshotSchema = z.object({
  /** Measurement is allowed (the event may be sent and counted). */
  analytics: z.boolean(),
  /** Identifiers and the offline buffer may be stored on the device. */
  storage: z.boolean(),
  /** The event may be shared with third-party tools (advertising, forwarding sinks). */
  marketing: z.boolean(),
  /** The browser sent a Global Privacy Control signal: no sale or sharing, whatever else says. */
  gpc: z.boolean(),
});

/** The page the event happened on, with sensitive query keys already removed by the tracker. */
export const pageContextSchema = z.object({
  url: z.string().max(2048),
  path: z.string().max(2048),
  /** Route pattern such as `/destinations/[country]/[slug]`, when the framework knows it. */
  route: z.string().max(512).optional(),
  referrer: z.string().max(2048).optional(),
  title: z.string().max(512).optional(),
});

/** Campaign parameters read from `utm_*` query keys. */
export const campaignSchema = z.object({
  source: z.string().max(256).optional(),
  medium: z.string().max(256).optional(),
  name: z.string().max(256).optional(),
  term: z.string().max(256).optional(),
  content: z.string().max(256).optional(),
});

/** Everything about where and how an event was recorded. */
export const eventContextSchema = z.object({
  page: pageContextSchema,
  /** BCP 47 language tag of the browser, such as `en-GB`. */
  locale: z.string().max(64).optional(),
  /** IANA time zone, such as `Europe/Lisbon`. */
  timeZone: z.string().max(64).optional(),
  /** Screen class from the viewport width: no exact dimensions are sent. */
  screen: z.enum(['mobile', 'tablet', 'desktop']).optional(),
  campaign: campaignSchema.optional(),
  consent: consentSnapshotSchema,
  /** Share of sessions kept by sampling for this event, in (0, 1]. A count is weighted by `1 / sampleRate`. */
  sampleRate: z.number().gt(0).max(1),
  library: z.object({ name: z.string().max(64), version: z.string().max(32) }),
});

/** One event as sent: the unit the collector validates, dedupes and stores. */
export const envelopeSchema = z.object({
  /** Client-generated unique id; the dedupe key, unchanged across retries and reloads. */
  id: z.string().min(8).max(64),
  type: envelopeTypeSchema,
  /** Event name from the catalogue, in `object_action` snake case. */
  name: z.string().regex(/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/, 'event names are object_action snake case'),
  properties: z.record(z.string(), z.unknown()),
  /** Client clock when the event happened, ISO 8601. Corrected at the collector with the batch's `sentAt`. */
  timestamp: z.iso.datetime({ offset: true }),
  anonymousId: z.string().min(1).max(128),
  userId: z.string().min(1).max(256).optional(),
  /** Session id; a session ends after 30 minutes without events. */
  sessionId: z.string().min(1).max(128),
  /** Catalogue and version the properties follow, as `id@version` (for example `travel@1`). */
  schema: z.string().regex(/^[a-z][a-z0-9-]*@\d+$/, 'schema is catalogue-id@version, e.g. travel@1'),
  /** User traits, on `identify` envelopes only. */
  traits: z.record(z.string(), z.unknown()).optional(),
  context: eventContextSchema,
});

/** What one request carries. */
export const batchSchema = z.object({
  /** Client clock when the request was sent, ISO 8601; the collector corrects clock skew with it. */
  sentAt: z.iso.datetime({ offset: true }),
  events: z.array(z.unknown()).min(1).max(500),
});

/** One event as sent. */
export type Envelope = z.infer<typeof envelopeSchema>;
/** The kind of an envelope. */
export type EnvelopeType = z.infer<typeof envelopeTypeSchema>;
/** The consent snapshot every envelope carries. */
export type ConsentSnapshot = z.infer<typeof consentSnapshotSchema>;
/** The page part of an envelope's context. */
export type PageContext = z.infer<typeof pageContextSchema>;
/** Campaign (`utm_*`) parameters. */
export type Campaign = z.infer<typeof campaignSchema>;
/** An envelope's context. */
export type EventContext = z.infer<typeof eventContextSchema>;
/** What one request carries: `sentAt` plus up to 500 envelopes. */
export interface Batch {
  sentAt: string;
  events: Envelope[];
}
