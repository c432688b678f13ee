// A visit's action as the browser tracker sends it: the taxonomy envelope, with the consent snapshot, the sampling
// rate and the library, and an id that is the same on every run.
import type { Envelope } from '@waymark/taxonomy';
import { sessionSampling } from '../../packages/core/src/sessionSampling';
import { DEFAULT_SCHEMA, LIBRARY } from '../../packages/core/src/version';
import { seededTimeUuid } from './createRandom';
import type { Visit } from './generateReadership';

/**
 * Sampling the synthetic tracker applies, as `sessionSampling({ events })` rates: half the sessions keep their
 * scroll milestones. Kept events carry `sampleRate: 0.5`; the other sessions' milestones are not sent at all, so a
 * report has to weight counts by `1 / sampleRate`.
 */
export const syntheticSampling: Readonly<Record<string, number>> = { scroll_depth_reached: 0.5 };

const sampler = sessionSampling({ events: { ...syntheticSampling } });

/** Name and version of the tracker stamped on every envelope (`context.library`). */
export const syntheticLibrary = LIBRARY;

/** The catalogue the envelopes follow. */
export const syntheticSchema = DEFAULT_SCHEMA;

/** The deterministic id of a visit's action `index`: UUID v7-shaped, ordered by the device's clock. */
export function actionId(visit: Visit, index: number): string {
  return seededTimeUuid(visit.actions[index].at + visit.visitor.clockOffsetMs, visit.idSeed, index);
}

/**
 * The sampling rate of an event name in a session: its rate when the session is kept, 0 when the tracker drops it
 * (the same deterministic session hash as `sessionSampling` in `@waymark/core`).
 */
export function sampleRateOf(name: string, sessionId: string): number {
  // Events without a rate are kept at 1 whatever the session (`sessionSampling`'s default rate).
  return Object.hasOwn(syntheticSampling, name) ? sampler({ name, sessionId } as Envelope) : 1;
}

/**
 * The envelope the tracker sends for action `index` of a visit, or undefined when it sends nothing: the visitor
 * declined consent, or sampling left the event out. `timestamp` is the device clock (which may be off).
 *
 * @example
 * for (const visit of generateReadership(options)) {
 *   const envelopes = visit.actions.map((_, i) => toEnvelope(visit, i)).filter((e) => e !== undefined);
 * }
 */
export function toEnvelope(visit: Visit, index: number): Envelope | undefined {
  const { visitor } = visit;
  if (!visitor.consentSnapshot.analytics) return undefined;
  const action = visit.actions[index];
  const sampleRate = sampleRateOf(action.name, visit.sessionId);
  if (sampleRate === 0) return undefined;
  const page = visit.pages[action.page];
  // Key order follows the tracker's, so the stored JSON reads the same as from a real browser.
  const envelope: Envelope = {
    id: actionId(visit, index),
    type: action.type,
    name: action.name,
    properties: action.properties,
    timestamp: new Date(action.at + visitor.clockOffsetMs).toISOString(),
    anonymousId: visit.anonymousId,
    sessionId: visit.sessionId,
    ...(action.userId !== undefined ? { userId: action.userId } : {}),
    schema: syntheticSchema,
    ...(action.traits ? { traits: action.traits } : {}),
    context: {
      page: {
        url: page.url,
        path: page.path,
        ...(page.referrer !== undefined ? { referrer: page.referrer } : {}),
        title: page.title,
        route: page.route,
      },
      locale: visitor.locale,
      timeZone: visitor.timeZone,
      screen: visitor.screen,
      ...(visit.campaign ? { campaign: visit.campaign } : {}),
      consent: visitor.consentSnapshot,
      sampleRate,
      library: syntheticLibrary,
    },
  };
  return envelope;
}

/** When the collector receives an action's envelope and what it computes from the batch's `sentAt`. */
export interface Delivery {
  /** Collector clock at receipt, epoch ms. */
  receivedAt: number;
  /** The batch's `sentAt` as the device clock says, epoch ms. */
  sentAt: number;
  /** `receivedAt - sentAt`: what the collector adds to the event's timestamp. */
  clockSkewMs: number;
}

/** The delivery of action `index` of a visit (its batch's send time, the network latency, the device clock). */
export function deliveryOf(visit: Visit, index: number): Delivery {
  const action = visit.actions[index];
  const receivedAt = action.sentAt + visit.latencyMs;
  const sentAt = action.sentAt + visit.visitor.clockOffsetMs;
  return { receivedAt, sentAt, clockSkewMs: receivedAt - sentAt };
}
