import type { EngagementTracker, StopTracking, TravelTracker } from './engagementTypes';
import { cleanupAll, listen, startWhenIdle } from './startWhenIdle';

/** Options of {@link trackForms}. */
export interface FormsOptions {
  /**
   * Comment forms. The comment is the form's `[data-comment-body]`, `textarea[name=comment]` or first textarea; only its
   * length is sent. A form with `data-reply`, or a non-zero `comment_parent` field (WordPress), posts a reply.
   * @default '[data-comment-form], #commentform'
   */
  comment?: string;
  /**
   * Newsletter forms. `data-list-id` and `data-placement` on the form become `listId` and `placement`; the address is
   * never read.
   * @default '[data-newsletter-form]'
   */
  newsletter?: string;
}

/**
 * Sends `comment_posted` (with the comment's length, never its text) and `newsletter_signed_up` when the matching form
 * is submitted. A `submit` event fires only once the browser's own validation passed; the form is not held up.
 *
 * @example
 * import { trackForms } from '@waymark/core/engagement';
 *
 * // <form data-newsletter-form data-list-id="weekly" data-placement="footer">…</form>
 * trackForms(tracker);
 */
export function trackForms(tracker: EngagementTracker, options: FormsOptions = {}): StopTracking {
  const { comment = '[data-comment-form], #commentform', newsletter = '[data-newsletter-form]' } = options;
  const t = tracker as TravelTracker;
  return startWhenIdle((win) => {
    const onSubmit = (event: Event) => {
      const form = event.target as HTMLFormElement;
      if (!form?.matches) return;
      if (form.matches(comment)) {
        const body = form.querySelector<HTMLTextAreaElement>('[data-comment-body], textarea[name=comment], textarea');
        const parent = form.querySelector<HTMLInputElement>('[name=comment_parent]');
        const isReply = form.hasAttribute('data-reply') || (!!parent && !!parent.value && parent.value !== '0');
        t.track('comment_posted', { length: body ? body.value.trim().length : 0, isReply });
      } else if (form.matches(newsletter)) {
        const listId = form.getAttribute('data-list-id')?.slice(0, 128) || undefined;
        const placement = form.getAttribute('data-placement')?.slice(0, 64) || undefined;
        t.track('newsletter_signed_up', { ...(listId && { listId }), ...(placement && { placement }) });
      }
    };
    return cleanupAll([listen(win.document, 'submit', onSubmit, { capture: true })]);
  });
}
