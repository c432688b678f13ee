'use client';
import { useTracker } from '@waymark/next';
import type { AffiliateLink, Place } from '../content/posts';

/** Booking links to partners; each click is recorded with the partner and the product type. */
export function AffiliateLinks({ postId, links, destination }: { postId: string; links: AffiliateLink[]; destination: Place }) {
  const tracker = useTracker();
  return (
    <aside className="book" aria-label="Book this trip">
      <h2>Book this trip</h2>
      <ul>
        {links.map(({ partner, productType, label }) => {
          // The example's stand-in for a partner site, served by this app so the demo never leaves the machine.
          const href = `/partner/${partner}?ref=next-blog&post=${postId}`;
          return (
            <li key={partner}>
              <a
                href={href}
                target="_blank"
                rel="sponsored noopener"
                data-partner={partner}
                onClick={(event) =>
                  tracker.track('affiliate_link_clicked', {
                    postId,
                    partner,
                    productType,
                    url: new URL(href, location.href).href,
                    destination: { country: destination.country, city: destination.city },
                    placement: 'post_sidebar',
                  })
                }
              >
                {label}
              </a>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
