import type { ReportResult, ReportSet } from './reportResult';

/** The format marker at the top of {@link renderJson}'s output; a tool reading the file checks it first. */
export const REPORT_JSON_FORMAT = 'waymark-report@1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const SET_KEYS = ['format', 'title', 'generatedAt', 'period', 'reports'];
const REPORT_KEYS = [
  'id',
  'title',
  'description',
  'kind',
  'period',
  'comparison',
  'scope',
  'filters',
  'columns',
  'rows',
  'charts',
  'notes',
];
const COLUMN_KEYS = ['key', 'label', 'format'];
const CHART_KEYS = ['type', 'title', 'x', 'y', 'series'];

/**
 * Renders a report set as pretty-printed JSON (two-space indent, trailing newline) with
 * `"format": "waymark-report@1"` first. The output is stable: the same set always gives the same bytes whatever
 * order its objects' keys were built in (known fields in a fixed order, each row's values in column order, any other
 * key sorted), so reports can be diffed and checked in. Values stay raw (ratios as decimals, durations in ms);
 * numbers that are not finite become `null`.
 *
 * @example
 * const parsed = JSON.parse(renderJson(set)); // parsed.format === 'waymark-report@1'
 */
export function renderJson(set: ReportSet): string {
  const document: Json = ordered({ ...set, format: REPORT_JSON_FORMAT } as unknown as Record<string, unknown>, SET_KEYS, {
    reports: (reports) => (reports as ReportResult[]).map(reportJson),
  });
  return `${JSON.stringify(document, null, 2)}\n`;
}

function reportJson(report: ReportResult): Json {
  const columnKeys = report.columns.map((column) => column.key);
  return ordered(report as unknown as Record<string, unknown>, REPORT_KEYS, {
    columns: (columns) => (columns as unknown[]).map((column) => ordered(column as Record<string, unknown>, COLUMN_KEYS)),
    rows: (rows) => (rows as unknown[]).map((row) => ordered(row as Record<string, unknown>, columnKeys)),
    charts: (charts) => (charts as unknown[]).map((chart) => ordered(chart as Record<string, unknown>, CHART_KEYS)),
  });
}

/** A copy of `object` with `first` keys in that order, then the other keys sorted; `undefined` values dropped. */
function ordered(
  object: Record<string, unknown>,
  first: string[],
  convert: Record<string, (value: unknown) => Json> = {},
): Json {
  const rest = Object.keys(object)
    .filter((key) => !first.includes(key))
    .sort();
  const out: { [key: string]: Json } = {};
  for (const key of [...first, ...rest]) {
    if (!Object.hasOwn(object, key) || object[key] === undefined) continue;
    out[key] = key in convert ? convert[key](object[key]) : canonical(object[key]);
  }
  return out;
}

function canonical(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object') return ordered(value as Record<string, unknown>, []);
  return String(value);
}
