import type { Envelope, Place } from '@waymark/taxonomy';
import { getWindow } from './env';
import type { TravelEvents } from './engagementTypes';
import { attempt } from './startWhenIdle';
import { DEFAULT_SCHEMA } from './version';

/** What a page says about its content, read from schema.org JSON-LD and meta tags. */
export type ContentMetadata = Pick<TravelEvents['page_viewed'], 'postId' | 'authorId' | 'destinations' | 'themes' | 'template'>;

type Node = Record<string, unknown>;

const ARTICLE_TYPES = /^(Article|BlogPosting|NewsArticle|TechArticle|Report|SocialMediaPosting|WebPage|TravelGuide)$/;

const list = <T>(value: T | T[] | undefined | null): T[] => (value == null ? [] : Array.isArray(value) ? value : [value]);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const id = (value: unknown): string | undefined => {
  const s = text(value);
  return s && s.length <= 128 ? s : undefined;
};
/** A schema.org `identifier`: a string, or a PropertyValue's value. */
const identifier = (node: Node): string | undefined => {
  const value = list(node.identifier as unknown)[0];
  return id(typeof value === 'object' && value ? (value as Node).value : value);
};

/** Every JSON-LD node of the document, `@graph` members included. */
function jsonLdNodes(doc: Document): Node[] {
  const nodes: Node[] = [];
  for (const script of Array.from(doc.querySelectorAll('script[type="application/ld+json"]'))) {
    const parsed = attempt(() => JSON.parse(script.textContent || 'null') as unknown);
    for (const node of list(parsed as Node | Node[])) {
      if (node && typeof node === 'object') nodes.push(node, ...list(node['@graph'] as Node[]).filter(Boolean));
    }
  }
  return nodes;
}

const typeOf = (node: Node) => list(node['@type'] as string | string[]);

/** A schema.org Place (or its address) as a travel place; only places with an ISO country code qualify. */
function placeOf(value: unknown): Place | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const node = value as Node;
  const address = (list(node.address as Node)[0] || {}) as Node;
  const countryValue = address.addressCountry ?? node.addressCountry;
  const country = text(
    typeof countryValue === 'object' && countryValue
      ? ((countryValue as Node).identifier ?? (countryValue as Node).name)
      : countryValue,
  )?.toUpperCase();
  if (!country || !/^[A-Z]{2}$/.test(country)) return undefined;
  const place: Place = { country };
  const region = text(address.addressRegion)?.slice(0, 128);
  const city = text(address.addressLocality ?? (typeOf(node).includes('City') ? node.name : undefined))?.slice(0, 128);
  if (region) place.region = region;
  if (city) place.city = city;
  return place;
}

/** `PT`, `PT:Lisbon` from a `waymark:destination` meta tag. */
function placeFromMeta(content: string): Place | undefined {
  const [country, city] = content.split(':').map((part) => part.trim());
  if (!/^[A-Za-z]{2}$/.test(country)) return undefined;
  return city ? { country: country.toUpperCase(), city: city.slice(0, 128) } : { country: country.toUpperCase() };
}

/**
 * Reads the post id, author id, destinations, themes and template of the current page from what it already renders:
 * schema.org JSON-LD (`BlogPosting` or another Article: `identifier` or `@id`, `author`, `keywords`, `contentLocation`)
 * and meta tags, which win over JSON-LD: `waymark:post-id`, `waymark:author-id`, `waymark:template` (else
 * `<body data-template>`, else `og:type`), `waymark:destination` (`PT` or `PT:Lisbon`, repeatable), `waymark:theme`
 * (repeatable; else JSON-LD `keywords`, else `article:tag`, else `keywords`). Fields not found are absent; on the server it returns `{}`. Never throws.
 *
 * @example
 * import { readContentMetadata } from '@waymark/core/engagement';
 *
 * const { postId, destinations } = readContentMetadata();
 */
export function readContentMetadata(doc: Document | undefined = getWindow()?.document): ContentMetadata {
  if (!doc) return {};
  return (
    attempt(() => {
      const metas = (name: string) =>
        Array.from(doc.querySelectorAll(`meta[name="${name}"], meta[property="${name}"]`))
          .map((meta) => text(meta.getAttribute('content')))
          .filter((value): value is string => !!value);
      const meta = (name: string) => metas(name)[0];
      const article = jsonLdNodes(doc).find((node) => typeOf(node).some((type) => ARTICLE_TYPES.test(type))) || {};
      const author = (list(article.author as Node)[0] || {}) as Node;

      const result: ContentMetadata = {};
      const postId = id(meta('waymark:post-id')) || identifier(article) || id(article['@id']);
      const authorId =
        id(meta('waymark:author-id')) ||
        (typeof author === 'object' ? identifier(author) || id(author['@id']) || id(author.url) || id(author.name) : id(author));
      const template = (meta('waymark:template') || text(doc.body?.getAttribute('data-template')) || meta('og:type'))?.slice(0, 64);
      const keywords = list(article.keywords as string | string[]).flatMap((value) =>
        typeof value === 'string' ? value.split(',') : [],
      );
      const themeSources = [metas('waymark:theme'), keywords, metas('article:tag'), (meta('keywords') || '').split(',')];
      const themes = [
        ...new Set(
          (themeSources.find((source) => source.some((theme) => theme.trim())) || [])
            .map((theme) => theme.trim().slice(0, 64))
            .filter(Boolean),
        ),
      ].slice(0, 20);
      const fromMeta = metas('waymark:destination').map(placeFromMeta);
      const destinations = (fromMeta.length ? fromMeta : list(article.contentLocation).map(placeOf))
        .filter((place): place is Place => !!place)
        .slice(0, 20);
      if (postId) result.postId = postId;
      if (authorId) result.authorId = authorId;
      if (template) result.template = template;
      if (themes.length) result.themes = themes;
      if (destinations.length) result.destinations = destinations;
      return result;
    }) || {}
  );
}

/** Travel-catalogue events without `postId` and `authorId`. */
const WITHOUT_CONTENT = ['search_performed', 'web_vital_measured', 'user_identified'];

/**
 * A `beforeSend` that puts the page's {@link readContentMetadata} on every event, as far as each event's catalogue
 * schema accepts it: `postId` and `authorId` on travel events that have them, everything on `page_viewed`, `template`
 * on `web_vital_measured`. Properties the call already set win. The metadata is read from the document when the event is
 * admitted, and only for events recorded on the page still shown (an event held for consent across a client-side
 * navigation is left as it is). Events of other catalogues go through unchanged. Pass your own `beforeSend` to run after.
 *
 * @example
 * import { createTracker } from '@waymark/core';
 * import { withContentMetadata } from '@waymark/core/engagement';
 *
 * const tracker = createTracker({ endpoint, writeKey, beforeSend: withContentMetadata() });
 */
export function withContentMetadata(
  beforeSend?: (envelope: Envelope) => Envelope | null | undefined,
): (envelope: Envelope) => Envelope | null | undefined {
  return (envelope) => {
    const win = getWindow();
    if (win && envelope.schema === DEFAULT_SCHEMA && envelope.context.page.path === win.location.pathname) {
      const { postId, authorId, ...rest } = readContentMetadata(win.document);
      const add: Record<string, unknown> = {};
      if (!WITHOUT_CONTENT.includes(envelope.name)) Object.assign(add, postId && { postId }, authorId && { authorId });
      if (envelope.name === 'page_viewed') Object.assign(add, rest);
      if (envelope.name === 'web_vital_measured' && rest.template) add.template = rest.template;
      envelope.properties = { ...add, ...envelope.properties };
    }
    return beforeSend ? beforeSend(envelope) : envelope;
  };
}
