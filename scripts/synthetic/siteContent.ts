// The content of the synthetic travel blog: authors, destinations and 40 posts, each with the metadata its pages
// report (post id, author, template, themes, taxonomy places). The readership generator reads it, and a demo can
// serve the same posts so that what it replays matches what it shows.
import type { Place } from '@waymark/taxonomy';

/** Page templates of posts; reports compare engagement and web vitals per template. */
export const postTemplates = ['article', 'itinerary', 'gallery', 'guide'] as const;
/** The template of a post. */
export type PostTemplate = (typeof postTemplates)[number];

/** Travel themes, the same set as the `tripStyles` user trait, so readers' preferences and posts' themes match. */
export const travelThemes = ['food', 'beach', 'city', 'culture', 'nature', 'adventure', 'road_trip', 'wellness'] as const;
/** A travel theme. */
export type TravelTheme = (typeof travelThemes)[number];

/** Route patterns of the blog, as page views report them in `context.page.route`. */
export const siteRoutes = {
  home: '/',
  post: '/posts/[slug]',
  destination: '/destinations/[country]',
  search: '/search',
} as const;

/** Templates of the pages that are not posts, reported like post templates. */
export const pageTemplates = { home: 'home', destination: 'destination', search: 'search' } as const;

/** Origin the synthetic blog is served from when no other is given. */
export const defaultSiteOrigin = 'https://blog.example';

/** A post author. */
export interface Author {
  authorId: string;
  name: string;
}

/** A destination page: one country and the places its posts cover. */
export interface Destination {
  /** ISO 3166-1 alpha-2 code. */
  country: string;
  name: string;
  /** Lower-case path segment: `/destinations/pt`. */
  slug: string;
}

/** An affiliate or booking link in a post. `partner` and `productType` classify the revenue. */
export interface BookingLink {
  partner: string;
  productType: 'hotel' | 'flight' | 'tour' | 'car' | 'insurance' | 'activity' | 'rail';
  label: string;
  url: string;
}

/** One blog post and everything its pages report. */
export interface Post {
  postId: string;
  slug: string;
  title: string;
  intro: string;
  authorId: string;
  template: PostTemplate;
  themes: TravelTheme[];
  /** Taxonomy places the post is about (all in one country). */
  destinations: Place[];
  /** Rank in the blog's long-run popularity, 1 = most read. Drives the Zipf-like share of page views. */
  popularityRank: number;
  /** The `h2` sections, in reading order. */
  sections: { sectionId: string; heading: string }[];
  /** Itinerary posts: the itinerary id and its number of days. */
  itinerary?: { itineraryId: string; days: number };
  /** Gallery posts: the gallery id and its number of images. */
  gallery?: { galleryId: string; imageCount: number };
  /** Posts with an embedded map. */
  mapId?: string;
  bookings: BookingLink[];
}

/** The blog's authors. */
export const authors: readonly Author[] = [
  { authorId: 'ana', name: 'Ana Ribeiro' },
  { authorId: 'kenji', name: 'Kenji Mori' },
  { authorId: 'giulia', name: 'Giulia Conti' },
  { authorId: 'sam', name: 'Sam Okafor' },
  { authorId: 'lena', name: 'Lena Berg' },
  { authorId: 'diego', name: 'Diego Ruiz' },
];

/** Destination pages, one per country the posts cover. */
export const destinations: readonly Destination[] = [
  { country: 'PT', name: 'Portugal', slug: 'pt' },
  { country: 'JP', name: 'Japan', slug: 'jp' },
  { country: 'IT', name: 'Italy', slug: 'it' },
  { country: 'ES', name: 'Spain', slug: 'es' },
  { country: 'GR', name: 'Greece', slug: 'gr' },
  { country: 'MX', name: 'Mexico', slug: 'mx' },
  { country: 'TH', name: 'Thailand', slug: 'th' },
  { country: 'IS', name: 'Iceland', slug: 'is' },
  { country: 'MA', name: 'Morocco', slug: 'ma' },
  { country: 'PE', name: 'Peru', slug: 'pe' },
  { country: 'VN', name: 'Vietnam', slug: 'vn' },
  { country: 'NO', name: 'Norway', slug: 'no' },
  { country: 'FR', name: 'France', slug: 'fr' },
  { country: 'US', name: 'United States', slug: 'us' },
  { country: 'HR', name: 'Croatia', slug: 'hr' },
  { country: 'NZ', name: 'New Zealand', slug: 'nz' },
  { country: 'ID', name: 'Indonesia', slug: 'id' },
  { country: 'GE', name: 'Georgia', slug: 'ge' },
  { country: 'BT', name: 'Bhutan', slug: 'bt' },
];

const partners = {
  booking: { partner: 'booking.com', productType: 'hotel', host: 'https://www.booking.com/searchresults.html?ss=' },
  hostelworld: { partner: 'hostelworld', productType: 'hotel', host: 'https://www.hostelworld.com/search?search_keywords=' },
  skyscanner: { partner: 'skyscanner', productType: 'flight', host: 'https://www.skyscanner.net/transport/flights-to/' },
  getyourguide: { partner: 'getyourguide', productType: 'tour', host: 'https://www.getyourguide.com/s/?q=' },
  viator: { partner: 'viator', productType: 'activity', host: 'https://www.viator.com/searchResults/all?text=' },
  rentalcars: { partner: 'rentalcars', productType: 'car', host: 'https://www.rentalcars.com/search?location=' },
  trainline: { partner: 'trainline', productType: 'rail', host: 'https://www.thetrainline.com/search?to=' },
  safetywing: { partner: 'safetywing', productType: 'insurance', host: 'https://safetywing.com/nomad-insurance?ref=' },
} as const;

type PartnerKey = keyof typeof partners;

// popularity rank, slug, title, author, template, themes, places (country:city:iata), partners
type PostSpec = [number, string, string, string, PostTemplate, TravelTheme[], string[], PartnerKey[]];

// Ranks put Portugal, Japan and Italy clearly on top; Georgia has two low-ranked posts (the readership model makes
// it trend late in the period) and Bhutan one post, which the readership model launches late in the period.
const specs: PostSpec[] = [
  [1, 'lisbon-3-days', 'Three days in Lisbon', 'ana', 'itinerary', ['city', 'food'], ['PT:Lisbon:LIS'], ['booking', 'getyourguide']],
  [4, 'algarve-beaches', 'The Algarve’s quiet beaches', 'ana', 'gallery', ['beach', 'nature'], ['PT:Lagos:FAO', 'PT:Tavira:FAO'], ['booking', 'rentalcars']],
  [9, 'porto-food-guide', 'Where to eat in Porto', 'diego', 'guide', ['food', 'city'], ['PT:Porto:OPO'], ['getyourguide']],
  [16, 'madeira-levada-walks', 'Madeira’s levada walks', 'lena', 'article', ['nature', 'adventure'], ['PT:Funchal:FNC'], ['viator', 'rentalcars']],
  [2, 'tokyo-first-timers', 'Tokyo for first-timers', 'kenji', 'guide', ['city', 'food', 'culture'], ['JP:Tokyo:TYO'], ['booking', 'skyscanner']],
  [5, 'kyoto-in-autumn', 'Kyoto in autumn', 'kenji', 'gallery', ['culture', 'nature'], ['JP:Kyoto'], ['booking']],
  [12, 'japan-rail-two-weeks', 'Two weeks in Japan by rail', 'kenji', 'itinerary', ['city', 'culture', 'road_trip'], ['JP:Tokyo:TYO', 'JP:Kyoto', 'JP:Osaka:OSA'], ['trainline', 'booking']],
  [21, 'hokkaido-onsen', 'Onsen hopping in Hokkaido', 'lena', 'article', ['wellness', 'nature'], ['JP:Sapporo:SPK'], ['booking']],
  [3, 'rome-on-foot', 'Rome on foot', 'giulia', 'itinerary', ['city', 'culture'], ['IT:Rome:ROM'], ['getyourguide', 'booking']],
  [7, 'amalfi-coast-drive', 'Driving the Amalfi coast', 'giulia', 'gallery', ['road_trip', 'beach'], ['IT:Amalfi:NAP', 'IT:Positano:NAP'], ['rentalcars', 'booking']],
  [14, 'florence-food-markets', 'Florence’s food markets', 'giulia', 'article', ['food', 'culture'], ['IT:Florence:FLR'], ['viator']],
  [25, 'dolomites-hut-to-hut', 'Hut to hut in the Dolomites', 'lena', 'guide', ['adventure', 'nature'], ['IT:Cortina d’Ampezzo:VCE'], ['booking', 'safetywing']],
  [6, 'barcelona-weekend', 'A weekend in Barcelona', 'diego', 'itinerary', ['city', 'beach', 'food'], ['ES:Barcelona:BCN'], ['booking', 'getyourguide']],
  [18, 'andalusia-road-trip', 'An Andalusian road trip', 'diego', 'itinerary', ['road_trip', 'culture'], ['ES:Seville:SVQ', 'ES:Granada:GRX'], ['rentalcars', 'booking']],
  [30, 'madrid-tapas', 'Tapas crawl in Madrid', 'diego', 'article', ['food', 'city'], ['ES:Madrid:MAD'], ['getyourguide']],
  [8, 'greek-island-hopping', 'Greek island hopping', 'sam', 'itinerary', ['beach', 'adventure'], ['GR:Santorini:JTR', 'GR:Naxos:JNX'], ['booking', 'skyscanner']],
  [27, 'athens-in-a-day', 'Athens in a day', 'sam', 'guide', ['culture', 'city'], ['GR:Athens:ATH'], ['getyourguide']],
  [10, 'mexico-city-street-food', 'Mexico City street food', 'diego', 'article', ['food', 'city'], ['MX:Mexico City:MEX'], ['viator']],
  [33, 'oaxaca-markets', 'Oaxaca’s markets in pictures', 'diego', 'gallery', ['food', 'culture'], ['MX:Oaxaca:OAX'], ['booking']],
  [11, 'bangkok-temples', 'Bangkok temples and night markets', 'sam', 'guide', ['culture', 'food', 'city'], ['TH:Bangkok:BKK'], ['booking', 'getyourguide']],
  [29, 'chiang-mai-retreat', 'A wellness retreat in Chiang Mai', 'lena', 'article', ['wellness', 'nature'], ['TH:Chiang Mai:CNX'], ['booking', 'safetywing']],
  [13, 'iceland-ring-road', 'Iceland’s Ring Road in ten days', 'lena', 'itinerary', ['road_trip', 'nature', 'adventure'], ['IS:Reykjavik:REK'], ['rentalcars', 'booking']],
  [31, 'northern-lights-photos', 'Chasing the northern lights', 'lena', 'gallery', ['nature', 'adventure'], ['IS:Reykjavik:REK'], ['getyourguide']],
  [15, 'marrakech-riads', 'Marrakech riads and souks', 'sam', 'gallery', ['culture', 'food'], ['MA:Marrakech:RAK'], ['booking']],
  [32, 'atlas-mountains-trek', 'Trekking the Atlas mountains', 'sam', 'guide', ['adventure', 'nature'], ['MA:Imlil:RAK'], ['viator', 'safetywing']],
  [17, 'inca-trail', 'Walking the Inca Trail', 'sam', 'itinerary', ['adventure', 'culture'], ['PE:Cusco:CUZ'], ['getyourguide', 'safetywing']],
  [35, 'lima-ceviche', 'Lima’s best ceviche', 'diego', 'article', ['food', 'city'], ['PE:Lima:LIM'], ['viator']],
  [19, 'vietnam-north-to-south', 'Vietnam from north to south', 'kenji', 'itinerary', ['road_trip', 'food', 'culture'], ['VN:Hanoi:HAN', 'VN:Hoi An:DAD', 'VN:Ho Chi Minh City:SGN'], ['booking', 'skyscanner']],
  [36, 'ha-long-bay-cruise', 'Choosing a Ha Long Bay cruise', 'kenji', 'guide', ['nature', 'beach'], ['VN:Ha Long:HAN'], ['viator']],
  [20, 'lofoten-hiking', 'Hiking the Lofoten islands', 'lena', 'gallery', ['nature', 'adventure'], ['NO:Svolvær:SVJ'], ['booking', 'rentalcars']],
  [37, 'tromso-winter', 'A winter week in Tromsø', 'lena', 'article', ['nature', 'wellness'], ['NO:Tromsø:TOS'], ['booking']],
  [22, 'paris-neighbourhoods', 'Paris neighbourhood by neighbourhood', 'giulia', 'guide', ['city', 'culture', 'food'], ['FR:Paris:PAR'], ['booking', 'getyourguide']],
  [39, 'provence-lavender', 'Provence in lavender season', 'giulia', 'gallery', ['nature', 'road_trip'], ['FR:Avignon:AVN'], ['rentalcars']],
  [23, 'new-york-on-a-budget', 'New York on a budget', 'sam', 'guide', ['city', 'food'], ['US:New York:NYC'], ['hostelworld', 'skyscanner']],
  [40, 'route-66', 'Route 66 end to end', 'sam', 'itinerary', ['road_trip', 'adventure'], ['US:Chicago:CHI', 'US:Los Angeles:LAX'], ['rentalcars', 'safetywing']],
  [24, 'dubrovnik-old-town', 'Dubrovnik beyond the walls', 'giulia', 'article', ['beach', 'culture'], ['HR:Dubrovnik:DBV'], ['booking']],
  [26, 'queenstown-adventure', 'Queenstown’s adventure sports', 'lena', 'article', ['adventure', 'nature'], ['NZ:Queenstown:ZQN'], ['viator', 'safetywing']],
  [28, 'bali-wellness', 'Slow days in Ubud', 'lena', 'article', ['wellness', 'culture'], ['ID:Ubud:DPS'], ['booking']],
  [34, 'tbilisi-wine-bars', 'Tbilisi’s natural wine bars', 'diego', 'guide', ['food', 'city', 'culture'], ['GE:Tbilisi:TBS'], ['booking', 'getyourguide']],
  [38, 'kazbegi-hikes', 'Hiking around Kazbegi', 'kenji', 'gallery', ['nature', 'adventure'], ['GE:Stepantsminda:TBS'], ['hostelworld']],
];

const latePost: PostSpec = [41, 'bhutan-festivals', 'Bhutan’s tsechu festivals', 'kenji', 'article', ['culture', 'adventure'], ['BT:Paro:PBH'], ['viator']];

const sectionHeadings: Record<PostTemplate, string[]> = {
  article: ['Why go', 'Getting there', 'Where to stay', 'What to eat', 'Good to know'],
  itinerary: ['Before you go', 'Getting around', 'Where to stay', 'Budget', 'What we would change'],
  gallery: ['The light', 'Best viewpoints', 'When to go'],
  guide: ['At a glance', 'Neighbourhoods', 'Getting around', 'Where to eat', 'Where to stay', 'Practical tips'],
};

const itineraryDays: Record<string, number> = {
  'lisbon-3-days': 3,
  'japan-rail-two-weeks': 14,
  'rome-on-foot': 4,
  'barcelona-weekend': 2,
  'andalusia-road-trip': 7,
  'greek-island-hopping': 10,
  'iceland-ring-road': 10,
  'inca-trail': 4,
  'vietnam-north-to-south': 16,
  'route-66': 14,
};

function place(spec: string): Place {
  const [country, city, iata] = spec.split(':');
  return iata ? { country, city, iata } : { country, city };
}

function slugify(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function buildPost([popularityRank, slug, title, authorId, template, themes, places, partnerKeys]: PostSpec, index: number): Post {
  const postId = `p${String(index + 1).padStart(3, '0')}`;
  const destinationsOfPost = places.map(place);
  const city = destinationsOfPost[0].city ?? '';
  const post: Post = {
    postId,
    slug,
    title,
    intro: `${title}: what we loved, what we would skip, and how to plan it.`,
    authorId,
    template,
    themes,
    destinations: destinationsOfPost,
    popularityRank,
    sections: sectionHeadings[template].map((heading) => ({ sectionId: slugify(heading), heading })),
    bookings: partnerKeys.map((key) => {
      const partner = partners[key];
      return {
        partner: partner.partner,
        productType: partner.productType,
        label: `${partner.partner} in ${city}`,
        url: `${partner.host}${encodeURIComponent(city.toLowerCase())}`,
      };
    }),
  };
  if (template === 'itinerary') post.itinerary = { itineraryId: `it-${slug}`, days: itineraryDays[slug] ?? 5 };
  if (template === 'gallery') post.gallery = { galleryId: `gal-${slug}`, imageCount: 12 + ((index * 7) % 18) };
  if (template === 'itinerary' || template === 'guide') post.mapId = `map-${slug}`;
  return post;
}

/** The blog's posts, in a fixed order; `postId` is `p001` … `p041`. */
export const posts: readonly Post[] = [...specs, latePost].map(buildPost);

/** Path of a post page: `/posts/lisbon-3-days`. */
export function postPath(post: Pick<Post, 'slug'>): string {
  return `/posts/${post.slug}`;
}

/** Path of a destination page: `/destinations/pt`. */
export function destinationPath(destination: Pick<Destination, 'slug'>): string {
  return `/destinations/${destination.slug}`;
}

/** The destination page of a country code, or undefined. */
export function destinationOf(country: string): Destination | undefined {
  return destinations.find((d) => d.country === country);
}
