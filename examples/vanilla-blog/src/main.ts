import { createTracker } from '@waymark/core';
import { indexedDbBuffer } from '@waymark/core/offline';

const article = document.querySelector<HTMLElement>('article')!;
const postId = article.dataset.postId;
const authorId = article.dataset.authorId;

declare const WAYMARK_ENDPOINT: string;

const tracker = createTracker({
  endpoint: WAYMARK_ENDPOINT,
  writeKey: 'wk_example_blog',
  buffer: indexedDbBuffer(),
  flushInterval: 1000,
});

tracker.page({ postId, authorId, template: 'post', destinations: [{ country: 'PT', city: 'Lisbon', unlocode: 'PTLIS' }] });
tracker.track('destination_viewed', { postId, destination: { country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' } });

const banner = document.getElementById('consent')!;
const choose = (granted: boolean) => {
  tracker.setConsent({ analytics: granted, storage: granted });
  banner.hidden = true;
};
document.getElementById('accept')!.addEventListener('click', () => choose(true));
document.getElementById('decline')!.addEventListener('click', () => choose(false));

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-share]')) {
  button.addEventListener('click', () => {
    tracker.track('post_shared', { postId, authorId, network: button.dataset.share as 'whatsapp', method: 'button' });
  });
}

for (const link of document.querySelectorAll<HTMLAnchorElement>('a.book')) {
  link.addEventListener('click', () => {
    tracker.track('affiliate_link_clicked', {
      postId,
      partner: link.dataset.partner!,
      productType: link.dataset.product as 'hotel',
      url: link.href,
      destination: { country: 'PT', city: 'Lisbon' },
    });
  });
}

document.getElementById('comment')!.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = new FormData(event.target as HTMLFormElement).get('text') as string;
  tracker.track('comment_posted', { postId, length: text.length });
  (event.target as HTMLFormElement).reset();
});
