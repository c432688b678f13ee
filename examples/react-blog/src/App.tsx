import { usePageViews } from '@waymark/react';
import { useEffect } from 'react';
import { findDestination, findPost } from '@waymark/example-blog-content';
import { ConsentBanner } from './ConsentBanner';
import { AboutPage } from './pages/AboutPage';
import { DestinationPage } from './pages/DestinationPage';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PostPage } from './pages/PostPage';
import { Link, matchRoute, useAddressBar, usePath } from './router';

/** The blog: header, the page for the current route, the consent banner; one page view per navigation. */
export function App() {
  const path = usePath();
  const { route, params } = matchRoute(path);
  const destination = params.country ? findDestination(params.country) : undefined;
  const post = params.slug ? findPost(params.country, params.slug) : undefined;
  const title = [post?.title ?? destination?.name, 'Wayfarer travel blog'].filter(Boolean).join(' · ');

  // URL and title are set before the page view: React runs these effects before usePageViews' below.
  useAddressBar(path);
  useEffect(() => {
    document.title = title;
  }, [title]);
  usePageViews(path, {
    route: route.pattern,
    title,
    properties: {
      template: route.template,
      ...(post && { postId: post.slug, authorId: post.authorId, themes: post.themes, destinations: [post.place] }),
      ...(!post && destination && { destinations: [{ country: destination.country }] }),
    },
  });

  let page;
  if (route.template === 'home') page = <HomePage />;
  else if (route.template === 'about') page = <AboutPage />;
  else if (post && destination) page = <PostPage key={post.slug} post={post} destination={destination} />;
  else if (destination && !params.slug) page = <DestinationPage key={destination.slug} destination={destination} />;
  else page = <NotFoundPage />;

  return (
    <>
      <header className="site">
        <Link className="brand" href="/">
          Wayfarer
        </Link>
        <nav>
          <Link href="/destinations/pt">Portugal</Link>
          <Link href="/destinations/jp">Japan</Link>
          <Link href="/about">About</Link>
        </nav>
      </header>
      <main>{page}</main>
      <footer className="site">Wayfarer: slow travel guides. Measured with Waymark, only with your consent.</footer>
      <ConsentBanner />
    </>
  );
}
