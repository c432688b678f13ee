// Shared by the collector tests; not part of the package's public surface.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Envelope } from '@waymark/taxonomy';
import { createCollector } from './createCollector';
import type { Collector, CollectorOptions } from './createCollector';
import { hashReadKey } from './readKeys';
import type { ReadKeyOptions } from './readKeys';

export const ORIGIN = 'https://blog.example';
export const WRITE_KEY = 'wk_test_blog';
export const USER_ID_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** A valid `page_viewed` envelope. */
export function makeEnvelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: randomUUID(),
    type: 'page',
    name: 'page_viewed',
    properties: { postId: 'lisbon-in-3-days' },
    timestamp: new Date().toISOString(),
    anonymousId: 'anon-1',
    sessionId: 'sess-1',
    schema: 'travel@1',
    context: {
      page: { url: 'https://blog.example/lisbon?utm_source=news&email=a@b.example&ref=hn#top', path: '/lisbon', referrer: 'https://news.example/item?id=1' },
      screen: 'desktop',
      consent: { analytics: true, storage: true, marketing: true, gpc: false },
      sampleRate: 1,
      library: { name: '@waymark/core', version: '0.1.0' },
    },
    ...overrides,
  };
}

/** A temp folder removed by the returned function. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-collector-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A collector on a temp DuckDB file, with test defaults. */
export function testCollector(options: Partial<CollectorOptions> = {}): { collector: Collector; path: string; cleanup(): Promise<void> } {
  const temp = tempDir();
  const path = join(temp.dir, 'store.duckdb');
  const collector = createCollector({
    sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
    userIdKey: USER_ID_KEY,
    store: { path },
    rateLimit: false,
    ...options,
  });
  return {
    collector,
    path,
    async cleanup() {
      await collector.close().catch(() => undefined);
      temp.remove();
    },
  };
}

/** A `POST /v1/batch` request as the browser tracker sends it. */
export function batchRequest(
  body: unknown,
  { key = WRITE_KEY, origin = ORIGIN, headers = {} }: { key?: string | null; origin?: string | null; headers?: Record<string, string> } = {},
): Request {
  const url = `http://collector.test/v1/batch${key === null ? '' : `?key=${encodeURIComponent(key)}`}`;
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      'user-agent': CHROME_UA,
      ...(origin === null ? {} : { origin }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A batch body around `events`. */
export function batch(events: unknown[], sentAt = new Date().toISOString()) {
  return { sentAt, events };
}

/** Rows stored in the file, read after the collector has closed it. */
export async function readStore(path: string): Promise<{ events: Record<string, unknown>[]; failed: Record<string, unknown>[] }> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const db = await instance.connect();
  try {
    const read = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    return {
      events: await read('SELECT * FROM waymark_events ORDER BY id'),
      failed: await read('SELECT * FROM waymark_failed_events ORDER BY received_at, id'),
    };
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

/** Read keys of the tests: raw keys by role, and the configuration (hashed or raw, as a user may give them). */
export const KEYS = {
  admin: 'rk_admin_4f0e1c2b9a8d7e6f',
  creator: 'rk_creator_ana_5a6b7c8d9e0f',
  otherCreator: 'rk_creator_ben_0f1e2d3c4b5a',
  marketing: 'rk_marketing_1a2b3c4d5e6f',
} as const;

/** The read-key configuration matching {@link KEYS}: the admin key by its hash, the others raw. */
export const READ_KEYS: ReadKeyOptions[] = [
  { name: 'admin', hash: hashReadKey(KEYS.admin), role: 'admin' },
  { name: 'ana', key: KEYS.creator, role: 'creator', authorId: 'ana' },
  { name: 'ben', key: KEYS.otherCreator, role: 'creator', authorId: 'ben' },
  { name: 'marketing', key: KEYS.marketing, role: 'marketing' },
];

/** A request to a read route, with `Authorization: Bearer <key>` when a key is given. */
export function readRequest(path: string, key?: string, init: RequestInit = {}): Request {
  return new Request(`http://collector.test${path}`, {
    ...init,
    headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...(init.headers as Record<string, string> | undefined) },
  });
}

/** Parses an NDJSON body. */
export async function ndjson(response: Response): Promise<Record<string, unknown>[]> {
  return (await response.text())
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
