// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { useRef } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { usePageViews } from './usePageViews';
import { useReadTime } from './useReadTime';
import { useTracker } from './useTracker';
import { WaymarkProvider } from './WaymarkProvider';

function Post() {
  const tracker = useTracker();
  const ref = useRef<HTMLElement>(null);
  usePageViews('/destinations/pt/lisbon', { route: '/destinations/[country]/[slug]' });
  useReadTime(ref);
  tracker.track('destination_viewed', { destination: { country: 'PT' } });
  return <article ref={ref}>Lisbon</article>;
}

describe('@waymark/react on the server', () => {
  it('renders without browser globals, sending nothing and throwing nothing', () => {
    expect(typeof window).toBe('undefined');
    const send = vi.fn(async () => ({ status: 200 }));
    const fetch = vi.spyOn(globalThis, 'fetch');
    const html = renderToString(
      <WaymarkProvider options={{ endpoint: 'https://collect.example.test', writeKey: 'wk_test_123', consent: 'granted', transport: { send } }}>
        <Post />
      </WaymarkProvider>,
    );
    expect(html).toBe('<article>Lisbon</article>');
    expect(send).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
  });
});
