import { randomBytes } from 'node:crypto';

const DAY_MS = 86_400_000;

/** Daily salts for the anonymous visitor hash, held in memory only. */
export interface DailySalts {
  /** The salt of the UTC day of `now`, created on first use; salts older than 48 hours are deleted on the way. */
  current(now: number): Buffer;
  /** The UTC days (`YYYY-MM-DD`) whose salt is still held. */
  days(): string[];
}

/**
 * Creates the salt holder: 32 random bytes per UTC day, only today's and yesterday's kept. Once a salt is deleted
 * the visitor hashes made with it cannot be recomputed from an IP and User-Agent, which is what makes them anonymous.
 * A restart starts a new salt, which only splits that day's visitor counts.
 */
export function createDailySalts(): DailySalts {
  const salts = new Map<number, Buffer>();
  return {
    current(now) {
      const day = Math.floor(now / DAY_MS);
      for (const [d, salt] of salts) {
        // A salt made for day d is first used at its start, so it is older than 48 h once now >= (d + 2) days.
        if (d < day - 1) {
          salt.fill(0);
          salts.delete(d);
        }
      }
      let salt = salts.get(day);
      if (!salt) {
        salt = randomBytes(32);
        salts.set(day, salt);
      }
      return salt;
    },
    days: () => [...salts.keys()].map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10)),
  };
}
