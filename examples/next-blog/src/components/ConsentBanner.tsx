'use client';
import { useTracker } from '@waymark/next';
import { useEffect, useState } from 'react';

/** Where the blog remembers the reader's answer, so the banner asks once. */
const choiceKey = 'next-blog-consent';

/** Asks for analytics consent; until the reader answers, the tracker holds events in memory and sends nothing. */
export function ConsentBanner() {
  const tracker = useTracker();
  const [open, setOpen] = useState(false);

  useEffect(() => {
    const saved = localStorage.getItem(choiceKey);
    if (saved === 'granted' || saved === 'denied') tracker.setConsent({ analytics: saved === 'granted', storage: saved === 'granted' });
    else setOpen(true);
  }, [tracker]);

  const choose = (granted: boolean) => {
    tracker.setConsent({ analytics: granted, storage: granted });
    localStorage.setItem(choiceKey, granted ? 'granted' : 'denied');
    setOpen(false);
  };

  if (!open) return null;
  return (
    <aside id="consent" className="consent" aria-label="Cookie consent">
      <p>We count visits and clicks on our own server to see which guides help. No ads, no third parties.</p>
      <button id="accept" type="button" onClick={() => choose(true)}>
        Accept
      </button>
      <button id="decline" type="button" onClick={() => choose(false)}>
        Decline
      </button>
    </aside>
  );
}
