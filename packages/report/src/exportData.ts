import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { ClickhouseEngine } from './clickhouseEngine';
import { rollupColumns } from './refreshRollups';
import type { ReportEngine } from './reportEngine';
import { sqlDialect } from './sqlDialect';

/** What {@link exportData} writes: raw events, or the derived facts or daily rollup of `refreshRollups`. */
export type ExportTable = 'events' | 'facts' | 'daily';

/** Options of {@link exportData}. */
export interface ExportOptions {
  /** `events`: `waymark_events` as stored; `facts`: `waymark_facts`; `daily`: `waymark_daily`. */
  table: ExportTable;
  /** First UTC day to include, `YYYY-MM-DD` (the event's day, for `events`). @default the first stored */
  from?: string;
  /** Last UTC day to include, `YYYY-MM-DD`. @default the last stored */
  to?: string;
  /**
   * `parquet` (DuckDB only: ClickHouse 18.16 has no Parquet output) or `ndjson`, one JSON object per line. In
   * NDJSON, event times are ISO 8601 strings and `properties`, `traits` and `context` are nested objects.
   */
  format: 'parquet' | 'ndjson';
  /** File to write (replaced when it exists); its folder must exist. */
  out: string;
  /**
   * Limit the rows to one author's posts (a creator's key): facts and daily rows whose `author_id` is this id,
   * events whose `properties.authorId` is.
   */
  scope?: { authorId: string };
}

/** What {@link exportData} wrote. */
export interface ExportResult {
  /** Rows written. */
  rows: number;
  /** The file written. */
  path: string;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

function checkDay(option: 'from' | 'to', day: string | undefined): number | undefined {
  if (day === undefined) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (typeof day !== 'string' || !dayPattern.test(day) || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new TypeError(`[waymark] exportData: \`${option}\` must be a day such as '2026-10-01', got ${JSON.stringify(day)}`);
  }
  return ms;
}

/** Columns of `waymark_events` in the order both sinks create them. */
const eventColumns = [
  'id', 'type', 'name', 'schema', 'timestamp', 'received_at', 'anonymous_id', 'user_id', 'session_id', 'page_path', 'page_route',
  'page_referrer', 'country', 'locale', 'screen', 'utm_source', 'utm_medium', 'utm_campaign', 'sample_rate', 'properties', 'traits', 'context',
];

const orderBy: Record<ExportTable, string> = {
  events: '"timestamp", id',
  facts: 'day, ts_ms, id',
  daily: 'day, name, post_id, author_id, template, device, geo, utm_campaign, dest_country',
};

/** The SELECT of an export, in the engine's dialect. */
function exportQuery(engine: ReportEngine, options: ExportOptions): string {
  const duck = engine.dialect === 'duckdb';
  const d = sqlDialect(engine.dialect);
  const from = checkDay('from', options.from);
  const to = checkDay('to', options.to);
  if (from !== undefined && to !== undefined && from > to) throw new RangeError(`[waymark] exportData: \`from\` (${options.from}) is after \`to\` (${options.to})`);
  const where: string[] = [];
  let columns: string;
  let table: string;
  if (options.table === 'events') {
    table = duck ? 'waymark_events' : 'waymark_events FINAL';
    const ts = duck ? 'epoch_ms("timestamp")' : 'timestamp_ms';
    if (from !== undefined) where.push(`${ts} >= ${from}`);
    if (to !== undefined) where.push(`${ts} < ${to + 86_400_000}`);
    if (options.scope) {
      const author = duck ? "json_extract_string(properties, '$.authorId')" : "visitParamExtractString(properties, 'authorId')";
      where.push(`${author} = ${d.string(options.scope.authorId)}`);
    }
    if (duck && options.format === 'parquet') columns = eventColumns.map((c) => `"${c}"`).join(', ');
    else if (duck) {
      const iso = (c: string) => `strftime(timezone('UTC', ${c}), '%Y-%m-%dT%H:%M:%S.%gZ') AS ${c}`;
      columns = eventColumns.map((c) => (c === 'timestamp' || c === 'received_at' ? iso(`"${c}"`) : `"${c}"`)).join(', ');
    } else {
      // ClickHouse keeps `timestamp` in whole seconds plus `timestamp_ms`: the ISO text is made from the latter.
      columns = eventColumns
        .map((c) => (c === 'timestamp' ? 'timestamp_ms' : c === 'received_at' ? 'toUnixTimestamp(received_at) AS received_at' : c))
        .join(', ');
    }
  } else {
    table = options.table === 'facts' ? 'waymark_facts' : 'waymark_daily';
    columns = rollupColumns[table as 'waymark_facts' | 'waymark_daily'].map(([name]) => name).join(', ');
    if (options.from !== undefined) where.push(`day >= ${d.date(options.from)}`);
    if (options.to !== undefined) where.push(`day <= ${d.date(options.to)}`);
    if (options.scope) where.push(`author_id = ${d.string(options.scope.authorId)}`);
  }
  return `SELECT ${columns} FROM ${table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${orderBy[options.table]}`;
}

/** Rewrites one ClickHouse JSONEachRow line into the NDJSON shape DuckDB writes. */
function clickhouseLine(table: ExportTable, line: string): string {
  const row = JSON.parse(line) as Record<string, unknown>;
  if (table === 'events') {
    const out: Record<string, unknown> = {};
    for (const column of eventColumns) {
      if (column === 'timestamp') out.timestamp = new Date(Number(row.timestamp_ms)).toISOString();
      else if (column === 'received_at') out.received_at = row.received_at === null ? null : new Date(Number(row.received_at) * 1000).toISOString();
      else if (column === 'properties' || column === 'context' || column === 'traits') out[column] = typeof row[column] === 'string' ? JSON.parse(row[column] as string) : null;
      else out[column] = row[column];
    }
    return JSON.stringify(out);
  }
  if (table === 'facts') row.bot = row.bot === 1 || row.bot === true;
  return JSON.stringify(row);
}

async function exportClickhouse(engine: ClickhouseEngine, options: ExportOptions, sql: string, partial: string): Promise<number> {
  const response = await engine.stream(`${sql}\nFORMAT JSONEachRow`);
  const file = createWriteStream(partial);
  const fileError = new Promise<never>((_, reject) => file.once('error', reject));
  fileError.catch(() => undefined);
  let rows = 0;
  let rest = '';
  const decoder = new TextDecoder();
  const write = async (text: string) => {
    if (!file.write(text)) await Promise.race([once(file, 'drain'), fileError]);
  };
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = lines.pop() ?? '';
      let out = '';
      for (const line of lines) {
        if (line === '') continue;
        out += `${clickhouseLine(options.table, line)}\n`;
        rows++;
      }
      if (out) await write(out);
    }
    rest += decoder.decode();
    if (rest.trim()) {
      await write(`${clickhouseLine(options.table, rest)}\n`);
      rows++;
    }
  } catch (error) {
    // An error after the first byte arrives as text in the body ("Code: 241, e.displayText() = ...").
    const message = error instanceof SyntaxError && /Code: \d+/.test(rest) ? rest.trim() : error instanceof Error ? error.message : String(error);
    file.destroy();
    throw new Error(`[waymark] exportData: the ClickHouse export failed: ${message}`, { cause: error });
  }
  file.end();
  await Promise.race([once(file, 'finish'), fileError]);
  return rows;
}

/**
 * Writes raw events, facts or the daily rollup to a Parquet or NDJSON file for third-party tools (a notebook, a
 * warehouse load, a spreadsheet via DuckDB). DuckDB writes either format with `COPY ... TO`; ClickHouse 18.16
 * writes NDJSON only (streamed, never held in memory), and a Parquet request there fails with a clear error. The
 * file appears complete or not at all (written next to `out`, then renamed). `facts` and `daily` need a
 * `refreshRollups` first.
 * @throws {TypeError} on a malformed day or an unknown table or format.
 * @throws {Error} `[waymark] exportData: ClickHouse cannot write Parquet ...` for Parquet on ClickHouse.
 * @example
 * ```ts
 * await exportData(engine, { table: 'daily', from: '2026-10-01', to: '2026-10-31', format: 'parquet', out: './october.parquet' });
 * ```
 */
export async function exportData(engine: ReportEngine, options: ExportOptions): Promise<ExportResult> {
  if (!['events', 'facts', 'daily'].includes(options.table)) {
    throw new TypeError(`[waymark] exportData: \`table\` must be 'events', 'facts' or 'daily', got ${JSON.stringify(options.table)}`);
  }
  if (options.format !== 'parquet' && options.format !== 'ndjson') {
    throw new TypeError(`[waymark] exportData: \`format\` must be 'parquet' or 'ndjson', got ${JSON.stringify(options.format)}`);
  }
  if (typeof options.out !== 'string' || options.out === '') throw new TypeError('[waymark] exportData: `out` must be a file path');
  if (options.scope !== undefined && !(typeof options.scope.authorId === 'string' && options.scope.authorId !== '')) {
    throw new TypeError('[waymark] exportData: `scope.authorId` must be a non-empty string');
  }
  if (engine.dialect === 'clickhouse' && options.format === 'parquet') {
    throw new Error("[waymark] exportData: ClickHouse cannot write Parquet (18.16 has no Parquet output format): use format 'ndjson', or export from DuckDB");
  }
  const sql = exportQuery(engine, options);
  const partial = `${options.out}.partial-${process.pid}`;
  let rows: number;
  try {
    if (engine.dialect === 'duckdb') {
      const format = options.format === 'parquet' ? 'FORMAT PARQUET' : 'FORMAT JSON';
      const [result] = await engine.query(`COPY (${sql}) TO ${sqlDialect('duckdb').string(partial)} (${format})`);
      rows = Number(result?.Count ?? 0);
    } else {
      const house = engine as ClickhouseEngine;
      if (typeof house.stream !== 'function') throw new TypeError('[waymark] exportData: a ClickHouse engine from clickhouseEngine() is needed (it streams the export)');
      rows = await exportClickhouse(house, options, sql, partial);
    }
    await rename(partial, options.out);
  } catch (error) {
    await rm(partial, { force: true });
    const message = error instanceof Error ? error.message : String(error);
    const missing = options.table !== 'events' && /waymark_(facts|daily)/.test(message) && /does not exist|doesn't exist|Code: 60\b/.test(message);
    const hint = missing ? ' (run refreshRollups first: it creates and fills waymark_facts and waymark_daily)' : '';
    if (message.startsWith('[waymark]') && !hint) throw error;
    throw new Error(`[waymark] exportData: cannot write ${options.out}: ${message}${hint}`, { cause: error });
  }
  return { rows, path: options.out };
}
