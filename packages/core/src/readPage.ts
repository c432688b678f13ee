import type { Campaign, PageContext } from '@waymark/taxonomy';
import { getWindow } from './env';

/** Query keys removed from every URL the tracker sends, because they often carry secrets or personal data. */
export const SENSITIVE_QUERY_KEYS = [
  'email', 'mail', 'token', 'access_token', 'id_token', 'refresh_token', 'auth', 'code', 'key', 'api_key',
  'apikey', 'password', 'pass', 'pwd', 'secret', 'session', 'sid', 'signature', 'sig', 'otp', 'phone', 'name',
];

/** The page and campaign parts of an event's context, from the current URL. */
export interface PageRead {
  page: PageContext;
  campaign?: Campaign;
}

/** A URL without its fragment and without sensitive query keys; `campaign` collects its `utm_*` values. */
function cleanUrl(href: string, sensitiveKeys: readonly string[], campaign: Campaign = {}): URL {
  const url = new URL(href);
  url.hash = '';
  for (const [key, value] of [...url.searchParams]) {
    const lower = key.toLowerCase();
    if (lower.startsWith('utm_')) {
      const field = lower.slice(4) === 'campaign' ? 'name' : (lower.slice(4) as keyof Campaign);
      if (['source', 'medium', 'name', 'term', 'content'].includes(field)) campaign[field] = value.slice(0, 256);
    }
    if (sensitiveKeys.includes(lower)) url.searchParams.delete(key);
  }
  return url;
}

/**
 * Reads the current page: URL and referrer without sensitive query keys or fragment, path, title, and `utm_*`
 * campaign. Returns undefined outside a browser.
 */
export function readPage(sensitiveKeys: readonly string[], referrer?: string): PageRead | undefined {
  const w = getWindow();
  if (!w) return undefined;
  const campaign: Campaign = {};
  const url = cleanUrl(w.location.href, sensitiveKeys, campaign);
  // A same-origin referrer is a full URL: it can carry the previous page's tokens.
  const ref = referrer ?? (w.document.referrer && cleanUrl(w.document.referrer, sensitiveKeys).href);
  return {
    page: {
      url: url.href.slice(0, 2048),
      path: url.pathname.slice(0, 2048),
      ...(ref ? { referrer: ref.slice(0, 2048) } : {}),
      ...(w.document.title ? { title: w.document.title.slice(0, 512) } : {}),
    },
    campaign: Object.keys(campaign).length > 0 ? campaign : undefined,
  };
}

/** Screen class from the viewport width: no exact dimensions leave the browser. */
export function screenClass(): 'mobile' | 'tablet' | 'desktop' | undefined {
  const width = getWindow()?.innerWidth;
  if (!width) return undefined;
  return width < 768 ? 'mobile' : width < 1024 ? 'tablet' : 'desktop';
}
