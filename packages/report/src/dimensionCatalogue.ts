/**
 * Where a dimension's value comes from:
 * - `column`: a `waymark_facts` column (and the same-named `waymark_daily` column when `daily` is set);
 * - `week`: the Monday of the event's day;
 * - `post`: a column of a post table (`waymark_post_destinations`, `waymark_post_themes`) joined on `post_id`, so a
 *   post's events count once for each of its destinations or themes;
 * - `template`: the event's page template, else the template of its post (`waymark_posts`);
 * - `visitor`: a trait column of `waymark_visitors` joined on `anonymous_id`;
 * - `tier`: the visitor's engagement tier in the report's period.
 */
export type DimensionSource =
  | { type: 'column'; column: string; daily?: boolean }
  | { type: 'week' }
  | { type: 'post'; table: 'waymark_post_destinations' | 'waymark_post_themes'; column: string }
  | { type: 'template' }
  | { type: 'visitor'; column: string }
  | { type: 'tier' };

/** One entry of the dimension catalogue. */
export interface DimensionSpec {
  /** Name used in definitions and as the column key, such as `destination`. */
  key: string;
  /** Column header. */
  label: string;
  /** `day` for dates (`YYYY-MM-DD`), else `text`. */
  format: 'text' | 'day';
  /** What the dimension's values are, for the README and `waymark report --list-dimensions`. */
  description: string;
  /** Where the value comes from. */
  source: DimensionSource;
  /** May be used in `segment` and `split` (traits, engagement tier, device, campaign, ...). */
  segment?: true;
  /** Names a person or a visit: refused under the marketing scope. */
  userLevel?: true;
}

/**
 * Engagement tiers, computed per visitor over the report's period (and over the comparison period for its rows):
 * `loyal` = 3 or more sessions and 2 or more reads (`post_read`); `engaged` = 2 or more sessions or at least one
 * read; `casual` = everyone else. Counted on the stored events (not weighted).
 */
export const engagementTiers = {
  loyal: { minSessions: 3, minReads: 2 },
  engaged: { minSessions: 2, minReads: 1 },
} as const;

const column = (key: string, label: string, description: string, name: string, daily: boolean, extra: Partial<DimensionSpec> = {}): DimensionSpec => ({
  key,
  label,
  format: 'text',
  description,
  source: { type: 'column', column: name, ...(daily ? { daily: true } : {}) },
  ...extra,
});

const trait = (key: string, label: string, description: string): DimensionSpec => ({
  key,
  label,
  format: 'text',
  description,
  source: { type: 'visitor', column: key },
  segment: true,
});

const entries: DimensionSpec[] = [
  { key: 'day', label: 'Day', format: 'day', description: 'UTC day the event happened.', source: { type: 'column', column: 'day', daily: true } },
  { key: 'week', label: 'Week', format: 'day', description: 'Monday of the UTC week the event happened.', source: { type: 'week' } },
  column('event', 'Event', 'Event name, such as `page_viewed`.', 'name', true),
  column('post', 'Post', 'Post id (`properties.postId`).', 'post_id', true),
  column('author', 'Author', 'Author id (`properties.authorId`).', 'author_id', true),
  {
    key: 'template',
    label: 'Template',
    format: 'text',
    description: "Page template (`properties.template`), else the template of the event's post.",
    source: { type: 'template' },
  },
  column('route', 'Route', 'Route pattern, such as `/posts/[slug]` (the path when the page has no route).', 'route', false),
  column('device', 'Device', 'Device class: `mobile`, `tablet` or `desktop`.', 'device', true, { segment: true }),
  column('browser', 'Browser', 'Browser family.', 'browser', false),
  column('country', "Reader's country", "The reader's country (ISO 3166-1 alpha-2), looked up by the collector.", 'geo', true, { segment: true }),
  column('campaign', 'Campaign', 'Campaign name (`utm_campaign`).', 'utm_campaign', true, { segment: true }),
  column('source', 'Campaign source', 'Campaign source (`utm_source`).', 'utm_source', false, { segment: true }),
  column('medium', 'Campaign medium', 'Campaign medium (`utm_medium`).', 'utm_medium', false, { segment: true }),
  {
    key: 'destination',
    label: 'Destination',
    format: 'text',
    description: "Country the post is about (the post's `destinations[]`); a post about two countries counts for each.",
    source: { type: 'post', table: 'waymark_post_destinations', column: 'country' },
  },
  {
    key: 'destination_city',
    label: 'Destination city',
    format: 'text',
    description: "City the post is about (the post's `destinations[].city`).",
    source: { type: 'post', table: 'waymark_post_destinations', column: 'city' },
  },
  {
    key: 'theme',
    label: 'Travel theme',
    format: 'text',
    description: "Travel theme of the post (the post's `themes[]`); a post with two themes counts for each.",
    source: { type: 'post', table: 'waymark_post_themes', column: 'theme' },
  },
  column('event_destination', 'Event destination', 'Country named by the event itself (destination_viewed, affiliate clicks, searches, maps).', 'dest_country', true),
  column('event_destination_city', 'Event destination city', 'City named by the event itself.', 'dest_city', false),
  column('network', 'Share network', 'Network of `post_shared`, such as `pinterest`.', 'network', false),
  column('partner', 'Partner', 'Affiliate or booking partner.', 'partner', false),
  column('product_type', 'Product type', 'Affiliate or booking product type, such as `hotel`.', 'product_type', false),
  column('vital', 'Web vital', 'Web vital name of `web_vital_measured` (LCP, INP, CLS, FCP, TTFB).', 'vital', false),
  trait('age_band', 'Age band', 'Age band trait from `identify`, such as `25-34`.'),
  trait('home_country', 'Home country', 'Home country trait from `identify`.'),
  trait('traveller_type', 'Traveller type', 'Traveller type trait: solo, couple, family, friends, business.'),
  trait('budget', 'Budget', 'Budget trait: budget, mid, luxury.'),
  trait('trip_style', 'Trip style', 'First trip style trait, such as `adventure`.'),
  {
    key: 'engagement_tier',
    label: 'Engagement tier',
    format: 'text',
    description: 'loyal (3+ sessions and 2+ reads in the period), engaged (2+ sessions or 1+ read), casual (the rest).',
    source: { type: 'tier' },
    segment: true,
  },
  column('visitor', 'Visitor', 'Anonymous id (user-level).', 'anonymous_id', false, { userLevel: true }),
  column('user', 'User', 'Pseudonymised user id (user-level).', 'user_id', false, { userLevel: true }),
  column('session', 'Session', 'Session id (user-level).', 'session_id', false, { userLevel: true }),
];

/** Every dimension a definition may name, by key. */
export const dimensionCatalogue: ReadonlyMap<string, DimensionSpec> = new Map(entries.map((dimension) => [dimension.key, dimension]));

/** Dimension keys in catalogue order. */
export const dimensionKeys: readonly string[] = entries.map((dimension) => dimension.key);

/** Keys of the dimensions allowed in `segment` and `split`. */
export const segmentDimensionKeys: readonly string[] = entries.filter((dimension) => dimension.segment).map((dimension) => dimension.key);

/** Whether `waymark_daily` holds the dimension (directly or through `post_id`). */
export function dimensionInDaily(dimension: DimensionSpec): boolean {
  const { source } = dimension;
  if (source.type === 'column') return source.daily === true;
  return source.type === 'week' || source.type === 'post' || source.type === 'template';
}
