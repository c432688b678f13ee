import type { EngagementTracker, StopTracking, TravelEvents, TravelTracker } from './engagementTypes';
import { SENSITIVE_QUERY_KEYS } from './readPage';
import { cleanupAll, listen, startWhenIdle } from './startWhenIdle';

/** Product type of an affiliate partner, as the travel catalogue names it. */
export type ProductType = TravelEvents['affiliate_link_clicked']['productType'];

/** Classifies links as one affiliate partner's. */
export interface LinkRule {
  /**
   * Which links: a RegExp tested against the full URL, a host (`booking.com` also matches `www.booking.com`), or a
   * function. Rules also see same-site links, so cloaked links such as `/go/booking-lisbon` can be classified.
   */
  match: RegExp | string | ((url: URL, link: Element) => boolean);
  /** Partner name sent as `partner`, e.g. `booking`. */
  partner: string;
  /** Product type sent as `productType`. */
  productType: ProductType;
}

/** Options of {@link trackLinks}. */
export interface LinksOptions {
  /** Affiliate rules, first match wins. Links no rule matches that leave the site are `outbound_link_clicked`. */
  rules?: LinkRule[];
  /**
   * Other hosts that belong to the site (their links are not outbound). `www.` is ignored when comparing hosts.
   * @default []
   */
  internalHosts?: string[];
}

const bareHost = (host: string) => host.toLowerCase().replace(/^www\./, '');

const matches = (rule: LinkRule, url: URL, link: Element): boolean => {
  const { match } = rule;
  if (typeof match === 'function') return match(url, link);
  if (typeof match === 'string') {
    const host = url.hostname.toLowerCase();
    const wanted = match.toLowerCase();
    return host === wanted || host.endsWith(`.${wanted}`);
  }
  match.lastIndex = 0;
  return match.test(url.href);
};

/**
 * Sends `affiliate_link_clicked` (partner and product type from the first matching rule, with the `placement` from the
 * closest `data-placement`) or `outbound_link_clicked` (links to other sites) when the reader follows a link: a click,
 * including modifier-clicks, `target="_blank"` and middle clicks. Nothing is prevented or delayed: the link works as
 * it would without tracking. When the link replaces the page, the click leaves with the tracker's page-exit flush
 * (keepalive); when it opens a new tab, with the next regular flush. URLs are sent without their fragment and without
 * sensitive query keys.
 *
 * @example
 * import { trackLinks } from '@waymark/core/engagement';
 *
 * trackLinks(tracker, {
 *   rules: [
 *     { match: /booking\.com/, partner: 'booking', productType: 'hotel' },
 *     { match: 'getyourguide.com', partner: 'getyourguide', productType: 'tour' },
 *   ],
 * });
 */
export function trackLinks(tracker: EngagementTracker, options: LinksOptions = {}): StopTracking {
  const { rules = [], internalHosts = [] } = options;
  const t = tracker as TravelTracker;
  return startWhenIdle((win) => {
    const internal = new Set(internalHosts.map(bareHost));
    const onClick = (event: Event) => {
      const mouse = event as MouseEvent;
      if (mouse.button > 1) return;
      const link = (event.target as Element | null)?.closest?.('a[href], area[href]');
      if (!link) return;
      const url = new URL(link.getAttribute('href')!, win.location.href);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
      url.hash = '';
      for (const key of [...url.searchParams.keys()]) {
        if (SENSITIVE_QUERY_KEYS.includes(key.toLowerCase())) url.searchParams.delete(key);
      }
      const href = url.href.slice(0, 2048);
      const rule = rules.find((candidate) => matches(candidate, url, link));
      if (rule) {
        const placement = link.closest('[data-placement]')?.getAttribute('data-placement')?.slice(0, 64);
        t.track('affiliate_link_clicked', {
          partner: rule.partner.slice(0, 64),
          productType: rule.productType,
          url: href,
          ...(placement && { placement }),
        });
        return;
      }
      const host = bareHost(url.hostname);
      if (host !== bareHost(win.location.hostname) && !internal.has(host)) {
        t.track('outbound_link_clicked', { url: href, host: url.hostname.slice(0, 255) });
      }
    };
    // Capture phase: the click is seen even when the page's own handler stops it from propagating.
    return cleanupAll([
      listen(win.document, 'click', onClick, { capture: true }),
      listen(win.document, 'auxclick', onClick, { capture: true }),
    ]);
  });
}
