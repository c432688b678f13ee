// The React example blog's content module (`@waymark/example-blog-content`), rebuilt from the synthetic blog's
// posts: the demo builds the React blog with this module in place of its own three posts, so the pages a reader opens
// are the pages the replayed readership read.
import type { BookingLink, Destination, Post } from '@waymark/example-blog-content';
import { destinations as siteDestinations, posts as sitePosts } from '../../../scripts/synthetic/siteContent';
import type { Post as SitePost } from '../../../scripts/synthetic/siteContent';

export type { BookingLink, Destination, Place, Post } from '@waymark/example-blog-content';

const partnerSlug = (partner: string) => partner.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** The blog's path of a synthetic post: the React blog nests posts under their country, `/destinations/pt/lisbon-3-days`. */
export function blogPostPath(post: Pick<SitePost, 'slug' | 'destinations'>): string {
  return `/destinations/${post.destinations[0].country.toLowerCase()}/${post.slug}`;
}

function toPost(post: SitePost): Post {
  const place = post.destinations[0];
  const where = place.city ?? place.country;
  return {
    slug: post.slug,
    title: post.title,
    authorId: post.authorId,
    intro: post.intro,
    themes: [...post.themes],
    place: { ...place },
    sections: post.sections.map(({ sectionId, heading }) => ({ id: sectionId, heading, text: `${heading}: our notes from ${where}.` })),
    ...(post.itinerary && {
      itinerary: {
        id: post.itinerary.itineraryId,
        days: Array.from({ length: post.itinerary.days }, (_, i) => ({ title: `Day ${i + 1}`, text: `Day ${i + 1} around ${where}.` })),
      },
    }),
    // Partner pages are served next to the blog, so a click in the demo never leaves this machine.
    bookings: post.bookings.map(
      (link): BookingLink => ({
        partner: link.partner,
        productType: link.productType as BookingLink['productType'],
        label: link.label,
        href: `/partner/${partnerSlug(link.partner)}?to=${encodeURIComponent(where.toLowerCase())}`,
      }),
    ),
  };
}

/** Every destination of the synthetic blog with its posts, most read first. */
export const destinations: Destination[] = siteDestinations.map((destination) => {
  const ofCountry = sitePosts.filter((post) => post.destinations[0].country === destination.country).sort((a, b) => a.popularityRank - b.popularityRank);
  return {
    country: destination.country,
    slug: destination.slug,
    name: destination.name,
    blurb: `${ofCountry.length} ${ofCountry.length === 1 ? 'story' : 'stories'} from ${destination.name}.`,
    posts: ofCountry.map(toPost),
  };
});

/** The destination for a route's `:country`. */
export const findDestination = (slug: string) => destinations.find((d) => d.slug === slug);

/** The post for a route's `:country/:slug`. */
export const findPost = (country: string, slug: string) => findDestination(country)?.posts.find((p) => p.slug === slug);
