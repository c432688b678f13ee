'use client';
import { useTracker } from '@waymark/next';
import { useState } from 'react';
import type { FormEvent } from 'react';

/** A comment form: the event carries the comment's length, never its text. */
export function CommentForm({ postId }: { postId: string }) {
  const tracker = useTracker();
  const [comments, setComments] = useState<string[]>([]);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = String(new FormData(form).get('text') ?? '').trim();
    if (!text) return;
    tracker.track('comment_posted', { postId, length: text.length });
    setComments((list) => [...list, text]);
    form.reset();
  };
  return (
    <section id="comments" aria-label="Comments">
      <h2>Comments</h2>
      <ul>
        {comments.map((text, i) => (
          <li key={i}>{text}</li>
        ))}
      </ul>
      <form id="comment" onSubmit={submit}>
        <label>
          Your comment
          <textarea name="text" rows={3} required />
        </label>
        <button type="submit">Post comment</button>
      </form>
    </section>
  );
}
