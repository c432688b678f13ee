import type { Envelope } from '@waymark/taxonomy';
import { eventCategory } from '@waymark/taxonomy/categories';
import { describe, expect, it } from 'vitest';
import { sessionPosition, sessionSampling } from './sessionSampling';

/** 400 session ids shaped like the tracker's (UUID v4), from a seeded generator so every run sees the same ones. */
let seed = 42;
const hex = (length: number) =>
  Array.from({ length }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % 16).map((n) => n.toString(16)).join('');
const sessions = Array.from({ length: 400 }, () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`);

/** The part of an envelope a sampler reads. */
const event = (name: string, sessionId: string) => ({ name, sessionId }) as Envelope;

/** What a sampler should return for a session at `rate`: the rate when the session is kept, else 0. */
const expected = (sessionId: string, rate: number) => (sessionPosition(sessionId) < rate ? rate : 0);

describe('sessionSampling', () => {
  it('samples by category with categoryOf', () => {
    const sample = sessionSampling({ rate: 0.8, categories: { engagement: 0.25, outbound: 0.5 }, categoryOf: eventCategory });
    for (const sessionId of sessions) {
      expect(sample(event('post_read', sessionId))).toBe(expected(sessionId, 0.25));
      expect(sample(event('scroll_depth_reached', sessionId))).toBe(expected(sessionId, 0.25));
      expect(sample(event('outbound_link_clicked', sessionId))).toBe(expected(sessionId, 0.5));
      // A category without a rate, and a name without a category, fall back to `rate`.
      expect(sample(event('destination_viewed', sessionId))).toBe(expected(sessionId, 0.8));
      expect(sample(event('packing_list_downloaded', sessionId))).toBe(expected(sessionId, 0.8));
    }
    const kept = sessions.filter((sessionId) => sample(event('post_read', sessionId)) > 0).length;
    expect(kept).toBeGreaterThan(50);
    expect(kept).toBeLessThan(150);
  });

  it('keeps whole sessions across categories: a session kept at a lower rate is kept at every higher one', () => {
    const sample = sessionSampling({ categories: { engagement: 0.1, travel: 0.6 }, categoryOf: eventCategory });
    for (const sessionId of sessions) {
      if (sample(event('post_read', sessionId))) expect(sample(event('destination_viewed', sessionId))).toBe(0.6);
    }
  });

  it('lets an events rule win over the category rule', () => {
    const sample = sessionSampling({
      categories: { engagement: 0.25 },
      categoryOf: eventCategory,
      events: { scroll_depth_reached: 0.05 },
    });
    for (const sessionId of sessions) {
      expect(sample(event('scroll_depth_reached', sessionId))).toBe(expected(sessionId, 0.05));
      expect(sample(event('post_read', sessionId))).toBe(expected(sessionId, 0.25));
    }
  });

  it('never samples keep names, whatever the event and category rules say', () => {
    const sample = sessionSampling({
      rate: 0.1,
      categories: { outbound: 0.01 },
      categoryOf: eventCategory,
      events: { affiliate_link_clicked: 0.01 },
      keep: ['affiliate_link_clicked'],
    });
    for (const sessionId of sessions) {
      expect(sample(event('affiliate_link_clicked', sessionId))).toBe(1);
      expect(sample(event('outbound_link_clicked', sessionId))).toBe(expected(sessionId, 0.01));
    }
  });

  it('ignores categories without categoryOf', () => {
    const sample = sessionSampling({ rate: 0.5, categories: { engagement: 0.01 } });
    for (const sessionId of sessions) expect(sample(event('post_read', sessionId))).toBe(expected(sessionId, 0.5));
  });
});
