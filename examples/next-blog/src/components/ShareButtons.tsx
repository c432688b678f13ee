'use client';
import { useTracker } from '@waymark/next';

const networks = [
  { network: 'pinterest', label: 'Pin it' },
  { network: 'whatsapp', label: 'WhatsApp' },
  { network: 'email', label: 'Email' },
] as const;

/** Share buttons that record which network the reader picked. */
export function ShareButtons({ postId, authorId }: { postId: string; authorId: string }) {
  const tracker = useTracker();
  return (
    <div className="share" aria-label="Share this post">
      {networks.map(({ network, label }) => (
        <button key={network} type="button" data-share={network} onClick={() => tracker.track('post_shared', { postId, authorId, network, method: 'button' })}>
          {label}
        </button>
      ))}
    </div>
  );
}
