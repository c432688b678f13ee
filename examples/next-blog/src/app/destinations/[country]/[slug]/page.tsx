import Link from 'next/link';
import { notFound } from 'next/navigation';
import { AffiliateLinks } from '../../../../components/AffiliateLinks';
import { CommentForm } from '../../../../components/CommentForm';
import { DestinationViewed } from '../../../../components/DestinationViewed';
import { ReadSection } from '../../../../components/ReadSection';
import { ShareButtons } from '../../../../components/ShareButtons';
import { findPost, posts } from '../../../../content/posts';

interface PostProps {
  params: Promise<{ country: string; slug: string }>;
}

export const dynamicParams = false;

export function generateStaticParams() {
  return posts.map(({ country, slug }) => ({ country, slug }));
}

export async function generateMetadata({ params }: PostProps) {
  const { country, slug } = await params;
  const post = findPost(country, slug);
  return { title: post?.title, description: post?.summary };
}

/** A destination post with h2 sections, an itinerary, share buttons, booking links and comments. */
export default async function PostPage({ params }: PostProps) {
  const { country, slug } = await params;
  const post = findPost(country, slug);
  if (!post) notFound();
  return (
    <article data-post-id={post.slug} data-author-id={post.authorId}>
      <DestinationViewed postId={post.slug} authorId={post.authorId} destination={post.destination} />
      <p className="crumbs">
        <Link href={`/destinations/${post.country}`}>{post.countryName}</Link>
      </p>
      <h1>{post.title}</h1>
      <p className="byline">by {post.author}</p>
      <p className="lead">{post.summary}</p>
      <ShareButtons postId={post.slug} authorId={post.authorId} />

      {post.sections.map((section) => (
        <ReadSection key={section.id} id={section.id}>
          <h2>{section.heading}</h2>
          {section.paragraphs.map((text, i) => (
            <p key={i}>{text}</p>
          ))}
        </ReadSection>
      ))}

      <h2 id="itinerary">Itinerary</h2>
      <ol className="itinerary">
        {post.itinerary.map((day) => (
          <li key={day.day}>
            <ReadSection id={`day-${day.day}`} day={day.day} itineraryId={post.slug}>
              <h3>
                Day {day.day}: {day.title}
              </h3>
              <p>{day.text}</p>
            </ReadSection>
          </li>
        ))}
      </ol>

      <AffiliateLinks postId={post.slug} links={post.affiliates} destination={post.destination} />
      <CommentForm postId={post.slug} />
    </article>
  );
}
