import { DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { DuckDBValue } from '@duckdb/node-api';
import { HttpError } from './HttpError';

/** What a read key may see: only events whose `properties.authorId` / site match, when set. */
export interface ReadScope {
  authorId?: string;
  siteId?: string;
}

/** The aggregate metrics of `GET /v1/query`. */
export const metrics = ['events', 'pageviews', 'sessions', 'visitors'] as const;
/** The time buckets of `GET /v1/query`. */
export const buckets = ['hour', 'day', 'week', 'month'] as const;

/** Dimensions a query may group or filter by, each a fixed SQL expression (no user input ever reaches the SQL text). */
export const dimensions = {
  name: 'name',
  type: 'type',
  path: 'page_path',
  route: 'page_route',
  referrer: 'page_referrer',
  title: "json_extract_string(context, '$.page.title')",
  country: 'country',
  locale: 'locale',
  screen: 'screen',
  device: "json_extract_string(context, '$.server.device')",
  browser: "json_extract_string(context, '$.server.browser')",
  os: "json_extract_string(context, '$.server.os')",
  campaign_source: 'utm_source',
  campaign_medium: 'utm_medium',
  campaign_name: 'utm_campaign',
  post: "json_extract_string(properties, '$.postId')",
  author: "json_extract_string(properties, '$.authorId')",
  site: "json_extract_string(context, '$.server.siteId')",
} as const;

/** A dimension name of {@link dimensions}. */
export type Dimension = keyof typeof dimensions;

/** A checked `GET /v1/query`. */
export interface QuerySpec {
  metric: (typeof metrics)[number];
  bucket: (typeof buckets)[number];
  from: number;
  to: number;
  dimension?: Dimension;
  filters: { dimension: Dimension; value: string }[];
  /** Rows of this page, at most {@link MAX_QUERY_ROWS}. */
  limit: number;
  /** Rows skipped before this page. */
  offset: number;
}

/** A checked `GET /v1/events`. */
export interface ExportSpec {
  from: number;
  to: number;
  format: 'ndjson' | 'csv';
  order: 'asc' | 'desc';
  limit: number;
}

const DAY_MS = 86_400_000;
const MAX_FILTERS = 10;
const MAX_EXPORT = 1_000_000;
/** The most rows one `GET /v1/query` page holds (its default `limit`); the response's `nextOffset` asks for the rest. */
export const MAX_QUERY_ROWS = 10_000;
const MAX_OFFSET = 1_000_000_000;

const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

function only<T extends string>(url: URL, name: string, allowed: readonly T[], fallback?: T): T {
  const values = url.searchParams.getAll(name);
  if (values.length > 1) throw new HttpError(400, `query parameter "${name}" is given ${values.length} times; give it once`);
  const value = values[0] ?? fallback;
  if (value === undefined) throw new HttpError(400, `query parameter "${name}" is required; allowed values: ${list(allowed)}`);
  if (!(allowed as readonly string[]).includes(value)) throw new HttpError(400, `query parameter "${name}" is ${JSON.stringify(value)}; allowed values: ${list(allowed)}`);
  return value as T;
}

const instantPattern = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

/** What {@link parseInstant} accepts, for error messages. */
export const instantFormat = 'an ISO 8601 date (2026-05-01) or date-time with offset (2026-05-01T12:00:00Z)';

/**
 * Epoch ms of an ISO 8601 date (`2026-05-01`, UTC midnight) or date-time with an offset (`2026-05-01T12:00:00Z`),
 * or undefined when the text has another form or names a moment that does not exist (`2026-02-31`, `T24:00`):
 * `Date.parse` would roll those over into the next month or day.
 */
export function parseInstant(value: string): number | undefined {
  const match = instantPattern.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match.slice(1).map((part) => Number(part ?? 0));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (daysInMonth === undefined || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `, which is not a calendar date` when the text has the right form but names no real moment, else nothing. */
export const impossible = (value: string) => (instantPattern.test(value) ? ', which is not a calendar date' : '');

function instant(url: URL, name: string, fallback: number): number {
  const values = url.searchParams.getAll(name);
  if (values.length > 1) throw new HttpError(400, `query parameter "${name}" is given ${values.length} times; give it once`);
  if (values.length === 0) return fallback;
  const ms = parseInstant(values[0]);
  if (ms === undefined) throw new HttpError(400, `query parameter "${name}" is ${JSON.stringify(values[0])}${impossible(values[0])}; allowed values: ${instantFormat}`);
  return ms;
}

function integer(url: URL, name: string, min: number, max: number, fallback: number): number {
  const values = url.searchParams.getAll(name);
  if (values.length > 1) throw new HttpError(400, `query parameter "${name}" is given ${values.length} times; give it once`);
  if (values.length === 0) return fallback;
  const value = Number(values[0]);
  if (!/^\d+$/.test(values[0]) || value < min || value > max) {
    throw new HttpError(400, `query parameter "${name}" is ${JSON.stringify(values[0])}; allowed values: an integer from ${min} to ${max}`);
  }
  return value;
}

function known(url: URL, allowed: readonly string[]) {
  for (const name of new Set(url.searchParams.keys())) {
    if (!allowed.includes(name)) throw new HttpError(400, `unknown query parameter "${name}"; allowed parameters: ${list(allowed)}`);
  }
}

function range(url: URL, now: number): { from: number; to: number } {
  const to = instant(url, 'to', now);
  const from = instant(url, 'from', to - 30 * DAY_MS);
  if (from >= to) throw new HttpError(400, 'query parameter "from" must be before "to"');
  return { from, to };
}

/** Checks the query string of `GET /v1/query`; throws a 400 naming the parameter and its allowed values. */
export function parseQuery(url: URL, now: number): QuerySpec {
  known(url, ['metric', 'bucket', 'from', 'to', 'dimension', 'filter', 'limit', 'offset']);
  const names = Object.keys(dimensions) as Dimension[];
  const metric = only(url, 'metric', metrics);
  const bucket = only(url, 'bucket', buckets, 'day');
  const { from, to } = range(url, now);
  const dimension = url.searchParams.has('dimension') ? only(url, 'dimension', names) : undefined;
  const filters = url.searchParams.getAll('filter').map((raw) => {
    const split = raw.indexOf(':');
    const name = split < 0 ? raw : raw.slice(0, split);
    if (split < 0 || !(names as string[]).includes(name)) {
      throw new HttpError(400, `query parameter "filter" is ${JSON.stringify(raw)}; write it as <dimension>:<value>, with a dimension among ${list(names)}`);
    }
    return { dimension: name as Dimension, value: raw.slice(split + 1) };
  });
  if (filters.length > MAX_FILTERS) throw new HttpError(400, `query parameter "filter" is given ${filters.length} times; at most ${MAX_FILTERS}`);
  const limit = integer(url, 'limit', 1, MAX_QUERY_ROWS, MAX_QUERY_ROWS);
  const offset = integer(url, 'offset', 0, MAX_OFFSET, 0);
  return { metric, bucket, from, to, dimension, filters, limit, offset };
}

/** Checks the query string of `GET /v1/events`. */
export function parseExport(url: URL, now: number): ExportSpec {
  known(url, ['from', 'to', 'format', 'order', 'limit']);
  const { from, to } = range(url, now);
  const format = only(url, 'format', ['ndjson', 'csv'] as const, 'ndjson');
  const order = only(url, 'order', ['asc', 'desc'] as const, 'asc');
  const limit = integer(url, 'limit', 1, MAX_EXPORT, 100_000);
  return { from, to, format, order, limit };
}

/** Builds a SQL `WHERE` from parameters; every value is a `$n` parameter. */
class Where {
  readonly params: DuckDBValue[] = [];
  private readonly parts: string[] = [];
  param(value: DuckDBValue): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  add(sql: (param: (value: DuckDBValue) => string) => string) {
    this.parts.push(sql((value) => this.param(value)));
  }
  get sql(): string {
    return this.parts.length === 0 ? 'TRUE' : this.parts.join(' AND ');
  }
}

const at = (ms: number) => new DuckDBTimestampTZValue(BigInt(Math.round(ms)) * 1000n);

function scoped(where: Where, scope: ReadScope) {
  if (scope.authorId !== undefined) where.add((p) => `${dimensions.author} = ${p(scope.authorId!)}`);
  if (scope.siteId !== undefined) where.add((p) => `${dimensions.site} = ${p(scope.siteId!)}`);
}

/** The SQL of an aggregate query: rows of `(bucket epoch ms, dimension value, value)`, at most `limit + 1` of them. */
export function aggregateSql(spec: QuerySpec, scope: ReadScope): { sql: string; params: DuckDBValue[] } {
  const where = new Where();
  scoped(where, scope);
  where.add((p) => `timestamp >= ${p(at(spec.from))} AND timestamp < ${p(at(spec.to))}`);
  if (spec.metric === 'pageviews') where.add(() => "type = 'page'");
  for (const filter of spec.filters) where.add((p) => `${dimensions[filter.dimension]} = ${p(filter.value)}`);
  const bucket = `epoch_ms(date_trunc(${where.param(spec.bucket)}, timestamp))`;
  const dimension = spec.dimension ? dimensions[spec.dimension] : 'NULL';
  // One row more than the page, so the caller knows whether another page follows. (bucket, dimension) is unique, so
  // the order is total and pages neither repeat nor skip rows while the data stays the same.
  const page = `LIMIT ${where.param(spec.limit + 1)} OFFSET ${where.param(spec.offset)}`;
  let sql: string;
  if (spec.metric === 'sessions') {
    sql = `SELECT b, d, sum(w) FROM (
      SELECT ${bucket} AS b, ${dimension} AS d, session_id, max(1.0 / sample_rate) AS w
      FROM waymark_events WHERE ${where.sql} GROUP BY ALL
    ) GROUP BY b, d ORDER BY b, d NULLS FIRST ${page}`;
  } else {
    const value = spec.metric === 'visitors' ? "count(DISTINCT coalesce(json_extract_string(context, '$.server.visitorId'), anonymous_id))" : 'sum(1.0 / sample_rate)';
    sql = `SELECT ${bucket} AS b, ${dimension} AS d, ${value} FROM waymark_events WHERE ${where.sql} GROUP BY b, d ORDER BY b, d NULLS FIRST ${page}`;
  }
  return { sql, params: where.params };
}

/** Columns every event export selects, in this order (see {@link exportRow}). */
const selectColumns = `id, type, name, schema, epoch_ms(timestamp), epoch_ms(received_at), ${dimensions.site}, anonymous_id, user_id, session_id,
  page_path, page_route, page_referrer, ${dimensions.title}, country, locale, screen, ${dimensions.device}, ${dimensions.browser}, ${dimensions.os},
  utm_source, utm_medium, utm_campaign, sample_rate, properties::VARCHAR, traits::VARCHAR, context::VARCHAR`;

/** CSV header of an event export. */
export const csvColumns = [
  'id', 'type', 'name', 'schema', 'timestamp', 'received_at', 'site_id', 'anonymous_id', 'user_id', 'session_id',
  'page_path', 'page_route', 'page_referrer', 'page_title', 'country', 'locale', 'screen', 'device', 'browser', 'os',
  'utm_source', 'utm_medium', 'utm_campaign', 'sample_rate', 'properties',
] as const;

/** The SQL of a raw event export in a time range. */
export function exportSql(spec: ExportSpec, scope: ReadScope): { sql: string; params: DuckDBValue[] } {
  const where = new Where();
  scoped(where, scope);
  where.add((p) => `timestamp >= ${p(at(spec.from))} AND timestamp < ${p(at(spec.to))}`);
  const direction = spec.order === 'desc' ? 'DESC' : 'ASC';
  return {
    sql: `SELECT ${selectColumns} FROM waymark_events WHERE ${where.sql} ORDER BY timestamp ${direction}, id ${direction} LIMIT ${where.param(spec.limit)}`,
    params: where.params,
  };
}

/** The SQL of every stored event of one subject (`userId` as stored). */
export function subjectEventsSql(subject: { userId?: string; anonymousId?: string }, scope: ReadScope): { sql: string; params: DuckDBValue[] } {
  const where = new Where();
  scoped(where, scope);
  if (subject.userId !== undefined) where.add((p) => `user_id = ${p(subject.userId!)}`);
  else where.add((p) => `anonymous_id = ${p(subject.anonymousId!)}`);
  return { sql: `SELECT ${selectColumns} FROM waymark_events WHERE ${where.sql} ORDER BY timestamp, id`, params: where.params };
}

/** The SQL of every failed event of one subject, as `(id, site_id, received_at ms, reason, payload)`. */
export function subjectFailedSql(subject: { userId?: string; anonymousId?: string }, scope: ReadScope): { sql: string; params: DuckDBValue[] } {
  const where = new Where();
  if (scope.authorId !== undefined) where.add((p) => `json_extract_string(payload, '$.properties.authorId') = ${p(scope.authorId!)}`);
  if (scope.siteId !== undefined) where.add((p) => `site_id = ${p(scope.siteId!)}`);
  if (subject.userId !== undefined) where.add((p) => `json_extract_string(payload, '$.userId') = ${p(subject.userId!)}`);
  else where.add((p) => `json_extract_string(payload, '$.anonymousId') = ${p(subject.anonymousId!)}`);
  return {
    sql: `SELECT id, site_id, epoch_ms(received_at), reason, payload FROM waymark_failed_events WHERE ${where.sql} ORDER BY received_at, id`,
    params: where.params,
  };
}

const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(Number(value)).toISOString());

/** One row of {@link exportSql} as the stored event (NDJSON export). */
export function exportEvent(row: readonly unknown[]): Record<string, unknown> {
  const [id, type, name, schema, timestamp, receivedAt, , anonymousId, userId, sessionId] = row;
  const [properties, traits, context] = row.slice(24) as (string | null)[];
  const country = row[14];
  return {
    id,
    type,
    name,
    schema,
    timestamp: iso(timestamp),
    receivedAt: iso(receivedAt),
    anonymousId,
    ...(userId === null ? {} : { userId }),
    sessionId,
    properties: JSON.parse(properties ?? '{}'),
    ...(traits === null ? {} : { traits: JSON.parse(traits) }),
    context: JSON.parse(context ?? '{}'),
    ...(country === null ? {} : { country }),
  };
}

/**
 * One CSV cell per RFC 4180, safe to open in a spreadsheet: a cell starting with `=`, `+`, `-`, `@`, tab, CR or NUL
 * gets a leading `'` so it is not run as a formula; cells with a comma, quote or line break are quoted, quotes doubled.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  if (/^[=+\-@\t\r\0]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row of {@link exportSql} as a CSV line (with CRLF, as RFC 4180 has it). */
export function csvLine(row: readonly unknown[]): string {
  const cells = row.slice(0, 25).map((value, i) => (i === 4 || i === 5 ? iso(value) : typeof value === 'bigint' ? Number(value) : value));
  return `${cells.map(csvCell).join(',')}\r\n`;
}
