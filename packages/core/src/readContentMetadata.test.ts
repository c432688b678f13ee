import { travelCatalogue, validateEnvelope, validateEvent } from '@waymark/taxonomy';
import type { Envelope } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTracker } from './createTracker';
import { readContentMetadata, withContentMetadata } from './readContentMetadata';

const article = {
  '@context': 'https://schema.org',
  '@graph': [
    { '@type': 'WebSite', '@id': 'https://example.test/#site' },
    {
      '@type': 'BlogPosting',
      identifier: 'post-1842',
      headline: 'Lisbon in three days',
      author: { '@type': 'Person', '@id': 'author-ana', name: 'Ana Sousa' },
      keywords: 'food, trams , viewpoints',
      contentLocation: [
        { '@type': 'Place', name: 'Lisbon', address: { '@type': 'PostalAddress', addressLocality: 'Lisbon', addressRegion: 'Lisboa', addressCountry: 'pt' } },
        { '@type': 'City', name: 'Sintra', address: { addressCountry: { '@type': 'Country', identifier: 'PT' } } },
        { '@type': 'Place', name: 'Atlantis', address: { addressCountry: 'Atlantis' } },
      ],
    },
  ],
};

const setHead = (html: string) => {
  document.head.innerHTML = html;
};

describe('readContentMetadata', () => {
  afterEach(() => {
    document.head.innerHTML = '';
    document.body.removeAttribute('data-template');
  });

  it('reads post, author, themes and destinations from BlogPosting JSON-LD', () => {
    setHead(`<script type="application/ld+json">${JSON.stringify(article)}</script><meta property="og:type" content="article">`);
    const metadata = readContentMetadata();
    expect(metadata).toEqual({
      postId: 'post-1842',
      authorId: 'author-ana',
      template: 'article',
      themes: ['food', 'trams', 'viewpoints'],
      destinations: [
        { country: 'PT', region: 'Lisboa', city: 'Lisbon' },
        { country: 'PT', city: 'Sintra' },
      ],
    });
    expect(validateEvent(travelCatalogue, 'page_viewed', metadata).ok).toBe(true);
  });

  it('prefers waymark meta tags, and falls back to article:tag and the body template', () => {
    document.body.setAttribute('data-template', 'itinerary');
    setHead(`
      <script type="application/ld+json">${JSON.stringify(article)}</script>
      <meta name="waymark:post-id" content="cms-77"><meta name="waymark:author-id" content="u-9">
      <meta name="waymark:destination" content="jp:Kyoto"><meta name="waymark:destination" content="JP">`);
    expect(readContentMetadata()).toMatchObject({ postId: 'cms-77', authorId: 'u-9', template: 'itinerary', destinations: [{ country: 'JP', city: 'Kyoto' }, { country: 'JP' }] });
    setHead('<meta property="article:tag" content="Beaches"><meta property="article:tag" content="Algarve">');
    expect(readContentMetadata()).toEqual({ template: 'itinerary', themes: ['Beaches', 'Algarve'] });
  });

  it('ignores broken JSON-LD and returns nothing when the page says nothing', () => {
    setHead('<script type="application/ld+json">{ not json</script>');
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(readContentMetadata()).toEqual({});
    vi.restoreAllMocks();
  });
});

describe('withContentMetadata', () => {
  const sent: Envelope[] = [];
  beforeEach(() => {
    sent.length = 0;
    setHead(`<script type="application/ld+json">${JSON.stringify(article)}</script><meta name="waymark:template" content="post">`);
  });
  afterEach(() => {
    document.head.innerHTML = '';
  });

  const tracker = (beforeSend = withContentMetadata()) =>
    createTracker({
      endpoint: 'https://collect.example.test',
      writeKey: 'wk_test',
      consent: 'granted',
      flushAt: 100,
      beforeSend,
      transport: {
        async send({ body }) {
          sent.push(...(JSON.parse(body) as { events: Envelope[] }).events);
          return { status: 200 };
        },
      },
    });

  it('puts the metadata on each event as far as its schema allows, and the sent events validate', async () => {
    const t = tracker();
    t.page();
    t.track('scroll_depth_reached', { percent: 50 });
    t.track('post_shared', { network: 'x', postId: 'explicit' });
    t.track('web_vital_measured', { metric: 'LCP', value: 1200, rating: 'good' });
    t.track('search_performed', { query: 'porto', resultsCount: 3 });
    await t.flush();
    expect(sent.map((e) => e.properties)).toEqual([
      {
        postId: 'post-1842',
        authorId: 'author-ana',
        template: 'post',
        themes: ['food', 'trams', 'viewpoints'],
        destinations: [{ country: 'PT', region: 'Lisboa', city: 'Lisbon' }, { country: 'PT', city: 'Sintra' }],
      },
      { postId: 'post-1842', authorId: 'author-ana', percent: 50 },
      { postId: 'explicit', authorId: 'author-ana', network: 'x' },
      { template: 'post', metric: 'LCP', value: 1200, rating: 'good' },
      { query: 'porto', resultsCount: 3 },
    ]);
    for (const envelope of sent) expect(validateEnvelope([travelCatalogue], envelope).ok).toBe(true);
    t.destroy();
  });

  it('leaves events of another page alone and runs the given beforeSend after', async () => {
    const t = tracker(withContentMetadata((e) => (e.name === 'post_read' ? null : e)));
    t.track('post_read', { engagedMs: 1 });
    t.track('comment_posted', { length: 3 });
    await t.flush();
    expect(sent.map((e) => [e.name, e.properties.postId])).toEqual([['comment_posted', 'post-1842']]);
    const other = withContentMetadata()({ ...sent[0], properties: { length: 3 }, context: { ...sent[0].context, page: { ...sent[0].context.page, path: '/elsewhere' } } });
    expect(other!.properties).toEqual({ length: 3 });
    t.destroy();
  });
});
