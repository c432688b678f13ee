import Head from 'next/head';
import Link from 'next/link';
import { guides } from '../../content/guides';

/** Every practical guide (a Pages Router page). */
export default function Guides() {
  return (
    <>
      <Head>
        <title>Guides · Waymarks</title>
      </Head>
      <h1>Guides</h1>
      <ul className="cards">
        {guides.map((guide) => (
          <li key={guide.slug}>
            <Link href={`/guides/${guide.slug}`}>
              <h2>{guide.title}</h2>
            </Link>
            <p>{guide.summary}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
