import type { ColumnFormat, ReportResult } from './reportResult';

/** What a missing value (`null`) shows as. */
export const MISSING_TEXT = '–';
/** What an unset text value (`''`) shows as. */
export const NONE_TEXT = '(none)';

const MINUS = '\u2212';
// Fixed locale: a report reads the same whichever machine renders it.
const integers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimals = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const percents = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const wholePercents = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * A count for readers: rounded to a whole number (weighted counts are fractional), with thousands separators.
 *
 * @example
 * formatCount(12345.6); // '12,346'
 */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return MISSING_TEXT;
  return integers.format(Math.round(value) || 0);
}

/**
 * A plain number with at most two decimals and thousands separators.
 *
 * @example
 * formatNumber(1234.567); // '1,234.57'
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return MISSING_TEXT;
  const text = decimals.format(value);
  return text === '-0' ? '0' : text;
}

/**
 * A share from 0 to 1 as a percentage with at most one decimal.
 *
 * @example
 * formatRatio(0.4321); // '43.2%'
 * formatRatio(0.5); // '50%'
 */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return MISSING_TEXT;
  const text = percents.format(value * 100);
  return `${text === '-0' ? '0' : text}%`;
}

/**
 * A change against the comparison period with its sign: whole percents from 10% up, one decimal below.
 * Uses the minus sign (U+2212), and `–` for `null` (no previous value to compare with).
 *
 * @example
 * formatChange(0.12); // '+12%'
 * formatChange(-0.05); // '−5%'
 * formatChange(0.025); // '+2.5%'
 */
export function formatChange(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return MISSING_TEXT;
  const pct = value * 100;
  const magnitude = (Math.abs(pct) >= 10 ? wholePercents : percents).format(Math.abs(pct));
  if (magnitude === '0') return '0%';
  return `${pct > 0 ? '+' : MINUS}${magnitude}%`;
}

/**
 * Milliseconds as a duration: `850ms`, `2.5s`, `42s`, `1m 05s`, `2h 03m`.
 *
 * @example
 * formatDuration(65_000); // '1m 05s'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING_TEXT;
  if (ms < 0) return `${MINUS}${formatDuration(-ms)}`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (ms < 9950) return `${percents.format(Math.round(ms / 100) / 10)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad2(seconds % 60)}s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h ${pad2(minutes % 60)}m`;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * One table value as readers see it, by its column's format: counts rounded with separators, ratios as %,
 * changes as `+12%`/`−5%`, durations as `1m 05s`, `''` as "(none)" and `null` as "–".
 * CSV and JSON keep raw values and do not use this.
 *
 * @example
 * formatValue(0.25, 'ratio'); // '25%'
 * formatValue('', 'text'); // '(none)'
 */
export function formatValue(value: string | number | null | undefined, format: ColumnFormat): string {
  if (value === null || value === undefined) return MISSING_TEXT;
  if (typeof value === 'string') return value === '' ? NONE_TEXT : value;
  switch (format) {
    case 'count':
      return formatCount(value);
    case 'ratio':
      return formatRatio(value);
    case 'change':
      return formatChange(value);
    case 'duration':
      return formatDuration(value);
    case 'day':
      return Number.isFinite(value) ? new Date(value).toISOString().slice(0, 10) : MISSING_TEXT;
    default:
      return formatNumber(value);
  }
}

/** Whether a column holds numbers (renderers right-align them). */
export function isNumericFormat(format: ColumnFormat): boolean {
  return format !== 'text' && format !== 'day';
}

/**
 * An inclusive period in words.
 *
 * @example
 * formatPeriod({ from: '2026-10-01', to: '2026-10-31' }); // '2026-10-01 – 2026-10-31'
 * formatPeriod({ from: '2026-10-01', to: '2026-10-01' }); // '2026-10-01'
 */
export function formatPeriod(period: { from: string; to: string }): string {
  return period.from === period.to ? period.from : `${period.from} – ${period.to}`;
}

/**
 * What a report's scope limits it to, in words (`undefined` when the report has no scope).
 *
 * @example
 * formatScope({ role: 'creator', authorId: 'ana' }); // 'Creator view: posts by author ana only'
 */
export function formatScope(scope: ReportResult['scope']): string | undefined {
  if (!scope) return undefined;
  switch (scope.role) {
    case 'creator':
      return scope.authorId === undefined
        ? 'Creator view: own posts only'
        : `Creator view: posts by author ${scope.authorId} only`;
    case 'marketing':
      return 'Marketing view: aggregates only';
    default:
      return 'Admin view: all data';
  }
}

/**
 * An ISO time as `YYYY-MM-DD HH:MM UTC`; text that is not a time is returned unchanged.
 *
 * @example
 * formatGeneratedAt('2026-11-01T09:30:12.000Z'); // '2026-11-01 09:30 UTC'
 */
export function formatGeneratedAt(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A report's period totals (`ReportResult.totals`) as a one-row report the table renderers can show: the report's own
 * columns that have a total, each followed by its change against the comparison period when there is one.
 * Undefined when the report has no totals.
 */
export function totalsOf(report: ReportResult): ReportResult | undefined {
  const totals = report.totals;
  if (!totals) return undefined;
  const columns: ReportResult['columns'] = [];
  for (const column of report.columns) {
    if (!(column.key in totals) || column.key.endsWith('_change')) continue;
    columns.push(column);
    const change = `${column.key}_change`;
    if (change in totals) columns.push({ key: change, label: `${column.label}, change`, format: 'change' });
  }
  if (columns.length === 0) return undefined;
  return { ...report, totals: undefined, columns, rows: [totals], charts: [] };
}
