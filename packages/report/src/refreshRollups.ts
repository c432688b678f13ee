import { clickhouseTableSql } from '@waymark/sinks/clickhouse';
import { duckdbTableSql } from '@waymark/sinks/duckdb';
import { metricCatalogue, postVisitorMetricKeys, sessionMetricKeys } from './metricCatalogue';
import type { ReportDialect, ReportEngine, ReportRow } from './reportEngine';
import { sqlDialect } from './sqlDialect';

/**
 * Value kinds of the derived tables' columns: `text` is VARCHAR / String, `day` DATE / Date, `int` BIGINT / Int64,
 * `int32` INTEGER / Int32, `double` DOUBLE / Float64, `bool` BOOLEAN / UInt8, `key` UBIGINT / UInt64 (the
 * `SqlDialect.idKey` of a text id, see {@link rollupKeySources}).
 */
export type RollupColumnKind = 'text' | 'day' | 'int' | 'int32' | 'double' | 'bool' | 'key';

/** The derived tables {@link refreshRollups} creates and fills. */
export type RollupTable =
  | 'waymark_facts'
  | 'waymark_posts'
  | 'waymark_post_themes'
  | 'waymark_post_destinations'
  | 'waymark_visitors'
  | 'waymark_daily'
  | 'waymark_sessions'
  | 'waymark_post_visitors'
  | 'waymark_rollup_state';

type Columns = readonly (readonly [name: string, kind: RollupColumnKind])[];

const text = (...names: string[]) => names.map((name) => [name, 'text'] as const);

/** A session's (or reader's) weighted sum of a metric: `weight` (or `weight * engaged_ms`) of the events it counts. */
function rollupSumSql(key: string): string {
  const metric = metricCatalogue.get(key)!;
  return metric.where ? `CASE WHEN ${metric.where} THEN ${metric.value} ELSE 0 END` : metric.value!;
}

/**
 * The `waymark_post_visitors` rows of the facts `where` keeps: one per post, author, visitor and day, of the events
 * about a post (bots left out), with the visitor's key and smallest post-view weight (0 when they only scrolled or
 * clicked).
 */
function postVisitorRowsSql(dialect: ReportDialect, where: string): string {
  const sums = postVisitorMetricKeys.map((key, i) => `sum(${rollupSumSql(key)}) AS pv_${i}`);
  return `SELECT day, post_id, author_id, anonymous_id, ${sqlDialect(dialect).idKey('anonymous_id')}, pv_weight, ${sums.map((_, i) => `pv_${i}`).join(', ')}
FROM (SELECT day, post_id, author_id, anonymous_id, coalesce(min(CASE WHEN name = 'page_viewed' THEN weight END), 0) AS pv_weight, ${sums.join(', ')}
FROM waymark_facts WHERE ${where} AND post_id <> '' AND ${dialect === 'duckdb' ? 'NOT bot' : 'bot = 0'}
GROUP BY day, post_id, author_id, anonymous_id) AS post_visitors`;
}

/**
 * The `waymark_sessions` rows of the sessions `where` keeps (a condition on `session_id`): one per session, day,
 * device and campaign, bots left out, each with its session's visitor (the smallest anonymous id among all the
 * session's events) and the keys of both. Visitor- and session-level reports read these instead of every event (a
 * session has about 30).
 */
function sessionRowsSql(dialect: ReportDialect, where: string): string {
  const d = sqlDialect(dialect);
  const facts = `FROM waymark_facts WHERE ${where} AND ${dialect === 'duckdb' ? 'NOT bot' : 'bot = 0'}`;
  const sums = sessionMetricKeys.map((key, i) => `sum(${rollupSumSql(key)}) AS s_${i}`);
  return `SELECT day, session_id, device, utm_campaign, s_visitor, ${d.idKey('session_id')}, ${d.idKey('s_visitor')}, s_weight, ${sums.map((_, i) => `s_${i}`).join(', ')}, s_reads
FROM (SELECT day, session_id, device, utm_campaign, min(weight) AS s_weight, ${sums.join(', ')}, sum(CASE WHEN name = 'post_read' THEN 1 ELSE 0 END) AS s_reads
${facts} GROUP BY day, session_id, device, utm_campaign) AS session_rows
INNER JOIN (SELECT session_id, min(anonymous_id) AS s_visitor ${facts} GROUP BY session_id) AS session_visitors USING (session_id)`;
}

/**
 * The columns of every derived table, in table order, with their kind. The same names and values on DuckDB and
 * ClickHouse; text is never NULL (`''` when unknown) and numbers never NULL (0). Use it with {@link rollupInsertSql}
 * to insert fixture rows.
 */
export const rollupColumns: Readonly<Record<RollupTable, Columns>> = {
  waymark_facts: [
    ['id', 'text'],
    ['day', 'day'],
    ['ts_ms', 'int'],
    ['received_ms', 'int'],
    ...text('type', 'name', 'anonymous_id', 'session_id', 'user_id', 'path', 'route', 'device', 'browser', 'geo', 'utm_source', 'utm_medium', 'utm_campaign'),
    ['sample_rate', 'double'],
    ['weight', 'double'],
    ['bot', 'bool'],
    ['skew_ms', 'int'],
    ...text('post_id', 'author_id', 'template'),
    ['engaged_ms', 'int'],
    ['scroll_pct', 'int32'],
    ...text('network', 'partner', 'product_type', 'dest_country', 'dest_city', 'vital'),
    ['vital_value', 'double'],
  ],
  waymark_posts: text('post_id', 'author_id', 'template'),
  waymark_post_themes: text('post_id', 'theme'),
  waymark_post_destinations: text('post_id', 'country', 'city'),
  waymark_visitors: [['anonymous_id', 'text'], ['first_day', 'day'], ...text('user_id', 'age_band', 'home_country', 'traveller_type', 'budget', 'trip_style')],
  waymark_daily: [
    ['day', 'day'],
    ...text('name', 'post_id', 'author_id', 'template', 'device', 'geo', 'utm_campaign', 'dest_country'),
    ['events', 'double'],
    ['engaged_ms', 'double'],
    ['raw_events', 'int'],
  ],
  waymark_sessions: [
    ['day', 'day'],
    ...text('session_id', 'device', 'utm_campaign', 'anonymous_id'),
    ['session_key', 'key'],
    ['anonymous_key', 'key'],
    ...(['weight', ...sessionMetricKeys] as const).map((name) => [name, 'double'] as const),
    ['stored_reads', 'int'],
  ],
  waymark_post_visitors: [
    ['day', 'day'],
    ...text('post_id', 'author_id', 'anonymous_id'),
    ['anonymous_key', 'key'],
    ...(['reader_weight', ...postVisitorMetricKeys] as const).map((name) => [name, 'double'] as const),
  ],
  waymark_rollup_state: [
    ['watermark_ms', 'int'],
    ['refreshed_ms', 'int'],
    ['facts', 'int'],
  ],
};

/** The 1-based position of a `waymark_facts` column in the select list that fills it (`ORDER BY` by position). */
const factPosition = (column: string) => rollupColumns.waymark_facts.findIndex(([name]) => name === column) + 1;

/** ClickHouse table engines: facts collapse a repeated id; the others are swapped by whole partitions. */
const clickhouseEngines: Record<RollupTable, string> = {
  waymark_facts: 'ReplacingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, name, id)',
  waymark_posts: 'MergeTree() PARTITION BY tuple() ORDER BY post_id',
  waymark_post_themes: 'MergeTree() PARTITION BY tuple() ORDER BY (post_id, theme)',
  waymark_post_destinations: 'MergeTree() PARTITION BY tuple() ORDER BY (post_id, country, city)',
  waymark_visitors: 'MergeTree() PARTITION BY tuple() ORDER BY anonymous_id',
  waymark_daily: 'MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, name, post_id, author_id)',
  waymark_sessions: 'MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, session_key)',
  waymark_post_visitors: 'MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, post_id, anonymous_key)',
  waymark_rollup_state: 'MergeTree() PARTITION BY tuple() ORDER BY refreshed_ms',
};

const duckdbTypes: Record<RollupColumnKind, string> = { text: 'VARCHAR', day: 'DATE', int: 'BIGINT', int32: 'INTEGER', double: 'DOUBLE', bool: 'BOOLEAN', key: 'UBIGINT' };
const clickhouseTypes: Record<RollupColumnKind, string> = { text: 'String', day: 'Date', int: 'Int64', int32: 'Int32', double: 'Float64', bool: 'UInt8', key: 'UInt64' };
const duckdbDefaults: Record<RollupColumnKind, string> = { text: "''", day: "DATE '1970-01-01'", int: '0', int32: '0', double: '0', bool: 'false', key: '0' };

/** The text id each `key` column is the key of (`SqlDialect.idKey`); {@link rollupInsertSql} fills them from it. */
export const rollupKeySources: Readonly<Record<string, string>> = { session_key: 'session_id', anonymous_key: 'anonymous_id' };
/** Columns a row must name (no default), per table. */
const requiredColumns: Record<RollupTable, readonly string[]> = {
  waymark_facts: ['id', 'day'],
  waymark_posts: ['post_id'],
  waymark_post_themes: ['post_id'],
  waymark_post_destinations: ['post_id'],
  waymark_visitors: ['anonymous_id', 'first_day'],
  waymark_daily: ['day'],
  waymark_sessions: ['day', 'session_id', 'session_key'],
  waymark_post_visitors: ['day', 'post_id'],
  waymark_rollup_state: [],
};

/** Every derived table, in creation order. */
export const rollupTables = Object.keys(rollupColumns) as RollupTable[];

/**
 * The `CREATE TABLE IF NOT EXISTS` statement of one derived table. DuckDB columns are `NOT NULL`, with defaults
 * (`''`, 0, false) on all but the key columns (facts' `id` and `day`, `post_id`, visitors' `anonymous_id` and
 * `first_day`, daily's `day`); ClickHouse uses only 18.16-era types and `MergeTree` engines, whose columns default
 * to `''` and 0 anyway.
 */
export function rollupTableSql(dialect: ReportDialect, table: RollupTable): string {
  const columns = rollupColumns[table];
  if (dialect === 'duckdb') {
    const lines = columns.map(([name, kind]) => `  ${name} ${duckdbTypes[kind]} NOT NULL${requiredColumns[table].includes(name) ? '' : ` DEFAULT ${duckdbDefaults[kind]}`}`);
    return `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(',\n')}\n)`;
  }
  const lines = columns.map(([name, kind]) => `  ${name} ${clickhouseTypes[kind]}`);
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(',\n')}\n) ENGINE = ${clickhouseEngines[table]}`;
}

/** The `CREATE TABLE IF NOT EXISTS` statements of all derived tables. */
export function rollupTablesSql(dialect: ReportDialect): string[] {
  return rollupTables.map((table) => rollupTableSql(dialect, table));
}

/** A row to insert with {@link rollupInsertSql}: column name to value; missing columns take `''`, 0 or false. */
export type RollupRow = Record<string, string | number | boolean>;

function literal(dialect: ReportDialect, kind: RollupColumnKind, value: string | number | boolean | undefined): string {
  const d = sqlDialect(dialect);
  if (kind === 'key') return d.idKey(d.string(String(value ?? '')));
  if (kind === 'day') return d.date(String(value ?? '1970-01-01'));
  if (kind === 'text') return d.string(String(value ?? ''));
  if (kind === 'bool') return dialect === 'duckdb' ? String(value === true || value === 1) : value === true || value === 1 ? '1' : '0';
  const n = Number(value ?? 0);
  if (!Number.isFinite(n)) throw new TypeError(`[waymark] rollupInsertSql: ${String(value)} is not a finite number`);
  return String(n);
}

/**
 * `INSERT` statements (500 rows each) that add `rows` to a derived table on either engine; a column a row leaves out
 * gets `''`, 0, false (or 1970-01-01 for a day), and a `key` column is always the key of its id column
 * ({@link rollupKeySources}: `anonymous_key` of `anonymous_id`). For fixtures in tests and for the refresh itself.
 * @throws {TypeError} when a row names a column the table does not have.
 * @example
 * ```ts
 * for (const sql of rollupInsertSql('duckdb', 'waymark_daily', [{ day: '2026-10-01', name: 'page_viewed', events: 3, raw_events: 3 }])) await engine.run(sql);
 * ```
 */
export function rollupInsertSql(dialect: ReportDialect, table: RollupTable, rows: readonly RollupRow[]): string[] {
  const columns = rollupColumns[table];
  const known = new Set(columns.map(([name]) => name));
  const statements: string[] = [];
  for (let start = 0; start < rows.length; start += 500) {
    const values = rows.slice(start, start + 500).map((row) => {
      for (const key of Object.keys(row)) if (!known.has(key)) throw new TypeError(`[waymark] rollupInsertSql: ${table} has no column ${JSON.stringify(key)}`);
      return `(${columns.map(([name, kind]) => (kind === 'key' ? literal(dialect, 'key', row[rollupKeySources[name]]) : literal(dialect, kind, row[name]))).join(', ')})`;
    });
    statements.push(`INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) VALUES ${values.join(', ')}`);
  }
  return statements;
}

/** Options of {@link refreshRollups}. */
export interface RefreshRollupsOptions {
  /**
   * How far before the last watermark a refresh looks again, in ms, so an event the collector stamped before the
   * previous refresh but committed after it is still picked up (a fact is never added twice). @default 600000
   */
  overlapMs?: number;
  /** The clock, epoch ms, recorded in `waymark_rollup_state`. @default Date.now */
  now?: () => number;
  /**
   * DuckDB: once `waymark_facts` holds this many rows and a quarter of its row groups mix more than three event names
   * (many small refreshes, each sorted on its own, leave it so), the refresh rewrites it sorted by event name and day,
   * so a report's scan of one event skips the other events' row groups again. 0 never rewrites. @default 1000000
   */
  reorderFactsAtRows?: number;
}

/** What one {@link refreshRollups} did. */
export interface RefreshResult {
  /** Facts added (events not seen by an earlier refresh). */
  facts: number;
  /** UTC days whose `waymark_daily` rows were rebuilt, sorted. */
  days: string[];
  /** Posts whose `waymark_posts` / themes / destinations rows were rebuilt. */
  posts: number;
  /** Visitors whose `waymark_visitors` row was rebuilt. */
  visitors: number;
  /** The refresh watermark afterwards: the latest `received_at` (epoch ms, whole seconds) processed. */
  watermarkMs: number;
}

/** The dialect-specific parts of the refresh. */
interface RefreshSql {
  /** The events table, read as one row per id. */
  events: string;
  /** An event's place in the refresh order: `received_at` in whole seconds, else `timestamp`, as epoch ms. */
  eventKey: string;
  /** SELECT list producing `waymark_facts` columns from an event row. */
  facts: string;
  /** Expressions of the visitor traits (in {@link traitNames} order) over a JSON text column named `traits`. */
  traits: string[];
}

// The facts SELECT lists, in rollupColumns order; the DuckDB one reads the `c` and `p` path lists below.
const duckdbSql: RefreshSql = {
  events: 'waymark_events',
  eventKey: 'coalesce((epoch_ms(received_at) // 1000) * 1000, epoch_ms("timestamp"))',
  facts: `id,
  CAST(timezone('UTC', "timestamp") AS DATE),
  epoch_ms("timestamp"),
  coalesce((epoch_ms(received_at) // 1000) * 1000, 0),
  type, name, anonymous_id, session_id, coalesce(user_id, ''), page_path, coalesce(page_route, page_path),
  coalesce(c[1], screen, ''), coalesce(c[2], ''), coalesce(country, ''),
  coalesce(utm_source, ''), coalesce(utm_medium, ''), coalesce(utm_campaign, ''),
  sample_rate, 1 / sample_rate,
  coalesce(c[3] = 'true', false),
  coalesce(CAST(trunc(TRY_CAST(c[4] AS DOUBLE)) AS BIGINT), 0),
  coalesce(p[1], ''), coalesce(p[2], ''), coalesce(p[3], ''),
  CASE WHEN name IN ('engaged_time_reported', 'post_read') THEN coalesce(CAST(trunc(TRY_CAST(p[4] AS DOUBLE)) AS BIGINT), 0) ELSE 0 END,
  CASE WHEN name = 'scroll_depth_reached' THEN coalesce(CAST(trunc(TRY_CAST(p[5] AS DOUBLE)) AS INTEGER), 0) ELSE 0 END,
  CASE WHEN name = 'post_shared' THEN coalesce(p[6], '') ELSE '' END,
  CASE WHEN name IN ('affiliate_link_clicked', 'booking_widget_used') THEN coalesce(p[7], '') ELSE '' END,
  CASE WHEN name IN ('affiliate_link_clicked', 'booking_widget_used') THEN coalesce(p[8], '') ELSE '' END,
  coalesce(p[9], p[11], ''), coalesce(p[10], p[12], ''),
  CASE WHEN name = 'web_vital_measured' THEN coalesce(p[13], '') ELSE '' END,
  CASE WHEN name = 'web_vital_measured' THEN coalesce(TRY_CAST(p[14] AS DOUBLE), 0) ELSE 0 END`,
  traits: ['$.ageBand', '$.homeCountry', '$.travellerType', '$.budget', '$.tripStyles[0]'].map((path) => `json_extract_string(traits, '${path}')`),
};

/** DuckDB reads each JSON document once: the paths come back as one list per row. */
const duckdbEventColumns = `*,
  json_extract_string(context, ['$.server.device', '$.server.browser', '$.server.bot', '$.server.clockSkewMs']) AS c,
  json_extract_string(properties, ['$.postId', '$.authorId', '$.template', '$.engagedMs', '$.percent', '$.network', '$.partner', '$.productType',
    '$.destination.country', '$.destination.city', '$.place.country', '$.place.city', '$.metric', '$.value']) AS p`;

// 18.16 has no JSONExtract: visitParam* match a key at any depth, so nested objects are cut out first (Raw).
const clickhouseSql: RefreshSql = {
  events: 'waymark_events FINAL',
  eventKey: 'ifNull(toInt64(toUnixTimestamp(received_at)) * 1000, timestamp_ms)',
  facts: `id,
  toDate('1970-01-01') + intDiv(timestamp_ms, 86400000),
  timestamp_ms,
  ifNull(toInt64(toUnixTimestamp(received_at)) * 1000, toInt64(0)),
  type, name, anonymous_id, session_id, ifNull(user_id, ''), page_path, ifNull(page_route, page_path),
  if(visitParamHas(server_json, 'device'), visitParamExtractString(server_json, 'device'), ifNull(screen, '')),
  visitParamExtractString(server_json, 'browser'), ifNull(country, ''),
  ifNull(utm_source, ''), ifNull(utm_medium, ''), ifNull(utm_campaign, ''),
  sample_rate, 1 / sample_rate,
  visitParamExtractBool(server_json, 'bot'),
  visitParamExtractInt(server_json, 'clockSkewMs'),
  visitParamExtractString(properties, 'postId'), visitParamExtractString(properties, 'authorId'), visitParamExtractString(properties, 'template'),
  if(name IN ('engaged_time_reported', 'post_read'), visitParamExtractInt(properties, 'engagedMs'), 0),
  if(name = 'scroll_depth_reached', toInt32(visitParamExtractInt(properties, 'percent')), 0),
  if(name = 'post_shared', visitParamExtractString(properties, 'network'), ''),
  if(name IN ('affiliate_link_clicked', 'booking_widget_used'), visitParamExtractString(properties, 'partner'), ''),
  if(name IN ('affiliate_link_clicked', 'booking_widget_used'), visitParamExtractString(properties, 'productType'), ''),
  if(visitParamHas(destination_json, 'country'), visitParamExtractString(destination_json, 'country'), visitParamExtractString(place_json, 'country')),
  if(visitParamHas(destination_json, 'city'), visitParamExtractString(destination_json, 'city'), visitParamExtractString(place_json, 'city')),
  if(name = 'web_vital_measured', visitParamExtractString(properties, 'metric'), ''),
  if(name = 'web_vital_measured', visitParamExtractFloat(properties, 'value'), 0)`,
  traits: [
    ...['ageBand', 'homeCountry', 'travellerType', 'budget'].map((key) => `visitParamExtractString(traits, '${key}')`),
    // The first string of the array; trip styles are plain words (the catalogue's enum), never escaped.
    `extract(visitParamExtractRaw(traits, 'tripStyles'), '^\\\\[\\\\s*"([^"\\\\\\\\]*)"')`,
  ],
};

const clickhouseEventColumns = `*,
  visitParamExtractRaw(context, 'server') AS server_json,
  visitParamExtractRaw(properties, 'destination') AS destination_json,
  visitParamExtractRaw(properties, 'place') AS place_json`;

/** Visitor trait columns of `waymark_visitors`, in table order. */
const traitNames = ['age_band', 'home_country', 'traveller_type', 'budget', 'trip_style'];

const columnList = (table: RollupTable) => rollupColumns[table].map(([name]) => name).join(', ');

/** A fact's place in the refresh order; the same value as its event's key. */
const factKey = 'CASE WHEN received_ms = 0 THEN ts_ms ELSE received_ms END';

/** The themes and destinations of a page view, from its properties (JSON text), without repeats. */
function postLists(properties: string | null): { themes: string[]; destinations: { country: string; city: string }[] } {
  let parsed: unknown;
  try {
    parsed = properties ? JSON.parse(properties) : {};
  } catch {
    parsed = {};
  }
  const record = (parsed ?? {}) as { themes?: unknown; destinations?: unknown };
  const themes = Array.isArray(record.themes) ? [...new Set(record.themes.filter((t): t is string => typeof t === 'string'))] : [];
  const seen = new Set<string>();
  const destinations: { country: string; city: string }[] = [];
  for (const place of Array.isArray(record.destinations) ? record.destinations : []) {
    if (place === null || typeof place !== 'object') continue;
    const { country, city } = place as { country?: unknown; city?: unknown };
    const row = { country: typeof country === 'string' ? country : '', city: typeof city === 'string' ? city : '' };
    const key = JSON.stringify(row);
    if (seen.has(key)) continue;
    seen.add(key);
    destinations.push(row);
  }
  return { themes, destinations };
}

const running = new WeakMap<ReportEngine, Promise<unknown>>();

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the derived tables when missing and brings them up to date with `waymark_events`, incrementally:
 * - facts for events received since the last refresh's watermark (minus `overlapMs`), late and offline events
 *   included, since the watermark is on `received_at`, not on the event time; an id already in `waymark_facts` is
 *   never added again;
 * - `waymark_daily` rebuilt for the UTC days those facts touch, and only those (bot-flagged events are left out of
 *   it: it counts readers); `waymark_post_visitors` (one row per post, visitor and day) likewise;
 * - `waymark_sessions` (one row per session, day, device and campaign) rebuilt whole for the sessions those facts
 *   touch, on every day they span, since a session's visitor is the smallest anonymous id among all its events;
 * - posts (with their themes and destinations) and visitors rebuilt for the posts and visitors those facts touch.
 *
 * Safe to run again at any time, also after a refresh that failed half-way: nothing is counted twice, and the
 * watermark only moves once everything is rebuilt. On DuckDB the new facts are committed first, then the rebuilt
 * rows and the watermark in a second transaction; on ClickHouse (no transactions) every derived table is swapped
 * in by whole partitions (`REPLACE PARTITION`), so readers see either the old or the new rows of a month. Run one
 * refresh at a time per database (calls on one engine wait for each other).
 * @example
 * ```ts
 * const engine = await duckdbEngine({ path: './waymark.duckdb' });
 * const { facts, days } = await refreshRollups(engine);
 * ```
 */
export function refreshRollups(engine: ReportEngine, options: RefreshRollupsOptions = {}): Promise<RefreshResult> {
  const previous = running.get(engine) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => refresh(engine, options));
  running.set(engine, next);
  return next;
}

async function refresh(engine: ReportEngine, options: RefreshRollupsOptions): Promise<RefreshResult> {
  const { overlapMs = 600_000, now = Date.now, reorderFactsAtRows = 1_000_000 } = options;
  if (!(Number.isInteger(overlapMs) && overlapMs >= 0)) throw new TypeError('[waymark] refreshRollups: `overlapMs` must be a whole number of ms, at least 0');
  const duck = engine.dialect === 'duckdb';
  const sql = duck ? duckdbSql : clickhouseSql;
  const step = async (what: string, statement: string) => {
    try {
      await engine.run(statement);
    } catch (error) {
      const hint = /read-only/i.test(messageOf(error)) ? ' (a refresh writes: open the store read-write)' : '';
      throw new Error(`[waymark] refreshRollups: ${what} failed: ${messageOf(error)}${hint}`, { cause: error });
    }
  };
  const read = async (what: string, statement: string): Promise<ReportRow[]> => {
    try {
      return await engine.query(statement);
    } catch (error) {
      throw new Error(`[waymark] refreshRollups: ${what} failed: ${messageOf(error)}`, { cause: error });
    }
  };

  const database = (engine as { database?: string }).database ?? 'default';
  await step('creating the events table', duck ? duckdbTableSql() : clickhouseTableSql(database));
  for (const table of rollupTables) await step(`creating ${table}`, rollupTableSql(engine.dialect, table));
  // A store refreshed before these rollups existed: fill them from every fact once (nothing to read on a new store).
  for (const [table, rows] of [
    ['waymark_sessions', sessionRowsSql],
    ['waymark_post_visitors', postVisitorRowsSql],
  ] as const) {
    const [kept] = await read(`counting ${table}`, `SELECT count(*) AS n FROM ${table}`);
    if (Number(kept.n) === 0) await step(`filling ${table}`, `INSERT INTO ${table} (${columnList(table)}) ${rows(engine.dialect, '1 = 1')}`);
  }

  if (duck) await step('BEGIN', 'BEGIN TRANSACTION');
  try {
    const [state] = await read('reading the watermark', 'SELECT max(watermark_ms) AS watermark, count(*) AS refreshes FROM waymark_rollup_state');
    const previous = Number(state.refreshes) > 0 ? Number(state.watermark) : null;
    const lower = previous === null ? Number.MIN_SAFE_INTEGER : previous - overlapMs;
    const [window] = await read('reading new events', `SELECT max(${sql.eventKey}) AS upper, count(*) AS n FROM ${sql.events} WHERE ${sql.eventKey} >= ${lower}`);
    if (Number(window.n) === 0) {
      if (duck) await step('COMMIT', 'COMMIT');
      return { facts: 0, days: [], posts: 0, visitors: 0, watermarkMs: previous ?? 0 };
    }
    const upper = Number(window.upper);
    const inWindow = `${factKey} BETWEEN ${lower} AND ${upper}`;
    const countFacts = async () => Number((await read('counting facts', `SELECT count(*) AS n FROM waymark_facts WHERE ${inWindow}`))[0].n);

    const before = await countFacts();
    // On DuckDB new facts go in sorted by event name and day: a report's scan of one event then skips the row groups
    // of the others (zone maps), most of all after a large refresh. ClickHouse sorts by its key, (day, name, id).
    const source = `SELECT ${duck ? duckdbEventColumns : clickhouseEventColumns} FROM ${sql.events} WHERE ${sql.eventKey} BETWEEN ${lower} AND ${upper}`;
    await step(
      'adding facts',
      `INSERT INTO waymark_facts (${columnList('waymark_facts')})
SELECT ${sql.facts}
FROM (${source}) AS e
WHERE id NOT IN (SELECT id FROM waymark_facts WHERE ${inWindow})${duck ? `\nORDER BY ${factPosition('name')}, ${factPosition('day')}` : ''}`,
    );
    const facts = (await countFacts()) - before;
    // Rows a transaction added are slow to scan before they are committed (DuckDB keeps them in transaction-local
    // storage): commit the facts, then rebuild. A failure in between is repaired by the next refresh, which
    // rebuilds from every fact in the window since the watermark only moves at the end.
    if (duck) {
      await step('COMMIT', 'COMMIT');
      await step('BEGIN', 'BEGIN TRANSACTION');
    }

    const days = (await read('listing days', `SELECT DISTINCT day FROM waymark_facts WHERE ${inWindow} ORDER BY day`)).map((r) => String(r.day));
    const daySet = `(SELECT DISTINCT day FROM waymark_facts WHERE ${inWindow})`;
    const dailyColumns = columnList('waymark_daily');
    const dims = 'day, name, post_id, author_id, template, device, geo, utm_campaign, dest_country';
    const dailyRows = `SELECT ${dims}, sum(weight) AS events, sum(weight * engaged_ms) AS engaged_ms, count(*) AS raw_events
FROM waymark_facts WHERE day IN ${daySet} AND ${duck ? 'NOT bot' : 'bot = 0'}
GROUP BY ${dims}`;

    // Sessions are rebuilt whole, on every day they span: a new event may change a session's visitor.
    const sessionSet = `(SELECT DISTINCT session_id FROM waymark_facts WHERE ${inWindow})`;
    const sessionRows = sessionRowsSql(engine.dialect, `session_id IN ${sessionSet}`);
    const postVisitorRows = postVisitorRowsSql(engine.dialect, `day IN ${daySet}`);

    const postSet = `(SELECT DISTINCT post_id FROM waymark_facts WHERE ${inWindow} AND name = 'page_viewed' AND post_id <> '')`;
    const latestViews = `SELECT max(id) FROM waymark_facts
INNER JOIN (SELECT post_id, max(ts_ms) AS ts_ms FROM waymark_facts WHERE name = 'page_viewed' AND post_id IN ${postSet} GROUP BY post_id) AS latest USING (post_id, ts_ms)
WHERE name = 'page_viewed' GROUP BY post_id`;
    const postRows = await read(
      'reading posts',
      `SELECT post_id, author_id, template, properties FROM (SELECT id, post_id, author_id, template FROM waymark_facts WHERE id IN (${latestViews})) AS f
LEFT JOIN (SELECT id, properties FROM ${sql.events} WHERE name = 'page_viewed' AND id IN (${latestViews})) AS e USING (id)`,
    );
    const posts: RollupRow[] = [];
    const themes: RollupRow[] = [];
    const destinations: RollupRow[] = [];
    for (const row of postRows) {
      const postId = String(row.post_id);
      posts.push({ post_id: postId, author_id: String(row.author_id), template: String(row.template) });
      const lists = postLists(row.properties === null ? null : String(row.properties));
      for (const theme of lists.themes) themes.push({ post_id: postId, theme });
      for (const place of lists.destinations) destinations.push({ post_id: postId, ...place });
    }

    const visitorSet = `(SELECT DISTINCT anonymous_id FROM waymark_facts WHERE ${inWindow})`;
    const latestIdentify = `SELECT max(id) FROM waymark_facts
INNER JOIN (SELECT anonymous_id, max(ts_ms) AS ts_ms FROM waymark_facts WHERE type = 'identify' AND anonymous_id IN ${visitorSet} GROUP BY anonymous_id) AS latest USING (anonymous_id, ts_ms)
WHERE type = 'identify' GROUP BY anonymous_id`;
    const identified = `SELECT anonymous_id, user_id, ${sql.traits.map((e, n) => `${e} AS ${traitNames[n]}`).join(', ')} FROM (
  SELECT id, anonymous_id, user_id FROM waymark_facts WHERE id IN (${latestIdentify})
) AS f LEFT JOIN (SELECT id, ${duck ? "coalesce(CAST(traits AS VARCHAR), '')" : "ifNull(traits, '')"} AS traits FROM ${sql.events} WHERE type = 'identify' AND id IN (${latestIdentify})) AS e USING (id)`;
    const visitorRows = `SELECT anonymous_id, first_day, coalesce(user_id, ''), ${traitNames.map((t) => `coalesce(${t}, '')`).join(', ')}
FROM (SELECT anonymous_id, min(day) AS first_day FROM waymark_facts WHERE anonymous_id IN ${visitorSet} GROUP BY anonymous_id) AS v
LEFT JOIN (${identified}) AS i USING (anonymous_id)`;
    const [{ n: visitorCount }] = await read('counting visitors', `SELECT count(*) AS n FROM ${visitorSet} AS s`);

    const postTables: [RollupTable, RollupRow[]][] = [
      ['waymark_posts', posts],
      ['waymark_post_themes', themes],
      ['waymark_post_destinations', destinations],
    ];
    if (duck) {
      await step('clearing rebuilt days', `DELETE FROM waymark_daily WHERE day IN ${daySet}`);
      await step('rebuilding days', `INSERT INTO waymark_daily (${dailyColumns}) ${dailyRows}`);
      await step('clearing rebuilt sessions', `DELETE FROM waymark_sessions WHERE session_id IN ${sessionSet}`);
      await step('rebuilding sessions', `INSERT INTO waymark_sessions (${columnList('waymark_sessions')}) ${sessionRows}`);
      await step('clearing rebuilt post readers', `DELETE FROM waymark_post_visitors WHERE day IN ${daySet}`);
      await step('rebuilding post readers', `INSERT INTO waymark_post_visitors (${columnList('waymark_post_visitors')}) ${postVisitorRows}`);
      for (const [table, rows] of postTables) {
        await step(`clearing ${table}`, `DELETE FROM ${table} WHERE post_id IN ${postSet}`);
        for (const statement of rollupInsertSql('duckdb', table, rows)) await step(`filling ${table}`, statement);
      }
      await step('clearing rebuilt visitors', `DELETE FROM waymark_visitors WHERE anonymous_id IN ${visitorSet}`);
      await step('rebuilding visitors', `INSERT INTO waymark_visitors (${columnList('waymark_visitors')}) ${visitorRows}`);
      await step('moving the watermark', 'DELETE FROM waymark_rollup_state');
    } else {
      const months = [...new Set(days.map((day) => day.slice(0, 7).replace('-', '')))];
      await replaceTable(step, 'waymark_daily', months, [
        `SELECT ${dailyColumns} FROM waymark_daily WHERE toYYYYMM(day) IN (${months.join(', ') || '0'}) AND day NOT IN ${daySet}`,
        dailyRows,
      ]);
      const sessionMonths = (await read('listing session months', `SELECT DISTINCT toYYYYMM(day) AS month FROM waymark_facts WHERE session_id IN ${sessionSet}`)).map((r) =>
        String(r.month),
      );
      await replaceTable(step, 'waymark_sessions', sessionMonths, [
        `SELECT ${columnList('waymark_sessions')} FROM waymark_sessions WHERE toYYYYMM(day) IN (${sessionMonths.join(', ') || '0'}) AND session_id NOT IN ${sessionSet}`,
        sessionRows,
      ]);
      await replaceTable(step, 'waymark_post_visitors', months, [
        `SELECT ${columnList('waymark_post_visitors')} FROM waymark_post_visitors WHERE toYYYYMM(day) IN (${months.join(', ') || '0'}) AND day NOT IN ${daySet}`,
        postVisitorRows,
      ]);
      // No page view with a post id in the window: the post tables stay as they are.
      const postPartitions = posts.length > 0 ? ['tuple()'] : [];
      for (const [table, rows] of postTables) {
        await replaceTable(step, table, postPartitions, [`SELECT ${columnList(table)} FROM ${table} WHERE post_id NOT IN ${postSet}`], rows);
      }
      await replaceTable(step, 'waymark_visitors', ['tuple()'], [`SELECT ${columnList('waymark_visitors')} FROM waymark_visitors WHERE anonymous_id NOT IN ${visitorSet}`, visitorRows]);
    }
    const watermarkMs = Math.max(previous ?? upper, upper);
    await step('moving the watermark', `INSERT INTO waymark_rollup_state (${columnList('waymark_rollup_state')}) VALUES (${watermarkMs}, ${Math.round(now())}, ${facts})`);
    if (duck) await step('COMMIT', 'COMMIT');
    if (duck && reorderFactsAtRows > 0 && (await factsNeedReorder(read, reorderFactsAtRows))) await reorderFacts(step);
    return { facts, days, posts: posts.length, visitors: Number(visitorCount), watermarkMs };
  } catch (error) {
    if (duck) await engine.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Rows in a DuckDB row group, the unit whose zone maps let a scan skip it. */
const ROW_GROUP_ROWS = 122_880;

/** Whether `waymark_facts` (DuckDB) has `minRows` rows and a quarter of its row groups mix more than three event names. */
async function factsNeedReorder(read: (what: string, sql: string) => Promise<ReportRow[]>, minRows: number): Promise<boolean> {
  const [order] = await read(
    'checking the order of the facts',
    `SELECT coalesce(sum(n), 0) AS n, count(*) AS row_groups, count(*) FILTER (WHERE names > 3) AS mixed
FROM (SELECT rowid // ${ROW_GROUP_ROWS} AS row_group, count(*) AS n, count(DISTINCT name) AS names FROM waymark_facts GROUP BY row_group)`,
  );
  return Number(order.n) >= minRows && Number(order.mixed) * 4 >= Number(order.row_groups);
}

/** Rewrites `waymark_facts` (DuckDB) sorted by event name and day, in one transaction: same rows, same columns. */
async function reorderFacts(step: (what: string, sql: string) => Promise<void>): Promise<void> {
  const staging = 'waymark_facts_reordered';
  await step('BEGIN', 'BEGIN TRANSACTION');
  try {
    await step('reordering the facts', `DROP TABLE IF EXISTS ${staging}`);
    await step('reordering the facts', rollupTableSql('duckdb', 'waymark_facts').replace('waymark_facts (', `${staging} (`));
    await step('reordering the facts', `INSERT INTO ${staging} SELECT * FROM waymark_facts ORDER BY name, day`);
    await step('reordering the facts', 'DROP TABLE waymark_facts');
    await step('reordering the facts', `ALTER TABLE ${staging} RENAME TO waymark_facts`);
    await step('COMMIT', 'COMMIT');
  } catch (error) {
    await step('ROLLBACK', 'ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Rebuilds `partitions` of a ClickHouse table: fills a staging copy from `selects` (kept rows plus rebuilt ones)
 * and `rows`, then swaps each partition in with `REPLACE PARTITION`, which 18.16 does atomically per partition.
 */
async function replaceTable(
  step: (what: string, sql: string) => Promise<void>,
  table: RollupTable,
  partitions: string[],
  selects: string[],
  rows: RollupRow[] = [],
): Promise<void> {
  if (partitions.length === 0) return;
  const staging = `${table}_refresh`;
  await step(`preparing ${staging}`, `DROP TABLE IF EXISTS ${staging}`);
  await step(`preparing ${staging}`, `CREATE TABLE ${staging} AS ${table}`);
  try {
    for (const select of selects) await step(`filling ${staging}`, `INSERT INTO ${staging} (${columnList(table)}) ${select}`);
    for (const statement of rollupInsertSql('clickhouse', table, rows).map((s) => s.replace(`INSERT INTO ${table} `, `INSERT INTO ${staging} `))) {
      await step(`filling ${staging}`, statement);
    }
    for (const partition of partitions) await step(`replacing ${table}`, `ALTER TABLE ${table} REPLACE PARTITION ${partition} FROM ${staging}`);
  } finally {
    await step(`dropping ${staging}`, `DROP TABLE IF EXISTS ${staging}`);
  }
}
