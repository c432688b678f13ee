import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackShares } from './trackShares';

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };
const click = (selector: string) => document.querySelector(selector)!.dispatchEvent(new MouseEvent('click', { bubbles: true }));

describe('trackShares', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    sent.length = 0;
    document.body.innerHTML = `
      <button data-share="pinterest"><span id="pin">Pin it</span></button>
      <button id="copy" data-share="copy_link">Copy</button>
      <button id="odd" data-share="myspace">MySpace</button>
      <a id="wa" href="https://wa.me/?text=Lisbon">WhatsApp</a>
      <a id="fb" href="https://www.facebook.com/sharer/sharer.php?u=x">Facebook</a>
      <a id="x" href="https://x.com/intent/post?text=x">X</a>
      <a id="mail" href="mailto:?subject=Lisbon">Email</a>
      <a id="plain" href="https://www.facebook.com/lisbonblog">Our page</a>`;
  });
  afterEach(() => {
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('sends the network of share buttons and share links', () => {
    const stop = trackShares(tracker);
    vi.advanceTimersByTime(100);
    for (const id of ['#pin', '#copy', '#odd', '#wa', '#fb', '#x', '#mail', '#plain']) click(id);
    expect(sent.map(([, properties]) => properties.network)).toEqual(['pinterest', 'copy_link', 'other', 'whatsapp', 'facebook', 'x', 'email']);
    expect(sent.every(([name, properties]) => name === 'post_shared' && properties.method === 'button')).toBe(true);
    stop();
  });

  it('counts a completed Web Share API share, not a cancelled one, and restores navigator.share', async () => {
    let outcome: 'done' | 'cancel' = 'done';
    const share = vi.fn(() => (outcome === 'done' ? Promise.resolve() : Promise.reject(new DOMException('cancelled', 'AbortError'))));
    Object.defineProperty(Navigator.prototype, 'share', { value: share, configurable: true, writable: true });
    const stop = trackShares(tracker);
    vi.advanceTimersByTime(100);
    await navigator.share({ url: 'https://example.test/lisbon' });
    outcome = 'cancel';
    await expect(navigator.share({ url: 'https://example.test/lisbon' })).rejects.toThrow('cancelled');
    await Promise.resolve();
    expect(share).toHaveBeenCalledTimes(2);
    expect(sent).toEqual([['post_shared', { network: 'native', method: 'web_share_api' }]]);
    stop();
    expect(navigator.share).toBe(share);
    delete (Navigator.prototype as { share?: unknown }).share;
  });
});
