import type { ReportDialect } from './reportEngine';

/**
 * The few SQL spellings that differ between DuckDB and ClickHouse 18.16, so one query builder serves both.
 * Everything else the report queries use (`SELECT … GROUP BY`, `sum`, `count`, `min`, `max`, `IN`, `CASE`, CTE-free
 * subqueries in `FROM`, `UNION ALL`) is written once.
 */
export interface SqlDialect {
  readonly name: ReportDialect;
  /** A string literal. */
  string(value: string): string;
  /** A `DATE` literal from `'YYYY-MM-DD'`. */
  date(day: string): string;
  /** Number of distinct values of `expr`. */
  countDistinct(expr: string): string;
  /**
   * `agg` over rows where `condition` holds: `sum(x) FILTER (WHERE c)` / `sumIf(x, c)`. The same answer on both
   * engines when no row matches: `sum` and `count` give 0, `min` and `max` give NULL. `count` counts non-NULL `expr`
   * (or rows, with `expr` `'*'`).
   */
  aggregateIf(agg: 'sum' | 'count' | 'min' | 'max', expr: string, condition: string): string;
  /**
   * Discrete quantile: an actual value of the group, the one at 1-based position `max(1, ceil(n * q))` of the `n`
   * sorted non-NULL values (DuckDB's `quantile_disc`, which computes the position in doubles as `n - floor(n - n * q)`),
   * so the median of an even-sized group is the lower middle value. NULL for a group without values. `q` in 0..1.
   */
  quantile(expr: string, q: number): string;
  /** The Monday of `day`'s ISO week, as a DATE. */
  weekStart(day: string): string;
  /** Whole days from `a` to `b` (both DATE): `b - a`. */
  dayDiff(a: string, b: string): string;
  /** Converts a number expression to a double. */
  toDouble(expr: string): string;
  /** Converts a string, an integer or a date to text (`42`, `2026-10-01`); doubles differ between engines (`3.0` / `3`). */
  toText(expr: string): string;
  /**
   * The 64-bit key of a text id (`UBIGINT` / `UInt64`): the first 8 bytes of its MD5 as a big-endian unsigned
   * integer, ClickHouse's `halfMD5`, so both engines give every id the same key. The session and post-reader rollups
   * keep these next to the ids: grouping and joining on them is several times cheaper than on text.
   */
  idKey(expr: string): string;
}

function checkLevel(q: number): number {
  if (!(typeof q === 'number' && q >= 0 && q <= 1)) throw new RangeError(`[waymark] quantile level must be a number from 0 to 1, got ${String(q)}`);
  return q;
}

function quoteWith(value: string, backslash: boolean): string {
  const escaped = backslash ? value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") : value.replace(/'/g, "''");
  return `'${escaped}'`;
}

/** DuckDB's spellings. */
export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  string: (value) => quoteWith(value, false),
  date: (day) => `DATE ${quoteWith(day, false)}`,
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
  aggregateIf: (agg, expr, condition) => {
    const filtered = `${agg}(${expr}) FILTER (WHERE ${condition})`;
    return agg === 'sum' ? `coalesce(${filtered}, 0)` : filtered;
  },
  quantile: (expr, q) => `quantile_disc(${expr}, ${checkLevel(q)})`,
  weekStart: (day) => `CAST(date_trunc('week', ${day}) AS DATE)`,
  dayDiff: (a, b) => `date_diff('day', ${a}, ${b})`,
  toDouble: (expr) => `CAST(${expr} AS DOUBLE)`,
  toText: (expr) => `CAST(${expr} AS VARCHAR)`,
  idKey: (expr) => `CAST('0x' || left(md5(${expr}), 16) AS UBIGINT)`,
};

/** ClickHouse's spellings (valid on 18.16, Debian's package, and on current releases). */
export const clickhouseDialect: SqlDialect = {
  name: 'clickhouse',
  string: (value) => quoteWith(value, true),
  date: (day) => `toDate(${quoteWith(day, true)})`,
  // Aggregates over a Nullable column whose group holds only NULLs return NULL in ClickHouse, 0 in DuckDB.
  countDistinct: (expr) => `ifNull(uniqExact(${expr}), 0)`,
  aggregateIf: (agg, expr, condition) => {
    if (agg === 'sum') return `ifNull(sumIf(${expr}, ${condition}), 0)`;
    if (agg === 'count') return expr === '*' ? `countIf(${condition})` : `ifNull(countIf(((${expr}) IS NOT NULL) AND (${condition})), 0)`;
    // minIf/maxIf give the type's default (0, '') when no row matches; DuckDB gives NULL.
    return `if(countIf(${condition}) = 0, NULL, ${agg}If(${expr}, ${condition}))`;
  },
  // 18.16 has no quantileExactLow, and quantileExact takes position floor(n * q) (the upper middle of an even
  // group): pick DuckDB's position from the sorted values, with DuckDB's own arithmetic for it.
  quantile: (expr, q) => {
    const n = `count(${expr})`;
    return `if(${n} = 0, NULL, arrayElement(arraySort(groupArray(${expr})), toUInt64(greatest(1, ${n} - floor(${n} - ${checkLevel(q)} * ${n})))))`;
  },
  weekStart: (day) => `toMonday(${day})`,
  dayDiff: (a, b) => `(toUInt32(${b}) - toUInt32(${a}))`,
  toDouble: (expr) => `toFloat64(${expr})`,
  toText: (expr) => `toString(${expr})`,
  idKey: (expr) => `halfMD5(${expr})`,
};

/** The dialect of an engine. */
export function sqlDialect(name: ReportDialect): SqlDialect {
  return name === 'duckdb' ? duckdbDialect : clickhouseDialect;
}
