import Head from 'next/head';
import Link from 'next/link';
import { findGuide, guides } from '../../content/guides';
import type { Guide } from '../../content/guides';

interface GuideProps {
  guide: Guide;
  next: Pick<Guide, 'slug' | 'title'>;
}

// Typed without `import type { GetStaticProps } from 'next'`: that import would add Next's globals to the monorepo's
// type-check (a required process.env.NODE_ENV).
export function getStaticPaths() {
  return { paths: guides.map(({ slug }) => ({ params: { slug } })), fallback: false };
}

export function getStaticProps({ params }: { params: { slug: string } }): { props: GuideProps } {
  const guide = findGuide(params.slug)!;
  const { slug, title } = guides[(guides.indexOf(guide) + 1) % guides.length];
  return { props: { guide, next: { slug, title } } };
}

/** One practical guide (a Pages Router page), with a link to the next one. */
export default function GuidePage({ guide, next }: GuideProps) {
  return (
    <article data-guide-id={guide.slug}>
      <Head>
        <title>{`${guide.title} · Waymarks`}</title>
      </Head>
      <p className="crumbs">
        <Link href="/guides">All guides</Link>
      </p>
      <h1>{guide.title}</h1>
      <p className="lead">{guide.summary}</p>
      {guide.paragraphs.map((text, i) => (
        <p key={i}>{text}</p>
      ))}
      <p>
        Next guide: <Link href={`/guides/${next.slug}`}>{next.title}</Link>
      </p>
    </article>
  );
}
