import { useTrackOnView } from '@waymark/react';
import { useRef } from 'react';
import type { Destination } from '@waymark/example-blog-content';
import { Link } from '../router';

/** A destination: its posts; `destination_viewed` once its heading was seen. */
export function DestinationPage({ destination }: { destination: Destination }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useTrackOnView(heading, { name: 'destination_viewed', properties: { destination: { country: destination.country } } });
  return (
    <>
      <h1 ref={heading}>{destination.name}</h1>
      <p>{destination.blurb}</p>
      {destination.posts.map((post) => (
        <article key={post.slug} className="card">
          <h2>
            <Link href={`/destinations/${destination.slug}/${post.slug}`}>{post.title}</Link>
          </h2>
          <p>{post.intro}</p>
        </article>
      ))}
    </>
  );
}
