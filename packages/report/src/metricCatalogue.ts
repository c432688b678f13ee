import { shareNetworks } from '@waymark/taxonomy';
import type { ColumnFormat } from './reportResult';

/**
 * How a metric is computed:
 * - `sum`: a weighted count (each event counts `1 / sample_rate`) or a weighted sum of a value, over the events
 *   matching `where`. Additive: sums over days or posts add up.
 * - `distinct`: distinct visitors or sessions among the events matching `where`, each weighted by its smallest
 *   event weight (a visitor with any unsampled event counts 1).
 * - `quantile`: a discrete quantile of a value over the matching stored events (not weighted).
 * - `ratio`: one metric divided by another (null when the denominator is 0).
 */
export type MetricKind = 'sum' | 'distinct' | 'quantile' | 'ratio';

/** One entry of the metric catalogue. */
export interface MetricSpec {
  /** Name used in definitions and as the column key, such as `read_through_rate`. */
  key: string;
  /** Column header. */
  label: string;
  /** How renderers show the values. */
  format: ColumnFormat;
  /** What the metric counts, for the README and `waymark report --list-metrics`. */
  description: string;
  /** How the metric is computed. */
  kind: MetricKind;
  /** SQL condition on `waymark_facts` columns selecting the events (sum, distinct, quantile). */
  where?: string;
  /** The one event name `where` requires, so a scan can skip every other event. */
  event?: string;
  /** Sum: `weight` (a weighted count) or `weight * <column>`; quantile: the column. */
  value?: string;
  /** Distinct: the id counted. */
  distinctOf?: 'anonymous_id' | 'session_id';
  /** Quantile level, 0..1. */
  q?: number;
  /** Ratio: numerator and denominator metric keys. */
  numerator?: string;
  denominator?: string;
  /**
   * Sum metrics that `waymark_daily` can answer: the rollup column summed and the condition on its columns. Absent
   * when the metric needs a column the rollup does not keep.
   */
  daily?: { column: 'events' | 'engaged_ms'; where?: string };
  /** `waymark_facts` columns the metric reads. */
  columns: readonly string[];
}

const count = (
  key: string,
  label: string,
  description: string,
  where: string | undefined,
  daily: boolean,
  extraColumns: readonly string[] = [],
): MetricSpec => ({
  key,
  label,
  format: 'count',
  description,
  kind: 'sum',
  where,
  event: where ? /^name = '([a-z0-9_]+)'/.exec(where)?.[1] : undefined,
  value: 'weight',
  daily: daily ? { column: 'events', where } : undefined,
  columns: ['weight', ...(where ? ['name'] : []), ...extraColumns],
});

const ratio = (key: string, label: string, description: string, numerator: string, denominator: string, format: ColumnFormat = 'ratio'): MetricSpec => ({
  key,
  label,
  format,
  description,
  kind: 'ratio',
  numerator,
  denominator,
  columns: [],
});

const named = (name: string) => `name = '${name}'`;
const postView = `name = 'page_viewed' AND post_id <> ''`;
const vitals = ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'] as const;
const scrollMilestones = [25, 50, 75, 100] as const;

const entries: MetricSpec[] = [
  count('events', 'Events', 'Every stored event, weighted by its sample rate.', undefined, true),
  count('page_views', 'Page views', '`page_viewed` events, on any page.', named('page_viewed'), true),
  count('views', 'Post views', '`page_viewed` events of a post (with a post id).', postView, true, ['post_id']),
  count('reads', 'Reads', '`post_read` events: readers who reached the end of an article.', named('post_read'), true),
  {
    key: 'engaged_ms',
    label: 'Engaged time',
    format: 'duration',
    description: 'Sum of `engaged_time_reported` time: active, visible, focused reading.',
    kind: 'sum',
    where: named('engaged_time_reported'),
    event: 'engaged_time_reported',
    value: 'weight * engaged_ms',
    daily: { column: 'engaged_ms', where: named('engaged_time_reported') },
    columns: ['weight', 'name', 'engaged_ms'],
  },
  {
    key: 'visitors',
    label: 'Visitors',
    format: 'count',
    description: 'Distinct anonymous ids, each weighted by its smallest event weight.',
    kind: 'distinct',
    distinctOf: 'anonymous_id',
    columns: ['anonymous_id', 'sample_rate'],
  },
  {
    key: 'sessions',
    label: 'Sessions',
    format: 'count',
    description: 'Distinct sessions, each weighted by its smallest event weight.',
    kind: 'distinct',
    distinctOf: 'session_id',
    columns: ['session_id', 'sample_rate'],
  },
  {
    key: 'unique_readers',
    label: 'Unique readers',
    format: 'count',
    description: 'Distinct visitors who viewed a post, each weighted by its smallest event weight.',
    kind: 'distinct',
    distinctOf: 'anonymous_id',
    where: postView,
    event: 'page_viewed',
    columns: ['anonymous_id', 'sample_rate', 'name', 'post_id'],
  },
  {
    key: 'median_engaged_ms',
    label: 'Median engaged time per read',
    format: 'duration',
    description: 'Median of the engaged time a reader had spent when reaching the end of the article (`post_read`).',
    kind: 'quantile',
    where: named('post_read'),
    event: 'post_read',
    value: 'engaged_ms',
    q: 0.5,
    columns: ['name', 'engaged_ms'],
  },
  ...scrollMilestones.map((pct) =>
    count(`scroll_${pct}`, `Scrolled ${pct}%`, `\`scroll_depth_reached\` events at the ${pct}% milestone.`, `name = 'scroll_depth_reached' AND scroll_pct = ${pct}`, false, ['scroll_pct']),
  ),
  count('shares', 'Shares', '`post_shared` events on any network.', named('post_shared'), true),
  ...shareNetworks.map((network) =>
    count(`shares_${network}`, `Shares: ${network}`, `\`post_shared\` events on ${network}.`, `name = 'post_shared' AND network = '${network}'`, false, ['network']),
  ),
  count('comments', 'Comments', '`comment_posted` events.', named('comment_posted'), true),
  count('affiliate_clicks', 'Affiliate clicks', '`affiliate_link_clicked` events: affiliate and booking links followed.', named('affiliate_link_clicked'), true),
  count('booking_widget_uses', 'Booking widget uses', '`booking_widget_used` events (viewed, searched or clicked).', named('booking_widget_used'), true),
  count('newsletter_signups', 'Newsletter sign-ups', '`newsletter_signed_up` events.', named('newsletter_signed_up'), true),
  count('destination_views', 'Destination views', '`destination_viewed` events.', named('destination_viewed'), true),
  count('destination_saves', 'Destination saves', '`destination_saved` events.', named('destination_saved'), true),
  count('itinerary_views', 'Itinerary views', '`itinerary_viewed` events.', named('itinerary_viewed'), true),
  count('itinerary_saves', 'Itinerary saves', '`itinerary_saved` events.', named('itinerary_saved'), true),
  count('searches', 'Searches', '`search_performed` events.', named('search_performed'), true),
  count('outbound_clicks', 'Outbound clicks', '`outbound_link_clicked` events (links to sites that are not partners).', named('outbound_link_clicked'), true),
  ...vitals.map(
    (vital): MetricSpec => ({
      key: `${vital.toLowerCase()}_p75`,
      label: `${vital} p75`,
      format: vital === 'CLS' ? 'number' : 'duration',
      description: `75th percentile of the \`${vital}\` values of \`web_vital_measured\` events${vital === 'CLS' ? ' (unitless layout shift score)' : ' (ms)'}.`,
      kind: 'quantile',
      where: `name = 'web_vital_measured' AND vital = '${vital}'`,
      event: 'web_vital_measured',
      value: 'vital_value',
      q: 0.75,
      columns: ['name', 'vital', 'vital_value'],
    }),
  ),
  ratio('read_through_rate', 'Read-through rate', 'Reads per post view (`post_read` / post views).', 'reads', 'views'),
  ...scrollMilestones.map((pct) => ratio(`scroll_${pct}_rate`, `Reached ${pct}%`, `Post views that scrolled past ${pct}% (scroll_${pct} / views).`, `scroll_${pct}`, 'views')),
  ratio('affiliate_click_rate', 'Affiliate click rate', 'Affiliate clicks per post view.', 'affiliate_clicks', 'views'),
  ratio('share_rate', 'Share rate', 'Shares per post view.', 'shares', 'views'),
  ratio('engaged_ms_per_visitor', 'Engaged time per visitor', 'Engaged time divided by visitors.', 'engaged_ms', 'visitors', 'duration'),
  ratio('pages_per_session', 'Pages per session', 'Page views divided by sessions.', 'page_views', 'sessions', 'number'),
  ratio('views_per_reader', 'Views per reader', 'Post views divided by unique readers.', 'views', 'unique_readers', 'number'),
];

/** Every metric a definition may name, by key. */
export const metricCatalogue: ReadonlyMap<string, MetricSpec> = new Map(entries.map((metric) => [metric.key, metric]));

/** Metric keys in catalogue order. */
export const metricKeys: readonly string[] = entries.map((metric) => metric.key);

/** The metrics a metric needs computed in SQL: itself, or a ratio's numerator and denominator. */
export function baseMetrics(key: string): MetricSpec[] {
  const metric = metricCatalogue.get(key);
  if (!metric) return [];
  if (metric.kind !== 'ratio') return [metric];
  return [...baseMetrics(metric.numerator!), ...baseMetrics(metric.denominator!)];
}

/**
 * Sum metrics `waymark_sessions` keeps per session and day, each in a column named after it: with the visitors and
 * sessions they answer the overview and the segment reports without reading every event.
 */
export const sessionMetricKeys = ['events', 'page_views', 'views', 'reads', 'affiliate_clicks', 'engaged_ms'] as const;

/** Whether every base metric of `keys` can be read from `waymark_sessions`: one it keeps, or all visitors or sessions. */
export function sessionCapable(keys: readonly string[]): boolean {
  const kept: readonly string[] = sessionMetricKeys;
  return keys.every((key) => baseMetrics(key).every((metric) => kept.includes(metric.key) || (metric.kind === 'distinct' && metric.where === undefined)));
}

/**
 * Sum metrics `waymark_post_visitors` keeps per post, visitor and day, each in a column named after it: with unique
 * readers they answer the content reports from a row per reader instead of every event.
 */
export const postVisitorMetricKeys = ['views', 'reads', 'scroll_25', 'scroll_50', 'scroll_75', 'scroll_100', 'shares', 'comments', 'affiliate_clicks'] as const;

/** Whether every base metric of `keys` can be read from `waymark_post_visitors` (quantiles read the events anyway). */
export function postVisitorCapable(keys: readonly string[]): boolean {
  const kept: readonly string[] = postVisitorMetricKeys;
  return keys.every((key) => baseMetrics(key).every((metric) => kept.includes(metric.key) || metric.key === 'unique_readers' || metric.kind === 'quantile'));
}

/** Whether every base metric of `keys` can be read from `waymark_daily`. */
export function dailyCapable(keys: readonly string[]): boolean {
  return keys.every((key) => baseMetrics(key).every((metric) => metric.daily !== undefined));
}
