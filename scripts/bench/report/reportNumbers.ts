// The numbers of a report, from `runReports` or from a hand-written query, in one comparable form: its table rows
// (and overview totals) keyed by column, doubles rounded to 9 significant digits, and what differs between two sets.
import type { ReportRow } from '../../../packages/report/src/reportEngine';
import type { ReportResult } from '../../../packages/report/src/reportResult';
import type { HandWrittenResult } from './handWrittenSql';

type Cell = string | number | null;

/** A report's rows and totals, comparable with {@link differences}. */
export interface ReportNumbers {
  id: string;
  rows: Record<string, Cell>[];
  totals?: Record<string, Cell>;
}

/** Significant digits numbers are compared to: sums of weights may add up in another order. */
export const SIGNIFICANT_DIGITS = 9;

/**
 * A value as compared: numbers to {@link SIGNIFICANT_DIGITS} digits (no negative zero), text as it is. Numbers are
 * first rounded to 12 digits as `buildReport` rounds its values, so a value rounded twice there and one rounded once
 * here end on the same digit.
 */
export function comparable(value: ReportRow[string] | undefined): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    const rounded = Number(Number(value.toPrecision(12)).toPrecision(SIGNIFICANT_DIGITS));
    return rounded === 0 ? 0 : rounded;
  }
  return value;
}

function comparableRow(row: Record<string, ReportRow[string] | undefined>, keys: readonly string[]): Record<string, Cell> {
  return Object.fromEntries(keys.map((key) => [key, comparable(row[key])]));
}

/** Columns that hold words for readers, not numbers: the data quality report's `detail`. */
const wordsOnly = new Set(['detail']);

/** The numbers of a report `runReports` built: every column of its table (but words for readers), and its totals. */
export function numbersOfReport(result: ReportResult): ReportNumbers {
  const keys = result.columns.map((column) => column.key).filter((key) => !wordsOnly.has(key));
  return {
    id: result.id,
    rows: result.rows.map((row) => comparableRow(row, keys)),
    ...(result.totals ? { totals: comparableRow(result.totals, Object.keys(result.totals)) } : {}),
  };
}

/** The numbers of a hand-written report: every column its query returned. */
export function numbersOfHandWritten(result: HandWrittenResult): ReportNumbers {
  return {
    id: result.id,
    rows: result.rows.map((row) => comparableRow(row, Object.keys(row))),
    ...(result.totals ? { totals: comparableRow(result.totals, Object.keys(result.totals)) } : {}),
  };
}

function rowDifference(where: string, expected: Record<string, Cell>, actual: Record<string, Cell>): string[] {
  const out: string[] = [];
  const expectedKeys = Object.keys(expected).sort();
  const actualKeys = Object.keys(actual).sort();
  const missing = expectedKeys.filter((key) => !(key in actual));
  const extra = actualKeys.filter((key) => !(key in expected));
  if (missing.length > 0) out.push(`${where}: no column ${missing.join(', ')}`);
  if (extra.length > 0) out.push(`${where}: extra column ${extra.join(', ')}`);
  for (const key of expectedKeys) {
    if (key in actual && !Object.is(expected[key], actual[key])) out.push(`${where}.${key}: ${JSON.stringify(expected[key])} != ${JSON.stringify(actual[key])}`);
  }
  return out;
}

/**
 * What differs between the reports of `expected` and `actual` (matched by id, rows in order): missing reports, row
 * counts, columns and values, as one line each (at most `limit` lines per report). Empty when they agree.
 */
export function differences(expected: readonly ReportNumbers[], actual: readonly ReportNumbers[], limit = 10): string[] {
  const out: string[] = [];
  const byId = new Map(actual.map((report) => [report.id, report]));
  for (const report of expected) {
    const other = byId.get(report.id);
    if (!other) {
      out.push(`${report.id}: missing`);
      continue;
    }
    const lines: string[] = [];
    if (report.rows.length !== other.rows.length) lines.push(`${report.id}: ${report.rows.length} rows != ${other.rows.length} rows`);
    const rows = Math.min(report.rows.length, other.rows.length);
    for (let i = 0; i < rows; i++) lines.push(...rowDifference(`${report.id} row ${i}`, report.rows[i], other.rows[i]));
    if (report.totals || other.totals) lines.push(...rowDifference(`${report.id} totals`, report.totals ?? {}, other.totals ?? {}));
    out.push(...lines.slice(0, limit), ...(lines.length > limit ? [`${report.id}: ${lines.length - limit} more differences`] : []));
  }
  for (const report of actual) if (!expected.some((e) => e.id === report.id)) out.push(`${report.id}: not expected`);
  return out;
}
