// The built-in report set written by hand: for each built-in definition, the DuckDB SQL an analyst would write to get
// the same numbers from the same derived tables (waymark_facts, the rollups waymark_daily, waymark_sessions and
// waymark_post_visitors with their 64-bit visitor and session keys, waymark_visitors, waymark_posts, the post theme and
// destination tables, waymark_failed_events, waymark_ingest_stats), each report from the smallest table that answers
// it, as someone who knows the tables would write it. One query per report; each returns
// the report's final rows (ratios, order and limit included), keyed like the rows `runReports` builds, so
// handWrittenSql.test.ts can compare the two number for number and the bench cannot time SQL that computes less.
// A session belongs to the smallest anonymous id among its events, as in the report set: session ids are meant to be
// unique, and should two visitors share one, both sides give it to the same visitor.
import type { ReportEngine, ReportRow } from '../../../packages/report/src/reportEngine';

/** Options of {@link handWrittenReports}. */
export interface HandWrittenOptions {
  /** Last day (UTC, `YYYY-MM-DD`) of every report, as `runReports`' `to`. */
  to: string;
  /** Whether the store has `waymark_ingest_stats` (the collector's daily counts); the synthetic loader writes none. @default false */
  ingestStats?: boolean;
}

/** One report's hand-written query and how its result rows become the report's rows (and totals). */
export interface HandWrittenReport {
  /** Id of the built-in definition the query answers, such as `content-by-post`. */
  id: string;
  sql: string;
  shape(rows: ReportRow[]): HandWrittenResult;
}

/** What a hand-written query gives: the rows of the report's table and, for the overview, its totals. */
export interface HandWrittenResult {
  id: string;
  rows: ReportRow[];
  totals?: ReportRow;
}

const DAY_MS = 86_400_000;

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function mondayOf(day: string): string {
  return addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));
}

const date = (day: string) => `DATE '${day}'`;

/** Rows as they come. */
const asRows =
  (id: string) =>
  (rows: ReportRow[]): HandWrittenResult => ({ id, rows });

/** Post views: page views of a post. */
const POST_VIEW = "name = 'page_viewed' AND post_id <> ''";

/**
 * Content performance per post, author, destination or theme, from the post-reader rollup (one row per post, reader
 * and day): the sums per group, the unique readers (each at their smallest post-view weight) per group and reader,
 * and the median engaged time per read from the post_read events.
 */
function contentSql(key: string, value: string, join: string, from: string, to: string): string {
  const columns = ['views', 'reads', 'scroll_25', 'scroll_50', 'scroll_75', 'scroll_100', 'shares', 'comments', 'affiliate_clicks'];
  return `WITH per_post AS (
  SELECT post_id, author_id, ${columns.map((c) => `sum(${c}) AS ${c}`).join(', ')}
  FROM waymark_post_visitors WHERE day BETWEEN ${date(from)} AND ${date(to)}
  GROUP BY post_id, author_id
),
counts AS (
  SELECT ${value} AS ${key}, ${columns.map((c) => `sum(${c}) AS ${c}`).join(', ')}
  FROM per_post f${join}
  GROUP BY 1
),
readers AS (
  SELECT ${key}, sum(weight) AS unique_readers
  FROM (
    SELECT ${value} AS ${key}, f.anonymous_key, min(f.reader_weight) AS weight
    FROM waymark_post_visitors f${join}
    WHERE f.day BETWEEN ${date(from)} AND ${date(to)} AND f.reader_weight > 0
    GROUP BY 1, 2
  )
  GROUP BY ${key}
),
medians AS (
  SELECT ${value} AS ${key}, quantile_disc(f.engaged_ms, 0.5) AS median_engaged_ms
  FROM waymark_facts f${join}
  WHERE f.day BETWEEN ${date(from)} AND ${date(to)} AND NOT f.bot AND f.name = 'post_read' AND f.post_id <> ''
  GROUP BY 1
)
SELECT ${key}, views, coalesce(unique_readers, 0) AS unique_readers, median_engaged_ms,
  reads / nullif(views, 0) AS read_through_rate,
  ${[25, 50, 75, 100].map((pct) => `scroll_${pct} / nullif(views, 0) AS scroll_${pct}_rate`).join(', ')},
  shares, comments, affiliate_clicks, affiliate_clicks / nullif(views, 0) AS affiliate_click_rate
FROM counts LEFT JOIN readers USING (${key}) LEFT JOIN medians USING (${key})
ORDER BY views DESC, ${key}
LIMIT 20`;
}

/**
 * Readers per segment, from the session rollup (one row per session, day, device and campaign, with the 64-bit keys
 * of the session and its visitor): each session's smallest weight and sums, then each visitor's, then the segment's.
 * `session` holds the session-level segment column (device, campaign) when the segment is one; `visitor` joins a
 * trait (by the visitor's key) or the engagement tier (from the same sessions, unweighted) when it is one.
 */
function segmentSql(key: string, options: { from: string; to: string; session?: string; visitor?: (v: string) => string; tier?: boolean }): string {
  const { from, to, session } = options;
  const sessionKey = session ? `${session} AS ${key}, ` : '';
  const byKey = session ? `${key}, ` : '';
  const segment = session ? key : options.tier ? tierCase : options.visitor!('t');
  const join = options.visitor ? ` LEFT JOIN (SELECT ${VISITOR_KEY} AS anonymous_key, * FROM waymark_visitors) t USING (anonymous_key)` : '';
  return `WITH sessions AS (
  SELECT ${sessionKey}session_key, min(anonymous_key) AS anonymous_key, min(weight) AS weight,
    sum(views) AS views, sum(engaged_ms) AS engaged_ms, sum(reads) AS reads, sum(affiliate_clicks) AS affiliate_clicks${options.tier ? ', sum(stored_reads) AS stored_reads' : ''}
  FROM waymark_sessions
  WHERE day BETWEEN ${date(from)} AND ${date(to)}
  GROUP BY ${byKey}session_key
),
per_visitor AS (
  SELECT ${byKey}anonymous_key, min(weight) AS weight, sum(weight) AS sessions, sum(views) AS views, sum(engaged_ms) AS engaged_ms,
    sum(reads) AS reads, sum(affiliate_clicks) AS affiliate_clicks${options.tier ? ', count(*) AS stored_sessions, sum(stored_reads) AS stored_reads' : ''}
  FROM sessions GROUP BY ${byKey}anonymous_key
)
SELECT ${segment} AS ${key}, sum(weight) AS visitors, sum(sessions) AS sessions, sum(views) AS views,
  sum(engaged_ms) / nullif(sum(weight), 0) AS engaged_ms_per_visitor,
  sum(reads) / nullif(sum(views), 0) AS read_through_rate,
  sum(affiliate_clicks) / nullif(sum(views), 0) AS affiliate_click_rate
FROM per_visitor${join}
GROUP BY 1
ORDER BY 2 DESC, 1`;
}

/** The rollups' 64-bit key of a visitor's anonymous id: the first 8 bytes of its MD5. */
const VISITOR_KEY = "CAST('0x' || left(md5(anonymous_id), 16) AS UBIGINT)";

const tierCase =
  "CASE WHEN stored_sessions >= 3 AND stored_reads >= 2 THEN 'loyal' WHEN stored_sessions >= 2 OR stored_reads >= 1 THEN 'engaged' ELSE 'casual' END";

const overviewMetrics = ['events', 'visitors', 'sessions', 'page_views', 'engaged_ms'] as const;

/**
 * Overview: one pass over the session rollup builds session-days for both periods; days, visitors per day and the period totals (where a
 * visitor or session counts once) come from them. Day rows and the totals row (day NULL) in one result.
 */
function overviewSql(from: string, to: string, previousFrom: string): string {
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  const byPeriod = (column: string, alias: string) =>
    `coalesce(sum(${column}) FILTER (WHERE current), 0) AS ${alias}, coalesce(sum(${column}) FILTER (WHERE NOT current), 0) AS ${alias}_before`;
  return `WITH session_days AS (
  SELECT day, session_key, min(anonymous_key) AS anonymous_key, min(weight) AS weight, sum(events) AS events,
    sum(page_views) AS page_views, sum(engaged_ms) AS engaged_ms
  FROM waymark_sessions
  WHERE day BETWEEN ${date(previousFrom)} AND ${date(to)}
  GROUP BY day, session_key
),
per_day AS (
  SELECT day, sum(events) AS events, sum(weight) AS sessions, sum(page_views) AS page_views, sum(engaged_ms) AS engaged_ms
  FROM session_days GROUP BY day
),
visitors_per_day AS (
  SELECT day, sum(weight) AS visitors FROM (SELECT day, anonymous_key, min(weight) AS weight FROM session_days GROUP BY day, anonymous_key) GROUP BY day
),
daily AS (
  SELECT per_day.*, visitors FROM per_day JOIN visitors_per_day USING (day)
),
sessions AS (
  SELECT day >= ${date(from)} AS current, session_key, min(anonymous_key) AS anonymous_key, min(weight) AS weight
  FROM session_days GROUP BY current, session_key
),
totals AS (
  SELECT ${byPeriod('events', 'events')}, ${byPeriod('page_views', 'page_views')}, ${byPeriod('engaged_ms', 'engaged_ms')}
  FROM (SELECT day >= ${date(from)} AS current, * FROM daily)
),
session_totals AS (
  SELECT ${byPeriod('weight', 'sessions')} FROM sessions
),
visitor_totals AS (
  SELECT ${byPeriod('weight', 'visitors')} FROM (SELECT current, anonymous_key, min(weight) AS weight FROM sessions GROUP BY current, anonymous_key)
),
calendar AS (
  SELECT ${date(from)} + CAST(i AS INTEGER) AS day FROM range(0, ${days}) AS r(i)
)
SELECT c.day, ${overviewMetrics.map((m) => `coalesce(cur.${m}, 0) AS ${m}`).join(', ')},
  ${overviewMetrics.map((m) => `coalesce(prev.${m}, 0) AS ${m}_previous`).join(', ')},
  ${overviewMetrics.map((m) => `NULL::DOUBLE AS ${m}_change`).join(', ')}
FROM calendar c LEFT JOIN daily cur ON cur.day = c.day LEFT JOIN daily prev ON prev.day = c.day - ${days}
UNION ALL
SELECT NULL, ${overviewMetrics.join(', ')},
  ${overviewMetrics.map((m) => `NULL::DOUBLE AS ${m}_previous`).join(', ')},
  ${overviewMetrics.map((m) => `${m} / nullif(${m}_before, 0) - 1 AS ${m}_change`).join(', ')}
FROM totals, session_totals, visitor_totals
ORDER BY day NULLS LAST`;
}

function overviewShape(rows: ReportRow[]): HandWrittenResult {
  const pick = (row: ReportRow, suffix: string) => Object.fromEntries(overviewMetrics.map((m) => [`${m}${suffix}`, row[`${m}${suffix}`]]));
  const days = rows.filter((row) => row.day !== null);
  const total = rows.find((row) => row.day === null)!;
  return {
    id: 'overview',
    rows: days.map((row) => ({ day: row.day, ...pick(row, ''), ...pick(row, '_previous') })),
    totals: { ...pick(total, ''), ...pick(total, '_change') },
  };
}

/** Trending destinations from the daily rollup: post views per destination in both periods, ranked by growth. */
function trendingSql(from: string, to: string, previousFrom: string): string {
  return `WITH views AS (
  SELECT coalesce(d.country, '') AS destination,
    coalesce(sum(r.events) FILTER (WHERE r.day >= ${date(from)}), 0) AS views,
    coalesce(sum(r.events) FILTER (WHERE r.day < ${date(from)}), 0) AS views_previous
  FROM waymark_daily r LEFT JOIN (SELECT DISTINCT post_id, country FROM waymark_post_destinations) d USING (post_id)
  WHERE r.day BETWEEN ${date(previousFrom)} AND ${date(to)} AND r.name = 'page_viewed' AND r.post_id <> ''
  GROUP BY 1
)
SELECT destination, views, views_previous, views / views_previous - 1 AS views_change
FROM views WHERE views >= 50 AND views_previous >= 50
ORDER BY views_change DESC, views DESC, destination
LIMIT 10`;
}

/** Shares per post and network. */
function sharesSql(from: string, to: string): string {
  return `SELECT post_id AS post, network, sum(weight) AS shares
FROM waymark_facts
WHERE day BETWEEN ${date(from)} AND ${date(to)} AND NOT bot AND name = 'post_shared'
GROUP BY post_id, network
ORDER BY shares DESC, post, network
LIMIT 30`;
}

/**
 * The funnel of both periods: per session, the first post view, the first read at or after it, the first affiliate
 * click at or after that read (each step weighted by its largest event weight), then the step counts and rates.
 */
function funnelSql(from: string, to: string, previousFrom: string): string {
  return `WITH events AS (
  SELECT day >= ${date(from)} AS current, session_id, name, ts_ms, weight
  FROM waymark_facts
  WHERE day BETWEEN ${date(previousFrom)} AND ${date(to)} AND NOT bot
    AND (${POST_VIEW} OR name IN ('post_read', 'affiliate_link_clicked'))
),
viewed AS (
  SELECT current, session_id, min(ts_ms) AS at, max(weight) AS weight FROM events WHERE name = 'page_viewed' GROUP BY current, session_id
),
reached_read AS (
  SELECT v.current, v.session_id, min(e.ts_ms) AS at, max(e.weight) AS weight
  FROM viewed v JOIN events e ON e.current = v.current AND e.session_id = v.session_id AND e.name = 'post_read' AND e.ts_ms >= v.at
  GROUP BY v.current, v.session_id
),
clicked AS (
  SELECT r.current, r.session_id, max(e.weight) AS weight
  FROM reached_read r JOIN events e ON e.current = r.current AND e.session_id = r.session_id AND e.name = 'affiliate_link_clicked' AND e.ts_ms >= r.at
  GROUP BY r.current, r.session_id
),
steps AS (
  SELECT 1 AS n, 'Viewed a post' AS step, coalesce(sum(weight) FILTER (WHERE current), 0) AS sessions, coalesce(sum(weight) FILTER (WHERE NOT current), 0) AS previous_sessions FROM viewed
  UNION ALL
  SELECT 2, 'Read a post to the end', coalesce(sum(weight) FILTER (WHERE current), 0), coalesce(sum(weight) FILTER (WHERE NOT current), 0) FROM reached_read
  UNION ALL
  SELECT 3, 'Clicked an affiliate link', coalesce(sum(weight) FILTER (WHERE current), 0), coalesce(sum(weight) FILTER (WHERE NOT current), 0) FROM clicked
)
SELECT step, sessions,
  sessions / nullif(first_value(sessions) OVER (ORDER BY n), 0) AS conversion,
  CASE WHEN n = 1 THEN CASE WHEN sessions > 0 THEN 1.0 END ELSE sessions / nullif(lag(sessions) OVER (ORDER BY n), 0) END AS step_conversion,
  sessions / nullif(previous_sessions, 0) - 1 AS sessions_change
FROM steps
ORDER BY n`;
}

/**
 * Retention of the readers whose first visit falls in the period: per reader, the weeks with a post view, the first
 * of them (the cohort) and the smallest weight; then per cohort and week after, the weighted share that came back.
 */
function retentionSql(from: string, to: string, shownWeeks: number): string {
  const weeks = Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS / 7) + 1;
  return `WITH active AS (
  SELECT anonymous_id, date_diff('day', ${date(from)}, day) // 7 AS week, min(weight) AS weight
  FROM waymark_facts
  WHERE day BETWEEN ${date(from)} AND ${date(to)} AND NOT bot AND ${POST_VIEW}
    AND anonymous_id IN (SELECT anonymous_id FROM waymark_visitors WHERE first_day BETWEEN ${date(from)} AND ${date(to)})
  GROUP BY anonymous_id, week
),
readers AS (
  SELECT anonymous_id, min(week) AS cohort, min(weight) AS weight FROM active GROUP BY anonymous_id
),
cohorts AS (
  SELECT cohort, sum(weight) AS cohort_size FROM readers GROUP BY cohort
),
came_back AS (
  SELECT r.cohort, a.week - r.cohort AS week, sum(r.weight) AS readers FROM readers r JOIN active a USING (anonymous_id) GROUP BY ALL
)
SELECT ${date(from)} + 7 * CAST(c.cohort AS INTEGER) AS cohort, w.week, c.cohort_size, coalesce(x.readers, 0) AS readers,
  coalesce(x.readers, 0) / nullif(c.cohort_size, 0) AS retention
FROM cohorts c CROSS JOIN range(0, ${shownWeeks}) AS w(week)
LEFT JOIN came_back x ON x.cohort = c.cohort AND x.week = w.week
WHERE c.cohort + w.week < ${weeks}
ORDER BY c.cohort, w.week`;
}

/** Web vitals and reading per page template (the event's own, else its post's), for templates with page views or reads. */
function vitalsSql(from: string, to: string): string {
  const p75 = (vital: string) => `quantile_disc(vital_value, 0.75) FILTER (WHERE name = 'web_vital_measured' AND vital = '${vital}') AS ${vital.toLowerCase()}_p75`;
  return `WITH events AS (
  SELECT CASE WHEN f.template <> '' THEN f.template ELSE coalesce(p.template, '') END AS template, f.name, f.post_id, f.weight, f.vital, f.vital_value, f.engaged_ms
  FROM waymark_facts f LEFT JOIN waymark_posts p USING (post_id)
  WHERE f.day BETWEEN ${date(from)} AND ${date(to)} AND NOT f.bot AND f.name IN ('page_viewed', 'post_read', 'web_vital_measured')
),
templates AS (
  SELECT template, ${['LCP', 'INP', 'CLS'].map(p75).join(', ')},
    coalesce(sum(weight) FILTER (WHERE ${POST_VIEW}), 0) AS views,
    coalesce(sum(weight) FILTER (WHERE name = 'post_read'), 0) AS reads,
    quantile_disc(engaged_ms, 0.5) FILTER (WHERE name = 'post_read') AS median_engaged_ms
  FROM events WHERE template <> ''
  GROUP BY template
  HAVING count(*) FILTER (WHERE name <> 'web_vital_measured') > 0
)
SELECT template, lcp_p75, inp_p75, cls_p75, views, reads / nullif(views, 0) AS read_through_rate, median_engaged_ms
FROM templates
ORDER BY views DESC, template`;
}

/** Data quality: checks on the stored events, failed events by reason and the collector's duplicate counts. */
function qualitySql(from: string, to: string, ingestStats: boolean): string {
  const flag = (check: string, order: number, column: string) =>
    `SELECT ${order}, 0, '${check}', ${column}, ${column} / nullif(stored, 0) FROM stored`;
  const ingest = ingestStats
    ? `SELECT 2, 0, 'Duplicates dropped', CASE WHEN days > 0 THEN duplicates END, CASE WHEN days > 0 THEN duplicates / nullif(accepted + duplicates + rejected, 0) END
  FROM (SELECT count(*) AS days, sum(accepted) AS accepted, sum(duplicates) AS duplicates, sum(rejected) AS rejected FROM waymark_ingest_stats WHERE day BETWEEN ${date(from)} AND ${date(to)})`
    : "SELECT 2, 0, 'Duplicates dropped', NULL, NULL";
  return `WITH stored AS (
  SELECT count(*) AS stored,
    count(*) FILTER (WHERE received_ms > 0 AND received_ms - ts_ms > 3600000) AS late,
    count(*) FILTER (WHERE abs(skew_ms) > 300000) AS skewed,
    count(*) FILTER (WHERE bot) AS bots,
    count(*) FILTER (WHERE sample_rate < 1) AS sampled
  FROM waymark_facts WHERE day BETWEEN ${date(from)} AND ${date(to)}
),
failed_by_reason AS (
  SELECT reason, count(*) AS failed FROM waymark_failed_events
  WHERE CAST(received_at AS DATE) BETWEEN ${date(from)} AND ${date(to)} GROUP BY reason
)
SELECT "check", events, share FROM (
  SELECT 0 AS part, 0 AS n, 'Stored events' AS "check", stored AS events, NULL::DOUBLE AS share FROM stored
  UNION ALL
  SELECT 1, row_number() OVER (ORDER BY failed DESC, reason), 'Failed: ' || reason, failed, failed / nullif(stored + sum(failed) OVER (), 0) FROM failed_by_reason, stored
  UNION ALL
  SELECT 1, 0, 'Failed events', 0, 0 / nullif(stored, 0) FROM stored WHERE NOT EXISTS (SELECT 1 FROM failed_by_reason)
  UNION ALL
  ${ingest}
  UNION ALL
  ${flag('Late events', 3, 'late')}
  UNION ALL
  ${flag('Clock-skewed events', 4, 'skewed')}
  UNION ALL
  ${flag('Bot events flagged', 5, 'bots')}
  UNION ALL
  ${flag('Sampled events', 6, 'sampled')}
)
ORDER BY part, n`;
}

/**
 * The hand-written queries of the built-in report set, in its order, for reports ending on `options.to` (30-day
 * periods, the previous 30 days for comparisons, and 8 whole weeks for retention).
 * @example
 * const results = await runHandWritten(engine, handWrittenReports({ to: '2026-03-30' }));
 */
export function handWrittenReports(options: HandWrittenOptions): HandWrittenReport[] {
  const { to } = options;
  const from = addDays(to, -29);
  const previousFrom = addDays(from, -30);
  const retentionFrom = mondayOf(addDays(to, -55));
  const destinations = ' LEFT JOIN (SELECT DISTINCT post_id, country FROM waymark_post_destinations) d USING (post_id)';
  const themes = ' LEFT JOIN (SELECT DISTINCT post_id, theme FROM waymark_post_themes) t USING (post_id)';
  const trait = (column: string) => (t: string) => `coalesce(${t}.${column}, '')`;
  const reports: [string, string, ((rows: ReportRow[]) => HandWrittenResult)?][] = [
    ['overview', overviewSql(from, to, previousFrom), overviewShape],
    ['content-by-post', contentSql('post', 'f.post_id', '', from, to)],
    ['content-by-author', contentSql('author', 'f.author_id', '', from, to)],
    ['content-by-destination', contentSql('destination', "coalesce(d.country, '')", destinations, from, to)],
    ['content-by-theme', contentSql('theme', "coalesce(t.theme, '')", themes, from, to)],
    ['shares-by-network', sharesSql(from, to)],
    ['trending-destinations', trendingSql(from, to, previousFrom)],
    ['segment-age-band', segmentSql('age_band', { from, to, visitor: trait('age_band') })],
    ['segment-home-country', segmentSql('home_country', { from, to, visitor: trait('home_country') })],
    ['segment-traveller-type', segmentSql('traveller_type', { from, to, visitor: trait('traveller_type') })],
    ['segment-budget', segmentSql('budget', { from, to, visitor: trait('budget') })],
    ['segment-trip-style', segmentSql('trip_style', { from, to, visitor: trait('trip_style') })],
    ['segment-engagement-tier', segmentSql('engagement_tier', { from, to, tier: true })],
    ['segment-device', segmentSql('device', { from, to, session: 'device' })],
    ['segment-campaign', segmentSql('campaign', { from, to, session: 'utm_campaign' })],
    ['funnel-read-to-click', funnelSql(from, to, previousFrom)],
    ['retention-readers', retentionSql(retentionFrom, to, 8)],
    ['web-vitals-by-template', vitalsSql(from, to)],
    ['data-quality', qualitySql(from, to, options.ingestStats === true)],
  ];
  return reports.map(([id, sql, shape]) => ({ id, sql, shape: shape ?? asRows(id) }));
}

/**
 * Runs hand-written reports one after the other on `engine`, calling `onReport` with each report's time in ms.
 * @throws {Error} naming the report whose query failed.
 */
export async function runHandWritten(
  engine: ReportEngine,
  reports: readonly HandWrittenReport[],
  onReport?: (id: string, ms: number) => void,
): Promise<HandWrittenResult[]> {
  const results: HandWrittenResult[] = [];
  for (const report of reports) {
    const started = performance.now();
    let rows: ReportRow[];
    try {
      rows = await engine.query(report.sql);
    } catch (error) {
      throw new Error(`[waymark] hand-written ${report.id} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    results.push(report.shape(rows));
    onReport?.(report.id, performance.now() - started);
  }
  return results;
}
