import type { ReactNode } from 'react';
import { Site } from '../components/Site';
import './globals.css';

export const metadata = {
  title: { default: 'Waymarks: a travel blog', template: '%s · Waymarks' },
  description: 'Slow travel guides with day-by-day itineraries.',
};

/** The App Router's root layout: every page inside the site frame. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Site>{children}</Site>
      </body>
    </html>
  );
}
