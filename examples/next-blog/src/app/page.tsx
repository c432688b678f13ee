import Link from 'next/link';
import { posts } from '../content/posts';

/** The home page: every post. */
export default function Home() {
  return (
    <>
      <h1>Slow travel, day by day</h1>
      <p>Guides with itineraries we walked ourselves.</p>
      <ul className="cards">
        {posts.map((post) => (
          <li key={`${post.country}/${post.slug}`}>
            <Link href={`/destinations/${post.country}/${post.slug}`}>
              <h2>{post.title}</h2>
            </Link>
            <p>
              {post.countryName} · by {post.author}
            </p>
            <p>{post.summary}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
