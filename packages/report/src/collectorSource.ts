import { failedEventsTableSql, ingestStatsTableSql } from '@waymark/collector';
import type { SinkEvent } from '@waymark/sinks';
import { duckdbSink } from '@waymark/sinks/duckdb';
import { duckdbEngine } from './duckdbEngine';
import type { DuckdbEngine } from './duckdbEngine';
import type { ReportScope } from './reportDefinition';

/** Options of {@link openCollectorSource}. */
export interface CollectorSourceOptions {
  /** The collector's base URL, such as `http://127.0.0.1:8787`. */
  url: string;
  /** A secret read key (admin or creator); sent as `Authorization: Bearer`, never printed. */
  key: string;
  /** First UTC day to download, `YYYY-MM-DD`. */
  from: string;
  /** Last UTC day to download, inclusive. */
  to: string;
  /** Most events one download may hold (the collector's export limit). @default 1000000 */
  maxEvents?: number;
  /** Called as events arrive, with the count so far. */
  onProgress?: (events: number) => void;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Events of a collector, copied into an in-memory DuckDB database a report can run on. */
export interface CollectorSource {
  /** An in-memory engine holding `waymark_events` (the store's layout); close it when done. */
  engine: DuckdbEngine;
  /** What the key may see: a creator key scopes every report to its author. */
  scope: ReportScope;
  /** The key's label on the collector. */
  keyName: string;
  /** Events downloaded. */
  events: number;
}

/** What `GET /v1/key` answers. */
interface KeyInfo {
  name: string;
  role: 'admin' | 'creator' | 'marketing';
  authorId?: string;
}

const BATCH = 5000;
const EXPORT_LIMIT = 1_000_000;

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The `detail` of a problem response, or its status text. */
async function problemDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    if (typeof detail === 'string') return detail.replace(/^\[waymark\] /, '');
  } catch {
    // Not a problem document: say the status.
  }
  return `${response.status} ${response.statusText}`.trim();
}

/**
 * Downloads the raw events of a period from a running collector's read API (`GET /v1/events`, NDJSON) into an
 * in-memory DuckDB database laid out like the collector's store, so the reports run on it as on the store. The
 * collector scopes what it returns by the key: a creator key gets only its author's posts, and the returned
 * `scope` says so. The key's role comes from `GET /v1/key`.
 * @throws {Error} (message starting with `[waymark]`) when the collector cannot be reached, does not know the key,
 *   the key is a marketing key (aggregates only: raw events are not available to it), or the period holds more
 *   events than one export may.
 * @example
 * ```ts
 * const source = await openCollectorSource({ url: 'http://127.0.0.1:8787', key: process.env.WAYMARK_READ_KEY!, from: '2026-05-01', to: '2026-05-31' });
 * const set = await runReports(source.engine, definitions, { scope: source.scope });
 * await source.engine.close();
 * ```
 */
export async function openCollectorSource(options: CollectorSourceOptions): Promise<CollectorSource> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const base = options.url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${options.key}` };
  const call = async (path: string): Promise<Response> => {
    try {
      return await fetchImpl(`${base}${path}`, { headers });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(
        `[waymark] cannot reach the collector at ${base} (${cause?.code ?? cause?.message ?? (error as Error).message}): check --collector, and that the collector runs (\`waymark serve\`)`,
        { cause: error },
      );
    }
  };

  const keyResponse = await call('/v1/key');
  if (keyResponse.status === 401) throw new Error(`[waymark] the collector at ${base} refuses this read key (${await problemDetail(keyResponse)}): check --key or WAYMARK_READ_KEY`);
  if (keyResponse.status === 404) throw new Error(`[waymark] the collector at ${base} has no GET /v1/key: update it to the same version as this command`);
  if (!keyResponse.ok) throw new Error(`[waymark] the collector at ${base} answered GET /v1/key with ${await problemDetail(keyResponse)}`);
  const key = (await keyResponse.json()) as KeyInfo;
  if (key.role === 'marketing') {
    throw new Error(
      `[waymark] the read key "${key.name}" is a marketing key: it may query aggregates (GET /v1/query) but not raw events, which reports are built from. ` +
        'Ask an admin to run the report, or use an admin or creator key',
    );
  }
  const scope: ReportScope = key.role === 'creator' && key.authorId ? { role: 'creator', authorId: key.authorId } : { role: 'admin' };
  const maxEvents = Math.min(options.maxEvents ?? EXPORT_LIMIT, EXPORT_LIMIT);
  const query = new URLSearchParams({ format: 'ndjson', from: options.from, to: addDays(options.to, 1), limit: String(maxEvents) });
  const response = await call(`/v1/events?${query}`);
  if (response.status === 403) throw new Error(`[waymark] the read key "${key.name}" may not export events: ${await problemDetail(response)}`);
  if (!response.ok || !response.body) throw new Error(`[waymark] the collector at ${base} answered GET /v1/events with ${await problemDetail(response)}`);

  const engine = await duckdbEngine();
  try {
    for (const sql of [failedEventsTableSql(), ingestStatsTableSql()]) await engine.run(sql);
    const sink = duckdbSink({ connection: engine.connection });
    let pending: SinkEvent[] = [];
    let events = 0;
    const flush = async () => {
      if (pending.length === 0) return;
      const result = await sink.write(pending);
      if (result.failed.length > 0) throw new Error(`[waymark] ${result.failed.length} downloaded events could not be loaded: ${result.failed[0].reason}`);
      events += pending.length;
      pending = [];
      options.onProgress?.(events);
    };
    const decoder = new TextDecoder();
    let rest = '';
    const take = async (line: string) => {
      if (line.trim() === '') return;
      pending.push(JSON.parse(line) as SinkEvent);
      if (pending.length >= BATCH) await flush();
    };
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) await take(line);
    }
    await take(rest + decoder.decode());
    await flush();
    await sink.close?.();
    if (events >= maxEvents) {
      throw new Error(
        `[waymark] ${options.from} to ${options.to} holds ${maxEvents} events or more, the most one download from the collector may hold: ` +
          'shorten the period (--from/--to), or run the report on the store (--store, with the collector stopped) or on ClickHouse',
      );
    }
    return { engine, scope, keyName: key.name, events };
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
}
