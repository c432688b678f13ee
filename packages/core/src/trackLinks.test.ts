import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackLinks } from './trackLinks';

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };

const click = (selector: string, init: MouseEventInit = {}) => {
  const event = new MouseEvent('click', { bubbles: true, cancelable: true, ...init });
  document.querySelector(selector)!.dispatchEvent(event);
  return event;
};

describe('trackLinks', () => {
  let stop: () => void;
  beforeEach(() => {
    vi.useFakeTimers();
    sent.length = 0;
    document.body.innerHTML = `
      <div data-placement="sidebar"><a id="hotel" href="https://www.booking.com/hotel/pt/alfama.html?aid=123&email=a@b.c#rooms" target="_blank">Book</a></div>
      <a id="tour" href="https://www.getyourguide.com/lisbon"><span id="inner">Tours</span></a>
      <a id="cloaked" href="/go/booking-lisbon">Deal</a>
      <a id="wiki" href="https://en.wikipedia.org/wiki/Lisbon">Wiki</a>
      <a id="home" href="/about">About</a>
      <a id="shop" href="https://shop.example.test/">Shop</a>
      <a id="mail" href="mailto:hi@example.test">Mail</a>`;
    stop = trackLinks(tracker, {
      rules: [
        { match: /booking\.com|\/go\/booking/, partner: 'booking', productType: 'hotel' },
        { match: 'getyourguide.com', partner: 'getyourguide', productType: 'tour' },
      ],
      internalHosts: ['shop.example.test'],
    });
    vi.advanceTimersByTime(100);
  });
  afterEach(() => {
    stop();
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    vi.useRealTimers();
  });

  it('classifies affiliate links by the first matching rule, with placement and a cleaned URL', () => {
    click('#hotel');
    click('#inner');
    click('#cloaked');
    expect(sent).toEqual([
      ['affiliate_link_clicked', { partner: 'booking', productType: 'hotel', url: 'https://www.booking.com/hotel/pt/alfama.html?aid=123', placement: 'sidebar' }],
      ['affiliate_link_clicked', { partner: 'getyourguide', productType: 'tour', url: 'https://www.getyourguide.com/lisbon' }],
      ['affiliate_link_clicked', { partner: 'booking', productType: 'hotel', url: 'http://localhost:3000/go/booking-lisbon' }],
    ]);
  });

  it('sends other sites as outbound links and ignores the site, its other hosts and non-web links', () => {
    click('#wiki');
    click('#home');
    click('#shop');
    click('#mail');
    expect(sent).toEqual([['outbound_link_clicked', { url: 'https://en.wikipedia.org/wiki/Lisbon', host: 'en.wikipedia.org' }]]);
  });

  it('counts modifier and middle clicks and never prevents the navigation', () => {
    const events = [click('#wiki', { ctrlKey: true }), click('#wiki', { metaKey: true, shiftKey: true })];
    document.querySelector('#wiki')!.dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button: 1 }));
    document.querySelector('#wiki')!.dispatchEvent(new MouseEvent('auxclick', { bubbles: true, button: 2 }));
    expect(sent).toHaveLength(3);
    expect(events.every((event) => !event.defaultPrevented)).toBe(true);
  });

  it('sees clicks the page stops from propagating, and nothing after stop', () => {
    document.querySelector('#wiki')!.addEventListener('click', (event) => event.stopPropagation());
    click('#wiki');
    stop();
    click('#wiki');
    expect(sent).toHaveLength(1);
  });
});
