// Seeded randomness for the synthetic readership: mulberry32 streams, derived from the seed and the position of what
// they generate (visitor, visit), so one visit's randomness never depends on how many other visits were generated.

/** A 32-bit hash of some integers (murmur3-style mixing), to derive independent seeds. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = round(h, part);
    // Parts above 2^32 (epoch milliseconds) keep their high bits.
    const high = Math.floor(part / 4294967296);
    if (high !== 0) h ^= Math.imul(high | 0, 0x85ebca6b);
  }
  return finish(h);
}

/** A seeded source of random numbers. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One element, with probability proportional to its weight (cumulative weights from {@link cumulative}). */
  weighted<T>(items: readonly T[], cumulativeWeights: Float64Array): T;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Log-normal with the given median and log standard deviation. */
  logNormal(median: number, sigma: number): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
}

/** Cumulative sums of weights, for {@link Random.weighted}. */
export function cumulative(weights: readonly number[]): Float64Array {
  const sums = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) sums[i] = total += weights[i];
  return sums;
}

/** A mulberry32 stream seeded with `seed` (any 32-bit integer). */
export function createRandom(seed: number): Random {
  return new Mulberry32(seed);
}

// Methods on a prototype rather than closures: a stream is created per visitor and per visit.
class Mulberry32 implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }

  next(): number {
    return this.uint32() / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  weighted<T>(items: readonly T[], sums: Float64Array): T {
    const target = this.next() * sums[sums.length - 1];
    let low = 0;
    let high = sums.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sums[mid] > target) high = mid;
      else low = mid + 1;
    }
    return items[low];
  }

  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}

const byteHex = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** `n` as 8 lower-case hex digits. */
export const hex8 = (n: number): string => byteHex[(n >>> 24) & 255] + byteHex[(n >>> 16) & 255] + byteHex[(n >>> 8) & 255] + byteHex[n & 255];

/** {@link mixSeed} of three integers below 2^32, without the rest-parameter array (for per-event ids). */
export function mix3(a: number, b: number, c: number): number {
  return finish(round(round(round(0x9e3779b9, a), b), c));
}

function round(h: number, part: number): number {
  let k = Math.imul(part | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A deterministic UUID v4-formatted id of some integers (for anonymous and session ids). Each 32-bit quarter is a
 * differently salted hash of all of them (salt first, so the four do not share a 32-bit intermediate state): two
 * inputs collide with odds of about 2^-122, not the 2^-32 of one 32-bit seed, which a few hundred thousand sessions
 * would already hit.
 */
export function seededUuid(...parts: number[]): string {
  const a = hex8(mixSeed(0x1001, ...parts));
  const b = hex8(mixSeed(0x2002, ...parts));
  const c = hex8(mixSeed(0x3003, ...parts));
  const d = hex8(mixSeed(0x4004, ...parts));
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${((parseInt(c[0], 16) & 3) | 8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

/**
 * A deterministic UUID v7-formatted id: the event time's milliseconds, then 74 bits from `seed` and `salt`. Ids that
 * sort by time keep the store's primary-key index appends local, which is what makes a 10-million-row load fast.
 */
export function seededTimeUuid(timeMs: number, seed: number, salt: number): string {
  const ms = Math.floor(timeMs);
  const high = Math.floor(ms / 65536);
  const r1 = mix3(1, seed, salt);
  const r2 = mix3(2, seed, salt);
  const r3 = mix3(3, seed, salt);
  const x = hex8(r1);
  const h = hex8(high);
  const low = ms & 0xffff;
  return `${h}-${byteHex[low >>> 8]}${byteHex[low & 255]}-7${x.slice(0, 3)}-${((r2 >>> 30) | 8).toString(16)}${x.slice(3, 6)}-${hex8(r2)}${hex8(r3).slice(0, 4)}`;
}
