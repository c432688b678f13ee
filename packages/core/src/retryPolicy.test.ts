import { describe, expect, it } from 'vitest';
import {
  MAX_ATTEMPTS,
  MAX_EVENT_AGE_MS,
  RETRY_AFTER_CAP_MS,
  RETRY_BASE_MS,
  RETRY_CAP_MS,
  backoffDelay,
  classifyStatus,
} from './retryPolicy';

describe('classifyStatus', () => {
  it.each([200, 201, 202, 204, 299])('delivers %i', (status) => {
    expect(classifyStatus(status)).toBe('delivered');
  });

  it.each([0, 408, 425, 429, 500, 502, 503, 504, 506, 599])('retries %i', (status) => {
    expect(classifyStatus(status)).toBe('retry');
  });

  it.each([100, 199, 300, 301, 304, 400, 401, 402, 403, 404, 405, 409, 410, 413, 415, 422, 451, 501, 505, 600])(
    'rejects %i',
    (status) => {
      expect(classifyStatus(status)).toBe('rejected');
    },
  );
});

describe('backoffDelay', () => {
  const low = () => 0;
  const high = () => 0.999999;

  it('exports the documented defaults', () => {
    expect([RETRY_BASE_MS, RETRY_CAP_MS, RETRY_AFTER_CAP_MS, MAX_ATTEMPTS]).toEqual([1000, 30_000, 3_600_000, 10]);
    expect(MAX_EVENT_AGE_MS).toBe(604_800_000);
  });

  it('doubles from 1 s, jittered to between half and all of it', () => {
    const full = [1000, 2000, 4000, 8000, 16_000];
    full.forEach((ms, i) => {
      expect(backoffDelay(i + 1, undefined, low)).toBe(ms / 2);
      expect(backoffDelay(i + 1, undefined, () => 0.5)).toBe(ms * 0.75);
      expect(backoffDelay(i + 1, undefined, high)).toBeCloseTo(ms, -1);
      expect(backoffDelay(i + 1, undefined, high)).toBeLessThan(ms);
    });
  });

  it('caps the delay at 30 s', () => {
    for (const attempt of [6, 7, 10, 50, 2000]) {
      expect(backoffDelay(attempt, undefined, low)).toBe(15_000);
      expect(backoffDelay(attempt, undefined, high)).toBeLessThan(30_000);
      expect(backoffDelay(attempt, undefined, high)).toBeGreaterThan(29_999);
    }
  });

  it('stays within bounds for random jitter', () => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const full = Math.min(30_000, 1000 * 2 ** (attempt - 1));
      const delay = backoffDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(full / 2);
      expect(delay).toBeLessThanOrEqual(full);
    }
  });

  it('waits for a longer Retry-After', () => {
    expect(backoffDelay(1, 20_000, high)).toBe(20_000);
    expect(backoffDelay(10, 120_000, high)).toBe(120_000);
  });

  it('keeps its own delay when Retry-After is shorter', () => {
    expect(backoffDelay(5, 1000, low)).toBe(8000);
    expect(backoffDelay(1, 0, low)).toBe(500);
  });

  it('waits at most one hour for Retry-After', () => {
    expect(backoffDelay(1, 86_400_000, low)).toBe(3_600_000);
  });
});
