// Vite builds the React example blog with the synthetic blog's posts (src/blogContent.ts) into dist/blog/.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig({
  root: path('../../react-blog'),
  logLevel: 'warn',
  plugins: [react()],
  resolve: {
    conditions: ['@waymark/source', ...defaultClientConditions],
    alias: { '@waymark/example-blog-content': path('./blogContent.ts') },
  },
  build: { outDir: path('../dist/blog'), emptyOutDir: true },
});
