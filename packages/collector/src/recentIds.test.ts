import { describe, expect, it } from 'vitest';
import { createRecentIds } from './recentIds';

const DAY = 86_400_000;

describe('createRecentIds', () => {
  it('holds each id once and answers has', () => {
    const recent = createRecentIds(7 * DAY, 10);
    recent.add('a', 1);
    recent.add('a', 2);
    recent.add('b', 3);
    expect(recent.size).toBe(2);
    expect(recent.has('a')).toBe(true);
    expect(recent.has('c')).toBe(false);
    expect(recent.complete).toBe(true);
  });

  it('forgets the oldest beyond maxIds, and is incomplete only when that one was inside the window', () => {
    const recent = createRecentIds(DAY, 2);
    recent.add('old', 0);
    recent.add('b', 2 * DAY);
    recent.add('c', 2 * DAY + 1);
    // 'old' was outside the window of the add that pushed it out.
    expect(recent.has('old')).toBe(false);
    expect(recent.complete).toBe(true);
    recent.add('d', 2 * DAY + 2);
    expect(recent.has('b')).toBe(false);
    expect(recent.complete).toBe(false);
    expect([recent.has('c'), recent.has('d'), recent.size]).toEqual([true, true, 2]);
  });

  it('expires ids stored before the window, oldest first', () => {
    const recent = createRecentIds(DAY, 100);
    recent.add('a', 0);
    recent.add('b', 10);
    recent.add('c', DAY);
    recent.expire(DAY + 5);
    expect([recent.has('a'), recent.has('b'), recent.has('c')]).toEqual([false, true, true]);
    recent.expire(3 * DAY);
    expect(recent.size).toBe(0);
    // Emptied, it takes ids again.
    recent.add('a', 3 * DAY);
    expect(recent.has('a')).toBe(true);
  });

  it('keeps exactly the newest maxIds ids through many evictions', () => {
    const recent = createRecentIds(7 * DAY, 1000);
    for (let i = 0; i < 50_000; i++) recent.add(`id-${i}`, i);
    expect(recent.size).toBe(1000);
    expect(recent.has('id-48999')).toBe(false);
    expect(recent.has('id-49000')).toBe(true);
    expect(recent.has('id-49999')).toBe(true);
    recent.expire(7 * DAY + 49_500);
    expect(recent.size).toBe(500);
    expect(recent.has('id-49499')).toBe(false);
    expect(recent.has('id-49500')).toBe(true);
  });
});
