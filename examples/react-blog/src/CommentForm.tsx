import { useTracker } from '@waymark/react';
import { useState } from 'react';
import type { FormEvent } from 'react';

/** The comment form: only the comment's length is measured, never its text. */
export function CommentForm({ postId }: { postId: string }) {
  const tracker = useTracker();
  const [text, setText] = useState('');
  const [posted, setPosted] = useState(0);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    tracker.track('comment_posted', { postId, length: text.length });
    setPosted(posted + 1);
    setText('');
  };
  return (
    <form id="comment" onSubmit={submit}>
      <h2>Leave a comment</h2>
      <textarea name="text" rows={3} placeholder="Tips, questions, corrections…" value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit">Post comment</button>
      {posted > 0 && <p className="thanks">Thanks, your comment is awaiting moderation.</p>}
    </form>
  );
}
