import { useTrackOnView } from '@waymark/react';
import { useRef } from 'react';
import { destinations } from '@waymark/example-blog-content';
import type { Destination } from '@waymark/example-blog-content';
import { Link } from '../router';

/** A destination card: counts as viewed once half of it was on screen for a second. */
function DestinationCard({ destination }: { destination: Destination }) {
  const ref = useRef<HTMLElement>(null);
  useTrackOnView(ref, { name: 'destination_viewed', properties: { destination: { country: destination.country } } });
  return (
    <section ref={ref} className="card">
      <h2>
        <Link href={`/destinations/${destination.slug}`}>{destination.name}</Link>
      </h2>
      <p>{destination.blurb}</p>
      <ul>
        {destination.posts.map((post) => (
          <li key={post.slug}>
            <Link href={`/destinations/${destination.slug}/${post.slug}`}>{post.title}</Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The home page: every destination and its posts. */
export function HomePage() {
  return (
    <>
      <h1>Slow travel, well told</h1>
      {destinations.map((destination) => (
        <DestinationCard key={destination.slug} destination={destination} />
      ))}
    </>
  );
}
