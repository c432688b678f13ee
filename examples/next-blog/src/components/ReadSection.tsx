'use client';
import { useReadTime } from '@waymark/next';
import { useRef } from 'react';
import type { ReactNode } from 'react';

/** A post section whose reading time is measured (`section_read`, and `itinerary_day_read` for a day). */
export function ReadSection({ id, day, itineraryId, children }: { id: string; day?: number; itineraryId?: string; children: ReactNode }) {
  const ref = useRef<HTMLElement>(null);
  useReadTime(ref, { itineraryId });
  return (
    <section ref={ref} id={id} data-itinerary-day={day} data-itinerary-id={day ? itineraryId : undefined}>
      {children}
    </section>
  );
}
