import { buildReport } from './buildReport';
import type { QueryRows } from './buildReport';
import { comparesPeriods, compileReport, dimensionAlias, resolvePeriod, samplingProbeSql, uniqueBaseMetrics } from './compileReport';
import type { CompiledReport, Period } from './compileReport';
import { dimensionCatalogue } from './dimensionCatalogue';
import type { ReportDefinition, ReportScope } from './reportDefinition';
import type { ReportEngine, ReportRow } from './reportEngine';
import type { ReportSet } from './reportResult';
import { refreshRollups } from './refreshRollups';
import { sqlDialect } from './sqlDialect';

/** Progress of {@link runReports}, reported after each query. */
export interface ReportProgress {
  /** Queries finished, the sampling probe included. */
  done: number;
  /** Queries in the whole run. */
  total: number;
  /** Id of the report the query belonged to (`a+b` for a query several reports share, `sampling` for the probe, `refresh` for the rollup refresh). */
  report: string;
  /** Key of the query within its report, such as `current` or `previous`. */
  query: string;
}

/** Options of {@link runReports}. */
export interface RunReportsOptions {
  /** Last day (UTC, `YYYY-MM-DD`) of every report: `{ last: N }` periods end here. @default today (UTC) */
  to?: string;
  /** First day of every report, overriding the definitions' own periods. */
  from?: string;
  /** Whose key runs the reports. @default { role: 'admin' } */
  scope?: ReportScope;
  /** Title of the set. @default 'Waymark reports' */
  title?: string;
  /** Called after each query, for a progress bar. */
  onProgress?: (progress: ReportProgress) => void;
  /** Brings the derived tables up to date first (`refreshRollups`). @default false */
  refresh?: boolean;
  /** The clock: `generatedAt` and the default `to`. @default new Date() */
  now?: Date;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

function checkDay(name: string, value: string | undefined): void {
  if (value !== undefined && (!dayPattern.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))) {
    throw new TypeError(`[waymark] runReports: \`${name}\` must be a day as YYYY-MM-DD, such as 2026-10-31; got ${JSON.stringify(value)}`);
  }
}

/** A missing optional table reads as `null` rows; any other failure names the report and query. */
async function runQuery(engine: ReportEngine, compiled: CompiledReport, key: string): Promise<readonly ReportRow[] | null> {
  const query = compiled.queries.find((q) => q.key === key)!;
  try {
    return await engine.query(query.sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (query.optionalTable && message.includes(query.optionalTable)) return null;
    throw new Error(`[waymark] report ${compiled.id}: query "${key}" failed: ${message}`, { cause: error });
  }
}

interface Plan {
  definition: ReportDefinition;
  period: Period;
  comparison?: Period;
}

/**
 * Reports grouped by one visitor-level dimension (a trait or the engagement tier) over the same period, filters and
 * segment can share one query: visitors are partitioned by their traits and tier, so each report's rows are exact
 * sums of the shared rows. The key of the plans that may share; undefined for one that may not.
 */
function sharingKey(plan: Plan): string | undefined {
  const { definition } = plan;
  if (definition.kind !== 'table' || definition.split || definition.dimensions.length !== 1) return undefined;
  const type = dimensionCatalogue.get(definition.dimensions[0])?.source.type;
  if (type !== 'visitor' && type !== 'tier') return undefined;
  if (uniqueBaseMetrics(definition.metrics).some((metric) => metric.kind === 'quantile')) return undefined;
  return JSON.stringify([plan.period, plan.comparison ?? null, comparesPeriods(definition), definition.filters, definition.segment ?? null]);
}

/** One query for several reports: the union of their dimensions and metrics. */
interface SharedQuery {
  plan: Plan;
  rows?: QueryRows;
}

/** The rows of one report out of a shared query's: summed over the dimensions it does not have. */
function marginalRows(rows: readonly ReportRow[] | null | undefined, dimension: string): ReportRow[] {
  const alias = dimensionAlias(dimension);
  const groups = new Map<string, ReportRow>();
  for (const row of rows ?? []) {
    const value = row[alias] === null || row[alias] === undefined ? '' : String(row[alias]);
    let out = groups.get(value);
    if (!out) groups.set(value, (out = { [alias]: value }));
    for (const [key, cell] of Object.entries(row)) {
      if (!key.startsWith('m_')) continue;
      out[key] = (Number(out[key] ?? 0) || 0) + (typeof cell === 'number' ? cell : Number(cell ?? 0) || 0);
    }
  }
  return [...groups.values()];
}

/** Groups plans that can share a query; a plan alone in its group keeps its own queries. */
function shareQueries(plans: readonly Plan[]): Map<Plan, SharedQuery> {
  const byKey = new Map<string, Plan[]>();
  for (const plan of plans) {
    const key = sharingKey(plan);
    if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), plan]);
  }
  const shared = new Map<Plan, SharedQuery>();
  for (const members of byKey.values()) {
    if (members.length < 2) continue;
    const [first] = members;
    const union = (list: (definition: ReportDefinition) => readonly string[]) => [...new Set(members.flatMap((member) => list(member.definition)))];
    const definition: ReportDefinition = {
      ...first.definition,
      id: members.map((member) => member.definition.id).join('+'),
      metrics: union((d) => d.metrics),
      dimensions: union((d) => d.dimensions),
      sort: undefined,
      limit: undefined,
      chart: undefined,
    };
    const query: SharedQuery = { plan: { ...first, definition } };
    for (const member of members) shared.set(member, query);
  }
  return shared;
}

/**
 * Runs report definitions on an engine: resolves each period, finds how much of it was sampled (one small query),
 * compiles, queries and builds every report, reporting progress after each query. All definitions are checked
 * against the scope before the first query, so a marketing key asking for a user-level dimension fails at once.
 * @throws {DefinitionError} when the scope does not allow a definition, or a period is empty.
 * @example
 * ```ts
 * const engine = await duckdbEngine({ path: './waymark.duckdb' });
 * const set = await runReports(engine, builtinDefinitions(), { to: '2026-10-31', scope: { role: 'creator', authorId: 'ana' } });
 * await writeFile('report.html', renderHtml(set));
 * ```
 */
export async function runReports(engine: ReportEngine, definitions: readonly ReportDefinition[], options: RunReportsOptions = {}): Promise<ReportSet> {
  checkDay('to', options.to);
  checkDay('from', options.from);
  const now = options.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const scope = options.scope ?? { role: 'admin' };
  const dialect = sqlDialect(engine.dialect);
  const plans: Plan[] = definitions.map((definition) => {
    const periods = resolvePeriod(definition, { from: options.from, to: options.to, today });
    // Compiled once up front so every scope mistake is reported before any query runs.
    compileReport(definition, dialect, { ...periods, scope });
    return { definition, ...periods };
  });
  const shared = shareQueries(plans);
  const queryCount = (plan: Plan) => compileReport(plan.definition, dialect, { ...plan, scope }).queries.length;
  const total =
    1 +
    (options.refresh ? 1 : 0) +
    plans.filter((plan) => !shared.has(plan)).reduce((sum, plan) => sum + queryCount(plan), 0) +
    [...new Set(shared.values())].reduce((sum, query) => sum + queryCount(query.plan), 0);
  let done = 0;
  const progress = (report: string, query: string) => options.onProgress?.({ done: ++done, total, report, query });

  if (options.refresh) {
    await refreshRollups(engine);
    progress('refresh', 'refresh');
  }

  const days = plans.flatMap((plan) => [plan.period.from, plan.period.to, ...(plan.comparison ? [plan.comparison.from] : [])]).sort();
  const span: Period = days.length > 0 ? { from: days[0], to: days[days.length - 1] } : { from: today, to: today };
  let probe: readonly ReportRow[] = [];
  if (plans.length > 0) {
    try {
      probe = await engine.query(samplingProbeSql(dialect, span, scope));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`[waymark] runReports: cannot read waymark_facts (run refreshRollups first, or pass refresh: true): ${message}`, { cause: error });
    }
  }
  progress('sampling', 'probe');
  const within = (day: string, period: Period | undefined) => period !== undefined && day >= period.from && day <= period.to;

  const reports = [];
  for (const plan of plans) {
    let events = 0;
    let sampledEvents = 0;
    for (const row of probe) {
      const day = String(row.p_day);
      const rate = Number(row.p_rate);
      const count = Number(row.p_events);
      if (within(day, plan.period)) {
        events += count;
        if (rate < 1) sampledEvents += count;
      }
    }
    const run = async (target: Plan): Promise<QueryRows> => {
      const compiled = compileReport(target.definition, dialect, { period: target.period, comparison: target.comparison, scope });
      const out: QueryRows = {};
      for (const query of compiled.queries) {
        out[query.key] = await runQuery(engine, compiled, query.key);
        progress(target.definition.id, query.key);
      }
      return out;
    };
    const share = shared.get(plan);
    let rows: QueryRows;
    if (share) {
      share.rows ??= await run(share.plan);
      const own = plan.definition.dimensions[0];
      rows = Object.fromEntries(Object.entries(share.rows).map(([key, list]) => [key, marginalRows(list, own)]));
    } else {
      rows = await run(plan);
    }
    reports.push(buildReport(plan.definition, rows, { period: plan.period, comparison: plan.comparison, scope, sampling: { events, sampledEvents } }));
  }
  return {
    title: options.title ?? 'Waymark reports',
    generatedAt: now.toISOString(),
    period: reports.length > 0 ? { from: reports.map((r) => r.period.from).sort()[0], to: reports.map((r) => r.period.to).sort().reverse()[0] } : span,
    reports,
  };
}
