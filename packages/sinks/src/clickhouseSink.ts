import { eventColumns, subjectIds, toEventRow } from './eventRow';
import type { EventRow } from './eventRow';
import { isolateFailures } from './isolateFailures';
import type { FailedEvent, Sink, SinkEvent, Subject, WriteResult } from './sink';
import { parseRetryAfter } from './retryingSink';
import { invalidOption, SinkError } from './sinkError';
import { failAll, messageOf } from './writeResult';

/** Options of {@link clickhouseSink}. */
export interface ClickhouseSinkOptions {
  /** The server's HTTP interface. @default 'http://127.0.0.1:8123' */
  url?: string;
  /** Database of the table; must exist. @default 'default' */
  database?: string;
  /** Table name. @default 'waymark_events' */
  table?: string;
  /** User name, sent as `X-ClickHouse-User`. @default the server's default user */
  username?: string;
  /** Password, sent as `X-ClickHouse-Key`. Never logged. */
  password?: string;
  /** Create the table when missing. @default true */
  createTable?: boolean;
  /** Time limit of one HTTP request, in ms. @default 30000 */
  timeoutMs?: number;
  /** How long `erase` waits for ClickHouse to finish the delete mutation, in ms. @default 60000 */
  eraseTimeoutMs?: number;
  /**
   * Tables of the same database derived from this one, which `erase` clears of the subject too: rows with the
   * subject's user id, or an anonymous id or session of the subject's events. Tables that do not exist, and columns
   * a table lacks, are left out. @default the report rollups `refreshRollups` (`@waymark/report`) maintains:
   * `['waymark_facts', 'waymark_visitors', 'waymark_sessions', 'waymark_post_visitors']`
   */
  derivedTables?: readonly string[];
  /** The `fetch` to use; tests and proxies may pass their own. @default globalThis.fetch */
  fetch?: typeof fetch;
}

const DERIVED_TABLES = ['waymark_facts', 'waymark_visitors', 'waymark_sessions', 'waymark_post_visitors'];

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * The `CREATE TABLE` statement of the sink's table. Only features that ClickHouse 18.16 (Debian's package) and
 * current releases share: `ReplacingMergeTree` sorted by `id` collapses duplicate ids when parts merge (read with
 * `FINAL` for exact counts before that), `DateTime('UTC')` plus `timestamp_ms` for millisecond precision (no
 * `DateTime64` in 18.16), JSON kept as `String` (no `JSON`/`Map` types there).
 */
export function clickhouseTableSql(database = 'default', table = 'waymark_events'): string {
  return `CREATE TABLE IF NOT EXISTS ${database}.${table} (
  id String,
  type String,
  name String,
  schema String,
  timestamp DateTime('UTC'),
  timestamp_ms Int64,
  received_at Nullable(DateTime('UTC')),
  anonymous_id String,
  user_id Nullable(String),
  session_id String,
  page_path String,
  page_route Nullable(String),
  page_referrer Nullable(String),
  country Nullable(String),
  locale Nullable(String),
  screen Nullable(String),
  utm_source Nullable(String),
  utm_medium Nullable(String),
  utm_campaign Nullable(String),
  sample_rate Float64,
  properties String,
  traits Nullable(String),
  context String
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(timestamp) ORDER BY id`;
}

/** A ClickHouse string literal. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function jsonEachRowLine(row: EventRow): string {
  const out: Record<string, unknown> = {};
  for (const column of eventColumns) out[column] = row[column];
  out.timestamp = Math.floor(row.timestamp / 1000);
  out.timestamp_ms = row.timestamp;
  out.received_at = row.received_at === null ? null : Math.floor(row.received_at / 1000);
  return `${JSON.stringify(out)}\n`;
}

// Server error codes caused by a value in the data (parse errors, type mismatches, too-large strings).
const dataErrorCodes = new Set([6, 26, 27, 38, 41, 53, 69, 70, 72, 117, 131, 349]);
// Overload, timeouts, network and read-only replicas: the same insert may succeed later.
const retryableCodes = new Set([3, 159, 160, 202, 209, 210, 241, 242, 252, 319, 425, 999]);

class ClickhouseHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Writes events to ClickHouse over its HTTP interface (`INSERT ... FORMAT JSONEachRow`, no driver needed) into a
 * `ReplacingMergeTree` table that collapses duplicate ids: the scale-out path. Works with ClickHouse 18.16 and
 * current releases. Wrap it in {@link batchingSink} so inserts stay large (ClickHouse wants few big inserts).
 * @example
 * ```ts
 * import { clickhouseSink } from '@waymark/sinks/clickhouse';
 * const sink = clickhouseSink({ url: 'http://127.0.0.1:8123', table: 'waymark_events' });
 * await sink.write(events);
 * // SELECT name, count() FROM waymark_events FINAL GROUP BY name
 * ```
 */
export function clickhouseSink(options: ClickhouseSinkOptions = {}): Sink {
  const {
    url = 'http://127.0.0.1:8123',
    database = 'default',
    table = 'waymark_events',
    createTable = true,
    timeoutMs = 30_000,
    eraseTimeoutMs = 60_000,
  } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (!identifierPattern.test(database)) invalidOption('clickhouseSink', 'database', `must be a plain identifier, got ${JSON.stringify(database)}`);
  if (!identifierPattern.test(table)) invalidOption('clickhouseSink', 'table', `must be a plain identifier, got ${JSON.stringify(table)}`);
  const derivedTables = (options.derivedTables ?? DERIVED_TABLES).filter((name) => name !== table);
  for (const name of derivedTables) {
    if (typeof name !== 'string' || !identifierPattern.test(name)) {
      invalidOption('clickhouseSink', 'derivedTables', `must list plain table identifiers, got ${JSON.stringify(name)}`);
    }
  }
  let endpoint: URL;
  try {
    endpoint = new URL(url);
  } catch {
    invalidOption('clickhouseSink', 'url', `must be an http(s) URL such as 'http://127.0.0.1:8123', got ${JSON.stringify(url)}`);
  }
  const target = `${database}.${table}`;
  const headers: Record<string, string> = {};
  if (options.username) headers['X-ClickHouse-User'] = options.username;
  if (options.password) headers['X-ClickHouse-Key'] = options.password;
  let ready: Promise<void> | undefined;

  async function request(query: string, body?: string): Promise<string> {
    const requestUrl = new URL(endpoint);
    let payload = body;
    if (body === undefined) payload = query;
    else requestUrl.searchParams.set('query', query);
    let response: Response;
    try {
      response = await fetchImpl(requestUrl, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError';
      throw new SinkError(timedOut ? 'timeout' : 'unavailable', `clickhouseSink: cannot reach ${endpoint.origin}: ${messageOf((error as Error)?.cause ?? error)}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return text;
    const code = /Code: (\d+)/.exec(text)?.[1];
    throw new ClickhouseHttpError(response.status, code === undefined ? undefined : Number(code), text.split('\n')[0].slice(0, 500), parseRetryAfter(response.headers.get('retry-after')));
  }

  function asSinkError(error: unknown, action: string): SinkError {
    if (error instanceof SinkError) return error;
    if (error instanceof ClickhouseHttpError) {
      const retryable = error.code === undefined ? error.status >= 500 || error.status === 429 || error.status === 408 : retryableCodes.has(error.code);
      const code = error.status === 429 ? 'rate_limited' : retryable ? 'unavailable' : 'rejected';
      return new SinkError(code, `clickhouseSink: ${action} failed with HTTP ${error.status}: ${error.message}`, { cause: error, retryAfterMs: error.retryAfterMs });
    }
    return new SinkError('unavailable', `clickhouseSink: ${action} failed: ${messageOf(error)}`, { cause: error });
  }

  /** The derived tables that exist, each with its subject columns. */
  async function existingDerivedTables(): Promise<Map<string, Set<string>>> {
    const tables = new Map<string, Set<string>>();
    if (derivedTables.length === 0) return tables;
    const rows = await request(
      `SELECT table, name FROM system.columns WHERE database = ${quote(database)} AND table IN (${derivedTables.map(quote).join(', ')})
       AND name IN ('anonymous_id', 'session_id', 'user_id') FORMAT TabSeparated`,
    );
    for (const line of rows.split('\n').filter(Boolean)) {
      const [name, column] = line.split('\t');
      tables.set(name, (tables.get(name) ?? new Set<string>()).add(column));
    }
    return tables;
  }

  /**
   * Deletes the rows of `name` that `condition` matches and waits until ClickHouse has done it; resolves with how
   * many there were. `ALTER ... DELETE` is an asynchronous mutation (18.16 has no mutations_sync).
   */
  async function deleteWhere(name: string, condition: string): Promise<number> {
    const qualified = `${database}.${name}`;
    const matched = Number((await request(`SELECT count() FROM ${qualified} WHERE ${condition}`)).trim());
    if (matched === 0) return 0;
    await request(`ALTER TABLE ${qualified} DELETE WHERE ${condition}`);
    const deadline = Date.now() + eraseTimeoutMs;
    const pending = `SELECT count() FROM system.mutations WHERE database = ${quote(database)} AND table = ${quote(name)} AND is_done = 0`;
    while (Number((await request(pending)).trim()) > 0) {
      if (Date.now() > deadline) throw new SinkError('timeout', `clickhouseSink: the delete mutation on ${qualified} did not finish within eraseTimeoutMs (${eraseTimeoutMs} ms); it keeps running on the server`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return matched;
  }

  async function ensureTable() {
    if (!createTable) return;
    ready ??= request(clickhouseTableSql(database, table)).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw asSinkError(error, 'CREATE TABLE');
      },
    );
    await ready;
  }

  async function write(events: readonly SinkEvent[]): Promise<WriteResult> {
    const failed: FailedEvent[] = [];
    const items: { event: SinkEvent; line: string }[] = [];
    for (const event of events) {
      try {
        items.push({ event, line: jsonEachRowLine(toEventRow(event)) });
      } catch (error) {
        failed.push({ event, reason: `[waymark] clickhouseSink: ${messageOf(error)}` });
      }
    }
    if (items.length === 0) return { written: 0, skipped: 0, failed };
    await ensureTable();
    try {
      const result = await isolateFailures(items, {
        sink: 'clickhouseSink',
        isDataError: (error) => error instanceof ClickhouseHttpError && error.code !== undefined && dataErrorCodes.has(error.code),
        write: async (group) => void (await request(`INSERT INTO ${target} FORMAT JSONEachRow`, group.map((item) => item.line).join(''))),
      });
      return { written: result.written, skipped: 0, failed: [...failed, ...result.failed] };
    } catch (error) {
      const sinkError = asSinkError(error, 'INSERT');
      if (sinkError.retryable) throw sinkError;
      return { written: 0, skipped: 0, failed: [...failed, ...failAll(items.map((i) => i.event), sinkError.message)] };
    }
  }

  return {
    name: 'clickhouse',
    write: (events) => (events.length === 0 ? Promise.resolve({ written: 0, skipped: 0, failed: [] }) : write(events)),
    async erase(subject: Subject) {
      const ids = subjectIds('clickhouseSink', subject);
      // ClickHouse 18.16's mutations treat a NULL condition as true, so the Nullable column is compared via ifNull.
      const where = [ids.userId && `ifNull(user_id, '') = ${quote(ids.userId)}`, ids.anonymousId && `anonymous_id = ${quote(ids.anonymousId)}`]
        .filter(Boolean)
        .join(' OR ');
      try {
        await ensureTable();
        // Derived rows first, and finished, while the subject's events still name their visitors and sessions.
        for (const [derived, columns] of await existingDerivedTables()) {
          const conditions: string[] = [];
          if (columns.has('anonymous_id')) {
            conditions.push(`anonymous_id IN (SELECT anonymous_id FROM ${target} WHERE ${where})`);
            if (ids.anonymousId) conditions.push(`anonymous_id = ${quote(ids.anonymousId)}`);
          }
          if (columns.has('session_id')) conditions.push(`session_id IN (SELECT session_id FROM ${target} WHERE ${where})`);
          if (columns.has('user_id') && ids.userId) conditions.push(`ifNull(user_id, '') = ${quote(ids.userId)}`);
          if (conditions.length > 0) await deleteWhere(derived, conditions.join(' OR '));
        }
        return { deleted: await deleteWhere(table, where) };
      } catch (error) {
        throw asSinkError(error, 'erase');
      }
    },
  };
}
