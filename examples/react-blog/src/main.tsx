import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WaymarkProvider } from '@waymark/react';
import { App } from './App';

// server.mjs writes the collector's URL into index.html; `vite dev` falls back to a local collector.
const endpoint = document.querySelector<HTMLMetaElement>('meta[name="waymark-endpoint"]')?.content || 'http://127.0.0.1:8789';

createRoot(document.getElementById('app')!).render(
  <StrictMode>
    <WaymarkProvider options={{ endpoint, writeKey: 'wk_example_react_blog', flushInterval: 1000 }}>
      <App />
    </WaymarkProvider>
  </StrictMode>,
);
