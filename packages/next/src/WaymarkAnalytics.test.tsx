import { act, cleanup, render } from '@testing-library/react';
import { WaymarkProvider } from '@waymark/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WaymarkAnalytics } from './WaymarkAnalytics';

/** The router state the mocked next/navigation and next/compat/router hooks return. */
const nav = vi.hoisted(() => ({
  pathname: '/' as string | null,
  search: '',
  params: {} as Record<string, string | string[]>,
  pages: null as null | { isReady: boolean; asPath: string; pathname: string },
}));
vi.mock('next/navigation.js', () => ({
  usePathname: () => nav.pathname,
  useSearchParams: () => new URLSearchParams(nav.search),
  useParams: () => nav.params,
}));
vi.mock('next/compat/router.js', () => ({ useRouter: () => nav.pages }));

const sent: { name: string; context: { page: { path: string; route?: string } } }[] = [];
const options = {
  endpoint: 'https://collect.example.test',
  writeKey: 'wk_test_123',
  consent: 'granted' as const,
  flushAt: 1,
  transport: {
    async send({ body }: { body: string }) {
      sent.push(...JSON.parse(body).events);
      return { status: 200 };
    },
  },
};
const app = () => (
  <WaymarkProvider options={options}>
    <WaymarkAnalytics />
  </WaymarkProvider>
);
const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));
/** A navigation: the URL changes, then the router re-renders with its new state. */
const navigate = async (rerender: (ui: React.ReactElement) => void, path: string, state: Partial<typeof nav>) => {
  history.pushState(null, '', path);
  Object.assign(nav, state);
  rerender(app());
  await settle();
};

describe('WaymarkAnalytics', () => {
  beforeEach(() => {
    sent.length = 0;
    Object.assign(nav, { pathname: '/', search: '', params: {}, pages: null });
  });
  afterEach(() => {
    cleanup();
    history.replaceState(null, '', '/');
  });

  it('sends one page view per App Router navigation with the route pattern', async () => {
    const { rerender } = render(app());
    await settle();
    await navigate(rerender, '/destinations/pt', { pathname: '/destinations/pt', params: { country: 'pt' } });
    await navigate(rerender, '/destinations/pt/lisbon', { pathname: '/destinations/pt/lisbon', params: { country: 'pt', slug: 'lisbon' } });
    rerender(app());
    await navigate(rerender, '/destinations/pt/lisbon?day=2', { search: 'day=2' });
    expect(sent.map((e) => [e.context.page.path, e.context.page.route])).toEqual([
      ['/', '/'],
      ['/destinations/pt', '/destinations/[country]'],
      ['/destinations/pt/lisbon', '/destinations/[country]/[slug]'],
      ['/destinations/pt/lisbon', '/destinations/[country]/[slug]'],
    ]);
  });

  it('uses the Pages Router pattern once the router is ready', async () => {
    nav.pages = { isReady: false, asPath: '/destinations/[country]', pathname: '/destinations/[country]' };
    history.pushState(null, '', '/destinations/jp');
    const { rerender } = render(app());
    await settle();
    expect(sent).toEqual([]);
    await navigate(rerender, '/destinations/jp', { pages: { isReady: true, asPath: '/destinations/jp#food', pathname: '/destinations/[country]' } });
    expect(sent.map((e) => [e.context.page.path, e.context.page.route])).toEqual([['/destinations/jp', '/destinations/[country]']]);
  });
});
