'use client';
import { useTracker } from '@waymark/next';
import { useEffect, useRef } from 'react';
import type { Place } from '../content/posts';

/** Records `destination_viewed` once per post shown. */
export function DestinationViewed({ postId, authorId, destination }: { postId: string; authorId: string; destination: Place }) {
  const tracker = useTracker();
  // Server props arrive as new objects whenever the router re-renders the page: only a new post is a new view.
  const place = useRef(destination);
  place.current = destination;
  useEffect(() => {
    tracker.track('destination_viewed', { postId, authorId, destination: place.current });
  }, [tracker, postId, authorId]);
  return null;
}
