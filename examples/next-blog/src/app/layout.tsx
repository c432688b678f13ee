import Link from 'next/link';
import type { ReactNode } from 'react';
import { Analytics } from '../components/Analytics';
import './globals.css';

export const metadata = {
  title: { default: 'Waymarks: a travel blog', template: '%s · Waymarks' },
  description: 'Slow travel guides with day-by-day itineraries.',
};

/** Every page: the site header, the tracker with its page views, and the consent banner. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Analytics>
          <header className="site">
            <Link href="/" className="brand">
              Waymarks
            </Link>
            <nav aria-label="Main">
              <Link href="/destinations/pt">Portugal</Link>
              <Link href="/destinations/jp">Japan</Link>
              <Link href="/about">About</Link>
            </nav>
          </header>
          <main>{children}</main>
          <footer className="site">Written on the road by Ana and Kenji.</footer>
        </Analytics>
      </body>
    </html>
  );
}
