import type { ReportEngine, ReportRow } from './reportEngine';

/** Options of {@link clickhouseEngine}. */
export interface ClickhouseEngineOptions {
  /** The server's HTTP interface. @default 'http://127.0.0.1:8123' */
  url?: string;
  /** Database holding `waymark_events` and the derived tables. @default 'default' */
  database?: string;
  /** User name, sent as `X-ClickHouse-User`. @default the server's default user */
  user?: string;
  /** Password, sent as `X-ClickHouse-Key`. Never logged. */
  password?: string;
  /** Time limit of one request, in ms. @default 300000 */
  timeoutMs?: number;
  /** The `fetch` to use; tests and proxies may pass their own. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A {@link ReportEngine} on ClickHouse, plus raw access for exports. */
export interface ClickhouseEngine extends ReportEngine {
  readonly dialect: 'clickhouse';
  /** Database the engine's queries run in. */
  readonly database: string;
  /**
   * Runs `sql` (which names its own `FORMAT`) and resolves with the response, so large results stream without
   * being held in memory. Rejects with the server's message when the query fails before the first byte.
   */
  stream(sql: string): Promise<Response>;
}

/**
 * Settings sent with every request. `join_use_nulls` gives LEFT JOIN DuckDB's (standard SQL) semantics: a missing
 * right-hand row reads as NULL, not as 0 or ''.
 */
const sessionSettings: Record<string, string> = {
  output_format_json_quote_64bit_integers: '0',
  output_format_json_quote_denormals: '0',
  join_use_nulls: '1',
};

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Parts of one ClickHouse type name, such as `Nullable(DateTime('UTC'))`. */
function baseType(type: string): string {
  let t = type;
  for (;;) {
    const wrapped = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (!wrapped) return t;
    t = wrapped[1];
  }
}

/** Offset of `timeZone` from UTC at `utcMs`, in ms. */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - utcMs;
}

/** Epoch ms of ClickHouse's `YYYY-MM-DD hh:mm:ss` text in `timeZone`. */
function dateTimeMs(text: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + fraction;
  if (timeZone === 'UTC') return wall;
  const first = wall - zoneOffsetMs(wall, timeZone);
  return wall - zoneOffsetMs(first, timeZone);
}

/** Converts one value of ClickHouse's JSON output to the plain JS value {@link ReportEngine.query} promises. */
export function plainClickhouseValue(value: unknown, type: string, serverTimeZone = 'UTC'): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  const base = baseType(type);
  if (/^(U?Int\d+|Float\d+|Decimal)/.test(base)) {
    const n = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(n) ? n : null;
  }
  if (base.startsWith('DateTime')) {
    const zone = /^DateTime\('([^']+)'\)$/.exec(base)?.[1] ?? serverTimeZone;
    return dateTimeMs(String(value), zone);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A {@link ReportEngine} on ClickHouse (18.16, Debian's package, and current releases) over its HTTP interface: no
 * driver needed. Queries use `FORMAT JSON` and come back as plain JS (64-bit integers and decimals as numbers,
 * `Date` as `'YYYY-MM-DD'`, `DateTime` as epoch ms). A failing query rejects with the server's own message.
 * @example
 * ```ts
 * const engine = clickhouseEngine({ url: 'http://127.0.0.1:8123' });
 * const rows = await engine.query('SELECT name, count() AS n FROM waymark_events FINAL GROUP BY name');
 * ```
 */
export function clickhouseEngine(options: ClickhouseEngineOptions = {}): ClickhouseEngine {
  const { url = 'http://127.0.0.1:8123', database = 'default', timeoutMs = 300_000 } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (!identifierPattern.test(database)) throw new TypeError(`[waymark] clickhouseEngine: \`database\` must be a plain identifier, got ${JSON.stringify(database)}`);
  let endpoint: URL;
  try {
    endpoint = new URL(url);
  } catch {
    throw new TypeError(`[waymark] clickhouseEngine: \`url\` must be an http(s) URL such as 'http://127.0.0.1:8123', got ${JSON.stringify(url)}`);
  }
  const headers: Record<string, string> = {};
  if (options.user) headers['X-ClickHouse-User'] = options.user;
  if (options.password) headers['X-ClickHouse-Key'] = options.password;
  let closed = false;
  let serverTimeZone: Promise<string> | undefined;

  async function post(sql: string, settings: Record<string, string>): Promise<Response> {
    if (closed) throw new Error('[waymark] clickhouseEngine: used after close()');
    const requestUrl = new URL(endpoint);
    requestUrl.searchParams.set('database', database);
    for (const [key, value] of Object.entries({ ...sessionSettings, ...settings })) requestUrl.searchParams.set(key, value);
    let response: Response;
    try {
      response = await fetchImpl(requestUrl, { method: 'POST', headers, body: sql, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError';
      const reason = timedOut ? `no answer within ${timeoutMs} ms` : messageOf((error as Error)?.cause ?? error);
      throw new Error(`[waymark] clickhouseEngine: cannot reach ClickHouse at ${endpoint.origin}: ${reason}`, { cause: error });
    }
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).trim();
      throw new Error(`[waymark] ClickHouse refused the query (HTTP ${response.status}): ${text.slice(0, 2000) || response.statusText}`);
    }
    return response;
  }

  // wait_end_of_query: the server buffers the result, so an error mid-query is an HTTP error, not a cut JSON body.
  const buffered = { wait_end_of_query: '1' };

  async function query(sql: string): Promise<ReportRow[]> {
    const body = `${sql.trim().replace(/;$/, '')}\nFORMAT JSON`;
    const text = await (await post(body, buffered)).text();
    let parsed: { meta: { name: string; type: string }[]; data: Record<string, unknown>[] };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`[waymark] ClickHouse sent a result that is not JSON: ${text.slice(0, 500)}`);
    }
    const needsZone = parsed.meta.some((column) => /^DateTime$/.test(baseType(column.type)));
    const zone = needsZone ? await timeZone() : 'UTC';
    return parsed.data.map((values) => {
      const row: ReportRow = {};
      for (const column of parsed.meta) row[column.name] = plainClickhouseValue(values[column.name], column.type, zone);
      return row;
    });
  }

  function timeZone(): Promise<string> {
    serverTimeZone ??= post('SELECT timezone() FORMAT TabSeparated', buffered)
      .then((response) => response.text())
      .then((text) => text.trim() || 'UTC')
      .catch((error: unknown) => {
        serverTimeZone = undefined;
        throw error;
      });
    return serverTimeZone;
  }

  return {
    dialect: 'clickhouse',
    database,
    query,
    async run(sql) {
      await (await post(sql.trim().replace(/;$/, ''), buffered)).arrayBuffer();
    },
    stream: (sql) => post(sql, {}),
    async close() {
      closed = true;
    },
  };
}
