import { describe, expect, it } from 'vitest';
import { builtinDefinition, builtinDefinitions } from './builtinDefinitions';
import { compileReport, resolvePeriod } from './compileReport';
import { DefinitionError, parseDefinition } from './loadDefinition';
import { clickhouseDialect, duckdbDialect } from './sqlDialect';

const period = { from: '2026-10-02', to: '2026-10-31' };
const comparison = { from: '2026-09-02', to: '2026-10-01' };

/** Every `FROM waymark_facts|waymark_daily WHERE …` of a query, up to the next clause. */
function factScans(sql: string): string[] {
  return [...sql.matchAll(/FROM (waymark_facts|waymark_daily) WHERE (.*?)(?= GROUP BY|\) AS |$)/g)].map((match) => match[2]);
}

describe('compileReport', () => {
  for (const dialect of [duckdbDialect, clickhouseDialect]) {
    it(`adds the creator's author to every scan of every built-in query (${dialect.name})`, () => {
      const quoted = dialect.string("o'brien");
      let scans = 0;
      for (const definition of builtinDefinitions()) {
        const compiled = compileReport(definition, dialect, { period, comparison, scope: { role: 'creator', authorId: "o'brien" } });
        for (const query of compiled.queries) {
          for (const where of factScans(query.sql)) {
            scans++;
            expect(where, `${definition.id} ${query.key}`).toContain(`author_id = ${quoted}`);
          }
          // Failed events and ingest stats have no author: a creator's quality report does not read them.
          expect(query.sql).not.toContain('waymark_failed_events');
        }
      }
      expect(scans).toBeGreaterThan(builtinDefinitions().length);
    });
  }

  it('quotes values for each engine', () => {
    const definition = parseDefinition({ id: 'q', title: 'Q', metrics: ['views'], filters: [{ dimension: 'campaign', in: ["it's \\ here"] }] });
    expect(compileReport(definition, duckdbDialect, { period }).queries[0].sql).toContain(`utm_campaign IN ('it''s \\ here')`);
    expect(compileReport(definition, clickhouseDialect, { period }).queries[0].sql).toContain(`utm_campaign IN ('it\\'s \\\\ here')`);
  });

  it('refuses user-level dimensions under a marketing scope, naming each place', () => {
    const definition = parseDefinition({
      id: 'people',
      title: 'People',
      metrics: ['views'],
      dimensions: ['user'],
      filters: [{ dimension: 'session', notIn: [''] }],
      split: 'device',
    });
    let error: unknown;
    try {
      compileReport(definition, duckdbDialect, { period, scope: { role: 'marketing' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).issues.map((issue) => issue.path)).toEqual(['dimensions[0]', 'filters[0].dimension']);
    expect((error as Error).message).toContain('"user" is a user-level dimension, and a marketing key may only run aggregates');
    // The same definition runs for an admin, and every built-in runs for marketing.
    expect(() => compileReport(definition, duckdbDialect, { period })).not.toThrow();
    for (const builtin of builtinDefinitions()) expect(() => compileReport(builtin, duckdbDialect, { period, comparison, scope: { role: 'marketing' } })).not.toThrow();
  });

  it('reads additive metrics from the daily rollup when the dimensions and filters allow it', () => {
    const daily = (input: Record<string, unknown>) => compileReport(parseDefinition({ id: 'x', title: 'X', ...input }), duckdbDialect, { period }).source;
    expect(compileReport(builtinDefinition('trending-destinations'), duckdbDialect, { period, comparison }).source).toBe('waymark_daily');
    expect(daily({ metrics: ['views', 'engaged_ms', 'read_through_rate'], dimensions: ['device', 'theme'], filters: [{ dimension: 'campaign', in: ['autumn'] }] })).toBe(
      'waymark_daily',
    );
    // Distinct visitors and trait segments are not in the daily rollup, but in the session rollup; scroll milestones
    // and the route are in neither.
    expect(daily({ metrics: ['views', 'visitors'] })).toBe('waymark_sessions');
    expect(daily({ metrics: ['views'], segment: { budget: ['luxury'] } })).toBe('waymark_sessions');
    expect(daily({ metrics: ['visitors', 'engaged_ms_per_visitor'], dimensions: ['engagement_tier'], filters: [{ dimension: 'device', in: ['mobile'] }] })).toBe(
      'waymark_sessions',
    );
    expect(daily({ metrics: ['unique_readers'] })).toBe('waymark_facts');
    expect(daily({ metrics: ['scroll_50_rate'] })).toBe('waymark_facts');
    expect(daily({ metrics: ['views'], dimensions: ['route'] })).toBe('waymark_facts');
    expect(daily({ metrics: ['visitors'], dimensions: ['post'] })).toBe('waymark_facts');
    const creator = parseDefinition({ id: 'x', title: 'X', metrics: ['visitors'] });
    expect(compileReport(creator, duckdbDialect, { period, scope: { role: 'creator', authorId: 'ana' } }).source).toBe('waymark_facts');
    const sql = compileReport(builtinDefinition('trending-destinations'), duckdbDialect, { period, comparison }).queries[0].sql;
    expect(sql).toContain("coalesce(sum(events) FILTER (WHERE name = 'page_viewed' AND post_id <> ''), 0) AS p_views FROM waymark_daily");
    expect(sql).not.toContain('waymark_facts');
  });

  it('counts each visitor once at its smallest weight, aggregating before joining traits', () => {
    const definition = parseDefinition({ id: 'x', title: 'X', metrics: ['visitors', 'sessions', 'views'], dimensions: ['device', 'budget'] });
    expect(compileReport(definition, duckdbDialect, { period }).queries[0].sql).toBe(
      "SELECT d_device, coalesce(j_v_budget, '') AS d_budget, sum(p_visitors) AS m_visitors, sum(p_sessions) AS m_sessions, sum(p_views) AS m_views FROM (" +
        'SELECT d_device, visitor_key, p_visitors, p_sessions, p_views, j_v_budget FROM (' +
        'SELECT d_device, visitor_key, min(p_visitors) AS p_visitors, sum(p_sessions) AS p_sessions, sum(p_views) AS p_views FROM (' +
        'SELECT device AS d_device, session_key, min(anonymous_key) AS visitor_key, min(weight) AS p_visitors, min(weight) AS p_sessions, ' +
        'sum(views) AS p_views ' +
        "FROM waymark_sessions WHERE day >= DATE '2026-10-02' AND day <= DATE '2026-10-31' GROUP BY d_device, session_key" +
        ') AS sessions GROUP BY d_device, visitor_key' +
        ") AS v0 LEFT JOIN (SELECT anonymous_key AS visitor_key, j_v_budget FROM (SELECT CAST('0x' || left(md5(anonymous_id), 16) AS UBIGINT) AS anonymous_key, budget AS j_v_budget FROM waymark_visitors) AS visitor_rows) AS vj0 USING (visitor_key)" +
        ') AS visitors GROUP BY d_device, d_budget',
    );
  });

  it('groups the rollups by 64-bit keys, and sums apart from distinct counts when no visitor dimension needs them', () => {
    const device = compileReport(builtinDefinition('segment-device'), duckdbDialect, { period }).queries[0].sql;
    // Sums straight from the session rows; visitors and sessions through the session and visitor keys.
    expect(device).toMatch(/^SELECT d_device, m_visitors, m_sessions, m_views, .*\) AS sum_rows INNER JOIN \(.*\) AS distinct_rows USING \(d_device\)$/);
    expect(device).toContain("(SELECT device AS d_device, sum(views) AS p_views, sum(engaged_ms) AS p_engaged_ms, sum(reads) AS p_reads, sum(affiliate_clicks) AS p_affiliate_clicks FROM waymark_sessions WHERE day >= DATE '2026-10-02' AND day <= DATE '2026-10-31' GROUP BY d_device)");
    expect(device).toContain("(SELECT device AS d_device, session_key, min(anonymous_key) AS visitor_key, min(weight) AS p_visitors, min(weight) AS p_sessions FROM waymark_sessions WHERE day >= DATE '2026-10-02' AND day <= DATE '2026-10-31' GROUP BY d_device, session_key)");
    expect(device).not.toMatch(/session_id|anonymous_id/);
    const theme = compileReport(builtinDefinition('content-by-theme'), duckdbDialect, { period }).queries[0].sql;
    // Sums per post before the themes are joined; readers joined row by row, then once per theme and reader.
    expect(theme).toContain('FROM (SELECT post_id, sum(views) AS p_views, ');
    expect(theme).toContain("SELECT post_id, anonymous_key AS visitor_key, CASE WHEN reader_weight > 0 THEN reader_weight END AS p_unique_readers FROM waymark_post_visitors WHERE day >= DATE '2026-10-02' AND day <= DATE '2026-10-31' AND NOT (post_id IN ('')))");
    expect(theme).toContain('GROUP BY d_theme, visitor_key');
    expect(theme).toContain('USING (d_theme)');
    // A trait dimension needs every metric per visitor: one query.
    const traits = compileReport(builtinDefinition('segment-budget'), duckdbDialect, { period }).queries[0].sql;
    expect(traits).not.toContain('INNER JOIN');
    expect(traits).toContain('GROUP BY session_key');
  });

  it('compiles one query per period, and more for an overview', () => {
    const keys = (id: string) => compileReport(builtinDefinition(id), duckdbDialect, { period, comparison }).queries.map((query) => query.key);
    // Medians need the raw values: their own query, over post_read events only.
    expect(keys('content-by-post')).toEqual(['current', 'current:quantiles']);
    expect(keys('shares-by-network')).toEqual(['current']);
    expect(keys('trending-destinations')).toEqual(['current', 'previous']);
    expect(keys('overview')).toEqual(['daily', 'totals', 'previous_daily', 'previous_totals']);
    expect(keys('funnel-read-to-click')).toEqual(['current', 'previous']);
    expect(keys('data-quality')).toEqual(['facts', 'failed', 'ingest']);
  });
});

describe('resolvePeriod', () => {
  const table = parseDefinition({ id: 'x', title: 'X', metrics: ['views'], period: { last: 7 } });

  it('ends a last-N period at the run day, and compares with the N days before', () => {
    expect(resolvePeriod(table, { today: '2026-10-31' })).toEqual({ period: { from: '2026-10-25', to: '2026-10-31' } });
    expect(resolvePeriod({ ...table, compare: 'previous_period' }, { today: '2026-11-05', to: '2026-10-31' })).toEqual({
      period: { from: '2026-10-25', to: '2026-10-31' },
      comparison: { from: '2026-10-18', to: '2026-10-24' },
    });
  });

  it('lets the run override a fixed period', () => {
    const fixed = parseDefinition({ id: 'x', title: 'X', metrics: ['views'], period: { from: '2026-01-01', to: '2026-01-31' } });
    expect(resolvePeriod(fixed, { today: '2026-10-31' }).period).toEqual({ from: '2026-01-01', to: '2026-01-31' });
    expect(resolvePeriod(fixed, { today: '2026-10-31', from: '2026-10-01', to: '2026-10-10' }).period).toEqual({ from: '2026-10-01', to: '2026-10-10' });
    expect(() => resolvePeriod(fixed, { today: '2026-10-31', from: '2026-10-11', to: '2026-10-10' })).toThrow(
      '[waymark] report definition x: period: starts on 2026-10-11, after its end 2026-10-10; give a "from" day on or before "to"',
    );
  });

  it('starts a retention period on a Monday', () => {
    // 56 days up to Saturday 2026-10-31 start on Sunday 2026-09-06; the Monday before is 2026-08-31.
    expect(resolvePeriod(builtinDefinition('retention-readers'), { today: '2026-10-31' })).toEqual({ period: { from: '2026-08-31', to: '2026-10-31' } });
  });
});
