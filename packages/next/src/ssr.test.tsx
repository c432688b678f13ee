// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { WaymarkAnalytics, WaymarkProvider } from './index';

vi.mock('next/navigation.js', () => ({
  usePathname: () => '/destinations/pt',
  useSearchParams: () => new URLSearchParams(),
  useParams: () => ({ country: 'pt' }),
}));
vi.mock('next/compat/router.js', () => ({ useRouter: () => null }));

describe('@waymark/next on the server', () => {
  it('renders WaymarkAnalytics without browser globals, sending nothing and throwing nothing', () => {
    expect(typeof window).toBe('undefined');
    const send = vi.fn(async () => ({ status: 200 }));
    const fetch = vi.spyOn(globalThis, 'fetch');
    const html = renderToString(
      <WaymarkProvider options={{ endpoint: '/wm', writeKey: 'wk_test_123', consent: 'granted', transport: { send } }}>
        <WaymarkAnalytics />
        <p>Portugal</p>
      </WaymarkProvider>,
    );
    expect(html).toContain('<p>Portugal</p>');
    expect(send).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
  });
});
