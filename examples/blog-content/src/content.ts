/** A travel place as the catalogue describes it: a country code and optional city and codes. */
export interface Place {
  country: string;
  city?: string;
  iata?: string;
  unlocode?: string;
}

/** An affiliate booking link: partner and product type classify the revenue. */
export interface BookingLink {
  partner: string;
  productType: 'hotel' | 'tour' | 'rail';
  label: string;
  /** Path of the partner page (served next to the blog in this example). */
  href: string;
}

/** A blog post: sections (h2) and an optional day-by-day itinerary. */
export interface Post {
  slug: string;
  title: string;
  authorId: string;
  intro: string;
  themes: string[];
  place: Place;
  sections: { id: string; heading: string; text: string }[];
  itinerary?: { id: string; days: { title: string; text: string }[] };
  bookings: BookingLink[];
}

/** A destination page: a country and its posts. */
export interface Destination {
  country: string;
  slug: string;
  name: string;
  blurb: string;
  posts: Post[];
}

export const destinations: Destination[] = [
  {
    country: 'PT',
    slug: 'pt',
    name: 'Portugal',
    blurb: 'Tiled façades, custard tarts and Atlantic light.',
    posts: [
      {
        slug: 'lisbon-3-days',
        title: 'Three days in Lisbon',
        authorId: 'ana',
        intro: 'Trams, viewpoints and the best pastel de nata: Lisbon at an easy pace.',
        themes: ['city', 'food'],
        place: { country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' },
        sections: [
          { id: 'getting-there', heading: 'Getting there', text: 'The metro red line runs from the airport to Saldanha in 20 minutes.' },
          { id: 'where-to-stay', heading: 'Where to stay', text: 'Alfama for atmosphere, Príncipe Real for quiet streets and gardens.' },
          { id: 'eating', heading: 'What to eat', text: 'Bifanas at lunch, grilled sardines in June, and a nata still warm.' },
        ],
        itinerary: {
          id: 'lisbon-3-days',
          days: [
            { title: 'Alfama and the castle', text: 'Tram 28 before 8 am, São Jorge castle, fado in the evening.' },
            { title: 'Sintra', text: 'The train from Rossio, Pena palace, Quinta da Regaleira.' },
            { title: 'Belém', text: 'The monastery, the tower and the original pastéis de Belém.' },
          ],
        },
        bookings: [
          { partner: 'booking', productType: 'hotel', label: 'Hotels in Alfama', href: '/partner/booking?city=lisbon' },
          { partner: 'getyourguide', productType: 'tour', label: 'Sintra day tour', href: '/partner/getyourguide?tour=sintra' },
        ],
      },
      {
        slug: 'porto-weekend',
        title: 'A weekend in Porto',
        authorId: 'rui',
        intro: 'Port cellars, the Ribeira and a train ride up the Douro.',
        themes: ['city', 'wine'],
        place: { country: 'PT', city: 'Porto', iata: 'OPO', unlocode: 'PTOPO' },
        sections: [
          { id: 'ribeira', heading: 'The Ribeira', text: 'Cross the Dom Luís I bridge on foot at sunset.' },
          { id: 'douro', heading: 'Up the Douro', text: 'The regional train to Pinhão follows the river all the way.' },
        ],
        bookings: [{ partner: 'trainline', productType: 'rail', label: 'Trains to Pinhão', href: '/partner/trainline?to=pinhao' }],
      },
    ],
  },
  {
    country: 'JP',
    slug: 'jp',
    name: 'Japan',
    blurb: 'Temples, trains on time and food worth the flight.',
    posts: [
      {
        slug: 'kyoto-in-autumn',
        title: 'Kyoto in autumn',
        authorId: 'ana',
        intro: 'Maple leaves, quiet temples at dawn and where to eat after dark.',
        themes: ['culture', 'nature'],
        place: { country: 'JP', city: 'Kyoto', unlocode: 'JPUKY' },
        sections: [
          { id: 'when-to-go', heading: 'When to go', text: 'Late November, when the maples at Tōfuku-ji turn red.' },
          { id: 'temples', heading: 'Temples at dawn', text: 'Fushimi Inari before 7 am, Kiyomizu-dera at opening time.' },
        ],
        itinerary: {
          id: 'kyoto-2-days',
          days: [
            { title: 'Eastern Kyoto', text: 'Kiyomizu-dera, Sannenzaka, Gion at dusk.' },
            { title: 'Arashiyama', text: 'The bamboo grove early, then the Hozu river boat.' },
          ],
        },
        bookings: [{ partner: 'booking', productType: 'hotel', label: 'Ryokan in Gion', href: '/partner/booking?city=kyoto' }],
      },
    ],
  },
];

/** The destination for a route's `:country`. */
export const findDestination = (slug: string) => destinations.find((d) => d.slug === slug);

/** The post for a route's `:country/:slug`. */
export const findPost = (country: string, slug: string) => findDestination(country)?.posts.find((p) => p.slug === slug);
