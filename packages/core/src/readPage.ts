import type { Campaign, PageContext } from '@waymark/taxonomy';

/** Query keys removed from every URL the tracker sends, because they often carry secrets or personal data. */
export const SENSITIVE_QUERY_KEYS =
  'email,mail,token,access_token,id_token,refresh_token,auth,code,key,api_key,apikey,password,pass,pwd,secret,session,sid,signature,sig,otp,phone,name'.split(
    ',',
  );

/** The page and campaign parts of an event's context, from the current URL. */
export interface PageRead {
  page: PageContext;
  campaign?: Campaign;
}

const UTM = /^utm_(source|medium|campaign|term|content)$/;

/** A URL without its fragment and without sensitive query keys; `campaign` collects its `utm_*` values. */
function cleanUrl(href: string, sensitiveKeys: readonly string[], campaign: Campaign = {}): URL {
  const url = new URL(href);
  url.hash = '';
  for (const [key, value] of [...url.searchParams]) {
    const lower = key.toLowerCase();
    const utm = UTM.exec(lower)?.[1];
    if (utm) campaign[utm === 'campaign' ? 'name' : (utm as keyof Campaign)] = value.slice(0, 256);
    if (sensitiveKeys.includes(lower)) url.searchParams.delete(key);
  }
  return url;
}

/**
 * Reads the current page of `win`: URL and referrer without sensitive query keys or fragment, path, title, and `utm_*`
 * campaign. `referrer` replaces `document.referrer` (the previous page after a client-side navigation).
 */
export function readPage(win: Window, sensitiveKeys: readonly string[], referrer?: string): PageRead {
  const { location, document } = win;
  const campaign: Campaign = {};
  const url = cleanUrl(location.href, sensitiveKeys, campaign);
  // A same-origin referrer is a full URL: it can carry the previous page's tokens.
  const ref = referrer || (document.referrer && cleanUrl(document.referrer, sensitiveKeys).href);
  // Fields left undefined are absent from the JSON that is sent.
  return {
    page: {
      url: url.href.slice(0, 2048),
      path: url.pathname.slice(0, 2048),
      referrer: ref ? ref.slice(0, 2048) : undefined,
      title: document.title.slice(0, 512) || undefined,
    },
    campaign: Object.keys(campaign).length ? campaign : undefined,
  };
}
