// The readership model's knobs, and the day-by-day popularity of posts that both the generator and the expected
// answers use: the answers are computed from the same model the generator samples, not guessed.
import type { Campaign } from '@waymark/taxonomy';
import { tripStyleModel } from './createVisitor';
import type { DeviceClass, EngagementTier } from './createVisitor';
import { posts, travelThemes } from './siteContent';
import type { PostTemplate, TravelTheme } from './siteContent';

/**
 * The knobs of the readership model that the known answers come from. Popularity follows the posts'
 * `popularityRank` (Zipf-like); part of the page views follow the reader's trip styles instead.
 */
export const readershipModel = {
  /** Exponent of the Zipf-like popularity over post ranks. */
  zipfExponent: 1,
  /** Share of post choices that follow the reader's preferred themes instead of overall popularity. */
  preferenceShare: 0.25,
  /** A destination whose posts grow strongly in the last part of the period: `growth` times the views at the end. */
  trending: { country: 'GE', from: 2 / 3, growth: 8 },
  /** A post launched during the period (at this fraction of it): few views, all new. */
  launch: { slug: 'bhutan-festivals', at: 0.8 },
  /** Share of visits that arrive through a tagged campaign. */
  campaignShare: 0.22,
  /** Base read-through rate of a post per template, before the reader's tier, device and LCP. */
  readThrough: { article: 0.5, itinerary: 0.55, guide: 0.45, gallery: 0.4 } as Record<PostTemplate, number>,
  /** Median LCP in ms per template and device: gallery pages are the slow ones. */
  lcpMedianMs: {
    article: { mobile: 2000, tablet: 1700, desktop: 1300 },
    itinerary: { mobile: 2300, tablet: 1900, desktop: 1500 },
    guide: { mobile: 2100, tablet: 1800, desktop: 1400 },
    gallery: { mobile: 3600, tablet: 3000, desktop: 2400 },
    home: { mobile: 1700, tablet: 1400, desktop: 1100 },
    destination: { mobile: 1900, tablet: 1600, desktop: 1200 },
    search: { mobile: 1400, tablet: 1200, desktop: 900 },
  } as Record<string, Record<DeviceClass, number>>,
  /** Read-through multiplier by LCP rating: a slow page loses readers. */
  lcpPenalty: { good: 1, 'needs-improvement': 0.75, poor: 0.45 },
  /** Read-through multiplier by engagement tier. */
  tierReading: { one_time: 0.8, occasional: 1, regular: 1.2, loyal: 1.4 } as Record<EngagementTier, number>,
  /** Extra pages per visit (mean) by tier. */
  extraPages: { one_time: 0.7, occasional: 1.1, regular: 1.6, loyal: 2.2 } as Record<EngagementTier, number>,
  /** Median time to read a whole post, ms, by template. */
  readMs: { article: 150_000, itinerary: 240_000, guide: 200_000, gallery: 90_000 } as Record<PostTemplate, number>,
} as const;

/** Tagged campaigns: `utm_source`, `utm_medium`, `utm_campaign` (as `name`), their weight and the landing referrer. */
export const campaigns: readonly { campaign: Required<Pick<Campaign, 'source' | 'medium' | 'name'>>; weight: number; referrer?: string }[] = [
  { campaign: { source: 'newsletter', medium: 'email', name: 'weekly-digest' }, weight: 9 },
  { campaign: { source: 'instagram', medium: 'social', name: 'spring-escapes' }, weight: 5, referrer: 'https://l.instagram.com/' },
  { campaign: { source: 'google', medium: 'cpc', name: 'japan-rail-pass' }, weight: 4, referrer: 'https://www.google.com/' },
  { campaign: { source: 'facebook', medium: 'paid_social', name: 'summer-beaches' }, weight: 3, referrer: 'https://m.facebook.com/' },
  { campaign: { source: 'pinterest', medium: 'social', name: 'gallery-pins' }, weight: 2, referrer: 'https://www.pinterest.com/' },
  { campaign: { source: 'nomad-notes', medium: 'referral', name: 'guest-post' }, weight: 1, referrer: 'https://nomadnotes.example/' },
];

/** A page's web vital rating from its value (web.dev thresholds). */
export function vitalRating(metric: 'LCP' | 'INP' | 'CLS', value: number): 'good' | 'needs-improvement' | 'poor' {
  const [good, poor] = metric === 'LCP' ? [2500, 4000] : metric === 'INP' ? [200, 500] : [0.1, 0.25];
  return value <= good ? 'good' : value <= poor ? 'needs-improvement' : 'poor';
}

/** Epoch ms of a period start given as an ISO string, epoch ms or Date. */
export function periodStart(start: string | number | Date): number {
  const ms = typeof start === 'number' ? start : typeof start === 'string' ? Date.parse(start) : start.getTime();
  if (!Number.isFinite(ms)) throw new TypeError(`[waymark] synthetic readership: start ${JSON.stringify(start)} is not a date`);
  return ms;
}

/** The bit of a theme in a theme mask. */
export const themeBit = (theme: TravelTheme): number => 1 << travelThemes.indexOf(theme);
/** Each post's themes as a bit mask, in the order of `posts`. */
export const postMasks: readonly number[] = posts.map((post) => post.themes.reduce((mask, theme) => mask | themeBit(theme), 0));

/** The popularity model of one period: which post a page view shows, day by day. */
export interface PostModel {
  /** Posts live on `day` (the launched post only from its launch). */
  published(post: number, day: number): boolean;
  /** Weight of a post on `day` before normalisation, for the overall-popularity choice. */
  globalWeight(post: number, day: number): number;
  /** Weight of a post on `day` for the preference choice (trend and launch, no Zipf). */
  preferenceWeight(post: number, day: number): number;
}

/** The popularity model of a period of `days` days. */
export function createPostModel(days: number): PostModel {
  const { trending, launch, zipfExponent } = readershipModel;
  const launchDay = Math.floor(launch.at * days);
  const trend = (post: number, day: number) => {
    if (posts[post].destinations[0].country !== trending.country) return 1;
    const f = (day + 0.5) / days;
    return f < trending.from ? 1 : 1 + ((trending.growth - 1) * (f - trending.from)) / (1 - trending.from);
  };
  const published = (post: number, day: number) => posts[post].slug !== launch.slug || day >= launchDay;
  return {
    published,
    globalWeight: (post, day) => (published(post, day) ? trend(post, day) / posts[post].popularityRank ** zipfExponent : 0),
    preferenceWeight: (post, day) => (published(post, day) ? trend(post, day) : 0),
  };
}

/** Every set of trip styles a visitor can have, as a theme bit mask, with its probability. */
export function tripStyleDistribution(): Map<number, number> {
  const result = new Map<number, number>();
  const weights = tripStyleModel.themeWeights;
  const walk = (left: TravelTheme[], mask: number, p: number, remaining: number) => {
    if (remaining === 0) {
      result.set(mask, (result.get(mask) ?? 0) + p);
      return;
    }
    const total = left.reduce((sum, t) => sum + weights[t], 0);
    for (const theme of left) {
      walk(
        left.filter((t) => t !== theme),
        mask | themeBit(theme),
        (p * weights[theme]) / total,
        remaining - 1,
      );
    }
  };
  tripStyleModel.counts.forEach((p, i) => walk([...travelThemes], 0, p, i + 1));
  return result;
}

