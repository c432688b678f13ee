import Link from 'next/link';
import type { ReactNode } from 'react';
import { Analytics } from './Analytics';

/**
 * Every page of both routers: the site header, the tracker with its page views, and the consent banner. The App
 * Router's root layout and the Pages Router's `_app` each wrap their pages in it.
 */
export function Site({ children }: { children: ReactNode }) {
  return (
    <Analytics>
      <header className="site">
        <Link href="/" className="brand">
          Waymarks
        </Link>
        <nav aria-label="Main">
          <Link href="/destinations/pt">Portugal</Link>
          <Link href="/destinations/jp">Japan</Link>
          <Link href="/guides">Guides</Link>
          <Link href="/about">About</Link>
        </nav>
      </header>
      <main>{children}</main>
      <footer className="site">Written on the road by Ana and Kenji.</footer>
    </Analytics>
  );
}
