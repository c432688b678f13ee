import {
  addDays,
  comparesPeriods,
  daysBetween,
  dimensionAlias,
  groupDimensions,
  lateAfterMs,
  metricAlias,
  retentionWeeks,
  skewLimitMs,
  uniqueBaseMetrics,
} from './compileReport';
import type { Period } from './compileReport';
import { dimensionCatalogue } from './dimensionCatalogue';
import type { DimensionSpec } from './dimensionCatalogue';
import { metricCatalogue } from './metricCatalogue';
import type { ReportDefinition, ReportFilter, ReportScope } from './reportDefinition';
import type { ReportRow } from './reportEngine';
import type { ReportColumn, ReportResult } from './reportResult';

/** Options of {@link buildReport}: what the queries were compiled for, and what the sampling probe found. */
export interface BuildOptions {
  /** The days the queries covered. */
  period: Period;
  /** The comparison period, when the definition compares. */
  comparison?: Period;
  /** The scope the queries ran under. @default { role: 'admin' } */
  scope?: ReportScope;
  /** Stored events in the period (bots left out), and how many of them have a sample rate below 1. */
  sampling?: { events: number; sampledEvents: number };
}

/** Query results by query key (`current`, `previous`, ...); `null` for a query whose optional table is missing. */
export type QueryRows = Record<string, readonly ReportRow[] | null | undefined>;

type Cell = string | number | null;
type OutRow = Record<string, Cell>;

const toNumber = (value: ReportRow[string] | undefined): number | null => {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
};

/**
 * Rounds away the last bits of floating-point noise (sums of weights add up in a different order on each engine),
 * so both engines give equal numbers.
 */
function tidy(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const rounded = Number(value.toPrecision(12));
  return rounded === 0 ? 0 : rounded;
}

function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return tidy(current / previous - 1);
}

/** Computes the values of `keys` (ratios included) from one query row. */
function metricValues(row: ReportRow | undefined, keys: readonly string[]): Record<string, number | null> {
  const cache = new Map<string, number | null>();
  const value = (key: string): number | null => {
    if (cache.has(key)) return cache.get(key)!;
    const metric = metricCatalogue.get(key)!;
    let out: number | null;
    if (metric.kind === 'ratio') {
      const numerator = value(metric.numerator!);
      const denominator = value(metric.denominator!);
      out = numerator === null || !denominator ? null : numerator / denominator;
    } else if (metric.kind === 'quantile') {
      out = toNumber(row?.[metricAlias(key)]);
    } else {
      // Sums and weighted distinct counts: nothing matched reads as NULL on some engines.
      out = toNumber(row?.[metricAlias(key)]) ?? 0;
    }
    cache.set(key, out);
    return out;
  };
  const out: Record<string, number | null> = {};
  for (const key of keys) out[key] = tidy(value(key));
  return out;
}

/**
 * The rows of query `key`, with the quantiles of its `<key>:quantiles` companion query (when there is one) merged in
 * by dimension values.
 */
function rowsOf(rows: QueryRows, key: string, dimensions: readonly DimensionSpec[]): readonly ReportRow[] | undefined {
  const main = rows[key] ?? undefined;
  const extra = rows[`${key}:quantiles`];
  if (!main || !extra) return main;
  const byKey = new Map(extra.map((row) => [keyOf(row, dimensions), row]));
  const merged = main.map((row) => {
    const key = keyOf(row, dimensions);
    const quantiles = byKey.get(key);
    byKey.delete(key);
    return { ...quantiles, ...row };
  });
  // Groups with quantile events only (a template with web vitals and no page view) still get a row.
  return [...merged, ...byKey.values()];
}

const dimensionValue = (row: ReportRow, dimension: DimensionSpec): string => {
  const value = row[dimensionAlias(dimension.key)];
  return value === null || value === undefined ? '' : String(value);
};

const keyOf = (row: ReportRow, dimensions: readonly DimensionSpec[]) => dimensions.map((dimension) => dimensionValue(row, dimension)).join('\u0001');

const dimensionColumn = (dimension: DimensionSpec): ReportColumn => ({ key: dimension.key, label: dimension.label, format: dimension.format });

const metricColumn = (key: string): ReportColumn => {
  const metric = metricCatalogue.get(key)!;
  return { key, label: metric.label, format: metric.format };
};

const changeColumn = (key: string): ReportColumn => ({ key: `${key}_change`, label: `${metricCatalogue.get(key)!.label}: change`, format: 'change' });

/** Filters and segment in words: `Device: mobile, tablet`, `Post: not (none)`, `Segment: Traveller type = family`. */
function describeFilters(definition: ReportDefinition): string[] {
  const values = (list: readonly string[]) => list.map((value) => (value === '' ? '(none)' : value)).join(', ');
  const filter = (f: ReportFilter) => {
    const label = dimensionCatalogue.get(f.dimension)?.label ?? f.dimension;
    return f.in ? `${label}: ${values(f.in)}` : `${label}: not ${values(f.notIn!)}`;
  };
  return [
    ...definition.filters.map(filter),
    ...Object.entries(definition.segment ?? {}).map(([key, list]) => `Segment: ${dimensionCatalogue.get(key)?.label ?? key} = ${values(list)}`),
  ];
}

function percent(share: number): string {
  const value = share * 100;
  return `${value > 0 && value < 0.1 ? '<0.1' : Number(value.toFixed(1))}%`;
}

/** Reader-facing notes on weighting and medians. */
function samplingNotes(definition: ReportDefinition, options: BuildOptions): string[] {
  const sampling = options.sampling;
  if (!sampling || sampling.sampledEvents === 0) return [];
  const share = sampling.events > 0 ? sampling.sampledEvents / sampling.events : 0;
  const notes = [
    `Counts are weighted by 1 / sample rate, because sampling was in effect: ${percent(share)} of the ${sampling.events} events stored for this period ` +
      `(${sampling.sampledEvents}) have a sample rate below 1. Visitors and sessions count once each, at their smallest weight.`,
  ];
  const keys = definition.kind === 'quality' ? [] : definition.metrics;
  if (uniqueBaseMetrics(keys).some((metric) => metric.kind === 'quantile')) {
    notes.push('Medians and 75th percentiles are taken over the stored events, not weighted.');
  }
  return notes;
}

/** Sorts rows by the definition's order (nulls last), then by the dimension values, for a stable order. */
function sortRows(rows: OutRow[], sort: readonly { by: string; order: 'asc' | 'desc' }[], tieBreak: readonly string[]): OutRow[] {
  const compare = (a: Cell, b: Cell): number => {
    if (a === b) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    return a < b ? -1 : 1;
  };
  return [...rows].sort((x, y) => {
    for (const { by, order } of sort) {
      const a = x[by] ?? null;
      const b = y[by] ?? null;
      const c = compare(a, b);
      if (c !== 0) return a === null || b === null ? c : order === 'desc' ? -c : c;
    }
    for (const key of tieBreak) {
      const c = compare(x[key] ?? null, y[key] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  });
}

/** Applies the order and limit within each split block (blocks ordered by their value). */
function orderRows(rows: OutRow[], split: string | undefined, sort: readonly { by: string; order: 'asc' | 'desc' }[], tieBreak: readonly string[], limit?: number): OutRow[] {
  const blocks = new Map<string, OutRow[]>();
  for (const row of rows) {
    const block = split ? String(row[split] ?? '') : '';
    blocks.set(block, [...(blocks.get(block) ?? []), row]);
  }
  const out: OutRow[] = [];
  for (const block of [...blocks.keys()].sort()) {
    const sorted = sortRows(blocks.get(block)!, sort, tieBreak);
    out.push(...(limit === undefined ? sorted : sorted.slice(0, limit)));
  }
  return out;
}

/**
 * Turns the rows of a compiled report's queries into a {@link ReportResult}: metric values (weighted distinct
 * counts combined, ratios divided), `<metric>_change` columns against the previous period, order and limit, charts,
 * filters in words and notes on sampling. Pure: the same definition and rows always give the same result.
 * @example
 * ```ts
 * const compiled = compileReport(definition, engine.dialect === 'duckdb' ? duckdbDialect : clickhouseDialect, { period });
 * const rows = Object.fromEntries(await Promise.all(compiled.queries.map(async (q) => [q.key, await engine.query(q.sql)])));
 * const result = buildReport(definition, rows, { period });
 * ```
 */
export function buildReport(definition: ReportDefinition, rows: QueryRows, options: BuildOptions): ReportResult {
  const scope = options.scope ?? { role: 'admin' };
  const result: ReportResult = {
    id: definition.id,
    title: definition.title,
    ...(definition.description ? { description: definition.description } : {}),
    kind: definition.kind,
    period: { ...options.period },
    ...(options.comparison && comparesPeriods(definition) ? { comparison: { ...options.comparison } } : {}),
    scope: scope.role === 'creator' ? { role: 'creator', authorId: scope.authorId } : { role: scope.role },
    filters: describeFilters(definition),
    columns: [],
    rows: [],
    charts: [],
    notes: [],
  };
  switch (definition.kind) {
    case 'table':
      buildTable(result, definition, rows);
      break;
    case 'overview':
      buildOverview(result, definition, rows, options);
      break;
    case 'trending':
      buildTrending(result, definition, rows);
      break;
    case 'funnel':
      buildFunnel(result, definition, rows);
      break;
    case 'retention':
      buildRetention(result, definition, rows, options);
      break;
    case 'quality':
      buildQuality(result, definition, rows, scope);
      break;
  }
  if (definition.kind === 'quality') {
    result.notes.unshift('Counts in this report are of stored events, not weighted by sample rate.');
  } else {
    result.notes.unshift(...samplingNotes(definition, options));
  }
  return result;
}

/** Table rows: one per dimension values, with metrics and changes. */
function tableRows(definition: ReportDefinition, rows: QueryRows, dimensions: readonly DimensionSpec[]): OutRow[] {
  const previous = new Map<string, Record<string, number | null>>();
  const compares = comparesPeriods(definition);
  if (compares) for (const row of rowsOf(rows, 'previous', dimensions) ?? []) previous.set(keyOf(row, dimensions), metricValues(row, definition.metrics));
  return (rowsOf(rows, 'current', dimensions) ?? []).map((row) => {
    const out: OutRow = {};
    for (const dimension of dimensions) out[dimension.key] = dimensionValue(row, dimension);
    const values = metricValues(row, definition.metrics);
    Object.assign(out, values);
    if (compares) {
      const before = previous.get(keyOf(row, dimensions));
      for (const key of definition.metrics) out[`${key}_change`] = change(values[key], before?.[key] ?? null);
    }
    return out;
  });
}

function buildTable(result: ReportResult, definition: ReportDefinition, rows: QueryRows): void {
  const dimensions = groupDimensions(definition);
  const compares = comparesPeriods(definition);
  result.columns = [...dimensions.map(dimensionColumn), ...definition.metrics.map(metricColumn), ...(compares ? definition.metrics.map(changeColumn) : [])];
  const sort = definition.sort ?? [{ by: definition.metrics[0], order: 'desc' as const }];
  result.rows = orderRows(tableRows(definition, rows, dimensions), definition.split, sort, dimensions.map((d) => d.key), definition.limit);
  const x = definition.chart?.x ?? definition.dimensions[0];
  if (x !== undefined) {
    result.charts.push({
      type: (definition.chart?.type as 'bar' | 'line' | undefined) ?? (dimensionCatalogue.get(x)?.format === 'day' ? 'line' : 'bar'),
      x,
      series: definition.chart?.series ?? [definition.metrics[0]],
      title: definition.title,
    });
  }
}

function buildOverview(result: ReportResult, definition: ReportDefinition, rows: QueryRows, options: BuildOptions): void {
  const split = definition.split ? dimensionCatalogue.get(definition.split)! : undefined;
  const day = dimensionCatalogue.get('day')!;
  const compares = comparesPeriods(definition) && options.comparison !== undefined;
  const metrics = definition.metrics;
  const days = daysBetween(options.period.from, options.period.to) + 1;
  const dailyDimensions = [...(split ? [split] : []), day];
  const totalDimensions = split ? [split] : [];
  const splitValues = split ? [...new Set((rows.daily ?? []).map((row) => dimensionValue(row, split)))].sort() : [''];
  const index = (list: readonly ReportRow[] | null | undefined) => {
    const map = new Map<string, ReportRow>();
    for (const row of list ?? []) map.set(`${split ? dimensionValue(row, split) : ''}\u0001${dimensionValue(row, day)}`, row);
    return map;
  };
  const current = index(rowsOf(rows, 'daily', dailyDimensions));
  const previous = index(rowsOf(rows, 'previous_daily', dailyDimensions));
  const out: OutRow[] = [];
  for (const value of splitValues) {
    for (let i = 0; i < days; i++) {
      const date = addDays(options.period.from, i);
      const row: OutRow = split ? { [split.key]: value, day: date } : { day: date };
      Object.assign(row, metricValues(current.get(`${value}\u0001${date}`), metrics));
      if (compares) {
        const before = metricValues(previous.get(`${value}\u0001${addDays(date, -days)}`), metrics);
        for (const key of metrics) row[`${key}_previous`] = before[key];
      }
      out.push(row);
    }
  }
  result.rows = out;
  result.columns = [
    ...(split ? [dimensionColumn(split)] : []),
    dimensionColumn(day),
    ...metrics.map(metricColumn),
    ...(compares ? metrics.map((key) => ({ ...metricColumn(key), key: `${key}_previous`, label: `${metricCatalogue.get(key)!.label}: previous period` })) : []),
  ];
  if (!split) {
    const totals: Record<string, Cell> = metricValues(rowsOf(rows, 'totals', totalDimensions)?.[0], metrics);
    if (compares) {
      const before = metricValues(rowsOf(rows, 'previous_totals', totalDimensions)?.[0], metrics);
      for (const key of metrics) totals[`${key}_change`] = change(totals[key] as number | null, before[key]);
    }
    result.totals = totals;
  }
  const series = definition.chart?.series ?? metrics.slice(0, 1);
  result.charts.push({
    type: (definition.chart?.type as 'line' | 'bar' | undefined) ?? 'line',
    x: 'day',
    series: compares ? series.flatMap((key) => [key, `${key}_previous`]) : series,
    title: definition.title,
  });
}

function buildTrending(result: ReportResult, definition: ReportDefinition, rows: QueryRows): void {
  const dimensions = groupDimensions(definition);
  const [metric] = definition.metrics;
  const minVolume = definition.minVolume ?? 50;
  const dimension = dimensionCatalogue.get(definition.dimensions[0])!;
  const previous = new Map<string, number>();
  for (const row of rowsOf(rows, 'previous', dimensions) ?? []) previous.set(keyOf(row, dimensions), metricValues(row, [metric])[metric] ?? 0);
  const ranked: OutRow[] = [];
  let belowVolume = 0;
  for (const row of rowsOf(rows, 'current', dimensions) ?? []) {
    const now = metricValues(row, [metric])[metric] ?? 0;
    const before = previous.get(keyOf(row, dimensions)) ?? 0;
    if (now < minVolume || before < minVolume || before === 0) {
      if (now > 0) belowVolume++;
      continue;
    }
    const out: OutRow = {};
    for (const d of dimensions) out[d.key] = dimensionValue(row, d);
    out[metric] = now;
    out[`${metric}_previous`] = before;
    out[`${metric}_change`] = change(now, before);
    ranked.push(out);
  }
  const label = metricCatalogue.get(metric)!.label;
  result.columns = [
    ...dimensions.map(dimensionColumn),
    metricColumn(metric),
    { key: `${metric}_previous`, label: `${label}: previous period`, format: metricCatalogue.get(metric)!.format },
    { key: `${metric}_change`, label: 'Growth', format: 'change' },
  ];
  const sort = [
    { by: `${metric}_change`, order: 'desc' as const },
    { by: metric, order: 'desc' as const },
  ];
  result.rows = orderRows(ranked, definition.split, sort, dimensions.map((d) => d.key), definition.limit ?? 10);
  result.notes.push(
    `Ranked by growth against the previous period among ${dimension.label.toLowerCase()} values with at least ${minVolume} ${label.toLowerCase()} in both periods; ` +
      `${belowVolume} ${belowVolume === 1 ? 'value' : 'values'} with fewer were left out, so a small base cannot top the list by noise.`,
  );
  result.charts.push({ type: 'bar', x: dimension.key, series: definition.chart?.series ?? [`${metric}_change`], title: definition.title });
}

function buildFunnel(result: ReportResult, definition: ReportDefinition, rows: QueryRows): void {
  const steps = definition.steps!;
  const split = definition.split ? dimensionCatalogue.get(definition.split)! : undefined;
  const countKey = definition.within === 'visitor' ? 'visitors' : 'sessions';
  const compares = comparesPeriods(definition);
  const bySplit = (list: readonly ReportRow[] | null | undefined) => {
    const map = new Map<string, ReportRow>();
    for (const row of list ?? []) map.set(split ? dimensionValue(row, split) : '', row);
    return map;
  };
  const current = bySplit(rows.current);
  const previous = bySplit(rows.previous);
  const values = split ? [...current.keys()].sort() : [''];
  const out: OutRow[] = [];
  for (const value of values) {
    const row = current.get(value);
    const counts = steps.map((_, i) => tidy(toNumber(row?.[`s_${i + 1}`]) ?? 0)!);
    const before = previous.get(value);
    steps.forEach((step, i) => {
      const cells: OutRow = split ? { [split.key]: value } : {};
      cells.step = step.label ?? step.event;
      cells[countKey] = counts[i];
      cells.conversion = counts[0] > 0 ? tidy(counts[i] / counts[0]) : null;
      cells.step_conversion = i === 0 ? (counts[0] > 0 ? 1 : null) : counts[i - 1] > 0 ? tidy(counts[i] / counts[i - 1]) : null;
      if (compares) cells[`${countKey}_change`] = change(counts[i], tidy(toNumber(before?.[`s_${i + 1}`]) ?? 0));
      out.push(cells);
    });
  }
  result.rows = out;
  result.columns = [
    ...(split ? [dimensionColumn(split)] : []),
    { key: 'step', label: 'Step', format: 'text' },
    { key: countKey, label: countKey === 'sessions' ? 'Sessions' : 'Visitors', format: 'count' },
    { key: 'conversion', label: 'Of first step', format: 'ratio' },
    { key: 'step_conversion', label: 'Of previous step', format: 'ratio' },
    ...(compares ? [{ key: `${countKey}_change`, label: `${countKey === 'sessions' ? 'Sessions' : 'Visitors'}: change`, format: 'change' as const }] : []),
  ];
  result.charts.push({ type: (definition.chart?.type as 'funnel' | 'bar' | undefined) ?? 'funnel', x: 'step', series: [countKey], title: definition.title });
}

function buildRetention(result: ReportResult, definition: ReportDefinition, rows: QueryRows, options: BuildOptions): void {
  const weeks = retentionWeeks(options.period);
  const shown = definition.weeks ?? 8;
  const split = definition.split ? dimensionCatalogue.get(definition.split)! : undefined;
  const out: OutRow[] = [];
  const sorted = [...(rows.current ?? [])].sort((a, b) => {
    const sa = split ? dimensionValue(a, split) : '';
    const sb = split ? dimensionValue(b, split) : '';
    if (sa !== sb) return sa < sb ? -1 : 1;
    return (toNumber(a.d_cohort) ?? 0) - (toNumber(b.d_cohort) ?? 0);
  });
  for (const row of sorted) {
    const cohort = toNumber(row.d_cohort) ?? 0;
    const size = tidy(toNumber(row.r_size) ?? 0)!;
    for (let week = 0; week < shown && cohort + week < weeks.length; week++) {
      const readers = tidy(toNumber(row[`r_${cohort + week}`]) ?? 0)!;
      const cells: OutRow = split ? { [split.key]: dimensionValue(row, split) } : {};
      cells.cohort = weeks[cohort];
      cells.week = week;
      cells.cohort_size = size;
      cells.readers = readers;
      cells.retention = size > 0 ? tidy(readers / size) : null;
      out.push(cells);
    }
  }
  result.rows = out;
  result.columns = [
    ...(split ? [dimensionColumn(split)] : []),
    { key: 'cohort', label: 'First-visit week', format: 'day' },
    { key: 'week', label: 'Weeks after', format: 'number' },
    { key: 'cohort_size', label: 'New readers', format: 'count' },
    { key: 'readers', label: 'Returning readers', format: 'count' },
    { key: 'retention', label: 'Retention', format: 'ratio' },
  ];
  result.charts.push({ type: 'heatmap', x: 'week', y: 'cohort', series: ['retention'], title: definition.title });
}

function buildQuality(result: ReportResult, definition: ReportDefinition, rows: QueryRows, scope: ReportScope): void {
  const facts = rows.facts?.[0];
  const stored = toNumber(facts?.q_events) ?? 0;
  const share = (n: number, of: number) => (of > 0 ? tidy(n / of) : null);
  const out: OutRow[] = [{ check: 'Stored events', events: stored, share: null, detail: 'events that happened in the period, bots included' }];
  if (scope.role !== 'creator') {
    if (rows.failed === null) {
      out.push({ check: 'Failed events', events: null, share: null, detail: 'not recorded (no waymark_failed_events table)' });
    } else {
      const failed = (rows.failed ?? [])
        .map((row) => ({ reason: String(row.q_reason ?? ''), count: toNumber(row.q_failed) ?? 0 }))
        .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
      const total = failed.reduce((sum, entry) => sum + entry.count, 0);
      if (failed.length === 0) out.push({ check: 'Failed events', events: 0, share: share(0, stored), detail: 'share of events received (stored + failed)' });
      for (const entry of failed) {
        out.push({ check: `Failed: ${entry.reason}`, events: entry.count, share: share(entry.count, stored + total), detail: 'share of events received (stored + failed)' });
      }
    }
    const ingest = rows.ingest?.[0];
    const days = toNumber(ingest?.q_days) ?? 0;
    if (rows.ingest === null || days === 0) {
      out.push({ check: 'Duplicates dropped', events: null, share: null, detail: rows.ingest === null ? 'not recorded (no waymark_ingest_stats table)' : 'not recorded for this period' });
    } else {
      const duplicates = toNumber(ingest?.q_duplicates) ?? 0;
      const received = (toNumber(ingest?.q_accepted) ?? 0) + duplicates + (toNumber(ingest?.q_rejected) ?? 0);
      out.push({ check: 'Duplicates dropped', events: duplicates, share: share(duplicates, received), detail: 'share of events received by the collector' });
    }
  }
  const of = 'share of stored events';
  out.push(
    { check: 'Late events', events: toNumber(facts?.q_late) ?? 0, share: share(toNumber(facts?.q_late) ?? 0, stored), detail: `received more than ${lateAfterMs / 3_600_000} h after they happened; ${of}` },
    { check: 'Clock-skewed events', events: toNumber(facts?.q_skewed) ?? 0, share: share(toNumber(facts?.q_skewed) ?? 0, stored), detail: `device clock off by more than ${skewLimitMs / 60_000} min; ${of}` },
    { check: 'Bot events flagged', events: toNumber(facts?.q_bots) ?? 0, share: share(toNumber(facts?.q_bots) ?? 0, stored), detail: `left out of every other report; ${of}` },
    { check: 'Sampled events', events: toNumber(facts?.q_sampled) ?? 0, share: share(toNumber(facts?.q_sampled) ?? 0, stored), detail: `sample rate below 1, weighted in other reports; ${of}` },
  );
  result.rows = out;
  result.columns = [
    { key: 'check', label: 'Check', format: 'text' },
    { key: 'events', label: 'Events', format: 'count' },
    { key: 'share', label: 'Share', format: 'ratio' },
    { key: 'detail', label: 'Detail', format: 'text' },
  ];
  if (scope.role === 'creator') result.notes.push('Failed events and dropped duplicates are recorded per site, not per post, so a creator report leaves them out.');
  if (definition.filters.length > 0 || definition.segment) result.notes.push('Filters and segment apply to the stored-event checks only; failed events and duplicates are site-wide.');
}
