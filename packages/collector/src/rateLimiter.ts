/** Token-bucket settings of the collector's rate limit, per site and client IP. */
export interface RateLimitOptions {
  /** Tokens (requests) added per second. @default 20 */
  perSecond?: number;
  /** Bucket size: how many requests may arrive at once after a quiet period. @default 100 */
  burst?: number;
  /** Most buckets kept in memory; the least recently used is forgotten beyond it. @default 100000 */
  maxKeys?: number;
}

/** A token bucket per key; `take` answers how long to wait when the bucket is empty. */
export interface RateLimiter {
  /** Takes one token for `key`: 0 when allowed, else the milliseconds until a token is back. */
  take(key: string, now: number): number;
}

/** Creates a {@link RateLimiter}. Buckets live in memory on this instance only. */
export function createRateLimiter({ perSecond = 20, burst = 100, maxKeys = 100_000 }: RateLimitOptions = {}): RateLimiter {
  if (!(perSecond > 0) || !(burst >= 1)) throw new TypeError('[waymark] createCollector: `rateLimit` needs perSecond > 0 and burst >= 1');
  // Map iteration order is insertion order: re-inserting on use keeps the least recently used first.
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, now) {
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      buckets.delete(key);
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - bucket.tokens) / perSecond) * 1000);
    },
  };
}
