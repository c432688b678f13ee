import { useTracker } from '@waymark/react';
import { useState } from 'react';

/** Asks once per visit; until the reader answers, the tracker holds events in memory and sends nothing. */
export function ConsentBanner() {
  const tracker = useTracker();
  const [answered, setAnswered] = useState(false);
  if (answered) return null;
  const choose = (granted: boolean) => {
    tracker.setConsent({ analytics: granted, storage: granted });
    setAnswered(true);
  };
  return (
    <div id="consent" role="dialog" aria-label="Consent">
      This blog counts readers to learn which guides help. May we measure your visit?{' '}
      <button id="accept" onClick={() => choose(true)}>
        Accept
      </button>
      <button id="decline" onClick={() => choose(false)}>
        Decline
      </button>
    </div>
  );
}
