'use client';
import { WaymarkAnalytics, WaymarkProvider } from '@waymark/next';
import type { ReactNode } from 'react';
import { ConsentBanner } from './ConsentBanner';

/** The blog's public write key: it identifies the site, it grants nothing else. */
const writeKey = 'wk_next_blog';

/** The tracker for the whole app: events go to the collector mounted under this origin at `/wm`. */
export function Analytics({ children }: { children: ReactNode }) {
  return (
    <WaymarkProvider options={{ endpoint: '/wm', writeKey, flushInterval: 1000 }}>
      <WaymarkAnalytics />
      {children}
      <ConsentBanner />
    </WaymarkProvider>
  );
}
