import { act, cleanup, render, renderHook, screen, fireEvent } from '@testing-library/react';
import { StrictMode, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingOptions } from './testTransport';
import { usePageViews } from './usePageViews';
import { useTracker } from './useTracker';
import { WaymarkProvider } from './WaymarkProvider';
import type { TrackerOptions } from '@waymark/core';

/** A tiny router: the path lives in state and in the History API, as any SPA router keeps it. */
function App({ options }: { options: TrackerOptions }) {
  return (
    <WaymarkProvider options={options}>
      <Pages />
    </WaymarkProvider>
  );
}
function Pages() {
  const [path, setPath] = useState('/');
  const [, rerender] = useState(0);
  const route = path.startsWith('/destinations/') ? '/destinations/[country]' : path;
  usePageViews(path, { route, properties: { template: 'post' } });
  const tracker = useTracker();
  const go = (to: string) => {
    history.pushState(null, '', to);
    setPath(to);
  };
  return (
    <>
      <button onClick={() => go('/destinations/pt')}>Portugal</button>
      <button onClick={() => go('/destinations/jp')}>Japan</button>
      <button onClick={() => rerender((n) => n + 1)}>Re-render</button>
      <button onClick={() => tracker.track('post_shared', { postId: 'p1', network: 'pinterest', method: 'button' })}>Pin</button>
    </>
  );
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

describe('WaymarkProvider', () => {
  afterEach(() => {
    cleanup();
    history.replaceState(null, '', '/');
  });

  it('sends one page view per location with its route pattern, none for a re-render', async () => {
    const { options, sent } = recordingOptions();
    render(<App options={options} />);
    await settle();
    fireEvent.click(screen.getByText('Portugal'));
    fireEvent.click(screen.getByText('Re-render'));
    await settle();
    fireEvent.click(screen.getByText('Japan'));
    await settle();
    expect(sent.map((e) => [e.name, e.context.page.path, e.context.page.route, e.properties.template])).toEqual([
      ['page_viewed', '/', '/', 'post'],
      ['page_viewed', '/destinations/pt', '/destinations/[country]', 'post'],
      ['page_viewed', '/destinations/jp', '/destinations/[country]', 'post'],
    ]);
  });

  it('sends no duplicate page view under Strict Mode', async () => {
    const { options, sent } = recordingOptions();
    render(
      <StrictMode>
        <App options={options} />
      </StrictMode>,
    );
    await settle();
    fireEvent.click(screen.getByText('Portugal'));
    await settle();
    expect(sent.map((e) => e.context.page.path)).toEqual(['/', '/destinations/pt']);
  });

  it('gives useTracker() the provider tracker', async () => {
    const { options, sent } = recordingOptions();
    render(<App options={options} />);
    await settle();
    fireEvent.click(screen.getByText('Pin'));
    await settle();
    expect(sent.find((e) => e.name === 'post_shared')?.properties).toEqual({ postId: 'p1', network: 'pinterest', method: 'button' });
  });

  it('sends what waits when it unmounts', async () => {
    const { options, sent } = recordingOptions();
    const { unmount } = render(<App options={{ ...options, flushAt: 100 }} />);
    await settle();
    expect(sent).toEqual([]);
    unmount();
    await settle();
    expect(sent.map((e) => e.name)).toEqual(['page_viewed']);
  });

  it('uses a tracker passed in and leaves it alive on unmount', async () => {
    const { options, sent } = recordingOptions();
    const { createTracker } = await import('@waymark/core');
    const tracker = createTracker(options);
    const { unmount } = render(
      <WaymarkProvider tracker={tracker}>
        <Pages />
      </WaymarkProvider>,
    );
    await settle();
    unmount();
    tracker.track('post_shared', { postId: 'p2', network: 'whatsapp', method: 'button' });
    await settle();
    expect(sent.map((e) => e.name)).toEqual(['page_viewed', 'post_shared']);
    tracker.destroy();
  });

  it('throws a fix-it message in development when useTracker() has no provider', () => {
    expect(() => renderHook(() => useTracker())).toThrow(/no <WaymarkProvider>: wrap your app/);
  });
});
