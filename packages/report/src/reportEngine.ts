/** The SQL engines reports run on. */
export type ReportDialect = 'duckdb' | 'clickhouse';

/** One result row: column name to value. */
export type ReportRow = Record<string, string | number | boolean | null>;

/**
 * Where reports read from: the embedded DuckDB store or ClickHouse (the scale-out store). Both hold the same tables
 * (`waymark_events` plus the derived tables of `refreshRollups`), so one compiled query answers the same on either.
 */
export interface ReportEngine {
  readonly dialect: ReportDialect;
  /**
   * Runs one read query. Values come back as plain JS: integers and decimals as `number` (64-bit integers
   * converted), `DATE` as `'YYYY-MM-DD'`, booleans as `boolean`, SQL NULL as `null`.
   */
  query(sql: string): Promise<ReportRow[]>;
  /** Runs one statement that returns nothing (DDL, INSERT, DELETE). */
  run(sql: string): Promise<void>;
  /** Releases the connection (and the database, when the engine opened it). */
  close(): Promise<void>;
}
