import Link from 'next/link';
import { notFound } from 'next/navigation';
import { countries } from '../../../content/posts';

interface CountryProps {
  params: Promise<{ country: string }>;
}

export const dynamicParams = false;

export function generateStaticParams() {
  return countries().map(({ country }) => ({ country }));
}

export async function generateMetadata({ params }: CountryProps) {
  const { country } = await params;
  return { title: countries().find((entry) => entry.country === country)?.countryName };
}

/** A country and its posts (route `/destinations/[country]`). */
export default async function Country({ params }: CountryProps) {
  const { country } = await params;
  const entry = countries().find((candidate) => candidate.country === country);
  if (!entry) notFound();
  return (
    <>
      <h1>{entry.countryName}</h1>
      <ul className="cards">
        {entry.posts.map((post) => (
          <li key={post.slug}>
            <Link href={`/destinations/${post.country}/${post.slug}`}>
              <h2>{post.title}</h2>
            </Link>
            <p>{post.summary}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
