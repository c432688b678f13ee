// What a report on a synthetic readership must find, computed from the readership model (not sampled): the top
// destinations, the trending one, and which template is slow and least read. Tests prove them by counting.
import { createPostModel, periodStart, postMasks, readershipModel, tripStyleDistribution } from './readershipModel';
import type { PostModel } from './readershipModel';
import { posts } from './siteContent';
import type { PostTemplate } from './siteContent';

const DAY = 86_400_000;

/** Expected share of each post among human page views that show a post or a destination, on one day. */
function expectedPostShares(model: PostModel, day: number, styles: Map<number, number>): Float64Array {
  const shares = new Float64Array(posts.length);
  const pref = readershipModel.preferenceShare;
  let globalTotal = 0;
  for (let p = 0; p < posts.length; p++) globalTotal += model.globalWeight(p, day);
  for (let p = 0; p < posts.length; p++) shares[p] += ((1 - pref) * model.globalWeight(p, day)) / globalTotal;
  for (const [mask, probability] of styles) {
    let total = 0;
    for (let p = 0; p < posts.length; p++) if (postMasks[p] & mask) total += model.preferenceWeight(p, day);
    for (let p = 0; p < posts.length; p++) {
      if (postMasks[p] & mask) shares[p] += (pref * probability * model.preferenceWeight(p, day)) / total;
    }
  }
  return shares;
}

/** Options of the expected-answer functions: the period of a readership (seed and visitor count do not matter). */
export interface PeriodOptions {
  /** First instant of the period (UTC). */
  start: string | number | Date;
  /** Length of the period in days. */
  days: number;
}

/**
 * Expected share of each destination country among human page views that show a destination (post and destination
 * pages), over days `[fromDay, toDay)` of the period, each day weighted equally. Computed from the model, not sampled.
 */
export function expectedDestinationShares(options: PeriodOptions, fromDay = 0, toDay = options.days): Map<string, number> {
  const model = createPostModel(options.days);
  const styles = tripStyleDistribution();
  const result = new Map<string, number>();
  for (let day = fromDay; day < toDay; day++) {
    const shares = expectedPostShares(model, day, styles);
    shares.forEach((share, p) => {
      const country = posts[p].destinations[0].country;
      result.set(country, (result.get(country) ?? 0) + share / (toDay - fromDay));
    });
  }
  return new Map([...result].sort((a, b) => b[1] - a[1]));
}

/** The `n` destination countries with the most page views over the period, most viewed first. */
export function expectedTopDestinations(options: PeriodOptions, n = 3): string[] {
  return [...expectedDestinationShares(options).keys()].slice(0, n);
}

/** The two windows trending is measured over: the last third of the period against the third before it (epoch ms). */
export function trendingWindows(options: PeriodOptions): { previous: [number, number]; current: [number, number]; previousDays: [number, number]; currentDays: [number, number] } {
  const start = periodStart(options.start);
  const third = Math.floor(options.days / 3);
  const currentDays: [number, number] = [options.days - third, options.days];
  const previousDays: [number, number] = [options.days - 2 * third, options.days - third];
  return {
    previousDays,
    currentDays,
    previous: [start + previousDays[0] * DAY, start + previousDays[1] * DAY],
    current: [start + currentDays[0] * DAY, start + currentDays[1] * DAY],
  };
}

/** A destination's growth between the two {@link trendingWindows}. */
export interface DestinationTrend {
  country: string;
  /** Expected share of destination page views in the current window. */
  currentShare: number;
  /** Expected share in the previous window. */
  previousShare: number;
  /** `currentShare / previousShare`; Infinity for a destination new in the current window. */
  growth: number;
}

/**
 * Destinations ranked by growth of their share of page views between the {@link trendingWindows}, among those with
 * at least `minShare` of the current window's views (so a new post with a handful of views does not top the list).
 */
export function expectedTrendingDestinations(options: PeriodOptions, minShare = 0.01): DestinationTrend[] {
  const { previousDays, currentDays } = trendingWindows(options);
  const previous = expectedDestinationShares(options, ...previousDays);
  const current = expectedDestinationShares(options, ...currentDays);
  return [...current]
    .map(([country, currentShare]) => {
      const previousShare = previous.get(country) ?? 0;
      return { country, currentShare, previousShare, growth: previousShare > 0 ? currentShare / previousShare : Infinity };
    })
    .filter((trend) => trend.currentShare >= minShare)
    .sort((a, b) => b.growth - a.growth);
}

/** What a report on a readership of this period must find, derived from the model. */
export interface KnownAnswers {
  /** The three most viewed destination countries, most viewed first. */
  topDestinations: string[];
  /** The destination with the strongest growth (with at least 1 % of views) in the last third of the period. */
  trendingDestination: string;
  /** A destination whose only post launches during the period: it has no earlier views, and too few to trend. */
  launchedDestination: string;
  /** The post template with the slowest LCP. */
  slowestTemplate: PostTemplate;
  /** The post template with the lowest read-through rate. */
  lowestReadThroughTemplate: PostTemplate;
}

/** The known answers of a period's readership (see {@link KnownAnswers}). */
export function knownAnswers(options: PeriodOptions): KnownAnswers {
  const templates = Object.keys(readershipModel.readThrough) as PostTemplate[];
  const lcp = (t: PostTemplate) => readershipModel.lcpMedianMs[t].mobile + readershipModel.lcpMedianMs[t].desktop;
  const launched = posts.find((post) => post.slug === readershipModel.launch.slug)!;
  return {
    topDestinations: expectedTopDestinations(options),
    trendingDestination: expectedTrendingDestinations(options)[0].country,
    launchedDestination: launched.destinations[0].country,
    slowestTemplate: templates.reduce((a, b) => (lcp(b) > lcp(a) ? b : a)),
    lowestReadThroughTemplate: templates.reduce((a, b) => (readershipModel.readThrough[b] < readershipModel.readThrough[a] ? b : a)),
  };
}

