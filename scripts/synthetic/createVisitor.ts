// Who reads the synthetic blog: a stable profile per visitor (device, browser, home country, consent, engagement tier,
// traits), drawn from the seed and the visitor's number alone.
import type { ConsentSnapshot, UserTraits } from '@waymark/taxonomy';
import { createRandom, cumulative, mixSeed, seededUuid } from './createRandom';
import { travelThemes } from './siteContent';
import type { TravelTheme } from './siteContent';

/** How often a visitor comes back: most come once, a few are loyal readers. */
export type EngagementTier = 'one_time' | 'occasional' | 'regular' | 'loyal';
/** The visitor's answer to the consent banner. `declined` visitors send nothing at all. */
export type ConsentChoice = 'granted' | 'analytics_only' | 'declined';
/** Device class, as the collector derives it from the User-Agent and the tracker from the viewport. */
export type DeviceClass = 'mobile' | 'tablet' | 'desktop';

/** A User-Agent string and the classes the collector derives from it (checked against the collector by a test). */
export interface UserAgentInfo {
  userAgent: string;
  device: DeviceClass;
  browser?: string;
  os?: string;
  bot: boolean;
}

/** A reader (or a crawler) of the synthetic blog. Everything here is fixed for the whole period. */
export interface Visitor {
  /** Position of the visitor, 0-based. */
  index: number;
  kind: 'human' | 'bot';
  tier: EngagementTier;
  /** Visits the visitor would make if the period were long enough. */
  plannedVisits: number;
  /** Mean days between two visits. */
  meanGapDays: number;
  userAgent: UserAgentInfo;
  /** What the tracker reports as `context.screen`. */
  screen: DeviceClass;
  homeCountry: string;
  locale: string;
  timeZone: string;
  /** Standard UTC offset of the home time zone, in hours, for the time of day of visits. */
  utcOffsetHours: number;
  consent: ConsentChoice;
  /** The snapshot every envelope of this visitor carries (meaningless for `declined`). */
  consentSnapshot: ConsentSnapshot;
  /** The browser sends Global Privacy Control (`Sec-GPC: 1`). */
  gpc: boolean;
  /** Ids are kept on the device: one anonymous id across visits. Without it, every visit has a new one. */
  storesIds: boolean;
  /** The device's anonymous id when it stores ids. */
  deviceAnonymousId: string;
  /** Reads offline at times (trains, planes): those visits' events arrive hours late. Needs stored events. */
  offlineReader: boolean;
  /** How far the device clock is off, in ms (0 for most). */
  clockOffsetMs: number;
  /** Themes the visitor prefers; drives part of what they read. Revealed as the `tripStyles` trait when identified. */
  tripStyles: TravelTheme[];
  /** Set for visitors who sign in: their user id. */
  userId?: string;
  /** Traits sent with `identify`, for visitors who sign in. */
  traits?: UserTraits;
  /** Visit number (0-based) on which the visitor first identifies. */
  identifiesOnVisit?: number;
  /** Visit number (0-based) on which the visitor signs up for the newsletter. */
  newsletterOnVisit?: number;
  /** How much more likely than others to click affiliate links (budget travellers less, luxury more). */
  affiliateFactor: number;
}

/** Home countries of the blog's readers: code, weight, locale, time zone, standard UTC offset. */
export const homeCountries: readonly [string, number, string, string, number][] = [
  ['GB', 20, 'en-GB', 'Europe/London', 0],
  ['US', 19, 'en-US', 'America/New_York', -5],
  ['DE', 9, 'de-DE', 'Europe/Berlin', 1],
  ['CA', 6, 'en-CA', 'America/Toronto', -5],
  ['AU', 6, 'en-AU', 'Australia/Sydney', 10],
  ['NL', 5, 'nl-NL', 'Europe/Amsterdam', 1],
  ['FR', 5, 'fr-FR', 'Europe/Paris', 1],
  ['IE', 3, 'en-IE', 'Europe/Dublin', 0],
  ['ES', 4, 'es-ES', 'Europe/Madrid', 1],
  ['IT', 3, 'it-IT', 'Europe/Rome', 1],
  ['PT', 3, 'pt-PT', 'Europe/Lisbon', 0],
  ['IN', 4, 'en-IN', 'Asia/Kolkata', 5.5],
  ['BR', 3, 'pt-BR', 'America/Sao_Paulo', -3],
  ['SE', 2, 'sv-SE', 'Europe/Stockholm', 1],
  ['JP', 2, 'ja-JP', 'Asia/Tokyo', 9],
  ['SG', 2, 'en-SG', 'Asia/Singapore', 8],
  ['NZ', 2, 'en-NZ', 'Pacific/Auckland', 12],
  ['ZA', 2, 'en-ZA', 'Africa/Johannesburg', 2],
];

/** User-Agents of human readers by device class, with weights, and the classes the collector derives. */
export const humanUserAgents: Record<DeviceClass, readonly [UserAgentInfo, number][]> = {
  mobile: [
    [{ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', device: 'mobile', browser: 'Mobile Safari', os: 'iOS', bot: false }, 28],
    [{ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', device: 'mobile', browser: 'Mobile Safari', os: 'iOS', bot: false }, 22],
    [{ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.153 Mobile/15E148 Safari/604.1', device: 'mobile', browser: 'Chrome', os: 'iOS', bot: false }, 5],
    [{ userAgent: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Mobile Safari/537.36', device: 'mobile', browser: 'Chrome', os: 'Android', bot: false }, 30],
    [{ userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36', device: 'mobile', browser: 'Chrome', os: 'Android', bot: false }, 8],
    [{ userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36', device: 'mobile', browser: 'Samsung Internet', os: 'Android', bot: false }, 7],
  ],
  desktop: [
    [{ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', device: 'desktop', browser: 'Chrome', os: 'Windows', bot: false }, 38],
    [{ userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', device: 'desktop', browser: 'Safari', os: 'Mac OS', bot: false }, 18],
    [{ userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', device: 'desktop', browser: 'Chrome', os: 'Mac OS', bot: false }, 16],
    [{ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', device: 'desktop', browser: 'Edge', os: 'Windows', bot: false }, 14],
    [{ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0', device: 'desktop', browser: 'Firefox', os: 'Windows', bot: false }, 8],
    [{ userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', device: 'desktop', browser: 'Firefox', os: 'Linux', bot: false }, 4],
    [{ userAgent: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', device: 'desktop', browser: 'Firefox', os: 'Ubuntu', bot: false }, 2],
  ],
  tablet: [
    [{ userAgent: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', device: 'tablet', browser: 'Mobile Safari', os: 'iOS', bot: false }, 65],
    [{ userAgent: 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', device: 'tablet', browser: 'Chrome', os: 'Android', bot: false }, 35],
  ],
};

/** Crawlers that run the page's JavaScript, with weights; the collector flags every one of them as a bot. */
export const botUserAgents: readonly [UserAgentInfo, number][] = [
  [{ userAgent: 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', device: 'mobile', browser: 'Chrome', os: 'Android', bot: true }, 35],
  [{ userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', device: 'desktop', bot: true }, 15],
  [{ userAgent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', device: 'desktop', bot: true }, 15],
  [{ userAgent: 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', device: 'desktop', bot: true }, 10],
  [{ userAgent: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)', device: 'desktop', browser: 'WebKit', bot: true }, 10],
  [{ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36', device: 'desktop', browser: 'Chrome Headless', os: 'Linux', bot: true }, 10],
  [{ userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)', device: 'desktop', browser: 'Safari', os: 'Mac OS', bot: true }, 5],
];

/** Shares of the readership model, in one place so tests and reports can name what to expect. */
export const audienceShares = {
  /** Share of visitors that are crawlers. */
  bots: 0.02,
  /** Device classes of human visitors. */
  devices: { mobile: 0.55, desktop: 0.4, tablet: 0.05 },
  /** Consent choices of human visitors. */
  consent: { granted: 0.8, declined: 0.12, analytics_only: 0.08 },
  /** Of visitors who granted storage, the share that also allowed marketing. */
  marketing: 0.65,
  /** Share of browsers sending Global Privacy Control. */
  gpc: 0.04,
  /** Engagement tiers of human visitors. */
  tiers: { one_time: 0.65, occasional: 0.2, regular: 0.1, loyal: 0.05 },
  /** Share of each tier that signs in (30 % overall). */
  identifies: { one_time: 0.2, occasional: 0.35, regular: 0.55, loyal: 0.75 },
  /** Share of visitors (with stored ids) who sometimes read offline. */
  offlineReaders: 0.05,
  /** Share of devices whose clock is off. */
  skewedClocks: 0.03,
} as const;

const tierNames: readonly EngagementTier[] = ['one_time', 'occasional', 'regular', 'loyal'];
const tierSums = cumulative(tierNames.map((t) => audienceShares.tiers[t]));
const deviceNames: readonly DeviceClass[] = ['mobile', 'desktop', 'tablet'];
const deviceSums = cumulative(deviceNames.map((d) => audienceShares.devices[d]));
const countrySums = cumulative(homeCountries.map((c) => c[1]));
const uaSums = Object.fromEntries(deviceNames.map((d) => [d, cumulative(humanUserAgents[d].map((u) => u[1]))])) as Record<DeviceClass, Float64Array>;
const uaLists = Object.fromEntries(deviceNames.map((d) => [d, humanUserAgents[d].map((u) => u[0])])) as Record<DeviceClass, UserAgentInfo[]>;
const botSums = cumulative(botUserAgents.map((b) => b[1]));
const botList = botUserAgents.map((b) => b[0]);

const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
const ageSums = cumulative([10, 30, 25, 17, 12, 6]);
const travellerTypes = ['solo', 'couple', 'family', 'friends', 'business'] as const;
const travellerSums = cumulative([25, 35, 22, 12, 6]);
const budgets = ['budget', 'mid', 'luxury'] as const;
const budgetSums = cumulative([30, 50, 20]);
/** How many trip styles a visitor has (1, 2 or 3) and how popular each theme is. */
export const tripStyleModel = {
  counts: [0.35, 0.45, 0.2],
  themeWeights: { food: 18, city: 17, culture: 16, nature: 15, beach: 11, adventure: 10, road_trip: 7, wellness: 6 } as Record<TravelTheme, number>,
};
const countSums = cumulative(tripStyleModel.counts);

const plannedVisits: Record<EngagementTier, [number, number]> = { one_time: [1, 1], occasional: [2, 3], regular: [4, 9], loyal: [10, 30] };
const meanGapDays: Record<EngagementTier, number> = { one_time: 30, occasional: 8, regular: 3.5, loyal: 1.2 };

/** Draws `count` themes without replacement, weighted by {@link tripStyleModel}. */
function drawThemes(random: ReturnType<typeof createRandom>, count: number): TravelTheme[] {
  const left = [...travelThemes];
  const chosen: TravelTheme[] = [];
  for (let n = 0; n < count; n++) {
    const theme = random.weighted(left, cumulative(left.map((t) => tripStyleModel.themeWeights[t])));
    chosen.push(theme);
    left.splice(left.indexOf(theme), 1);
  }
  return chosen;
}

/** The visitor number `index` of the readership with this seed. Pure: same arguments, same visitor. */
export function createVisitor(seed: number, index: number): Visitor {
  const random = createRandom(mixSeed(seed, index, 0x7a11));
  const isBot = random.chance(audienceShares.bots);
  const [country, , locale, timeZone, utcOffsetHours] = random.weighted(homeCountries, countrySums);
  const deviceAnonymousId = seededUuid(seed, index, 0xde71ce);
  if (isBot) {
    const userAgent = random.weighted(botList, botSums);
    return {
      index,
      kind: 'bot',
      tier: 'regular',
      plannedVisits: random.int(1, 6),
      meanGapDays: 5,
      userAgent,
      screen: userAgent.device,
      homeCountry: 'US',
      locale: 'en-US',
      timeZone: 'UTC',
      utcOffsetHours: 0,
      consent: 'analytics_only',
      consentSnapshot: { analytics: true, storage: false, marketing: false, gpc: false },
      gpc: false,
      storesIds: false,
      deviceAnonymousId,
      offlineReader: false,
      clockOffsetMs: 0,
      tripStyles: [],
      affiliateFactor: 0,
    };
  }
  const tier = random.weighted(tierNames, tierSums);
  const device = random.weighted(deviceNames, deviceSums);
  const userAgent = random.weighted(uaLists[device], uaSums[device]);
  const consentDraw = random.next();
  const consent: ConsentChoice =
    consentDraw < audienceShares.consent.granted ? 'granted' : consentDraw < audienceShares.consent.granted + audienceShares.consent.declined ? 'declined' : 'analytics_only';
  const gpc = random.chance(audienceShares.gpc);
  const marketing = consent === 'granted' && random.chance(audienceShares.marketing) && !gpc;
  const storesIds = consent === 'granted';
  const offlineReader = storesIds && random.chance(audienceShares.offlineReaders);
  const skewed = random.chance(audienceShares.skewedClocks);
  // A wrong time zone setting is off by whole hours; a drifting clock by minutes.
  const clockOffsetMs = skewed ? (random.chance(0.5) ? 1 : -1) * (random.chance(0.4) ? random.int(1, 5) * 3_600_000 : random.int(30, 900) * 1000) : 0;
  const tripStyles = drawThemes(random, random.weighted([1, 2, 3], countSums));
  const [minVisits, maxVisits] = plannedVisits[tier];
  const visits = random.int(minVisits, maxVisits);
  const budget = random.weighted(budgets, budgetSums);
  const visitor: Visitor = {
    index,
    kind: 'human',
    tier,
    plannedVisits: visits,
    meanGapDays: meanGapDays[tier],
    userAgent,
    screen: device,
    homeCountry: country,
    locale,
    timeZone,
    utcOffsetHours,
    consent,
    consentSnapshot: { analytics: consent !== 'declined', storage: storesIds, marketing, gpc },
    gpc,
    storesIds,
    deviceAnonymousId,
    offlineReader,
    clockOffsetMs,
    tripStyles,
    affiliateFactor: budget === 'luxury' ? 1.6 : budget === 'budget' ? 0.7 : 1,
  };
  if (random.chance(audienceShares.identifies[tier])) {
    visitor.userId = `reader-${(mixSeed(seed, index, 0x05e4) >>> 0).toString(36)}${index.toString(36)}`;
    const traits: UserTraits = {
      ageBand: random.weighted(ageBands, ageSums),
      homeCountry: country,
      travellerType: random.weighted(travellerTypes, travellerSums),
      tripStyles,
    };
    // Some readers leave their budget out of their profile.
    if (random.chance(0.9)) traits.budget = budget;
    visitor.traits = traits;
    visitor.identifiesOnVisit = random.chance(0.7) ? 0 : random.int(0, visits - 1);
  }
  const newsletterChance = { one_time: 0.01, occasional: 0.03, regular: 0.06, loyal: 0.12 }[tier];
  if (random.chance(newsletterChance)) visitor.newsletterOnVisit = random.int(0, visits - 1);
  return visitor;
}
