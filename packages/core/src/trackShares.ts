import type { EngagementTracker, StopTracking, TravelEvents, TravelTracker } from './engagementTypes';
import { attempt, cleanupAll, listen, startWhenIdle } from './startWhenIdle';

/** A network a post can be shared to, as the travel catalogue names it. */
export type ShareNetwork = TravelEvents['post_shared']['network'];

/** Options of {@link trackShares}. */
export interface SharesOptions {
  /**
   * Share buttons; the network is the element's `data-share` value (`pinterest`, `copy_link`, …), else it is recognised
   * from the link's share URL. Links to known share URLs (`facebook.com/sharer`, `wa.me`, `mailto:`, …) count too.
   * @default '[data-share]'
   */
  selector?: string;
  /**
   * Count posts shared through the Web Share API (`navigator.share`) as network `native`.
   * @default true
   */
  webShare?: boolean;
}

const NETWORKS: readonly ShareNetwork[] = [
  'facebook', 'x', 'whatsapp', 'pinterest', 'linkedin', 'reddit', 'telegram', 'email', 'copy_link', 'native', 'other',
];

/** Share URLs of the networks, tested against `host + path`. */
const SHARE_URLS: [RegExp, ShareNetwork][] = [
  [/^(www\.|m\.)?facebook\.com\/(sharer|share\.php|dialog\/share)/, 'facebook'],
  [/^(www\.)?(twitter|x)\.com\/(intent\/(tweet|post)|share)/, 'x'],
  [/^(wa\.me\/|(api|web)\.whatsapp\.com\/send)/, 'whatsapp'],
  [/^(www\.)?pinterest\.[a-z.]+\/pin\/create/, 'pinterest'],
  [/^(www\.)?linkedin\.com\/(sharing|shareArticle)/, 'linkedin'],
  [/^(www\.)?reddit\.com\/submit/, 'reddit'],
  [/^t\.me\/share/, 'telegram'],
];

/** The network a share link or button points at, or undefined when it is not one. */
export function shareNetworkOf(el: Element): ShareNetwork | undefined {
  const named = el.getAttribute('data-share');
  if (named) return NETWORKS.includes(named as ShareNetwork) ? (named as ShareNetwork) : 'other';
  const href = el.getAttribute('href');
  if (!href) return undefined;
  if (/^mailto:/i.test(href)) return 'email';
  const match = /^(?:https?:)?\/\/(.*)$/i.exec(href);
  return match ? SHARE_URLS.find(([pattern]) => pattern.test(match[1]))?.[1] : undefined;
}

/**
 * Sends `post_shared` with the network when the reader clicks a share button or link (`method: 'button'`), and when a
 * share through the Web Share API completes (`network: 'native'`, `method: 'web_share_api'`; a cancelled share sheet is
 * not a share). Clicks are read in the capture phase and nothing is prevented, so the buttons work as before.
 *
 * @example
 * import { trackShares } from '@waymark/core/engagement';
 *
 * // <button data-share="copy_link">Copy link</button>  <a href="https://wa.me/?text=…">WhatsApp</a>
 * trackShares(tracker);
 */
export function trackShares(tracker: EngagementTracker, options: SharesOptions = {}): StopTracking {
  const { selector = '[data-share]', webShare = true } = options;
  const t = tracker as TravelTracker;
  return startWhenIdle((win) => {
    const nav = win.navigator as Navigator & { share?: Navigator['share'] };
    const onClick = (event: Event) => {
      const target = event.target as Element | null;
      if ((event as MouseEvent).button > 1 || !target?.closest) return;
      const el = target.closest(selector) || target.closest('a[href]');
      const network = el && shareNetworkOf(el);
      if (network) t.track('post_shared', { network, method: 'button' });
    };
    const cleanups = [listen(win.document, 'click', onClick, { capture: true }), listen(win.document, 'auxclick', onClick, { capture: true })];
    const original = nav.share;
    if (webShare && typeof original === 'function') {
      const patched = function (this: Navigator, data?: ShareData) {
        const result = original.call(this, data);
        // The share sheet resolves when the reader picked a target, and rejects (AbortError) when they closed it.
        attempt(() =>
          result.then(
            () => t.track('post_shared', { network: 'native', method: 'web_share_api' }),
            () => undefined,
          ),
        );
        return result;
      };
      nav.share = patched;
      cleanups.push(() => {
        // Only our own wrapper is removed; the navigator's method shows through again.
        if (nav.share === patched) {
          delete (nav as { share?: unknown }).share;
          if (nav.share !== original) nav.share = original;
        }
      });
    }
    return cleanupAll(cleanups);
  });
}
