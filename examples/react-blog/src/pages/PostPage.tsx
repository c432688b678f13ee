import { useReadTime, useTracker, useTrackOnView } from '@waymark/react';
import { useRef } from 'react';
import type { ReactNode } from 'react';
import type { Destination, Post } from '@waymark/example-blog-content';
import { CommentForm } from '../CommentForm';

const networks = [
  { network: 'pinterest', label: 'Pin it' },
  { network: 'whatsapp', label: 'WhatsApp' },
  { network: 'copy_link', label: 'Copy link' },
] as const;

/** A block whose reading time is reported (`section_read`; `itinerary_day_read` for an itinerary day). */
function Read({ id, day, className, children }: { id: string; day?: number; className?: string; children: ReactNode }) {
  const ref = useRef<HTMLElement>(null);
  useReadTime(ref);
  return (
    <section ref={ref} id={id} className={className} data-itinerary-day={day}>
      {children}
    </section>
  );
}

/** The itinerary: `itinerary_viewed` once half of it was on screen for a second, and each day's reading. */
function Itinerary({ post }: { post: Post }) {
  const ref = useRef<HTMLElement>(null);
  const itinerary = post.itinerary!;
  useTrackOnView(ref, {
    name: 'itinerary_viewed',
    properties: { postId: post.slug, itineraryId: itinerary.id, days: itinerary.days.length, destinations: [post.place] },
  });
  return (
    <section ref={ref} className="itinerary" data-itinerary-id={itinerary.id}>
      <h2 id="itinerary">Itinerary</h2>
      {itinerary.days.map((day, index) => (
        <Read key={index} id={`day-${index + 1}`} day={index + 1}>
          <h3>
            Day {index + 1}: {day.title}
          </h3>
          <p>{day.text}</p>
        </Read>
      ))}
    </section>
  );
}

/** A post: share buttons, h2 sections, the itinerary, affiliate booking links and the comment form. */
export function PostPage({ post, destination }: { post: Post; destination: Destination }) {
  const tracker = useTracker();
  const { slug: postId, authorId } = post;
  return (
    <>
      <article>
        <h1>{post.title}</h1>
        <p className="intro">
          {post.intro} <small>({destination.name})</small>
        </p>
        <div className="share">
          {networks.map(({ network, label }) => (
            <button
              key={network}
              data-share={network}
              onClick={() => tracker.track('post_shared', { postId, authorId, network, method: 'button' })}
            >
              {label}
            </button>
          ))}
        </div>
        {post.sections.map((section) => (
          <Read key={section.id} id={section.id}>
            <h2>{section.heading}</h2>
            <p>{section.text}</p>
          </Read>
        ))}
        {post.itinerary && <Itinerary post={post} />}
        <aside className="bookings">
          <h2 id="book">Book it</h2>
          {post.bookings.map((link) => (
            <a
              key={link.href}
              href={link.href}
              data-partner={link.partner}
              target="_blank"
              rel="sponsored noopener"
              onClick={(event) =>
                tracker.track('affiliate_link_clicked', {
                  postId,
                  partner: link.partner,
                  productType: link.productType,
                  url: event.currentTarget.href,
                  destination: post.place,
                  placement: 'post_footer',
                })
              }
            >
              {link.label}
            </a>
          ))}
        </aside>
      </article>
      <CommentForm postId={postId} />
    </>
  );
}
