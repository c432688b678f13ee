import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript sources, so the example builds without building the packages first.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@waymark/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true },
});
