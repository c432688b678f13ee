// A seeded synthetic readership of the travel blog: visitors with stable profiles, their visits in time order, and
// each visit's actions (page views, reading, sharing, affiliate clicks, web vitals, identify) with timestamps.
import type { Campaign, EnvelopeType, UserTraits } from '@waymark/taxonomy';
import { createRandom, cumulative, mixSeed, seededUuid } from './createRandom';
import type { Random } from './createRandom';
import { createVisitor } from './createVisitor';
import type { EngagementTier, Visitor } from './createVisitor';
import { campaigns, createPostModel, periodStart, postMasks, readershipModel, themeBit, vitalRating } from './readershipModel';
import type { PostModel } from './readershipModel';
import { defaultSiteOrigin, destinationOf, destinationPath, destinations, pageTemplates, postPath, posts, siteRoutes } from './siteContent';
import type { Destination, Post } from './siteContent';

// The known answers and the model's knobs, where callers of the generator look for them.
export { expectedDestinationShares, expectedTopDestinations, expectedTrendingDestinations, knownAnswers, trendingWindows } from './knownAnswers';
export type { DestinationTrend, KnownAnswers, PeriodOptions } from './knownAnswers';
export { campaigns, periodStart, readershipModel, vitalRating } from './readershipModel';

/** Options of {@link generateReadership}. */
export interface ReadershipOptions {
  /** Seed of every random choice: same options, same readership. */
  seed: number;
  /** First instant of the period (UTC), as an ISO string, epoch ms or Date. */
  start: string | number | Date;
  /** Length of the period in days. */
  days: number;
  /** Number of distinct visitors (readers and a few crawlers), including those who decline consent. */
  visitors: number;
  /** Origin of the blog's URLs. @default 'https://blog.example' */
  origin?: string;
}

/** One page of a visit. */
export interface PageView {
  kind: 'home' | 'post' | 'destination' | 'search';
  /** Full URL as the tracker reports it (campaign `utm_*` keys on the landing page). */
  url: string;
  path: string;
  /** Route pattern such as `/posts/[slug]`. */
  route: string;
  title: string;
  /** The referrer as the browser reports it: the previous page, or the external site of the landing page. */
  referrer?: string;
  /** Page template reported with page views and web vitals. */
  template: string;
  post?: Post;
  destination?: Destination;
}

/** One thing a visitor did: what the tracker records as one envelope. */
export interface VisitAction {
  type: EnvelopeType;
  /** Catalogue event name (`page_viewed` for pages, `user_identified` for identify). */
  name: string;
  /** When it happened (true time, epoch ms). The device clock may be off by {@link Visitor.clockOffsetMs}. */
  at: number;
  /** When the tracker sent it (true time, epoch ms): batching, page hide, or back online for offline visits. */
  sentAt: number;
  /** Index of its page in {@link Visit.pages}. */
  page: number;
  properties: Record<string, unknown>;
  /** The user id the tracker knows at that moment. */
  userId?: string;
  /** Traits, on `identify` actions only. */
  traits?: UserTraits;
}

/** One visit (session) of one visitor. */
export interface Visit {
  /** Position of the visit in the period's time order, 0-based. */
  sequence: number;
  visitor: Visitor;
  /** The visitor's visit number, 0-based. */
  number: number;
  sessionId: string;
  /** The device's id, or a new one per visit when ids are not stored. */
  anonymousId: string;
  /** Seed of the visit's event ids. */
  idSeed: number;
  /** First action, epoch ms. */
  start: number;
  /** Last action, epoch ms. */
  end: number;
  /** Country the visitor reads from (a trusted proxy's geo lookup): home, or a destination when travelling. */
  country: string;
  campaign?: Campaign;
  /** Read offline: the events were sent when the device came back online, hours later. */
  offline: boolean;
  /** Network latency of this visit's requests, ms. */
  latencyMs: number;
  pages: PageView[];
  actions: VisitAction[];
}

/** Version of the generator's output: bump it whenever a change makes the same options generate other events. */
export const readershipVersion = 2;

const HOUR = 3_600_000;
const DAY = 86_400_000;

const campaignSums = cumulative(campaigns.map((c) => c.weight));
const loyalCampaignSums = cumulative(campaigns.map((c) => (c.campaign.source === 'newsletter' ? c.weight * 4 : c.weight)));
const untaggedReferrers: readonly (string | undefined)[] = [
  undefined,
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
  'https://www.reddit.com/',
  'https://t.co/',
  'https://www.facebook.com/',
  'https://www.lonelyplanet.com/',
  'https://nomadnotes.example/',
];
const untaggedSums = cumulative([35, 36, 5, 4, 4, 3, 5, 4, 4]);
const localHourSums = cumulative([0.6, 0.35, 0.2, 0.15, 0.15, 0.25, 0.5, 0.9, 1.1, 1.1, 1.1, 1.2, 1.4, 1.3, 1.1, 1.1, 1.2, 1.4, 1.6, 1.9, 2.1, 2.0, 1.6, 1.0]);
const hours = Array.from({ length: 24 }, (_, h) => h);
/** Visit volume by UTC weekday, Sunday first: trips are planned on Sundays. */
const weekdayWeights = [1.25, 1.05, 0.95, 0.95, 0.95, 0.9, 1.1];
const shareNetworks = ['whatsapp', 'facebook', 'pinterest', 'x', 'copy_link', 'email', 'native', 'linkedin', 'reddit'] as const;
const shareSums = cumulative([22, 18, 14, 10, 14, 8, 10, 2, 2]);
const gallerySharesums = cumulative([16, 14, 40, 6, 10, 6, 6, 1, 1]);
const mapActions = ['zoom', 'pan', 'marker_clicked', 'route_viewed', 'fullscreen', 'layer_toggled'] as const;
const mapActionSums = cumulative([35, 30, 20, 8, 4, 3]);
const placements = ['inline', 'sidebar', 'cta_box', 'table'] as const;
const placementSums = cumulative([50, 15, 25, 10]);
const navigationTypes = ['navigate', 'reload', 'back-forward'] as const;
const navigationSums = cumulative([92, 3, 5]);
const saveMethods = ['bookmark', 'pdf', 'calendar', 'email'] as const;
const partialDepths = [25, 50, 75];
const partialDepthSums = cumulative([45, 35, 20]);
const milestones = [25, 50, 75, 100] as const;
/** Share of the engaged time at which each scroll milestone is reached. */
const milestoneAt = [0.12, 0.35, 0.6, 0.9];
const commentChance: Record<EngagementTier, number> = { one_time: 0.006, occasional: 0.012, regular: 0.025, loyal: 0.05 };

function checkOptions(options: ReadershipOptions): void {
  if (!Number.isInteger(options.seed)) throw new TypeError('[waymark] synthetic readership: `seed` must be an integer');
  if (!(Number.isInteger(options.days) && options.days >= 1)) throw new TypeError('[waymark] synthetic readership: `days` must be a whole number, at least 1');
  if (!(Number.isInteger(options.visitors) && options.visitors >= 0)) throw new TypeError('[waymark] synthetic readership: `visitors` must be a whole number');
  periodStart(options.start);
}

/** When each visitor comes, sorted: parallel arrays, so millions of visits take a few bytes each. */
interface Schedule {
  times: Float64Array;
  visitors: Uint32Array;
  numbers: Uint16Array;
  order: Uint32Array;
}

function buildSchedule(options: ReadershipOptions, start: number): Schedule {
  const end = start + options.days * DAY;
  const daySums = cumulative(Array.from({ length: options.days }, (_, d) => weekdayWeights[new Date(start + d * DAY).getUTCDay()]));
  const dayIndexes = Array.from({ length: options.days }, (_, d) => d);
  let times = new Float64Array(Math.max(16, options.visitors * 3));
  let visitors = new Uint32Array(times.length);
  let numbers = new Uint16Array(times.length);
  let count = 0;
  const push = (time: number, visitor: number, number: number) => {
    if (count === times.length) {
      const grow = <T extends Float64Array | Uint32Array | Uint16Array>(array: T): T => {
        const bigger = new (array.constructor as new (n: number) => T)(array.length * 2);
        bigger.set(array);
        return bigger;
      };
      times = grow(times);
      visitors = grow(visitors);
      numbers = grow(numbers);
    }
    times[count] = time;
    visitors[count] = visitor;
    numbers[count] = number;
    count++;
  };
  // A local time of day on the UTC day `day`, by the diurnal pattern, kept inside the period.
  const timeOnDay = (random: Random, day: number, offsetHours: number) => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const hour = random.weighted(hours, localHourSums);
      const t = start + day * DAY + (hour - offsetHours) * HOUR + random.next() * HOUR;
      if (t >= start && t < end) return t;
    }
    return start + day * DAY + random.next() * DAY;
  };
  for (let i = 0; i < options.visitors; i++) {
    const visitor = createVisitor(options.seed, i);
    const random = createRandom(mixSeed(options.seed, i, 0x5c4e));
    if (visitor.kind === 'bot') {
      for (let n = 0; n < visitor.plannedVisits; n++) push(start + random.next() * options.days * DAY, i, n);
      continue;
    }
    let t = timeOnDay(random, random.weighted(dayIndexes, daySums), visitor.utcOffsetHours);
    for (let n = 0; n < visitor.plannedVisits && t < end; n++) {
      push(t, i, n);
      const next = t + Math.max(HOUR, random.exponential(visitor.meanGapDays * DAY));
      const day = Math.floor((next + visitor.utcOffsetHours * HOUR - start) / DAY);
      if (day >= options.days) break;
      t = Math.max(next, timeOnDay(random, day, visitor.utcOffsetHours));
    }
  }
  times = times.subarray(0, count);
  visitors = visitors.subarray(0, count);
  numbers = numbers.subarray(0, count);
  const order = new Uint32Array(count);
  for (let k = 0; k < count; k++) order[k] = k;
  order.sort((a, b) => times[a] - times[b] || visitors[a] - visitors[b] || numbers[a] - numbers[b]);
  return { times, visitors, numbers, order };
}

/** Everything a visit builder needs that does not change between visits. */
interface Context {
  seed: number;
  origin: string;
  start: number;
  days: number;
  model: PostModel;
  globalSums: Float64Array[];
  preferenceSums: Map<number, Float64Array>;
  publishedPosts: Post[][];
}

function createContext(options: ReadershipOptions, start: number): Context {
  const model = createPostModel(options.days);
  const globalSums = Array.from({ length: options.days }, (_, day) => cumulative(posts.map((_, p) => model.globalWeight(p, day))));
  const publishedPosts = Array.from({ length: options.days }, (_, day) => posts.filter((_, p) => model.published(p, day)));
  return { seed: options.seed, origin: (options.origin ?? defaultSiteOrigin).replace(/\/+$/, ''), start, days: options.days, model, globalSums, preferenceSums: new Map(), publishedPosts };
}

function pickPost(context: Context, random: Random, day: number, styleMask: number): Post {
  const d = Math.min(Math.max(day, 0), context.days - 1);
  if (random.next() < readershipModel.preferenceShare && styleMask !== 0) {
    const key = d * 256 + styleMask;
    let sums = context.preferenceSums.get(key);
    if (!sums) {
      sums = cumulative(posts.map((_, p) => (postMasks[p] & styleMask ? context.model.preferenceWeight(p, d) : 0)));
      context.preferenceSums.set(key, sums);
    }
    return random.weighted(posts, sums);
  }
  return random.weighted(posts, context.globalSums[d]);
}

/** Builds the pages and actions of one visit. */
class VisitBuilder {
  readonly pages: PageView[] = [];
  readonly actions: VisitAction[] = [];
  /** Actions sent when the page is hidden (flushed at once). */
  readonly exits = new Set<VisitAction>();
  newsletterDone = false;

  constructor(
    readonly context: Context,
    readonly random: Random,
    readonly visitor: Visitor,
    readonly number: number,
    readonly styleMask: number,
  ) {}

  add(name: string, at: number, properties: Record<string, unknown>, exit = false, type: EnvelopeType = 'track'): void {
    const action: VisitAction = { type, name, at: Math.round(at), sentAt: 0, page: this.pages.length - 1, properties, userId: undefined, traits: undefined };
    this.actions.push(action);
    if (exit) this.exits.add(action);
  }

  page(kind: PageView['kind'], day: number, referrer: string | undefined, query: string): PageView {
    const { origin } = this.context;
    let page: PageView;
    if (kind === 'post') {
      const post = pickPost(this.context, this.random, day, this.styleMask);
      const path = postPath(post);
      page = { kind, url: origin + path + query, path, route: siteRoutes.post, title: post.title, template: post.template, post };
    } else if (kind === 'destination') {
      const destination = destinationOf(pickPost(this.context, this.random, day, this.styleMask).destinations[0].country)!;
      const path = destinationPath(destination);
      page = { kind, url: origin + path + query, path, route: siteRoutes.destination, title: `${destination.name} travel guides`, template: pageTemplates.destination, destination };
    } else if (kind === 'search') {
      page = { kind, url: `${origin}/search${query}`, path: '/search', route: siteRoutes.search, title: 'Search', template: pageTemplates.search };
    } else {
      page = { kind, url: `${origin}/${query}`, path: '/', route: siteRoutes.home, title: 'Travel stories, itineraries and guides', template: pageTemplates.home };
    }
    if (referrer) page.referrer = referrer;
    this.pages.push(page);
    return page;
  }

  /** The page's LCP in ms: drawn when the page loads, because it decides whether the reader stays. */
  lcp(page: PageView): number {
    return Math.round(this.random.logNormal(readershipModel.lcpMedianMs[page.template][this.visitor.screen], 0.35));
  }

  /** Web vitals (LCP, CLS, and INP when the reader interacted), sent when the page is hidden. */
  vitals(page: PageView, at: number, engagedMs: number, landing: boolean, lcp: number): void {
    const { random, visitor } = this;
    const device = visitor.screen;
    const gallery = page.template === 'gallery';
    const navigationType = landing ? random.weighted(navigationTypes, navigationSums) : 'navigate';
    this.add('web_vital_measured', at, { metric: 'LCP', value: lcp, rating: vitalRating('LCP', lcp), template: page.template, navigationType }, true);
    const cls = Math.round(random.logNormal(gallery ? 0.12 : 0.03, 0.8) * 10_000) / 10_000;
    this.add('web_vital_measured', at, { metric: 'CLS', value: cls, rating: vitalRating('CLS', cls), template: page.template, navigationType }, true);
    // INP is reported only for pages the reader interacted with.
    if (engagedMs > 4000) {
      const inp = Math.round(random.logNormal((device === 'desktop' ? 110 : 210) * (gallery ? 1.4 : 1), 0.5));
      this.add('web_vital_measured', at, { metric: 'INP', value: inp, rating: vitalRating('INP', inp), template: page.template, navigationType }, true);
    }
  }

  /** A post page: reading, milestones, sections, itinerary, gallery, map, shares, comments, affiliate clicks. */
  post(page: PageView, t0: number, landing: boolean, last: boolean): number {
    const { random, visitor } = this;
    const post = page.post!;
    const content = { postId: post.postId, authorId: post.authorId };
    this.add('page_viewed', t0, { ...content, template: post.template, themes: post.themes, destinations: post.destinations }, false, 'page');
    const lcp = this.lcp(page);
    const lcpRating = vitalRating('LCP', lcp);
    const readChance =
      readershipModel.readThrough[post.template] *
      readershipModel.tierReading[visitor.tier] *
      readershipModel.lcpPenalty[lcpRating] *
      (visitor.screen === 'mobile' ? 0.9 : 1);
    const read = random.chance(Math.min(0.95, readChance));
    const bounced = !read && random.chance(lcpRating === 'poor' ? 0.5 : 0.3);
    const depth = read ? 100 : bounced ? 0 : random.weighted(partialDepths, partialDepthSums);
    const fullMs = random.logNormal(readershipModel.readMs[post.template], 0.45);
    const engaged = read ? fullMs * random.between(0.9, 1.2) : bounced ? random.between(2000, 15_000) : fullMs * (depth / 100) * random.between(0.6, 1);
    if (post.itinerary) {
      this.add('itinerary_viewed', t0 + random.between(800, 2500), { ...content, itineraryId: post.itinerary.itineraryId, days: post.itinerary.days, destinations: post.destinations });
    }
    for (let m = 0; m < milestones.length && milestones[m] <= depth; m++) {
      this.add('scroll_depth_reached', t0 + engaged * milestoneAt[m], { ...content, percent: milestones[m] });
    }
    if (depth >= 50) this.add('destination_viewed', t0 + engaged * 0.4, { ...content, destination: post.destinations[0] });
    if (post.itinerary) {
      const { days, itineraryId } = post.itinerary;
      const daysRead = Math.floor((days * depth) / 100);
      for (let day = 1; day <= daysRead; day++) {
        this.add('itinerary_day_read', t0 + engaged * (0.15 + (0.75 * day) / days), { ...content, itineraryId, day, visibleMs: Math.round(((engaged * 0.7) / days) * random.between(0.5, 1.2)) });
      }
      if (read && random.chance(0.08)) this.add('itinerary_saved', t0 + engaged * 0.95, { ...content, itineraryId, method: random.pick(saveMethods) });
    }
    let extraMs = 0;
    if (post.gallery && depth >= 25 && random.chance(0.65)) {
      const { galleryId, imageCount } = post.gallery;
      let t = t0 + engaged * 0.25;
      this.add('gallery_interacted', t, { ...content, galleryId, action: 'opened', imageCount });
      const images = Math.min(imageCount, 1 + Math.floor(random.exponential(5)));
      for (let i = 0; i < images; i++) {
        t += random.between(1500, 5000);
        this.add('gallery_interacted', t, { ...content, galleryId, action: 'image_viewed', imageIndex: i, imageCount });
      }
      t += random.between(1000, 3000);
      this.add('gallery_interacted', t, { ...content, galleryId, action: 'closed', imageIndex: images - 1, imageCount });
      extraMs = Math.max(0, t - (t0 + engaged));
    }
    if (post.mapId && depth >= 25 && random.chance(0.22)) {
      const count = random.int(1, 3);
      for (let i = 0; i < count; i++) {
        const action = random.weighted(mapActions, mapActionSums);
        this.add('map_interacted', t0 + engaged * random.between(0.3, 0.9), {
          ...content,
          mapId: post.mapId,
          action,
          ...(action === 'marker_clicked' ? { place: random.pick(post.destinations) } : {}),
        });
      }
    }
    const affiliateChance = (read ? 0.08 : depth >= 50 ? 0.025 : 0.005) * visitor.affiliateFactor;
    if (post.bookings.length > 0 && random.chance(affiliateChance)) {
      const booking = random.pick(post.bookings);
      this.add('affiliate_link_clicked', t0 + engaged * random.between(0.5, 0.95), {
        ...content,
        partner: booking.partner,
        productType: booking.productType,
        url: booking.url,
        destination: post.destinations[0],
        placement: random.weighted(placements, placementSums),
      });
    }
    if (read && random.chance(visitor.tier === 'loyal' ? 0.06 : 0.03)) {
      const network = random.weighted(shareNetworks, post.template === 'gallery' ? gallerySharesums : shareSums);
      const native = network === 'native';
      // The Web Share sheet exists on phones; on desktop the reader copies the link instead.
      const chosen = native && visitor.screen === 'desktop' ? 'copy_link' : network;
      this.add('post_shared', t0 + engaged * 0.97, { ...content, network: chosen, method: chosen === 'native' ? 'web_share_api' : 'button' });
    }
    if (read && random.chance(commentChance[visitor.tier])) {
      const writing = random.between(20_000, 180_000);
      this.add('comment_posted', t0 + engaged + writing, { ...content, length: random.int(20, 900), isReply: random.chance(0.25) });
      extraMs = Math.max(extraMs, writing);
    }
    const hidden = t0 + engaged + extraMs + random.between(3000, 40_000);
    if (last && !this.newsletterDone && visitor.newsletterOnVisit === this.number) {
      this.newsletterDone = true;
      this.add('newsletter_signed_up', hidden - 1000, { ...content, listId: 'weekly', placement: random.pick(['post_footer', 'popup']) });
    }
    this.add('engaged_time_reported', hidden, { ...content, engagedMs: Math.round(engaged), final: true }, true);
    if (read) this.add('post_read', t0 + engaged * 0.92, { ...content, engagedMs: Math.round(engaged * 0.92) });
    const sections = Math.ceil((post.sections.length * depth) / 100);
    for (let index = 0; index < sections; index++) {
      const section = post.sections[index];
      this.add('section_read', hidden, { ...content, sectionId: section.sectionId, heading: section.heading, index, visibleMs: Math.round((engaged / sections) * random.between(0.5, 1)) }, true);
    }
    this.vitals(page, hidden, engaged, landing, lcp);
    return hidden;
  }

  /** Home, destination and search pages: shorter, with their own events. */
  other(page: PageView, t0: number, landing: boolean, last: boolean, day: number): number {
    const { random, visitor } = this;
    const destination = page.destination;
    const place = destination && { country: destination.country, placeId: destination.slug };
    this.add('page_viewed', t0, { template: page.template, ...(place ? { destinations: [{ country: destination.country }] } : {}) }, false, 'page');
    const engaged = random.logNormal(page.kind === 'home' ? 12_000 : 25_000, 0.6);
    if (place) {
      this.add('destination_viewed', t0 + random.between(400, 1500), { destination: place });
      if (random.chance(0.15)) {
        this.add('map_interacted', t0 + engaged * random.between(0.2, 0.9), { mapId: `map-${destination.slug}`, action: 'marker_clicked', place: { country: destination.country } });
      }
    }
    if (page.kind === 'search' || (page.kind === 'home' && random.chance(0.06))) {
      const post = pickPost(this.context, random, day, this.styleMask);
      const city = post.destinations[0].city ?? destinationOf(post.destinations[0].country)!.name;
      const theme = random.chance(0.4) ? ` ${random.pick(post.themes).replace('_', ' ')}` : '';
      const query = `${city.toLowerCase()}${theme}`;
      const hotels = page.kind === 'search' && random.chance(0.2);
      const properties: Record<string, unknown> = { query, resultsCount: searchResults(query), scope: hotels ? 'hotels' : 'site' };
      if (hotels) {
        const checkIn = new Date(t0 + random.int(14, 120) * DAY);
        const nights = random.int(2, 10);
        properties.destination = post.destinations[0];
        properties.tripDates = { start: isoDate(checkIn.getTime()), end: isoDate(checkIn.getTime() + nights * DAY) };
        properties.travellers = random.int(1, 4);
      }
      this.add('search_performed', t0 + random.between(2000, 8000), properties);
    }
    if (engaged > 5000) this.add('scroll_depth_reached', t0 + engaged * 0.3, { percent: 25 });
    if (engaged > 15_000) this.add('scroll_depth_reached', t0 + engaged * 0.7, { percent: 50 });
    const hidden = t0 + engaged + random.between(2000, 20_000);
    if (last && !this.newsletterDone && visitor.newsletterOnVisit === this.number) {
      this.newsletterDone = true;
      this.add('newsletter_signed_up', hidden - 1000, { listId: 'weekly', placement: page.kind === 'home' ? 'home_hero' : 'popup' });
    }
    this.add('engaged_time_reported', hidden, { engagedMs: Math.round(engaged), final: true }, true);
    this.vitals(page, hidden, engaged, landing, this.lcp(page));
    return hidden;
  }

  /** Crawler pages: a page view and the LCP, a few seconds apart. */
  crawl(day: number, t0: number): number {
    const { random } = this;
    const live = this.context.publishedPosts[Math.min(Math.max(day, 0), this.context.days - 1)];
    const post = random.pick(live);
    const path = postPath(post);
    const page: PageView = { kind: 'post', url: this.context.origin + path, path, route: siteRoutes.post, title: post.title, template: post.template, post };
    this.pages.push(page);
    this.add('page_viewed', t0, { postId: post.postId, authorId: post.authorId, template: post.template, themes: post.themes, destinations: post.destinations }, false, 'page');
    const lcp = Math.round(random.logNormal(readershipModel.lcpMedianMs[post.template].desktop, 0.3));
    const hidden = t0 + random.between(1500, 6000);
    this.add('web_vital_measured', hidden, { metric: 'LCP', value: lcp, rating: vitalRating('LCP', lcp), template: post.template, navigationType: 'navigate' }, true);
    return hidden;
  }
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const searchIndex = posts.map((post) =>
  [post.title, ...post.themes.map((t) => t.replace('_', ' ')), ...post.destinations.map((d) => d.city ?? ''), destinationOf(post.destinations[0].country)!.name]
    .join(' ')
    .toLowerCase(),
);

/** Posts whose title, themes or places contain every word of the query: what the blog's search returns. */
export function searchResults(query: string): number {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return searchIndex.filter((text) => words.every((word) => text.includes(word))).length;
}

/** Assigns when the tracker sent each action: 10 events or 5 s, whichever first, and at once at page hide. */
function assignSendTimes(actions: VisitAction[], exits: Set<VisitAction>, random: Random): void {
  let first = 0;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    if (i > first && action.at >= actions[first].at + 5000) {
      const at = actions[first].at + 5000;
      for (let k = first; k < i; k++) actions[k].sentAt = at;
      first = i;
    }
    if (i - first + 1 >= 10 || exits.has(action) || i === actions.length - 1) {
      const at = action.at + Math.round(random.between(5, 60));
      for (let k = first; k <= i; k++) actions[k].sentAt = at;
      first = i + 1;
    }
  }
}

function buildVisit(context: Context, visitor: Visitor, number: number, scheduled: number, sequence: number): Visit {
  const { seed } = context;
  const start = Math.round(scheduled);
  const random = createRandom(mixSeed(seed, visitor.index, number, 0x5e55));
  const day = Math.floor((start - context.start) / DAY);
  const styleMask = visitor.tripStyles.reduce((mask, theme) => mask | themeBit(theme), 0);
  const builder = new VisitBuilder(context, random, visitor, number, styleMask);
  const sessionId = seededUuid(seed, visitor.index, number, 0x5e5510);
  const anonymousId = visitor.storesIds ? visitor.deviceAnonymousId : seededUuid(seed, visitor.index, number, 0xa401);
  const country = visitor.kind === 'human' && random.chance(0.04) ? random.pick(destinations).country : visitor.homeCountry;
  const visit: Visit = {
    sequence,
    visitor,
    number,
    sessionId,
    anonymousId,
    idSeed: mixSeed(seed, visitor.index, number, 0x1d5),
    start,
    end: start,
    country,
    offline: visitor.offlineReader && random.chance(0.4),
    latencyMs: Math.round(random.between(20, 250) + (visitor.screen === 'mobile' ? random.between(0, 200) : 0)),
    pages: builder.pages,
    actions: builder.actions,
  };
  let t = start;
  if (visitor.kind === 'bot') {
    const pages = random.int(3, 10);
    for (let k = 0; k < pages; k++) t = builder.crawl(day, t) + random.between(500, 4000);
  } else {
    let referrer: string | undefined;
    let query = '';
    const loyal = visitor.tier === 'regular' || visitor.tier === 'loyal';
    if (random.chance(readershipModel.campaignShare)) {
      const tagged = random.weighted(campaigns, loyal ? loyalCampaignSums : campaignSums);
      visit.campaign = { ...tagged.campaign };
      referrer = tagged.referrer;
      query = `?utm_source=${tagged.campaign.source}&utm_medium=${tagged.campaign.medium}&utm_campaign=${tagged.campaign.name}`;
    } else {
      referrer = random.weighted(untaggedReferrers, untaggedSums);
    }
    const landingDraw = random.next();
    let kind: PageView['kind'] =
      referrer === undefined && !visit.campaign ? (landingDraw < 0.5 ? 'home' : landingDraw < 0.9 ? 'post' : 'destination') : landingDraw < 0.85 ? 'post' : landingDraw < 0.95 ? 'home' : 'destination';
    const extra = readershipModel.extraPages[visitor.tier];
    let pageCount = 1;
    while (pageCount < 12 && random.chance(extra / (1 + extra))) pageCount++;
    for (let k = 0; k < pageCount; k++) {
      const page = builder.page(kind, day, referrer, k === 0 ? query : '');
      const last = k === pageCount - 1;
      t = page.kind === 'post' ? builder.post(page, t, k === 0, last) : builder.other(page, t, k === 0, last, day);
      t += random.between(1500, 20_000);
      referrer = page.url;
      const next = random.next();
      kind = next < 0.72 ? 'post' : next < 0.84 ? 'destination' : next < 0.94 ? 'home' : 'search';
    }
    if (visitor.userId !== undefined && visitor.identifiesOnVisit !== undefined && number >= visitor.identifiesOnVisit) {
      // With stored ids the user id outlives the visit; without, the reader signs in again on every visit.
      const signsIn = number === visitor.identifiesOnVisit || !visitor.storesIds;
      const identifyAt = signsIn ? Math.round(start + Math.min(random.between(3000, 90_000), (builder.actions.at(-1)!.at - start) / 2)) : start;
      if (signsIn) {
        builder.actions.push({ type: 'identify', name: 'user_identified', at: identifyAt, sentAt: 0, page: 0, properties: {}, userId: undefined, traits: visitor.traits });
      }
      builder.actions.sort((a, b) => a.at - b.at);
      let page = 0;
      for (const action of builder.actions) {
        // Sent from the page in view when the reader signed in.
        if (action.type === 'identify') action.page = page;
        else page = action.page;
        if (action.at >= identifyAt) action.userId = visitor.userId;
      }
    }
  }
  const actions = builder.actions;
  actions.sort((a, b) => a.at - b.at);
  assignSendTimes(actions, builder.exits, random);
  if (visit.offline) {
    // Back online hours later: the offline buffer is sent then.
    const online = actions[actions.length - 1].at + Math.round(30 * 60_000 + random.exponential(4 * HOUR));
    for (const action of actions) action.sentAt = Math.min(online, actions[0].at + 6 * DAY);
  }
  visit.end = actions[actions.length - 1].at;
  return visit;
}

/**
 * Generates a seeded synthetic readership of the travel blog: visits in time order (by their start), each with its
 * visitor's stable profile and its ordered actions. A generator, so that millions of visits never sit in memory at
 * once; only the schedule (a few bytes per visit) is kept.
 *
 * @example
 * for (const visit of generateReadership({ seed: 42, start: '2026-03-01T00:00:00Z', days: 30, visitors: 1000 })) {
 *   for (const action of visit.actions) console.log(visit.visitor.index, action.name, new Date(action.at).toISOString());
 * }
 */
export function* generateReadership(options: ReadershipOptions): Generator<Visit, void, undefined> {
  checkOptions(options);
  const start = periodStart(options.start);
  const schedule = buildSchedule(options, start);
  const context = createContext(options, start);
  let cached: Visitor | undefined;
  for (let k = 0; k < schedule.order.length; k++) {
    const slot = schedule.order[k];
    const index = schedule.visitors[slot];
    const visitor = cached?.index === index ? cached : (cached = createVisitor(options.seed, index));
    yield buildVisit(context, visitor, schedule.numbers[slot], schedule.times[slot], k);
  }
}

