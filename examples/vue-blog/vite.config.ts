import vue from '@vitejs/plugin-vue';
import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript sources, so the example builds without building the packages first.
export default defineConfig({
  plugins: [vue()],
  resolve: { conditions: ['@waymark/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true },
});
