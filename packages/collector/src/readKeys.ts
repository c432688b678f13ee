import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * What a read key may do. `admin`: everything. `creator`: only events of the posts whose `properties.authorId` is
 * the key's `authorId`, in every query, export and stream. `marketing`: aggregates only (no event rows, no export,
 * no subject access).
 */
export type ReadRole = 'admin' | 'creator' | 'marketing';

/** One secret read key of the collector's query API, sent as `Authorization: Bearer <key>`. */
export interface ReadKeyOptions {
  /** A label for logs and the rate limit, such as `ana-creator`; never secret. */
  name: string;
  /**
   * The key's SHA-256 as `sha256:<64 hex>` (from `hashReadKey(key)` or `printf %s "$KEY" | sha256sum`). Prefer this to
   * `key`, so the configuration never holds the key itself.
   */
  hash?: string;
  /** The raw key, hashed when the collector starts and then forgotten. Give `hash` or `key`, not both. */
  key?: string;
  role: ReadRole;
  /** The author whose posts a `creator` key sees (compared with `properties.authorId`). Required for `creator`. */
  authorId?: string;
  /** Restricts the key to one site's events. @default every site */
  siteId?: string;
}

/** A read key that matched a request: its role and scope, without the secret. */
export interface ReadKey {
  name: string;
  role: ReadRole;
  authorId?: string;
  siteId?: string;
}

/** The configured read keys: finds the key of an `Authorization` header in constant time. */
export interface ReadKeyring {
  /** How many keys are configured. */
  readonly size: number;
  /** The key an `Authorization: Bearer <key>` header carries, or undefined when it is missing or unknown. */
  authenticate(authorization: string | null): ReadKey | undefined;
}

const hashPattern = /^sha256:([0-9a-f]{64})$/i;

/**
 * The form read keys are configured in: `sha256:` and the hex SHA-256 of the key's UTF-8 bytes.
 * @example
 * ```ts
 * hashReadKey('rk_live_…'); // 'sha256:9f86d0…'
 * ```
 */
export function hashReadKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Checks the read-key configuration and hashes raw keys. */
export function createReadKeyring(keys: readonly ReadKeyOptions[] = []): ReadKeyring {
  const entries: { digest: Buffer; key: ReadKey }[] = [];
  const names = new Set<string>();
  for (const options of keys) {
    const where = `[waymark] createCollector: read key ${JSON.stringify(options?.name ?? '')}`;
    if (!options?.name) throw new TypeError('[waymark] createCollector: every read key needs a `name`');
    if (names.has(options.name)) throw new TypeError(`${where} is configured twice`);
    names.add(options.name);
    if (!['admin', 'creator', 'marketing'].includes(options.role)) throw new TypeError(`${where}: \`role\` must be 'admin', 'creator' or 'marketing'`);
    if ((options.hash === undefined) === (options.key === undefined)) throw new TypeError(`${where}: give either \`hash\` ('sha256:<hex>') or \`key\``);
    if (options.key !== undefined && options.key.length < 16) throw new TypeError(`${where}: \`key\` must be at least 16 characters (openssl rand -hex 32)`);
    const hash = options.hash ?? hashReadKey(options.key!);
    const match = hashPattern.exec(hash);
    if (!match) throw new TypeError(`${where}: \`hash\` must be 'sha256:' followed by 64 hex characters`);
    if (options.role === 'creator' && !options.authorId) throw new TypeError(`${where}: a creator key needs the \`authorId\` whose posts it sees`);
    entries.push({
      digest: Buffer.from(match[1], 'hex'),
      key: { name: options.name, role: options.role, ...(options.authorId ? { authorId: options.authorId } : {}), ...(options.siteId ? { siteId: options.siteId } : {}) },
    });
  }
  return {
    size: entries.length,
    authenticate(authorization) {
      const match = authorization === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) return undefined;
      const digest = createHash('sha256').update(match[1], 'utf8').digest();
      let found: ReadKey | undefined;
      // Compare with every key, so the time taken does not tell which one (or whether any) matched.
      for (const entry of entries) {
        if (timingSafeEqual(entry.digest, digest) && !found) found = entry.key;
      }
      return found;
    },
  };
}
