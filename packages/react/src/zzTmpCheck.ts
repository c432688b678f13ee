import { useTrackOnView } from './useTrackOnView';
import { trackOnView } from '@waymark/core/engagement';
import { createTracker } from '@waymark/core';
declare const ref: { current: Element | null };
export function A() {
  useTrackOnView(ref, { name: 'destination_viewed', properties: { destination: { country: 'PT' } } });
  useTrackOnView(ref, { name: 'destination_viewed', properties: { wrong: 1 } });
  useTrackOnView(ref, { name: 'destination_viewed' });
  useTrackOnView(ref, { name: 'nope_event' });
  const t = createTracker({ endpoint: 'x', writeKey: 'y' });
  trackOnView(t, { element: ref.current!, name: 'destination_viewed', properties: { destination: { country: 'PT' } } });
  trackOnView(t, { element: ref.current!, name: 'destination_viewed', properties: { bad: 1 } });
}
