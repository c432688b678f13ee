import { dimensionCatalogue, dimensionInDaily, engagementTiers } from './dimensionCatalogue';
import type { DimensionSpec } from './dimensionCatalogue';
import { DefinitionError } from './loadDefinition';
import { baseMetrics, dailyCapable, metricCatalogue, postVisitorCapable, sessionCapable } from './metricCatalogue';
import type { MetricSpec } from './metricCatalogue';
import type { ReportDefinition, ReportFilter, ReportScope } from './reportDefinition';
import type { SqlDialect } from './sqlDialect';

/** Inclusive UTC days, `YYYY-MM-DD`. */
export interface Period {
  /** First day. */
  from: string;
  /** Last day. */
  to: string;
}

/** Options of {@link compileReport}. */
export interface CompileOptions {
  /** The days the report covers (see {@link resolvePeriod}). */
  period: Period;
  /** The days compared against, when the definition compares. */
  comparison?: Period;
  /** Who runs the report. @default { role: 'admin' } */
  scope?: ReportScope;
}

/** One SQL query of a compiled report. */
export interface CompiledQuery {
  /** Name of the result in the rows handed to `buildReport`, such as `current`, `previous` or `current:quantiles`. */
  key: string;
  /** The query, in the engine's dialect. */
  sql: string;
  /** A table the query reads that may not exist (`waymark_ingest_stats`): its rows are `null` then. */
  optionalTable?: string;
}

/** What {@link compileReport} returns: the queries to run, in order. */
export interface CompiledReport {
  /** The definition's id. */
  id: string;
  /** The days the queries cover. */
  period: Period;
  /** The days compared against, when the definition compares. */
  comparison?: Period;
  /** The queries, in the order to run them. */
  queries: CompiledQuery[];
  /** The table the main queries read: the smallest rollup (`waymark_daily`, `waymark_sessions`, `waymark_post_visitors`) every metric, dimension and filter allows. */
  source: 'waymark_facts' | 'waymark_daily' | 'waymark_sessions' | 'waymark_post_visitors';
}

const FACTS = 'waymark_facts' as const;
const DAILY = 'waymark_daily' as const;
const SESSIONS = 'waymark_sessions' as const;
const POST_VISITORS = 'waymark_post_visitors' as const;

/** Where a plan's rows come from: every event, the daily rollup, the per-session or the per-post-reader rollup. */
type Source = 'facts' | 'daily' | 'sessions' | 'post_visitors';

const sourceTable = (source: Source): CompiledReport['source'] =>
  source === 'daily' ? DAILY : source === 'sessions' ? SESSIONS : source === 'post_visitors' ? POST_VISITORS : FACTS;

/** Conditions on a source: the rollups hold no bot events, `waymark_facts` does. */
const sourceConditions = (ctx: Context, source: Source, period: Period) => (source === 'facts' ? factsConditions(ctx, period) : periodConditions(ctx, period));

const DAY_MS = 86_400_000;

/** Adds `days` to a `YYYY-MM-DD` day. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `a` to `b` (`b - a`). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** The Monday of `day`'s ISO week. */
export function mondayOf(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return addDays(day, -((weekday + 6) % 7));
}

/** Options of {@link resolvePeriod}: the run's `--from` / `--to` and today's UTC day. */
export interface PeriodOptions {
  /** The run's first day, overriding the definition's period. */
  from?: string;
  /** The run's last day: `{ last: N }` periods end here. */
  to?: string;
  /** Today's UTC day, the default end of a `{ last: N }` period. */
  today: string;
}

/**
 * The days a definition covers in one run, and the comparison period when it compares (the same number of days
 * just before). The run's `from`/`to` override the definition's period; a `{ last: N }` period ends at `to` (default
 * today). Retention periods start on a Monday, so every cohort is a whole week.
 * @throws {DefinitionError} when `from` is after `to`.
 */
export function resolvePeriod(definition: ReportDefinition, options: PeriodOptions): { period: Period; comparison?: Period } {
  const own = definition.period ?? {};
  const fixed = own.from !== undefined && own.to !== undefined;
  const defaultLength = definition.kind === 'retention' ? (definition.weeks ?? 8) * 7 : 30;
  const length = own.last ?? (fixed ? daysBetween(own.from!, own.to!) + 1 : defaultLength);
  let from: string;
  let to: string;
  if (options.from !== undefined || options.to !== undefined) {
    to = options.to ?? options.today;
    from = options.from ?? addDays(to, 1 - length);
  } else if (fixed) {
    from = own.from!;
    to = own.to!;
  } else {
    to = options.today;
    from = addDays(to, 1 - length);
  }
  if (definition.kind === 'retention') from = mondayOf(from);
  if (from > to) {
    throw new DefinitionError([{ path: 'period', message: `starts on ${from}, after its end ${to}; give a "from" day on or before "to"` }], definition.id);
  }
  if (!comparesPeriods(definition)) return { period: { from, to } };
  const days = daysBetween(from, to) + 1;
  return { period: { from, to }, comparison: { from: addDays(from, -days), to: addDays(from, -1) } };
}

/** Whether the definition's rows carry a comparison with the previous period. */
export function comparesPeriods(definition: ReportDefinition): boolean {
  if (definition.kind === 'trending') return true;
  if (definition.kind === 'retention' || definition.kind === 'quality') return false;
  return definition.compare === 'previous_period';
}

/** The output column of a dimension in compiled queries. */
export const dimensionAlias = (key: string) => `d_${key}`;

/** The output column of a metric in compiled queries. */
export const metricAlias = (key: string) => `m_${key}`;

interface Context {
  d: SqlDialect;
  scope: ReportScope;
}

/** A group-by or join plan over one source table. */
interface AggregatePlan {
  period: Period;
  source: Source;
  /** Grouping dimensions, in output order. */
  groups: DimensionSpec[];
  /** `alias -> SQL` of the aggregates, with the source columns they read. */
  aggregates: { alias: string; sql: string; columns: readonly string[] }[];
  /** Extra conditions on source columns. */
  conditions: string[];
}

function list(d: SqlDialect, values: readonly string[], format: 'text' | 'day'): string {
  return values.map((value) => (format === 'day' ? d.date(value) : d.string(value))).join(', ');
}

/**
 * The engagement tier of each visitor active in `period`, as `(anonymous_id, <alias>)`, or `(anonymous_key, <alias>)`
 * when `keyed` (the visitor's `idKey`, for joins with the rollups' keys): from `waymark_sessions`, or from the
 * creator's own events under a creator scope (the session rollup is not kept per author).
 */
function tierSql(ctx: Context, period: Period, alias: string, keyed = false): string {
  const { d } = ctx;
  const { loyal, engaged } = engagementTiers;
  const creator = ctx.scope.role === 'creator';
  const where = (creator ? factsConditions(ctx, period) : periodConditions(ctx, period)).join(' AND ');
  const reads = creator ? d.aggregateIf('sum', '1', "name = 'post_read'") : 'sum(stored_reads)';
  const tiers = (visitor: string) =>
    `SELECT ${visitor}, CASE WHEN t_sessions >= ${loyal.minSessions} AND t_reads >= ${loyal.minReads} THEN 'loyal' ` +
    `WHEN t_sessions >= ${engaged.minSessions} OR t_reads >= ${engaged.minReads} THEN 'engaged' ELSE 'casual' END AS ${alias} ` +
    `FROM (SELECT t_visitor AS ${visitor}, count(*) AS t_sessions, sum(s_reads) AS t_reads FROM (`;
  if (keyed && !creator) {
    return `${tiers('anonymous_key')}SELECT session_key, min(anonymous_key) AS t_visitor, ${reads} AS s_reads FROM ${SESSIONS} WHERE ${where} GROUP BY session_key) AS tier_sessions GROUP BY t_visitor) AS tier_counts`;
  }
  const sql =
    `${tiers('anonymous_id')}SELECT session_id, min(anonymous_id) AS t_visitor, ${reads} AS s_reads ` +
    `FROM ${creator ? FACTS : SESSIONS} WHERE ${where} GROUP BY session_id) AS tier_sessions GROUP BY t_visitor) AS tier_counts`;
  return keyed ? `SELECT ${d.idKey('anonymous_id')} AS anonymous_key, ${alias} FROM (${sql}) AS keyed_tiers` : sql;
}

/** Day range and scope conditions, valid on both `waymark_facts` and `waymark_daily`. */
function periodConditions(ctx: Context, period: Period): string[] {
  const conditions = [`day >= ${ctx.d.date(period.from)}`, `day <= ${ctx.d.date(period.to)}`];
  if (ctx.scope.role === 'creator') conditions.push(`author_id = ${ctx.d.string(ctx.scope.authorId)}`);
  return conditions;
}

/**
 * Conditions on `waymark_facts`: the period and scope, and no bot-flagged events (`waymark_daily` leaves them out
 * too, so both sources count the same readers; the data quality report counts bots).
 */
function factsConditions(ctx: Context, period: Period): string[] {
  return [...periodConditions(ctx, period), 'NOT bot'];
}

/** The condition keeping rows whose `dimension` value is (or, negated, is not) one of `values`. */
function dimensionCondition(ctx: Context, period: Period, dimension: DimensionSpec, values: readonly string[], negate: boolean): string {
  const { d } = ctx;
  const { source } = dimension;
  const inList = list(d, values, dimension.format);
  // A joined dimension reads '' where the joined table has no row: "not set" must match those rows too.
  const unset = values.includes('');
  let condition: string;
  switch (source.type) {
    case 'column':
      condition = `${source.column} IN (${inList})`;
      break;
    case 'week':
      condition = `${d.weekStart('day')} IN (${inList})`;
      break;
    case 'post':
      condition = `post_id IN (SELECT post_id FROM ${source.table} WHERE ${source.column} IN (${inList}))`;
      if (unset) condition = `(${condition} OR post_id NOT IN (SELECT post_id FROM ${source.table}))`;
      break;
    case 'template':
      condition =
        `((template <> '' AND template IN (${inList})) OR (template = '' AND post_id IN (SELECT post_id FROM waymark_posts WHERE template IN (${inList})))` +
        `${unset ? " OR (template = '' AND post_id NOT IN (SELECT post_id FROM waymark_posts))" : ''})`;
      break;
    case 'visitor':
      condition = `anonymous_id IN (SELECT anonymous_id FROM waymark_visitors WHERE ${source.column} IN (${inList}))`;
      if (unset) condition = `(${condition} OR anonymous_id NOT IN (SELECT anonymous_id FROM waymark_visitors))`;
      break;
    case 'tier':
      condition = `anonymous_id IN (SELECT anonymous_id FROM (${tierSql(ctx, period, 'tier')}) AS tiers WHERE tier IN (${inList}))`;
      break;
  }
  return negate ? `NOT (${condition})` : condition;
}

function filterConditions(ctx: Context, period: Period, filters: readonly ReportFilter[]): string[] {
  return filters.map((filter) => {
    const dimension = dimensionCatalogue.get(filter.dimension)!;
    return filter.in ? dimensionCondition(ctx, period, dimension, filter.in, false) : dimensionCondition(ctx, period, dimension, filter.notIn!, true);
  });
}

/** Conditions of the definition's filters and segment. */
function definitionConditions(ctx: Context, period: Period, definition: ReportDefinition): string[] {
  const conditions = filterConditions(ctx, period, definition.filters);
  for (const [key, values] of Object.entries(definition.segment ?? {})) {
    conditions.push(dimensionCondition(ctx, period, dimensionCatalogue.get(key)!, values, false));
  }
  return conditions;
}

/** Columns of the source a dimension reads before any join. */
function dimensionColumns(dimension: DimensionSpec): string[] {
  const { source } = dimension;
  switch (source.type) {
    case 'column':
      return [source.column];
    case 'week':
      return ['day'];
    case 'post':
      return ['post_id'];
    case 'template':
      return ['template', 'post_id'];
    case 'visitor':
    case 'tier':
      return ['anonymous_id'];
  }
}

interface Join {
  key: 'post_id' | 'anonymous_id' | 'visitor_key';
  right: string;
  outputs: string[];
}

/**
 * The joins the grouping dimensions need, one per right-hand table. `keyed`: visitor tables (traits, tiers) come
 * keyed by `anonymous_key` (the visitor's `idKey`) instead of `anonymous_id`, for joins with the rollups' keys.
 */
function plannedJoins(ctx: Context, period: Period, groups: readonly DimensionSpec[], keyed = false): Join[] {
  const byTable = new Map<string, { key: Join['key']; columns: Set<string> }>();
  const add = (table: string, key: Join['key'], column: string) => {
    const entry = byTable.get(table) ?? { key, columns: new Set<string>() };
    entry.columns.add(column);
    byTable.set(table, entry);
  };
  for (const dimension of groups) {
    const { source } = dimension;
    if (source.type === 'post') add(source.table, 'post_id', source.column);
    else if (source.type === 'template') add('waymark_posts', 'post_id', 'template');
    else if (source.type === 'visitor') add('waymark_visitors', 'anonymous_id', source.column);
    else if (source.type === 'tier') add('tier', 'anonymous_id', 'engagement_tier');
  }
  const joins: Join[] = [];
  for (const [table, { key, columns }] of byTable) {
    const names = [...columns];
    const outputs = names.map((column) => joinedColumn(table, column));
    let right: string;
    if (table === 'tier') right = tierSql(ctx, period, outputs[0], keyed);
    else {
      const select = names.map((column, i) => `${column} AS ${outputs[i]}`).join(', ');
      const keyColumn = keyed && key === 'anonymous_id' ? `${ctx.d.idKey('anonymous_id')} AS anonymous_key` : key;
      // Distinct: a post listing a country with two cities must count once per country.
      right = `SELECT ${table === 'waymark_posts' || table === 'waymark_visitors' ? '' : 'DISTINCT '}${keyColumn}, ${select} FROM ${table}`;
    }
    joins.push({ key, right, outputs });
  }
  return joins;
}

function joinedColumn(table: string, column: string): string {
  const prefix = { waymark_post_destinations: 'pd', waymark_post_themes: 'pt', waymark_posts: 'p', waymark_visitors: 'v', tier: 't' }[table] ?? 'x';
  return `j_${prefix}_${column}`;
}

/** The SQL value of a grouping dimension once its joins are in place. */
function groupExpression(ctx: Context, dimension: DimensionSpec): string {
  const { source } = dimension;
  switch (source.type) {
    case 'column':
      return source.column;
    case 'week':
      return ctx.d.weekStart('day');
    case 'post':
      return `coalesce(${joinedColumn(source.table, source.column)}, '')`;
    case 'template':
      return `CASE WHEN template <> '' THEN template ELSE coalesce(${joinedColumn('waymark_posts', 'template')}, '') END`;
    case 'visitor':
      return `coalesce(${joinedColumn('waymark_visitors', source.column)}, '')`;
    case 'tier':
      return `coalesce(${joinedColumn('tier', 'engagement_tier')}, '')`;
  }
}

/** One `SELECT … GROUP BY` over `waymark_facts` or `waymark_daily`, with the joins its dimensions need. */
function aggregateSql(ctx: Context, plan: AggregatePlan): string {
  const table = sourceTable(plan.source);
  const where = [...sourceConditions(ctx, plan.source, plan.period), ...plan.conditions].join(' AND ');
  const select = [
    ...plan.groups.map((dimension) => `${groupExpression(ctx, dimension)} AS ${dimensionAlias(dimension.key)}`),
    ...plan.aggregates.map((aggregate) => `${aggregate.sql} AS ${aggregate.alias}`),
  ].join(', ');
  const groupBy = plan.groups.length > 0 ? ` GROUP BY ${plan.groups.map((dimension) => dimensionAlias(dimension.key)).join(', ')}` : '';
  const joins = plannedJoins(ctx, plan.period, plan.groups);
  if (joins.length === 0) return `SELECT ${select} FROM ${table} WHERE ${where}${groupBy}`;
  const columns = new Set<string>();
  for (const aggregate of plan.aggregates) for (const column of aggregate.columns) columns.add(column);
  for (const dimension of plan.groups) for (const column of dimensionColumns(dimension)) columns.add(column);
  for (const join of joins) columns.add(join.key);
  let carried = [...columns];
  let from = `SELECT ${carried.join(', ')} FROM ${table} WHERE ${where}`;
  joins.forEach((join, i) => {
    const next = [...carried, ...join.outputs];
    from = `SELECT ${next.join(', ')} FROM (${from}) AS s${i} LEFT JOIN (${join.right}) AS r${i} USING (${join.key})`;
    carried = next;
  });
  return `SELECT ${select} FROM (${from}) AS src${groupBy}`;
}

/** A metric's partial at the first level: a sum, or a session's / visitor's smallest weight among matching events (`rowLevel`: see {@link levelledSql}). */
function partialSql(ctx: Context, metric: MetricSpec, source: Source, rowLevel = false): string {
  const { d } = ctx;
  // The session and post-reader rollups keep each sum in a column named after the metric (and no event names).
  if (source === 'sessions') return metric.kind === 'sum' ? `sum(${metric.key})` : 'min(weight)';
  if (source === 'post_visitors') {
    const reader = 'CASE WHEN reader_weight > 0 THEN reader_weight END';
    // rowLevel: each row's own value, for rows joined without a first grouping.
    if (rowLevel) return metric.kind === 'sum' ? metric.key : reader;
    return metric.kind === 'sum' ? `sum(${metric.key})` : `min(${reader})`;
  }
  if (metric.kind === 'sum') {
    if (source === 'daily') {
      const daily = metric.daily!;
      return daily.where ? d.aggregateIf('sum', daily.column, daily.where) : `sum(${daily.column})`;
    }
    return metric.where ? d.aggregateIf('sum', metric.value!, metric.where) : `sum(${metric.value})`;
  }
  // distinct: NULL when no event of the group matches, so the visitor or session does not count.
  return metric.where ? `min(CASE WHEN ${metric.where} THEN weight END)` : 'min(weight)';
}

/** Facts columns a first level reads. */
function partialColumns(metric: MetricSpec, source: Source): readonly string[] {
  if (source === 'facts') return metric.columns;
  return [metric.daily!.column, ...metric.columns.filter((column) => column === 'name' || column === 'post_id')];
}

/** What the definition's rows are grouped and filtered by, and which metrics they carry. */
interface MetricPlan {
  period: Period;
  source: Source;
  groups: DimensionSpec[];
  metrics: MetricSpec[];
  conditions: string[];
}

const isEventLevel = (dimension: DimensionSpec) => dimension.source.type === 'column' || dimension.source.type === 'week';
const isPostLevel = (dimension: DimensionSpec) => dimension.source.type === 'post' || dimension.source.type === 'template';
const isVisitorLevel = (dimension: DimensionSpec) => dimension.source.type === 'visitor' || dimension.source.type === 'tier';

/** Wraps `from` in a LEFT JOIN with each of `joins`, carrying `columns` and adding the joins' outputs. */
function joinAll(from: string, columns: string[], joins: readonly Join[], prefix: string): { from: string; columns: string[] } {
  let carried = columns;
  let sql = from;
  joins.forEach((join, i) => {
    const next = [...carried, ...join.outputs];
    sql = `SELECT ${next.join(', ')} FROM (${sql}) AS ${prefix}${i} LEFT JOIN (${join.right}) AS ${prefix}j${i} USING (${join.key})`;
    carried = next;
  });
  return { from: sql, columns: carried };
}

/**
 * The queries of a metrics plan. Sums and weighted distinct counts are aggregated in levels, each smaller than the
 * one before, and joined with post and visitor tables only once they are small:
 * 1. the scan, grouped by the event-level dimensions plus `post_id` (for post dimensions), the visitor (for visitors
 *    and visitor dimensions) and the session (for sessions); a distinct metric keeps the smallest weight of its
 *    matching events (NULL when none match). On the session and post-reader rollups visitors and sessions are their
 *    64-bit keys (`anonymous_key`, `session_key`), far cheaper to group than the text ids; the post-reader rollup,
 *    already one row per post, reader and day, is joined without this first grouping;
 * 2. joined with the post tables, then regrouped by the final values (a session counts once per destination);
 * 3. sessions summed per visitor; 4. joined with traits or tiers; 5. grouped by the report's dimensions.
 * On the rollups, without visitor dimensions, sums skip the visitor levels: they are grouped by the report's
 * dimensions in a query of their own, joined with the distinct counts' on those dimensions (both read the same rows,
 * so both have the same groups).
 * Quantiles need the raw values: they get their own query (`<key>:quantiles`) over the events they read, unless the
 * plan is a single level anyway.
 */
function metricQueries(ctx: Context, plan: MetricPlan, key: string): CompiledQuery[] {
  const table = sourceTable(plan.source);
  const where = [...sourceConditions(ctx, plan.source, plan.period), ...plan.conditions].join(' AND ');
  const additive = plan.metrics.filter((metric) => metric.kind === 'sum' || metric.kind === 'distinct');
  const quantiles = plan.metrics.filter((metric) => metric.kind === 'quantile');
  const eventDims = plan.groups.filter(isEventLevel);
  const postDims = plan.groups.filter(isPostLevel);
  const visitorDims = plan.groups.filter(isVisitorLevel);
  const needVisitor = additive.some((metric) => metric.kind === 'distinct') || visitorDims.length > 0;

  if (!needVisitor && postDims.length === 0 && !(quantiles.length > 0 && plan.source !== 'facts')) {
    const select = [
      ...eventDims.map((dimension) => `${groupExpression(ctx, dimension)} AS ${dimensionAlias(dimension.key)}`),
      ...additive.map((metric) => `${partialSql(ctx, metric, plan.source)} AS ${metricAlias(metric.key)}`),
      ...quantiles.map((metric) => `${quantileSql(ctx, metric)} AS ${metricAlias(metric.key)}`),
    ];
    return [{ key, sql: `SELECT ${select.join(', ')} FROM ${table} WHERE ${where}${groupBy(dimensionList(eventDims))}` }];
  }

  const sums = additive.filter((metric) => metric.kind === 'sum');
  const distincts = additive.filter((metric) => metric.kind === 'distinct');
  const rollup = plan.source === 'sessions' || plan.source === 'post_visitors';
  let sql: string;
  if (rollup && visitorDims.length === 0 && plan.groups.length > 0 && sums.length > 0 && distincts.length > 0) {
    const dimensions = dimensionList(plan.groups);
    sql =
      `SELECT ${[...dimensions, ...additive.map((metric) => metricAlias(metric.key))].join(', ')} ` +
      `FROM (${levelledSql(ctx, plan, sums)}) AS sum_rows INNER JOIN (${levelledSql(ctx, plan, distincts)}) AS distinct_rows USING (${dimensions.join(', ')})`;
  } else {
    sql = levelledSql(ctx, plan, additive);
  }
  const queries: CompiledQuery[] = [{ key, sql }];
  if (quantiles.length > 0) {
    const only = `(${quantiles.map((metric) => metric.where).join(' OR ')})`;
    // The event names alone, which the scan can check before the rest.
    const events = [...new Set(quantiles.map((metric) => metric.event))];
    const named = events.every((event) => event !== undefined) ? [`name IN (${events.map((event) => ctx.d.string(event!)).join(', ')})`] : [];
    queries.push({
      key: `${key}:quantiles`,
      sql: aggregateSql(ctx, {
        period: plan.period,
        // Quantiles need every value: the events, whatever rollup the sums came from.
        source: 'facts',
        groups: plan.groups,
        aggregates: quantiles.map((metric) => ({ alias: metricAlias(metric.key), sql: quantileSql(ctx, metric), columns: metric.columns })),
        conditions: [...named, ...plan.conditions, only],
      }),
    });
  }
  return queries;
}

const dimensionList = (dimensions: readonly DimensionSpec[]) => dimensions.map((dimension) => dimensionAlias(dimension.key));
const groupBy = (columns: readonly string[]) => (columns.length > 0 ? ` GROUP BY ${columns.join(', ')}` : '');

/** The levels of {@link metricQueries} for `metrics` (sums and distinct counts): one row per group of the plan. */
function levelledSql(ctx: Context, plan: MetricPlan, metrics: readonly MetricSpec[]): string {
  const table = sourceTable(plan.source);
  const where = [...sourceConditions(ctx, plan.source, plan.period), ...plan.conditions].join(' AND ');
  const eventDims = plan.groups.filter(isEventLevel);
  const postDims = plan.groups.filter(isPostLevel);
  const visitorDims = plan.groups.filter(isVisitorLevel);
  const needSession = metrics.some((metric) => metric.distinctOf === 'session_id');
  const needVisitor = needSession || metrics.some((metric) => metric.kind === 'distinct') || visitorDims.length > 0;
  const partial = (metric: MetricSpec) => `p_${metric.key}`;
  const facts = plan.source === 'facts' || plan.source === 'daily';
  // When every metric counts particular events only, the scan can skip the others (web vitals, section reads, ...).
  const events = [...new Set(metrics.map((metric) => metric.event))];
  const scanned = facts && events.every((event) => event !== undefined) ? ` AND name IN (${events.map((event) => ctx.d.string(event!)).join(', ')})` : '';
  // A session belongs to one visitor: grouping by the session alone (and keeping its smallest visitor) is far
  // cheaper than grouping by both. The rollups keep the 64-bit keys of both (a session's rows all name its visitor).
  const sessionColumn = facts ? 'session_id' : 'session_key';
  const visitorColumn = facts ? 'anonymous_id' : 'anonymous_key';
  const keyGroups = needSession ? [sessionColumn] : needVisitor ? [`${visitorColumn} AS visitor_key`] : [];
  const keyNames = needSession ? [sessionColumn] : needVisitor ? ['visitor_key'] : [];
  const keyAggregates = needSession ? [`min(${visitorColumn}) AS visitor_key`] : [];
  const carriedKeys = needSession ? [sessionColumn, 'visitor_key'] : keyNames;
  // Level 1: the scan; rows of the post-reader rollup are already one per post and reader (and day).
  const postColumns = [...new Set(postDims.flatMap((dimension) => dimensionColumns(dimension)))];
  const rowLevel = plan.source === 'post_visitors' && postDims.length > 0 && needVisitor && !needSession;
  const level1Groups = [...eventDims.map((dimension) => `${groupExpression(ctx, dimension)} AS ${dimensionAlias(dimension.key)}`), ...postColumns, ...keyGroups];
  const level1Names = [...dimensionList(eventDims), ...postColumns, ...keyNames];
  let sql =
    `SELECT ${[...level1Groups, ...keyAggregates, ...metrics.map((metric) => `${partialSql(ctx, metric, plan.source, rowLevel)} AS ${partial(metric)}`)].join(', ')} ` +
    `FROM ${table} WHERE ${where}${scanned}${rowLevel ? '' : groupBy(level1Names)}`;
  let dimensionsSoFar = dimensionList(eventDims);
  const partials = metrics.map(partial);
  // Level 2: post tables, then one row per final post values (and visitor, session).
  if (postDims.length > 0) {
    const joined = joinAll(sql, [...dimensionList(eventDims), ...postColumns, ...carriedKeys, ...partials], plannedJoins(ctx, plan.period, postDims), 'p');
    const finalPost = postDims.map((dimension) => `${groupExpression(ctx, dimension)} AS ${dimensionAlias(dimension.key)}`);
    dimensionsSoFar = [...dimensionsSoFar, ...dimensionList(postDims)];
    const rollUp = metrics.map((metric) => `${metric.kind === 'sum' ? 'sum' : 'min'}(${partial(metric)}) AS ${partial(metric)}`);
    sql = `SELECT ${[...dimensionList(eventDims), ...finalPost, ...carriedKeys, ...rollUp].join(', ')} FROM (${joined.from}) AS posts${groupBy([...dimensionsSoFar, ...carriedKeys])}`;
  }
  // Level 3: sessions summed per visitor.
  if (needSession) {
    const rollUp = metrics.map((metric) => {
      const fn = metric.kind === 'sum' || metric.distinctOf === 'session_id' ? 'sum' : 'min';
      return `${fn}(${partial(metric)}) AS ${partial(metric)}`;
    });
    sql = `SELECT ${[...dimensionsSoFar, 'visitor_key', ...rollUp].join(', ')} FROM (${sql}) AS sessions GROUP BY ${[...dimensionsSoFar, 'visitor_key'].join(', ')}`;
  }
  // Level 4: traits and tiers, joined per visitor.
  let finalSelect = [...dimensionsSoFar];
  if (visitorDims.length > 0) {
    const joins = plannedJoins(ctx, plan.period, visitorDims, !facts).map((join) => ({
      key: 'visitor_key' as const,
      right: `SELECT ${visitorColumn} AS visitor_key, ${join.outputs.join(', ')} FROM (${join.right}) AS visitor_rows`,
      outputs: join.outputs,
    }));
    sql = joinAll(sql, [...dimensionsSoFar, 'visitor_key', ...partials], joins, 'v').from;
    finalSelect = [...finalSelect, ...visitorDims.map((dimension) => `${groupExpression(ctx, dimension)} AS ${dimensionAlias(dimension.key)}`)];
  }
  // Level 5: the report's rows (dimensions in the plan's order).
  const ordered = plan.groups.map((dimension) => {
    const alias = dimensionAlias(dimension.key);
    return finalSelect.find((entry) => entry === alias || entry.endsWith(` AS ${alias}`))!;
  });
  const totals = metrics.map((metric) => `sum(${partial(metric)}) AS ${metricAlias(metric.key)}`);
  return `SELECT ${[...ordered, ...totals].join(', ')} FROM (${sql}) AS visitors${groupBy(dimensionList(plan.groups))}`;
}

function quantileSql(ctx: Context, metric: MetricSpec): string {
  return ctx.d.quantile(`CASE WHEN ${metric.where} THEN ${metric.value} END`, metric.q!);
}

/** The distinct base metrics of a list of metric keys, in first-use order. */
export function uniqueBaseMetrics(keys: readonly string[]): MetricSpec[] {
  const seen = new Map<string, MetricSpec>();
  for (const key of keys) for (const metric of baseMetrics(key)) seen.set(metric.key, metric);
  return [...seen.values()];
}

/** The grouping dimensions of a definition: the split (if any) first, then its dimensions. */
export function groupDimensions(definition: ReportDefinition): DimensionSpec[] {
  const keys = [...(definition.split ? [definition.split] : []), ...definition.dimensions];
  return keys.map((key) => dimensionCatalogue.get(key)!);
}

/** Whether the definition's metrics (but quantiles, which read the events), dimensions, filters and segment can all be answered from `waymark_daily`. */
export function usesDailyRollup(definition: ReportDefinition): boolean {
  if (definition.kind !== 'table' && definition.kind !== 'trending' && definition.kind !== 'overview') return false;
  // Quantiles read the events in a query of their own: the other metrics decide.
  const additive = definition.metrics.filter((key) => metricCatalogue.get(key)?.kind !== 'quantile');
  if (additive.length === 0 || !dailyCapable(additive)) return false;
  const dimensions = [
    ...groupDimensions(definition).map((dimension) => dimension.key),
    ...definition.filters.map((filter) => filter.dimension),
    ...Object.keys(definition.segment ?? {}),
  ];
  return dimensions.every((key) => dimensionInDaily(dimensionCatalogue.get(key)!));
}

/** Whether `waymark_sessions` holds the dimension: the day, the session's device or campaign, or a visitor's. */
function dimensionInSessions(dimension: DimensionSpec): boolean {
  const { source } = dimension;
  if (source.type === 'column') return ['day', 'device', 'utm_campaign', 'anonymous_id', 'session_id'].includes(source.column);
  return source.type === 'week' || source.type === 'visitor' || source.type === 'tier';
}

/**
 * Whether a table or overview can be answered from `waymark_sessions` (about 30 times fewer rows than the events):
 * sums it keeps, visitors and sessions, by day, device, campaign, traits or engagement tier. Not under a creator
 * scope, which counts the creator's events only.
 */
export function usesSessionRollup(definition: ReportDefinition, scope: ReportScope): boolean {
  if (scope.role === 'creator') return false;
  if (definition.kind !== 'table' && definition.kind !== 'overview') return false;
  if (!sessionCapable(definition.metrics)) return false;
  const dimensions = [
    ...groupDimensions(definition).map((dimension) => dimension.key),
    ...definition.filters.map((filter) => filter.dimension),
    ...Object.keys(definition.segment ?? {}),
  ];
  return dimensions.every((key) => dimensionInSessions(dimensionCatalogue.get(key)!));
}

/** Whether `waymark_post_visitors` holds the dimension: the day, the post, its author, destinations or themes. */
function dimensionInPostVisitors(dimension: DimensionSpec): boolean {
  const { source } = dimension;
  if (source.type === 'column') return ['day', 'post_id', 'author_id', 'anonymous_id'].includes(source.column);
  return source.type === 'week' || source.type === 'post';
}

/**
 * Whether a table's sums and unique readers can be read from `waymark_post_visitors` (a row per post, reader and
 * day): post metrics by post, author, destination or theme, for definitions that keep only events about a post
 * (`{ "dimension": "post", "notIn": [""] }`, as the content reports do). Its quantiles still read the events.
 */
export function usesPostVisitorRollup(definition: ReportDefinition): boolean {
  if (definition.kind !== 'table' || !postVisitorCapable(definition.metrics)) return false;
  if (!definition.filters.some((filter) => filter.dimension === 'post' && filter.notIn?.includes(''))) return false;
  const dimensions = [
    ...groupDimensions(definition).map((dimension) => dimension.key),
    ...definition.filters.map((filter) => filter.dimension),
    ...Object.keys(definition.segment ?? {}),
  ];
  return dimensions.every((key) => dimensionInPostVisitors(dimensionCatalogue.get(key)!));
}

/** Refuses what the scope does not allow, naming where in the definition it is. */
function checkScope(definition: ReportDefinition, scope: ReportScope): void {
  if (scope.role === 'creator' && !scope.authorId) {
    throw new DefinitionError([{ path: 'scope', message: 'a creator scope needs the authorId of the creator' }], definition.id);
  }
  if (scope.role !== 'marketing') return;
  const issues: { path: string; message: string }[] = [];
  const check = (key: string | undefined, path: string) => {
    const dimension = key === undefined ? undefined : dimensionCatalogue.get(key);
    if (dimension?.userLevel) {
      issues.push({
        path,
        message: `"${key}" is a user-level dimension, and a marketing key may only run aggregates; remove it or use a segment dimension such as "device" or "traveller_type"`,
      });
    }
  };
  definition.dimensions.forEach((key, i) => check(key, `dimensions[${i}]`));
  check(definition.split, 'split');
  definition.filters.forEach((filter, i) => check(filter.dimension, `filters[${i}].dimension`));
  for (const key of Object.keys(definition.segment ?? {})) check(key, `segment.${key}`);
  definition.steps?.forEach((step, i) => step.filters?.forEach((filter, j) => check(filter.dimension, `steps[${i}].filters[${j}].dimension`)));
  if (issues.length > 0) throw new DefinitionError(issues, definition.id);
}

/**
 * Compiles a validated definition into SQL for one engine: the same query text shape on DuckDB and ClickHouse, with
 * only the dialect's spellings differing. Under a creator scope every query keeps only the creator's events
 * (`author_id = …`); under a marketing scope user-level dimensions are refused.
 * @throws {DefinitionError} when the scope does not allow the definition.
 * @example
 * ```ts
 * const compiled = compileReport(definition, duckdbDialect, { period: { from: '2026-10-01', to: '2026-10-31' } });
 * for (const query of compiled.queries) console.log(query.key, query.sql);
 * ```
 */
export function compileReport(definition: ReportDefinition, dialect: SqlDialect, options: CompileOptions): CompiledReport {
  const scope = options.scope ?? { role: 'admin' };
  checkScope(definition, scope);
  const ctx: Context = { d: dialect, scope };
  const { period } = options;
  const comparison = comparesPeriods(definition) ? options.comparison : undefined;
  const daily = usesDailyRollup(definition);
  const source: Source = daily
    ? 'daily'
    : usesSessionRollup(definition, scope)
      ? 'sessions'
      : usesPostVisitorRollup(definition)
        ? 'post_visitors'
        : 'facts';
  const base = { id: definition.id, period, ...(comparison ? { comparison } : {}), source: sourceTable(source) } as const;
  const periods: [string, Period][] = [['current', period], ...(comparison ? [['previous', comparison] as [string, Period]] : [])];
  switch (definition.kind) {
    case 'table':
    case 'trending': {
      const metrics = uniqueBaseMetrics(definition.metrics);
      const queries = periods.flatMap(([key, p]) =>
        metricQueries(ctx, { period: p, source, groups: groupDimensions(definition), metrics, conditions: definitionConditions(ctx, p, definition) }, key),
      );
      return { ...base, queries };
    }
    case 'overview': {
      const metrics = uniqueBaseMetrics(definition.metrics);
      const split = definition.split ? [dimensionCatalogue.get(definition.split)!] : [];
      const day = dimensionCatalogue.get('day')!;
      const queries: CompiledQuery[] = [];
      for (const [key, p] of periods) {
        const conditions = definitionConditions(ctx, p, definition);
        const prefix = key === 'current' ? '' : 'previous_';
        queries.push(...metricQueries(ctx, { period: p, source, groups: [...split, day], metrics, conditions }, `${prefix}daily`));
        queries.push(...metricQueries(ctx, { period: p, source, groups: split, metrics, conditions }, `${prefix}totals`));
      }
      return { ...base, queries };
    }
    case 'funnel':
      return { ...base, queries: periods.map(([key, p]) => ({ key, sql: funnelSql(ctx, definition, p) })) };
    case 'retention':
      return { ...base, queries: [{ key: 'current', sql: retentionSql(ctx, definition, period) }] };
    case 'quality':
      return { ...base, queries: qualityQueries(ctx, definition, period) };
  }
}

/** Funnel: per session (or visitor), the earliest time of each step at or after the previous one, then weighted counts. */
function funnelSql(ctx: Context, definition: ReportDefinition, period: Period): string {
  const { d } = ctx;
  const steps = definition.steps!;
  const keyDimension = dimensionCatalogue.get(definition.within === 'visitor' ? 'visitor' : 'session')!;
  const keyColumn = (keyDimension.source as { column: string }).column;
  const keyAlias = dimensionAlias(keyDimension.key);
  const split = definition.split ? [dimensionCatalogue.get(definition.split)!] : [];
  const common = definitionConditions(ctx, period, definition);
  const stepConditions = (i: number) => [`name = ${d.string(steps[i].event)}`, ...filterConditions(ctx, period, steps[i].filters ?? [])];
  let level = aggregateSql(ctx, {
    period,
    source: 'facts',
    groups: [keyDimension, ...split],
    aggregates: [
      { alias: 'f_t1', sql: 'min(ts_ms)', columns: ['ts_ms'] },
      { alias: 'f_w1', sql: 'max(weight)', columns: ['weight'] },
    ],
    conditions: [...common, ...stepConditions(0)],
  });
  const carried = [keyAlias, ...split.map((dimension) => dimensionAlias(dimension.key)), 'f_t1', 'f_w1'];
  for (let i = 1; i < steps.length; i++) {
    const step = i + 1;
    const where = [...factsConditions(ctx, period), ...common, ...stepConditions(i)].join(' AND ');
    const events = `SELECT ${keyColumn} AS ${keyAlias}, ts_ms AS e_ts, weight AS e_w FROM ${FACTS} WHERE ${where}`;
    const reached = `e_ts >= f_t${i}`;
    level =
      `SELECT ${carried.join(', ')}, min(CASE WHEN ${reached} THEN e_ts END) AS f_t${step}, max(CASE WHEN ${reached} THEN e_w END) AS f_w${step} ` +
      `FROM (${level}) AS l${step} LEFT JOIN (${events}) AS e${step} USING (${keyAlias}) GROUP BY ${carried.join(', ')}`;
    carried.push(`f_t${step}`, `f_w${step}`);
  }
  const splitAliases = split.map((dimension) => dimensionAlias(dimension.key));
  const sums = steps.map((_, i) => (i === 0 ? `sum(f_w1) AS s_1` : `${d.aggregateIf('sum', `f_w${i + 1}`, `f_t${i + 1} IS NOT NULL`)} AS s_${i + 1}`));
  const groupBy = splitAliases.length > 0 ? ` GROUP BY ${splitAliases.join(', ')}` : '';
  return `SELECT ${[...splitAliases, ...sums].join(', ')} FROM (${level}) AS funnel${groupBy}`;
}

/** The Mondays of the weeks a retention period spans. */
export function retentionWeeks(period: Period): string[] {
  const weeks: string[] = [];
  for (let monday = mondayOf(period.from); monday <= period.to; monday = addDays(monday, 7)) weeks.push(monday);
  return weeks;
}

/** Retention: per new visitor, the first active week and a flag per week; then weighted sums per cohort. */
function retentionSql(ctx: Context, definition: ReportDefinition, period: Period): string {
  const { d } = ctx;
  const weeks = retentionWeeks(period);
  const weekIndex =
    weeks.length === 1
      ? '0'
      : `CASE ${weeks
          .slice(1)
          .map((monday, i) => `WHEN day < ${d.date(monday)} THEN ${i}`)
          .join(' ')} ELSE ${weeks.length - 1} END`;
  const split = definition.split ? [dimensionCatalogue.get(definition.split)!] : [];
  const newVisitors = `anonymous_id IN (SELECT anonymous_id FROM waymark_visitors WHERE first_day >= ${d.date(period.from)} AND first_day <= ${d.date(period.to)})`;
  const inner = aggregateSql(ctx, {
    period,
    source: 'facts',
    groups: [dimensionCatalogue.get('visitor')!, ...split],
    aggregates: [
      { alias: 'r_w', sql: 'min(weight)', columns: ['weight'] },
      { alias: 'r_c', sql: `min(${weekIndex})`, columns: ['day'] },
      ...weeks.map((_, k) => ({ alias: `r_a${k}`, sql: `max(CASE WHEN ${weekIndex} = ${k} THEN 1 ELSE 0 END)`, columns: ['day'] })),
    ],
    conditions: [...definitionConditions(ctx, period, definition), newVisitors],
  });
  const splitAliases = split.map((dimension) => dimensionAlias(dimension.key));
  const select = [
    'r_c AS d_cohort',
    ...splitAliases,
    'sum(r_w) AS r_size',
    ...weeks.map((_, k) => `sum(r_w * r_a${k}) AS r_${k}`),
  ].join(', ');
  return `SELECT ${select} FROM (${inner}) AS cohorts GROUP BY ${['d_cohort', ...splitAliases].join(', ')}`;
}

/** Late events are received more than this long after they happened. */
export const lateAfterMs = 3_600_000;
/** Events whose clock correction exceeds this are clock-skewed. */
export const skewLimitMs = 300_000;

/** Data quality: checks on the stored events, failed events by reason, and the collector's ingest counts. */
function qualityQueries(ctx: Context, definition: ReportDefinition, period: Period): CompiledQuery[] {
  const { d } = ctx;
  const where = [...periodConditions(ctx, period), ...definitionConditions(ctx, period, definition)].join(' AND ');
  const flag = (condition: string) => `sum(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;
  const facts =
    `SELECT count(*) AS q_events, ${flag(`received_ms > 0 AND received_ms - ts_ms > ${lateAfterMs}`)} AS q_late, ` +
    `${flag(`skew_ms > ${skewLimitMs} OR skew_ms < -${skewLimitMs}`)} AS q_skewed, ${flag('bot')} AS q_bots, ` +
    `${flag('sample_rate < 1')} AS q_sampled FROM ${FACTS} WHERE ${where}`;
  const queries: CompiledQuery[] = [{ key: 'facts', sql: facts }];
  // Failed events and ingest counts are kept per site, not per post: a creator's report leaves them out.
  if (ctx.scope.role === 'creator') return queries;
  // CAST … AS DATE (UTC on both engines): ClickHouse 18.16 mis-compares a DateTime key with two Date bounds.
  const received = 'CAST(received_at AS DATE)';
  queries.push({
    key: 'failed',
    sql: `SELECT reason AS q_reason, count(*) AS q_failed FROM waymark_failed_events WHERE ${received} >= ${d.date(period.from)} AND ${received} <= ${d.date(period.to)} GROUP BY reason`,
    optionalTable: 'waymark_failed_events',
  });
  queries.push({
    key: 'ingest',
    sql:
      'SELECT count(*) AS q_days, sum(accepted) AS q_accepted, sum(duplicates) AS q_duplicates, sum(rejected) AS q_rejected ' +
      `FROM waymark_ingest_stats WHERE day >= ${d.date(period.from)} AND day <= ${d.date(period.to)}`,
    optionalTable: 'waymark_ingest_stats',
  });
  return queries;
}

/** The query that finds the sample rates in effect: stored events per day and rate over `period`, in the scope. */
export function samplingProbeSql(dialect: SqlDialect, period: Period, scope: ReportScope = { role: 'admin' }): string {
  const ctx: Context = { d: dialect, scope };
  return `SELECT day AS p_day, sample_rate AS p_rate, count(*) AS p_events FROM ${FACTS} WHERE ${factsConditions(ctx, period).join(' AND ')} GROUP BY day, sample_rate`;
}
