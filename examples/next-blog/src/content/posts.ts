/** A place as the travel catalogue describes it (`placeSchema`). */
export interface Place {
  country: string;
  city?: string;
  iata?: string;
  unlocode?: string;
}

/** One h2 section of a post. */
export interface Section {
  id: string;
  heading: string;
  paragraphs: string[];
}

/** One day of a post's itinerary. */
export interface ItineraryDay {
  day: number;
  title: string;
  text: string;
}

/** A booking partner link shown in a post. */
export interface AffiliateLink {
  partner: string;
  productType: 'hotel' | 'tour' | 'flight' | 'rail';
  label: string;
}

/** A destination post. */
export interface Post {
  slug: string;
  /** Lower-case country code, as in the URL. */
  country: string;
  countryName: string;
  title: string;
  authorId: string;
  author: string;
  summary: string;
  destination: Place;
  sections: Section[];
  itinerary: ItineraryDay[];
  affiliates: AffiliateLink[];
}

/** The blog's posts: a real site would load them from its CMS. */
export const posts: Post[] = [
  {
    slug: 'lisbon-3-days',
    country: 'pt',
    countryName: 'Portugal',
    title: 'Lisbon in 3 days',
    authorId: 'ana',
    author: 'Ana Ribeiro',
    summary: 'Trams, tiles and pastéis de nata: three unhurried days in the city of seven hills.',
    destination: { country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' },
    sections: [
      {
        id: 'getting-around',
        heading: 'Getting around',
        paragraphs: [
          'Buy a Viva Viagem card at the airport metro station and load it with zapping credit: it works on trams, buses, the metro and the ferries across the Tagus.',
          'Tram 28 is beautiful and packed. Ride it before 8 am, or walk the same route through Alfama and Graça.',
        ],
      },
      {
        id: 'where-to-stay',
        heading: 'Where to stay',
        paragraphs: [
          'Baixa and Chiado are flat, central and well connected. Príncipe Real is quieter, with gardens and good cafés.',
        ],
      },
      {
        id: 'what-to-eat',
        heading: 'What to eat',
        paragraphs: ['Grilled sardines in June, bifanas at any hour, and a custard tart still warm from the oven in Belém.'],
      },
    ],
    itinerary: [
      { day: 1, title: 'Alfama and the castle', text: 'Castelo de São Jorge at opening time, then downhill through Alfama to the cathedral and a fado dinner.' },
      { day: 2, title: 'Belém', text: 'Jerónimos Monastery, the Tower of Belém and MAAT by the river; pastéis de Belém on the way back.' },
      { day: 3, title: 'Sintra day trip', text: 'Train from Rossio to Sintra: Pena Palace early, Quinta da Regaleira after lunch.' },
    ],
    affiliates: [
      { partner: 'staywell', productType: 'hotel', label: 'Hotels in Baixa-Chiado' },
      { partner: 'tourly', productType: 'tour', label: 'Sintra day tour with skip-the-line tickets' },
    ],
  },
  {
    slug: 'porto-weekend',
    country: 'pt',
    countryName: 'Portugal',
    title: 'A weekend in Porto',
    authorId: 'ana',
    author: 'Ana Ribeiro',
    summary: 'Port lodges, the Ribeira at sunset and the best francesinha in town.',
    destination: { country: 'PT', city: 'Porto', iata: 'OPO', unlocode: 'PTOPO' },
    sections: [
      { id: 'ribeira', heading: 'The Ribeira', paragraphs: ['Walk the river front at dusk, then cross the upper deck of the Dom Luís I bridge.'] },
      { id: 'port-lodges', heading: 'Port lodges', paragraphs: ['Book a tasting in Vila Nova de Gaia; the smaller lodges are the friendliest.'] },
    ],
    itinerary: [
      { day: 1, title: 'Old town', text: 'São Bento station, Livraria Lello before the queues, Clérigos tower.' },
      { day: 2, title: 'Gaia and the coast', text: 'Port tasting in the morning, tram 1 to Foz do Douro for the sunset.' },
    ],
    affiliates: [{ partner: 'staywell', productType: 'hotel', label: 'Hotels by the river' }],
  },
  {
    slug: 'kyoto-in-autumn',
    country: 'jp',
    countryName: 'Japan',
    title: 'Kyoto in autumn',
    authorId: 'kenji',
    author: 'Kenji Sato',
    summary: 'Maple leaves, temple gardens and how to dodge the crowds in November.',
    destination: { country: 'JP', city: 'Kyoto', unlocode: 'JPUKY' },
    sections: [
      { id: 'when-to-go', heading: 'When to go', paragraphs: ['The leaves turn from mid-November; weekdays are far calmer than weekends.'] },
      { id: 'temples', heading: 'Temples worth the early start', paragraphs: ['Tōfuku-ji at 8:30, Eikan-dō in the evening light-up.'] },
    ],
    itinerary: [
      { day: 1, title: 'Eastern hills', text: 'Kiyomizu-dera at dawn, Ninenzaka, then the Philosopher’s Path north.' },
      { day: 2, title: 'Arashiyama', text: 'Bamboo grove before 8 am, Tenryū-ji garden, a boat down the Hozu river.' },
    ],
    affiliates: [
      { partner: 'railpass', productType: 'rail', label: 'Japan Rail Pass' },
      { partner: 'tourly', productType: 'tour', label: 'Evening temple light-up tour' },
    ],
  },
];

/** The post at `/destinations/{country}/{slug}`, if there is one. */
export function findPost(country: string, slug: string): Post | undefined {
  return posts.find((post) => post.country === country && post.slug === slug);
}

/** The countries the blog covers, with their posts. */
export function countries(): { country: string; countryName: string; posts: Post[] }[] {
  const byCountry = new Map<string, { country: string; countryName: string; posts: Post[] }>();
  for (const post of posts) {
    const entry = byCountry.get(post.country) ?? { country: post.country, countryName: post.countryName, posts: [] };
    entry.posts.push(post);
    byCountry.set(post.country, entry);
  }
  return [...byCountry.values()];
}
