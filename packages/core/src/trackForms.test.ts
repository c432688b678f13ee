import { travelCatalogue, validateEvent } from '@waymark/taxonomy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trackForms } from './trackForms';

const sent: [string, Record<string, unknown>][] = [];
const tracker = { track: (name: string, properties?: object) => void sent.push([name, { ...properties }]), page: () => {} };
const submit = (selector: string) => document.querySelector(selector)!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));

describe('trackForms', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    sent.length = 0;
    document.body.innerHTML = `
      <form id="commentform"><textarea name="comment"> Loved the tram 28 tip! </textarea><input name="comment_parent" value="0"></form>
      <form id="reply" data-comment-form><textarea>Thanks</textarea><input name="comment_parent" value="17"></form>
      <form id="news" data-newsletter-form data-list-id="weekly" data-placement="footer"><input type="email" value="ana@example.test"></form>
      <form id="search"><input name="q" value="Porto"></form>`;
  });
  afterEach(() => {
    for (const [name, properties] of sent) expect(validateEvent(travelCatalogue, name, properties).ok).toBe(true);
    vi.useRealTimers();
  });

  it('sends comment length and reply flag, newsletter list and placement, never the text or address', () => {
    const stop = trackForms(tracker);
    vi.advanceTimersByTime(100);
    for (const id of ['#commentform', '#reply', '#news', '#search']) submit(id);
    expect(sent).toEqual([
      ['comment_posted', { length: 22, isReply: false }],
      ['comment_posted', { length: 6, isReply: true }],
      ['newsletter_signed_up', { listId: 'weekly', placement: 'footer' }],
    ]);
    expect(JSON.stringify(sent)).not.toMatch(/tram|ana@/);
    stop();
    submit('#news');
    expect(sent).toHaveLength(3);
  });
});
