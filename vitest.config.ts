import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const source = '@waymark/source';
/** Packages whose code runs in the browser: their unit tests run under jsdom. */
const browserPackages = '{core,react,vue,next}';

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions], externalConditions: [source] } },
  test: {
    reporters: ['default', './scripts/vitest/summaryReporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit-browser',
          environment: 'jsdom',
          include: [`packages/${browserPackages}/src/**/*.test.{ts,tsx}`],
          exclude: ['**/*.production.test.*', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-node',
          environment: 'node',
          include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [`packages/${browserPackages}/**`, '**/*.production.test.*', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'production',
          environment: 'jsdom',
          include: ['packages/*/src/**/*.production.test.{ts,tsx}'],
          env: { NODE_ENV: 'production' },
        },
      },
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['packages/*/src/**/*.test-d.{ts,tsx}'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          environment: 'node',
          include: ['packages/*/e2e/**/*.spec.ts', 'examples/*/e2e/**/*.spec.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
