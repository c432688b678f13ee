import type { AppProps } from 'next/app';
import Head from 'next/head';
import { Site } from '../components/Site';
import '../app/globals.css';

/**
 * The Pages Router's app: the same site frame as the App Router's root layout, so `<WaymarkAnalytics />` sends one
 * page view per Pages Router navigation with the pattern from the router (`/guides/[slug]`).
 */
export default function App({ Component, pageProps }: AppProps) {
  return (
    <>
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
      </Head>
      <Site>
        <Component {...pageProps} />
      </Site>
    </>
  );
}
