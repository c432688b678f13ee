import { describe, expect, it } from 'vitest';
import { createRandom, seededTimeUuid, seededUuid } from './createRandom';
import { syntheticVisitorId } from './toStoredRow';

describe('createRandom', { timeout: 30_000 }, () => {
  it('repeats its stream for the same seed', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, ((random) => () => random.uint32())(createRandom(seed)));
    const a = createRandom(9);
    const b = createRandom(9);
    expect(Array.from({ length: 100 }, () => a.next())).toEqual(Array.from({ length: 100 }, () => b.next()));
    expect(draw(9)).not.toEqual(draw(10));
  });

  it('gives half a million sessions distinct v4 ids', () => {
    const ids = new Set<string>();
    for (let visitor = 0; visitor < 125_000; visitor++) for (let visit = 0; visit < 4; visit++) ids.add(seededUuid(42, visitor, visit, 0x5e5510));
    expect(ids.size).toBe(500_000);
    expect(seededUuid(42, 1, 2, 3)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seededUuid(42, 1, 2, 3)).toBe(seededUuid(42, 1, 2, 3));
  });

  it('gives half a million visitor-days distinct visitor hashes', () => {
    const ids = new Set<string>();
    for (let visitor = 0; visitor < 50_000; visitor++) for (let day = 0; day < 10; day++) ids.add(syntheticVisitorId(42, visitor, 20_500 + day));
    expect(ids.size).toBe(500_000);
  });

  it('orders time-based ids by their time and keeps the v7 layout', () => {
    const early = seededTimeUuid(Date.parse('2026-03-01T10:00:00.000Z'), 5, 1);
    const later = seededTimeUuid(Date.parse('2026-03-01T10:00:00.001Z'), 4, 0);
    expect(early < later).toBe(true);
    expect(early).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(early.replace(/-/g, '').slice(0, 12)).toBe(Date.parse('2026-03-01T10:00:00.000Z').toString(16).padStart(12, '0'));
    expect(seededTimeUuid(0, 5, 1)).not.toBe(seededTimeUuid(0, 5, 2));
  });
});
